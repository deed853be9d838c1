/**
 * A TOML document that is edited in place: each change rewrites only the
 * lines it must, in the file's own style (indentation, quoting of keys,
 * header layout). The document knows the values each change makes; its
 * text is parsed again, strictly, before it is given out after changes, and
 * must give those values.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { TextLayout } from "./layout.ts";
import { NOTE_PREFIX, noteBody, noteValue } from "./notes.ts";
import { parseToml, parseValue } from "./parse.ts";
import type { Entry, Header, KeyPart } from "./scanner.ts";
import {
  copyValue,
  formatKey,
  formatValue,
  isTable,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
  type ValueStyle,
} from "./values.ts";

function names(parts: readonly KeyPart[]): string[] {
  return parts.map((part) => part.name);
}

function startsWith(keys: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > keys.length) return false;
  for (let i = 0; i < prefix.length; i++) if (keys[i] !== prefix[i]) return false;
  return true;
}

/** How many of `parts`, from the first, are named as `keys` from `at` on (at most `count`). */
function matching(parts: readonly KeyPart[], keys: readonly string[], at: number, count: number) {
  let i = 0;
  while (i < count && i < parts.length && at + i < keys.length && parts[i].name === keys[at + i]) {
    i++;
  }
  return i;
}

/** The earlier of two entries in the text. */
function earlier(a: Entry | undefined, b: Entry): Entry {
  return a === undefined || b.lineStart < a.lineStart ? b : a;
}

/**
 * A copy of `table` with `value` at `keys` (`undefined`: without it): the
 * tables on the way are copied (and frozen, as parsed values are), the rest
 * is shared. `undefined` where a value that is not a table stands on the way.
 */
function withValue(
  table: TomlTable,
  keys: readonly string[],
  value: TomlValue | undefined,
  at = 0,
): TomlTable | undefined {
  const key = keys[at];
  const copy: TomlTable = Object.assign(Object.create(null), table);
  if (at === keys.length - 1) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
  } else {
    const inner = Object.hasOwn(table, key) ? table[key] : undefined;
    if (inner === undefined && value === undefined) return table;
    if (inner !== undefined && !isTable(inner)) return undefined;
    const next = withValue(inner ?? {}, keys, value, at + 1);
    if (next === undefined) return undefined;
    copy[key] = next;
  }
  return Object.freeze(copy);
}

/** Where and how a table is written in the text. */
type Owner =
  | { kind: "header"; header: Header }
  | { kind: "dotted"; entries: Entry[] }
  | { kind: "value"; entry: Entry }
  | { kind: "implicit"; header: Header }
  | { kind: "absent" };

/** A TOML document under edit. */
export class TomlDocument {
  #text: string;
  /** Where the headers and entries are: scanned when first needed, then kept up to date. */
  #layout: TextLayout | undefined;
  /** The values the edits made (read-only); `undefined`: to be parsed from the text. */
  #data: TomlTable | undefined;
  /** Whether the text was parsed since the last edit. */
  #parsed: boolean;
  /** Whether lines end in CRLF; `undefined`: to be found again. */
  #crlf: boolean | undefined;
  /** The file's path, for messages. */
  readonly file: string;

  /**
   * Parses a document.
   *
   * @param text The TOML text.
   * @param file The file's path, for messages.
   * @throws {RtconfError} when the text is not valid TOML.
   */
  constructor(text: string, file: string) {
    this.file = file;
    this.#text = text;
    this.#data = parseToml(text, file);
    this.#parsed = true;
  }

  /**
   * The current text. After edits, it is parsed again first (strictly, as
   * every TOML file rtconf reads): an edit that made invalid TOML, or values
   * other than it meant, is an internal error.
   *
   * @throws {RtconfError} an internal error for such an edit.
   */
  get text(): string {
    if (!this.#parsed) this.#parse();
    return this.#text;
  }

  /** The current values (read-only). */
  get data(): TomlTable {
    if (this.#data === undefined) this.#parse();
    return this.#data!;
  }

  #parse(): void {
    let parsed: TomlTable;
    try {
      // Sharing what the values the edits made have in common: `this.#data` itself when equal.
      parsed = parseToml(this.#text, this.file, this.#data);
    } catch (error) {
      throw new RtconfError(
        `internal error: an edit of ${this.file} made invalid TOML (${
          (error as Error).message
        }); nothing was written; please report this bug`,
      );
    }
    if (this.#data !== undefined && parsed !== this.#data && !sameValue(parsed, this.#data)) {
      throw new RtconfError(
        `internal error: an edit of ${this.file} gave other values than it was to give; ` +
          "nothing was written; please report this bug",
      );
    }
    this.#data = parsed;
    this.#parsed = true;
  }

  /** The values after an edit set `value` at `keys` (`undefined`: removed it). */
  #setData(keys: readonly string[], value: TomlValue | undefined): void {
    if (this.#data !== undefined) this.#data = withValue(this.#data, keys, value);
  }

  /**
   * After an edit removed the value at `keys`: the tables above it that are
   * left empty and that no line of the text writes any more (a table that
   * only dotted keys or removed headers made) are gone too.
   */
  #pruneData(keys: readonly string[]): void {
    for (let length = keys.length - 1; length > 0 && this.#data !== undefined; length--) {
      const table = keys.slice(0, length);
      const value = valueAt(this.#data, table);
      if (!isTable(value) || Object.keys(value).length > 0 || this.#written(table)) return;
      this.#setData(table, undefined);
    }
  }

  /** Whether a header or an entry of the text writes the table at `keys` or something in it. */
  #written(keys: readonly string[]): boolean {
    const layout = this.#lines();
    if (layout.headers.some((header) => startsWith(header.names, keys))) return true;
    return this.#below(keys).length > 0;
  }

  /** The layout, scanned when first needed. */
  #lines(): TextLayout {
    return this.#layout ??= new TextLayout(this.#text);
  }

  /** The headers whose entries may hold keys that start with `keys[0..depth)`. */
  #owners(keys: readonly string[], depth: number): readonly (Header | undefined)[] {
    return depth === 0 ? [undefined] : this.#lines().headersAt(keys.slice(0, depth));
  }

  /**
   * The entries whose keys start with `keys` (or are `keys`) and that stand
   * under a header above `keys` (dotted keys and inline values), in text order.
   */
  #below(keys: readonly string[]): Entry[] {
    const found: Entry[] = [];
    for (let depth = 0; depth < keys.length; depth++) {
      const rest = keys.length - depth;
      for (const header of this.#owners(keys, depth)) {
        for (const entry of this.#lines().body(header)) {
          if (entry.key.length >= rest && matching(entry.key, keys, depth, rest) === rest) {
            found.push(entry);
          }
        }
      }
    }
    return found.sort((a, b) => a.lineStart - b.lineStart);
  }

  /**
   * The first entry (in text order) whose keys are `keys`, and the first whose
   * keys are a shorter start of `keys` (an inline value that holds it).
   */
  #find(keys: readonly string[]): { exact?: Entry; inline?: Entry } {
    let exact: Entry | undefined, inline: Entry | undefined;
    for (let depth = 0; depth < keys.length; depth++) {
      const rest = keys.length - depth;
      for (const header of this.#owners(keys, depth)) {
        for (const entry of this.#lines().body(header)) {
          const length = entry.key.length;
          if (length > rest || matching(entry.key, keys, depth, length) !== length) continue;
          if (length === rest) exact = earlier(exact, entry);
          else inline = earlier(inline, entry);
        }
      }
    }
    return { exact, inline };
  }

  /**
   * The value at `keys`.
   *
   * @param keys The keys.
   * @returns The value, or `undefined`.
   */
  get(keys: readonly string[]): TomlValue | undefined {
    return valueAt(this.data, keys);
  }

  /** Replaces a range of the text: the layout is brought up to date, the text is to be parsed. */
  #splice(start: number, end: number, insert: string): void {
    const before = this.#text;
    this.#text = before.slice(0, start) + insert + before.slice(end);
    this.#parsed = false;
    this.#layout?.update(this.#text, start, end, insert.length);
  }

  #line(offset: number): number {
    let line = 1;
    for (
      let i = this.#text.indexOf("\n");
      i >= 0 && i < offset;
      i = this.#text.indexOf("\n", i + 1)
    ) {
      line++;
    }
    return line;
  }

  #headerKeys(header: Header | undefined): string[] {
    return header ? header.names : [];
  }

  #entryKeys(entry: Entry): string[] {
    return [...this.#headerKeys(entry.header), ...names(entry.key)];
  }

  /**
   * The entry that holds the value at `keys`. A value inside an inline table
   * cannot be edited line by line: `edit` makes that an error.
   */
  #entry(keys: readonly string[], edit = true): Entry | undefined {
    const { exact, inline } = this.#find(keys);
    if (exact || !edit) return exact;
    if (inline) throw this.#valueError(inline);
    return undefined;
  }

  /** The error for a table rtconf must edit that the file writes as an inline value. */
  #valueError(entry: Entry): RtconfError {
    return new RtconfError(
      `${this.file}: line ${this.#line(entry.lineStart)}: ${
        this.#entryKeys(entry).join(".")
      } is written as an inline value; rtconf edits tables written as [sections]`,
    );
  }

  #owner(keys: readonly string[]): Owner {
    const layout = this.#lines();
    const header = layout.headersAt(keys).find((h) => h.kind === "table");
    if (header) return { kind: "header", header };
    let value: Entry | undefined;
    for (let depth = 0; depth < keys.length; depth++) {
      const rest = keys.length - depth;
      for (const owner of this.#owners(keys, depth)) {
        for (const entry of layout.body(owner)) {
          const length = entry.key.length;
          if (length <= rest && matching(entry.key, keys, depth, length) === length) {
            value = earlier(value, entry);
          }
        }
      }
    }
    if (value) return { kind: "value", entry: value };
    const dotted = this.#below(keys).filter((entry) =>
      entry.key.length > keys.length - this.#headerKeys(entry.header).length
    );
    if (dotted.length) return { kind: "dotted", entries: dotted };
    const descendant = layout.headers.find((h) => startsWith(h.names, keys));
    if (descendant) return { kind: "implicit", header: descendant };
    return { kind: "absent" };
  }

  /** The end of a header's body: after its last entry, or after the header line. */
  #bodyEnd(header: Header): number {
    const last = this.#lines().body(header).at(-1);
    return Math.max(header.lineEnd, last?.lineEnd ?? 0);
  }

  /** Whether the file writes its strings single-quoted, mostly. */
  #style(): ValueStyle {
    const { literal, basic } = this.#lines().strings;
    return { literal: literal > basic };
  }

  /** The white space one nesting level adds to headers, as the file writes it. */
  #headerStep(): string {
    const layout = this.#lines();
    for (const child of layout.headers) {
      if (child.names.length < 2) continue;
      const parent = layout.headersAt(child.names.slice(0, -1))[0];
      if (parent && child.indent.startsWith(parent.indent)) {
        return child.indent.slice(parent.indent.length);
      }
    }
    return "";
  }

  /** The white space entries have beyond their header's, as the file writes it. */
  #bodyStep(): string {
    const layout = this.#lines();
    for (const header of layout.headers) {
      for (const entry of layout.body(header)) {
        if (entry.indent.startsWith(header.indent)) return entry.indent.slice(header.indent.length);
      }
    }
    return "";
  }

  /**
   * How a new header for `keys` is written: its indentation and key text.
   * `under`: whether headers under `keys` may be written already.
   */
  #headerStyle(keys: readonly string[], under: boolean): { indent: string; key: string } {
    let best: Header | undefined;
    let bestLength = 0;
    // The best there can be: a header of `keys` (or under it), else a sibling.
    const most = under ? 2 * keys.length + 1 : 2 * keys.length - 1;
    for (const header of this.#lines().headers) {
      if (bestLength >= most) break;
      const headerKeys = header.names;
      let common = 0;
      while (
        common < Math.min(headerKeys.length, keys.length) && headerKeys[common] === keys[common]
      ) {
        common++;
      }
      // Prefer a sibling (same depth), then the longest shared prefix.
      const score = common * 2 + (headerKeys.length === keys.length ? 1 : 0);
      if (common > 0 && score > bestLength) {
        best = header;
        bestLength = score;
      }
    }
    const common = best ? Math.floor(bestLength / 2) : 0;
    const key = [
      ...(best ? best.key.slice(0, common).map((part) => part.raw) : []),
      ...keys.slice(common).map(formatKey),
    ].join(".");
    if (!best) return { indent: "", key };
    const step = this.#headerStep();
    const depth = keys.length - best.key.length;
    const indent = depth >= 0
      ? best.indent + step.repeat(depth)
      : best.indent.slice(0, Math.max(0, best.indent.length + step.length * depth));
    return { indent, key };
  }

  /** The text of new `[tables]` for `table` at `keys`, in the style of its siblings. */
  #tableText(keys: readonly string[], table: TomlTable, note?: string): string {
    const { indent, key } = this.#headerStyle(keys, false);
    const parent = keys.slice(0, -1);
    const sibling = this.#lines().headers.find((h) =>
      h.names.length === keys.length && startsWith(h.names, parent)
    );
    const siblingEntry = sibling && this.#lines().body(sibling)[0];
    const bodyIndent = siblingEntry && sibling.indent === indent
      ? siblingEntry.indent
      : indent + this.#bodyStep();
    const style = {
      ...this.#style(),
      headerStep: this.#headerStep(),
      bodyStep: bodyIndent.slice(indent.length),
    };
    return this.#tablesText(table, key, indent, style, note);
  }

  /**
   * A `[key]` header with the table's values, then its sub-tables, one level
   * deeper each. A note goes after the first header, which is then written
   * even for a table of sub-tables only.
   */
  #tablesText(
    table: TomlTable,
    key: string,
    indent: string,
    style: ValueStyle & { headerStep: string; bodyStep: string },
    note?: string,
  ): string {
    const lines = [`${indent}[${key}]${note === undefined ? "" : ` ${NOTE_PREFIX}${note}`}`];
    const tables: [string, TomlTable][] = [];
    for (const [name, value] of Object.entries(table)) {
      if (isTable(value)) tables.push([name, value]);
      else {lines.push(
          `${indent}${style.bodyStep}${formatKey(name)} = ${formatValue(value, style)}`,
        );}
    }
    // A table with only sub-tables needs no header of its own.
    const texts = lines.length === 1 && tables.length && note === undefined
      ? []
      : [lines.join("\n") + "\n"];
    for (const [name, value] of tables) {
      const subKey = `${key}.${formatKey(name)}`;
      texts.push(this.#tablesText(value, subKey, indent + style.headerStep, style));
    }
    return texts.join("\n");
  }

  /** Inserts whole lines at `offset`, which is at a line start or the text's end. */
  #insertLines(offset: number, lines: string, blankBefore: boolean): void {
    let prefix = "";
    let text = lines;
    const first = this.#text.startsWith("\uFEFF") ? 1 : 0; // a byte order mark is not a line
    if (offset > first && this.#text[offset - 1] !== "\n") {
      // At the end of a file without a final newline: it stays without one.
      prefix = "\n";
      text = text.replace(/\n$/, "");
    }
    if (blankBefore && offset > first) prefix += "\n";
    this.#splice(offset, offset, (prefix + text).replaceAll("\n", this.#newline()));
  }

  /**
   * Removes the text ranges (whole lines). A file without a final newline
   * keeps having none: removing its last lines takes the newline before them.
   */
  #removeRanges(ranges: [number, number][]): void {
    const finalNewline = this.#text === "" || this.#text.endsWith("\n");
    // From the last: each up to the start of the one after it; ranges that meet go as one.
    const removed: [number, number][] = [];
    let lastStart = Infinity;
    for (const [start, end] of [...ranges].sort((a, b) => b[0] - a[0])) {
      const stop = Math.min(end, lastStart);
      if (stop > start) {
        const next = removed.at(-1);
        if (next && next[0] === stop) next[0] = start;
        else removed.push([start, stop]);
      }
      lastStart = start;
    }
    for (const [start, stop] of removed) this.#splice(start, stop, "");
    if (!finalNewline && this.#text.endsWith("\n")) {
      const length = this.#text.endsWith("\r\n") ? 2 : 1;
      this.#splice(this.#text.length - length, this.#text.length, "");
    }
    this.#crlf = undefined;
  }

  #newline(): string {
    this.#crlf ??= this.#text.includes("\r\n");
    return this.#crlf ? "\r\n" : "\n";
  }

  /**
   * Sets the value at `keys`: replaces an existing value in place, or adds a
   * `key = value` line to the table that holds it (creating a `[table]`
   * header where the table has none).
   *
   * @param keys The keys.
   * @param value The new value (not a table).
   */
  set(keys: readonly string[], value: TomlValue): void {
    const entry = this.#entry(keys);
    if (entry) {
      const literal = this.#text[entry.valueStart] === "'";
      this.setRaw(keys, formatValue(value, { literal }));
      return;
    }
    this.#addValue(keys, value);
    this.#setData(keys, copyValue(value));
  }

  /** Writes a new `key = value` line for a value the text does not hold. */
  #addValue(keys: readonly string[], value: TomlValue): void {
    const text = formatValue(value, this.#style());
    const table = keys.slice(0, -1);
    const key = keys[keys.length - 1];
    const owner = this.#owner(table);
    switch (owner.kind) {
      case "header": {
        const last = this.#lines().body(owner.header).at(-1);
        const indent = last?.indent ?? owner.header.indent + this.#bodyStep();
        const at = last?.lineEnd ?? owner.header.lineEnd;
        this.#insertLines(at, `${indent}${formatKey(key)} = ${text}\n`, false);
        return;
      }
      case "dotted": {
        const last = owner.entries[owner.entries.length - 1];
        const prefix = last.key.slice(0, table.length - this.#headerKeys(last.header).length)
          .map((part) => part.raw);
        const line = `${last.indent}${[...prefix, formatKey(key)].join(".")} = ${text}\n`;
        this.#insertLines(last.lineEnd, line, false);
        return;
      }
      case "value":
        throw this.#valueError(owner.entry);
      case "implicit":
      case "absent": {
        if (table.length === 0) {
          const root = this.#lines().body(undefined).at(-1);
          const at = root?.lineEnd ?? this.#lines().headers[0]?.lineStart ?? this.#text.length;
          this.#insertLines(at, `${formatKey(key)} = ${text}\n`, false);
          return;
        }
        const { indent, key: headerKey } = this.#headerStyle(table, owner.kind === "implicit");
        const lines = `${indent}[${headerKey}] ${NOTE_PREFIX}added\n` +
          `${indent}${this.#bodyStep()}${formatKey(key)} = ${text}\n`;
        if (owner.kind === "implicit") {
          this.#insertLines(owner.header.lineStart, lines + "\n", false);
        } else {
          this.#insertLines(this.#placeAfter(table), lines, this.#text.trim() !== "");
        }
      }
    }
  }

  /** Where a new table for `keys` goes: after the tables that share most of its keys. */
  #placeAfter(keys: readonly string[]): number {
    for (let length = keys.length - 1; length > 0; length--) {
      const related = this.#lastUnder(keys.slice(0, length));
      if (related) return this.#bodyEnd(related);
    }
    return this.#text.length;
  }

  /** The last header (in text order) whose keys start with `keys`. */
  #lastUnder(keys: readonly string[]): Header | undefined {
    const { headers } = this.#lines();
    for (let i = headers.length - 1; i >= 0; i--) {
      if (startsWith(headers[i].names, keys)) return headers[i];
    }
    return undefined;
  }

  /**
   * Adds a new table at `keys` in `[header]` style, with its sub-tables, after
   * the last table under `keys`'s parent (its siblings), in the file's style.
   *
   * @param keys The new table's keys.
   * @param table Its contents.
   * @param note A note after its header (`# rtconf: NOTE`), e.g. `added`.
   */
  addTable(keys: readonly string[], table: TomlTable, note?: string): void {
    if (this.get(keys) !== undefined) {
      throw new RtconfError(`internal error: ${keys.join(".")} exists already in ${this.file}`);
    }
    const parent = keys.slice(0, -1);
    const parentOwner = this.#owner(parent);
    if (parentOwner.kind === "value") throw this.#valueError(parentOwner.entry);
    const related = this.#lastUnder(parent);
    const at = related ? this.#bodyEnd(related) : this.#placeAfter(keys);
    this.#insertLines(at, this.#tableText(keys, table, note), this.#text.trim() !== "");
    this.#setData(keys, copyValue(table));
  }

  /**
   * The note rtconf left after the `[header]` of the table at `keys`.
   *
   * @param keys The table's keys.
   * @returns The note, or `undefined` when its header has none (or it has no header).
   */
  headerNote(keys: readonly string[]): string | undefined {
    const header = this.#lines().headersAt(keys).find((h) => h.kind === "table");
    if (header?.commentStart === undefined) return undefined;
    const comment = this.#text.slice(header.commentStart, header.lineEnd).replace(/\r?\n$/, "");
    return comment.startsWith(NOTE_PREFIX)
      ? noteBody(comment.slice(NOTE_PREFIX.length))
      : undefined;
  }

  /**
   * The text of the value at `keys`, as the file writes it.
   *
   * @param keys The keys.
   * @returns The value's text, or `undefined` when the file has no such value.
   */
  raw(keys: readonly string[]): string | undefined {
    const entry = this.#entry(keys);
    return entry && this.#text.slice(entry.valueStart, entry.valueEnd);
  }

  /**
   * Replaces the text of an existing value.
   *
   * @param keys The keys.
   * @param text The new value's TOML text.
   */
  setRaw(keys: readonly string[], text: string): void {
    const entry = this.#entry(keys);
    if (!entry) throw new RtconfError(`internal error: no ${keys.join(".")} in ${this.file}`);
    if (this.#text.slice(entry.valueStart, entry.valueEnd) !== text) {
      this.#splice(entry.valueStart, entry.valueEnd, text);
      const value = parseValue(text);
      if (value === undefined) this.#data = undefined; // the check of the text says what is wrong
      else this.#setData(keys, value);
    }
  }

  /**
   * Removes the value at `keys` with its whole line. A `[table]` header that
   * rtconf added (`# rtconf: added`) goes too when its last value goes.
   *
   * @param keys The keys.
   * @returns Whether there was such a value.
   */
  delete(keys: readonly string[]): boolean {
    const entry = this.#entry(keys);
    if (!entry) return false;
    const header = entry.header;
    const last = header !== undefined &&
      this.#lines().body(header).length === 1 &&
      this.#text.slice(header.lineStart, header.lineEnd).trimEnd().endsWith(
        `${NOTE_PREFIX}added`,
      );
    if (!last) {
      this.#removeRanges([[entry.lineStart, entry.lineEnd]]);
      this.#setData(keys, undefined);
      this.#pruneData(keys);
      return true;
    }
    // The header and its value, with the blank line that set() put beside them.
    let start = header.lineStart, end = entry.lineEnd;
    const before = this.#text.slice(Math.max(0, start - 3), start);
    if (/\n\r?\n$/.test(before)) {
      start -= before.endsWith("\r\n") ? 2 : 1;
    } else if (/^\r?\n/.test(this.#text.slice(end, end + 2))) {
      end += this.#text[end] === "\r" ? 2 : 1;
    }
    this.#removeRanges([[start, end]]);
    this.#setData(keys, undefined);
    this.#pruneData(keys);
    return true;
  }

  /**
   * Appends an item to the array at `keys`, in the array's own layout.
   *
   * @param keys The keys of an existing array.
   * @param item The new item.
   */
  appendItem(keys: readonly string[], item: TomlValue): void {
    const raw = this.raw(keys);
    if (raw === undefined) {
      throw new RtconfError(`internal error: no ${keys.join(".")} in ${this.file}`);
    }
    const text = formatValue(item, { literal: /^\[\s*'/.test(raw) });
    const inner = raw.slice(1, -1);
    const content = inner.trimEnd();
    const trailing = inner.slice(content.length);
    let next: string;
    if (content.trim() === "") {
      next = `[${text}]`;
    } else if (!inner.includes("\n")) {
      next = content.endsWith(",")
        ? `[${content} ${text},${trailing}]`
        : `[${content}, ${text}${trailing}]`;
    } else {
      const indent = /\n([ \t]*)[^\n]*$/.exec(content)?.[1] ?? "";
      // The last item may have comments after it: its comma goes before them.
      const value = this.get(keys) as TomlValue[];
      let items = content;
      for (let at = content.indexOf("#"); at >= 0; at = content.indexOf("#", at + 1)) {
        if (sameValue(parseValue(`[${content.slice(0, at)}\n]`), value)) {
          items = content.slice(0, at).trimEnd();
          break;
        }
      }
      const comments = content.slice(items.length);
      const newline = raw.includes("\r\n") ? "\r\n" : "\n";
      next = items.endsWith(",")
        ? `[${items}${comments}${newline}${indent}${text},${trailing}]`
        : `[${items},${comments}${newline}${indent}${text}${trailing}]`;
    }
    this.setRaw(keys, next);
  }

  /**
   * Removes an item from the array at `keys`, with the separator that came
   * with it, so that {@linkcode appendItem} then `removeItem` gives back the
   * original text.
   *
   * @param keys The keys of an existing array.
   * @param item The item to remove.
   * @returns Whether the item was there.
   */
  removeItem(keys: readonly string[], item: string): boolean {
    const raw = this.raw(keys);
    const value = this.get(keys);
    if (raw === undefined || !Array.isArray(value) || !value.includes(item)) return false;
    const last = value.lastIndexOf(item); // the one appendItem added, when it was there before
    const expected = value.filter((_, i) => i !== last);
    for (const quoted of [formatValue(item), formatValue(item, { literal: true })]) {
      const at = raw.lastIndexOf(quoted);
      if (at < 0) continue;
      const before = raw.slice(0, at), after = raw.slice(at + quoted.length);
      const candidates = [
        before.replace(/,\s*$/, "") + after,
        before.replace(/\r?\n[ \t]*$/, "") + after.replace(/^,/, ""),
        before + after.replace(/^,\s*/, ""),
        before.replace(/,?[ \t]*$/, "") + after,
      ];
      // Without trailing commas, appendItem put the last item's comma before its comments.
      const comments = /,((?:\s*#[^\r\n]*)+)\r?\n[ \t]*$/.exec(before);
      if (comments && !after.startsWith(",")) {
        candidates.unshift(before.slice(0, comments.index) + comments[1] + after);
      }
      for (const candidate of candidates) {
        if (sameValue(parseValue(candidate), expected)) {
          this.setRaw(keys, candidate);
          return true;
        }
      }
    }
    throw new RtconfError(
      `${this.file}: cannot remove ${formatValue(item)} from ${keys.join(".")}`,
    );
  }

  /**
   * Removes the table at `keys`, its sub-tables and its header lines, with
   * one blank line before each removed block when there is one.
   *
   * @param keys The table's keys.
   * @returns Whether there was such a table.
   */
  removeTable(keys: readonly string[]): boolean {
    if (!isTable(this.get(keys))) return false;
    const ranges: [number, number][] = [];
    for (const entry of this.#below(keys)) ranges.push([entry.lineStart, entry.lineEnd]);
    for (const header of this.#lines().headers) {
      if (startsWith(header.names, keys)) {
        // With the blank line before it, unless that is the text's first line.
        let start = header.lineStart;
        const lineStart = start < 2 ? 0 : this.#text.lastIndexOf("\n", start - 2) + 1;
        if (lineStart > 0 && /^[ \t]*\r?\n$/.test(this.#text.slice(lineStart, start))) {
          start = lineStart;
        }
        ranges.push([start, this.#bodyEnd(header)]);
      }
    }
    this.#removeRanges(ranges);
    this.#setData(keys, undefined);
    this.#pruneData(keys);
    return true;
  }

  /**
   * Sets a value and notes the value it had (`# rtconf: was <text>`, or
   * `# rtconf: added`), so that {@linkcode restore} can put it back. A value
   * that already carries a note keeps it: the note records the original. A
   * value written over several lines is noted on one line: restore gives back
   * its value, not its layout.
   *
   * @param keys The keys.
   * @param value The new value.
   */
  change(keys: readonly string[], value: TomlValue): void {
    const old = this.get(keys);
    if (sameValue(old, value)) return;
    let raw = this.raw(keys);
    // A note is a comment, one line: a value written over several lines is noted on one.
    if (raw?.includes("\n")) raw = formatValue(old!, { literal: raw.startsWith("'") });
    this.set(keys, value);
    if (this.note(keys) === undefined) {
      this.addNote(keys, raw === undefined ? "added" : `was ${raw}`);
    }
  }

  /**
   * Puts back what {@linkcode change} noted: the original text of the value,
   * or no value at all. Without a `was` note the value is removed.
   *
   * @param keys The keys.
   */
  restore(keys: readonly string[]): void {
    const note = this.note(keys);
    if (note?.startsWith("was ") && noteValue(note) !== undefined) {
      this.removeNote(keys);
      this.setRaw(keys, note.slice("was ".length));
    } else {
      this.delete(keys);
    }
  }

  /**
   * The note rtconf left in the comment after the value at `keys`: the text
   * after `# rtconf: ` up to the end of the note.
   *
   * @param keys The keys.
   * @returns The note, or `undefined`.
   */
  note(keys: readonly string[]): string | undefined {
    const entry = this.#entry(keys, false);
    if (!entry || entry.commentStart === undefined) return undefined;
    const comment = this.#text.slice(entry.commentStart, entry.contentEnd);
    if (!comment.startsWith(NOTE_PREFIX)) return undefined;
    return noteBody(comment.slice(NOTE_PREFIX.length));
  }

  /**
   * Leaves a note (`# rtconf: NOTE`) after the value at `keys`, before any
   * comment the line has; {@linkcode removeNote} takes it back exactly.
   *
   * @param keys The keys.
   * @param note The note: a word, a space and a TOML value at the most.
   */
  addNote(keys: readonly string[], note: string): void {
    const entry = this.#entry(keys);
    if (!entry) {
      throw new RtconfError(`internal error: no ${keys.join(".")} to note in ${this.file}`);
    }
    if (entry.commentStart === undefined) {
      this.#splice(entry.contentEnd, entry.contentEnd, ` ${NOTE_PREFIX}${note}`);
    } else {
      this.#splice(entry.commentStart, entry.commentStart, `${NOTE_PREFIX}${note} `);
    }
  }

  /**
   * Removes the note after the value at `keys`.
   *
   * @param keys The keys.
   */
  removeNote(keys: readonly string[]): void {
    const note = this.note(keys);
    const entry = this.#entry(keys);
    if (note === undefined || !entry || entry.commentStart === undefined) return;
    const end = entry.commentStart + NOTE_PREFIX.length + note.length;
    if (end === entry.contentEnd) {
      const start = entry.commentStart - (this.#text[entry.commentStart - 1] === " " ? 1 : 0);
      this.#splice(start, end, "");
    } else {
      this.#splice(entry.commentStart, end + 1, "");
    }
  }
}
