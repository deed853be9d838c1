/**
 * A TOML document that is edited in place: each change rewrites only the
 * lines it must, in the file's own style (indentation, quoting of keys,
 * header layout), and the result is parsed again after every change.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { NOTE_PREFIX, noteBody, noteValue } from "./notes.ts";
import { parseToml, parseValue } from "./parse.ts";
import { type Entry, type Header, type KeyPart, type Layout, scan } from "./scanner.ts";
import {
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
  return prefix.length <= keys.length && prefix.every((name, i) => keys[i] === name);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
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
  #layout!: Layout;
  /** The values, parsed when first asked for after an edit. */
  #data: TomlTable | undefined;
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
    this.#layout = scan(text);
  }

  /** The current text. */
  get text(): string {
    return this.#text;
  }

  /** The current values. */
  get data(): TomlTable {
    if (this.#data === undefined) {
      try {
        this.#data = parseToml(this.#text, this.file);
      } catch (error) {
        throw new RtconfError(
          `internal error: an edit of ${this.file} made invalid TOML (${
            (error as Error).message
          }); nothing was written; please report this bug`,
        );
      }
    }
    return this.#data;
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

  /** Replaces a range of the text; the values are parsed again when next asked for. */
  #splice(start: number, end: number, insert: string): void {
    this.#text = this.#text.slice(0, start) + insert + this.#text.slice(end);
    this.#data = undefined;
    this.#layout = scan(this.#text);
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
    return header ? names(header.key) : [];
  }

  #entryKeys(entry: Entry): string[] {
    return [...this.#headerKeys(entry.header), ...names(entry.key)];
  }

  /**
   * The entry that holds the value at `keys`. A value inside an inline table
   * cannot be edited line by line: `edit` makes that an error.
   */
  #entry(keys: readonly string[], edit = true): Entry | undefined {
    const entry = this.#layout.entries.find((e) => sameKeys(this.#entryKeys(e), keys));
    if (entry || !edit) return entry;
    const inline = this.#layout.entries.find((e) => {
      const entryKeys = this.#entryKeys(e);
      return entryKeys.length < keys.length && startsWith(keys, entryKeys);
    });
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
    const { headers, entries } = this.#layout;
    const header = headers.find((h) => h.kind === "table" && sameKeys(names(h.key), keys));
    if (header) return { kind: "header", header };
    const value = entries.find((e) => {
      const entryKeys = this.#entryKeys(e);
      return entryKeys.length <= keys.length && startsWith(keys, entryKeys);
    });
    if (value) return { kind: "value", entry: value };
    const dotted = entries.filter((e) => {
      const entryKeys = this.#entryKeys(e);
      return entryKeys.length > keys.length && startsWith(entryKeys, keys) &&
        this.#headerKeys(e.header).length < keys.length;
    });
    if (dotted.length) return { kind: "dotted", entries: dotted };
    const descendant = headers.find((h) => startsWith(names(h.key), keys));
    if (descendant) return { kind: "implicit", header: descendant };
    return { kind: "absent" };
  }

  /** The end of a header's body: after its last entry, or after the header line. */
  #bodyEnd(header: Header): number {
    let end = header.lineEnd;
    for (const entry of this.#layout.entries) {
      if (entry.header === header) end = Math.max(end, entry.lineEnd);
    }
    return end;
  }

  /** Whether the file writes its strings single-quoted, mostly. */
  #style(): ValueStyle {
    let literal = 0, basic = 0;
    for (const entry of this.#layout.entries) {
      const c = this.#text[entry.valueStart];
      if (c === "'") literal++;
      else if (c === '"') basic++;
    }
    return { literal: literal > basic };
  }

  /** The white space one nesting level adds to headers, as the file writes it. */
  #headerStep(): string {
    const { headers } = this.#layout;
    for (const child of headers) {
      const parent = headers.find((h) =>
        h.key.length === child.key.length - 1 && startsWith(names(child.key), names(h.key))
      );
      if (parent && child.indent.startsWith(parent.indent)) {
        return child.indent.slice(parent.indent.length);
      }
    }
    return "";
  }

  /** The white space entries have beyond their header's, as the file writes it. */
  #bodyStep(): string {
    for (const entry of this.#layout.entries) {
      if (entry.header && entry.indent.startsWith(entry.header.indent)) {
        return entry.indent.slice(entry.header.indent.length);
      }
    }
    return "";
  }

  /** How a new header for `keys` is written: its indentation and key text. */
  #headerStyle(keys: readonly string[]): { indent: string; key: string } {
    let best: Header | undefined;
    let bestLength = 0;
    for (const header of this.#layout.headers) {
      const headerKeys = names(header.key);
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
    const { indent, key } = this.#headerStyle(keys);
    const sibling = this.#layout.headers.find((h) =>
      h.key.length === keys.length && startsWith(names(h.key), keys.slice(0, -1))
    );
    const siblingEntry = sibling && this.#layout.entries.find((e) => e.header === sibling);
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
    let text = this.#text;
    let lastStart = Infinity;
    for (const [start, end] of [...ranges].sort((a, b) => b[0] - a[0])) {
      text = text.slice(0, start) + text.slice(Math.min(end, lastStart));
      lastStart = start;
    }
    if (!/\n$/.test(this.#text) && this.#text !== "") text = text.replace(/\r?\n$/, "");
    this.#splice(0, this.#text.length, text);
  }

  #newline(): string {
    return this.#text.includes("\r\n") ? "\r\n" : "\n";
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
    const text = formatValue(value, this.#style());
    const table = keys.slice(0, -1);
    const key = keys[keys.length - 1];
    const owner = this.#owner(table);
    switch (owner.kind) {
      case "header": {
        const last = this.#layout.entries.filter((e) => e.header === owner.header).pop();
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
          const root = this.#layout.entries.filter((e) => e.header === undefined).pop();
          const at = root?.lineEnd ?? this.#layout.headers[0]?.lineStart ?? this.#text.length;
          this.#insertLines(at, `${formatKey(key)} = ${text}\n`, false);
          return;
        }
        const { indent, key: headerKey } = this.#headerStyle(table);
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
      const prefix = keys.slice(0, length);
      const related = this.#layout.headers.filter((h) => startsWith(names(h.key), prefix));
      if (related.length) return this.#bodyEnd(related[related.length - 1]);
    }
    return this.#text.length;
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
    const related = this.#layout.headers.filter((h) => startsWith(names(h.key), parent));
    const at = related.length ? this.#bodyEnd(related[related.length - 1]) : this.#placeAfter(keys);
    this.#insertLines(at, this.#tableText(keys, table, note), this.#text.trim() !== "");
  }

  /**
   * The note rtconf left after the `[header]` of the table at `keys`.
   *
   * @param keys The table's keys.
   * @returns The note, or `undefined` when its header has none (or it has no header).
   */
  headerNote(keys: readonly string[]): string | undefined {
    const header = this.#layout.headers.find((h) =>
      h.kind === "table" && sameKeys(names(h.key), keys)
    );
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
      this.#layout.entries.filter((e) => e.header === header).length === 1 &&
      this.#text.slice(header.lineStart, header.lineEnd).trimEnd().endsWith(
        `${NOTE_PREFIX}added`,
      );
    if (!last) {
      this.#removeRanges([[entry.lineStart, entry.lineEnd]]);
      return true;
    }
    // The header and its value, with the blank line that set() put beside them.
    let start = header.lineStart, end = entry.lineEnd;
    if (/\n\r?\n$/.test(this.#text.slice(0, start))) {
      start -= this.#text.slice(0, start).endsWith("\r\n") ? 2 : 1;
    } else if (/^\r?\n/.test(this.#text.slice(end))) {
      end += this.#text[end] === "\r" ? 2 : 1;
    }
    this.#removeRanges([[start, end]]);
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
    for (const entry of this.#layout.entries) {
      const entryKeys = this.#entryKeys(entry);
      if (startsWith(entryKeys, keys) && this.#headerKeys(entry.header).length < keys.length) {
        ranges.push([entry.lineStart, entry.lineEnd]);
      }
    }
    for (const header of this.#layout.headers) {
      if (startsWith(names(header.key), keys)) {
        let start = header.lineStart;
        const before = this.#text.slice(0, start);
        const blank = /(?:^|\n)([ \t]*\r?\n)$/.exec(before);
        if (blank && before.length > blank[1].length) start -= blank[1].length;
        ranges.push([start, this.#bodyEnd(header)]);
      }
    }
    this.#removeRanges(ranges);
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
