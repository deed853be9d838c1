/**
 * A TOML document that is edited in place: each change rewrites only the
 * lines it must, in the file's own style (indentation, quoting of keys,
 * header layout), and the result is parsed again after every change.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { RtconfError } from "../errors.ts";
import { type Entry, type Header, type KeyPart, type Layout, scan } from "./scan.ts";
import {
  formatKey,
  formatValue,
  isTable,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
  type ValueStyle,
} from "./value.ts";

/** The prefix of the notes rtconf leaves in comments. */
export const NOTE_PREFIX = "# rtconf: ";

/**
 * Parses TOML text strictly (TOML 1.0), integers as `bigint`.
 *
 * @param text The text.
 * @param file The file it came from, for the error message.
 * @returns The root table.
 * @throws {RtconfError} one line naming the file, line and column.
 */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text.replace(/^\uFEFF/, ""), { integersAsBigInt: true }) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new RtconfError(
        `${file}: invalid TOML at line ${error.line}, column ${error.column}: ${reason}`,
      );
    }
    throw error;
  }
}

function names(parts: readonly KeyPart[]): string[] {
  return parts.map((part) => part.name);
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, i) => path[i] === name);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
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
   * The value at a path.
   *
   * @param path The keys.
   * @returns The value, or `undefined`.
   */
  get(path: readonly string[]): TomlValue | undefined {
    return valueAt(this.data, path);
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

  #headerPath(header: Header | undefined): string[] {
    return header ? names(header.key) : [];
  }

  #entryPath(entry: Entry): string[] {
    return [...this.#headerPath(entry.header), ...names(entry.key)];
  }

  /**
   * The entry that holds the value at `path`. A value inside an inline table
   * cannot be edited line by line: `edit` makes that an error.
   */
  #entry(path: readonly string[], edit = true): Entry | undefined {
    const entry = this.#layout.entries.find((e) => samePath(this.#entryPath(e), path));
    if (entry || !edit) return entry;
    const inline = this.#layout.entries.find((e) => {
      const entryPath = this.#entryPath(e);
      return entryPath.length < path.length && startsWith(path, entryPath);
    });
    if (inline) throw this.#valueError(inline);
    return undefined;
  }

  /** The error for a table rtconf must edit that the file writes as an inline value. */
  #valueError(entry: Entry): RtconfError {
    return new RtconfError(
      `${this.file}: line ${this.#line(entry.lineStart)}: ${
        this.#entryPath(entry).join(".")
      } is written as an inline value; rtconf edits tables written as [sections]`,
    );
  }

  #owner(path: readonly string[]): Owner {
    const { headers, entries } = this.#layout;
    const header = headers.find((h) => h.kind === "table" && samePath(names(h.key), path));
    if (header) return { kind: "header", header };
    const value = entries.find((e) => {
      const entryPath = this.#entryPath(e);
      return entryPath.length <= path.length && startsWith(path, entryPath);
    });
    if (value) return { kind: "value", entry: value };
    const dotted = entries.filter((e) => {
      const entryPath = this.#entryPath(e);
      return entryPath.length > path.length && startsWith(entryPath, path) &&
        this.#headerPath(e.header).length < path.length;
    });
    if (dotted.length) return { kind: "dotted", entries: dotted };
    const descendant = headers.find((h) => startsWith(names(h.key), path));
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

  /** How a new header for `path` is written: its indentation and key text. */
  #headerStyle(path: readonly string[]): { indent: string; key: string } {
    let best: Header | undefined;
    let bestLength = 0;
    for (const header of this.#layout.headers) {
      const headerPath = names(header.key);
      let common = 0;
      while (
        common < Math.min(headerPath.length, path.length) && headerPath[common] === path[common]
      ) {
        common++;
      }
      // Prefer a sibling (same depth), then the longest shared prefix.
      const score = common * 2 + (headerPath.length === path.length ? 1 : 0);
      if (common > 0 && score > bestLength) {
        best = header;
        bestLength = score;
      }
    }
    const common = best ? Math.floor(bestLength / 2) : 0;
    const key = [
      ...(best ? best.key.slice(0, common).map((part) => part.raw) : []),
      ...path.slice(common).map(formatKey),
    ].join(".");
    if (!best) return { indent: "", key };
    const step = this.#headerStep();
    const depth = path.length - best.key.length;
    const indent = depth >= 0
      ? best.indent + step.repeat(depth)
      : best.indent.slice(0, Math.max(0, best.indent.length + step.length * depth));
    return { indent, key };
  }

  /** The text of new `[tables]` for `table` at `path`, in the style of its siblings. */
  #tableText(path: readonly string[], table: TomlTable): string {
    const { indent, key } = this.#headerStyle(path);
    const sibling = this.#layout.headers.find((h) =>
      h.key.length === path.length && startsWith(names(h.key), path.slice(0, -1))
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
    return this.#tablesText(table, key, indent, style);
  }

  /** A `[key]` header with the table's values, then its sub-tables, one level deeper each. */
  #tablesText(
    table: TomlTable,
    key: string,
    indent: string,
    style: ValueStyle & { headerStep: string; bodyStep: string },
  ): string {
    const lines = [`${indent}[${key}]`];
    const tables: [string, TomlTable][] = [];
    for (const [name, value] of Object.entries(table)) {
      if (isTable(value)) tables.push([name, value]);
      else {lines.push(
          `${indent}${style.bodyStep}${formatKey(name)} = ${formatValue(value, style)}`,
        );}
    }
    // A table with only sub-tables needs no header of its own.
    const texts = lines.length === 1 && tables.length ? [] : [lines.join("\n") + "\n"];
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
    if (offset > 0 && this.#text[offset - 1] !== "\n") {
      // At the end of a file without a final newline: it stays without one.
      prefix = "\n";
      text = text.replace(/\n$/, "");
    }
    if (blankBefore && offset > 0) prefix += "\n";
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
   * Sets the value at `path`: replaces an existing value in place, or adds a
   * `key = value` line to the table that holds it (creating a `[table]`
   * header where the table has none).
   *
   * @param path The keys.
   * @param value The new value (not a table).
   */
  set(path: readonly string[], value: TomlValue): void {
    const entry = this.#entry(path);
    if (entry) {
      const literal = this.#text[entry.valueStart] === "'";
      this.setRaw(path, formatValue(value, { literal }));
      return;
    }
    const text = formatValue(value, this.#style());
    const table = path.slice(0, -1);
    const key = path[path.length - 1];
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
        const prefix = last.key.slice(0, table.length - this.#headerPath(last.header).length)
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

  /** Where a new table for `path` goes: after the tables that share most of its path. */
  #placeAfter(path: readonly string[]): number {
    for (let length = path.length - 1; length > 0; length--) {
      const prefix = path.slice(0, length);
      const related = this.#layout.headers.filter((h) => startsWith(names(h.key), prefix));
      if (related.length) return this.#bodyEnd(related[related.length - 1]);
    }
    return this.#text.length;
  }

  /**
   * Adds a new table at `path` in `[header]` style, with its sub-tables, after
   * the last table under `path`'s parent (its siblings), in the file's style.
   *
   * @param path The new table's keys.
   * @param table Its contents.
   */
  addTable(path: readonly string[], table: TomlTable): void {
    if (this.get(path) !== undefined) {
      throw new RtconfError(`internal error: ${path.join(".")} exists already in ${this.file}`);
    }
    const parent = path.slice(0, -1);
    const parentOwner = this.#owner(parent);
    if (parentOwner.kind === "value") throw this.#valueError(parentOwner.entry);
    const related = this.#layout.headers.filter((h) => startsWith(names(h.key), parent));
    const at = related.length ? this.#bodyEnd(related[related.length - 1]) : this.#placeAfter(path);
    this.#insertLines(at, this.#tableText(path, table), this.#text.trim() !== "");
  }

  /**
   * The text of the value at `path`, as the file writes it.
   *
   * @param path The keys.
   * @returns The value's text, or `undefined` when the file has no such value.
   */
  raw(path: readonly string[]): string | undefined {
    const entry = this.#entry(path);
    return entry && this.#text.slice(entry.valueStart, entry.valueEnd);
  }

  /**
   * Replaces the text of an existing value.
   *
   * @param path The keys.
   * @param text The new value's TOML text.
   */
  setRaw(path: readonly string[], text: string): void {
    const entry = this.#entry(path);
    if (!entry) throw new RtconfError(`internal error: no ${path.join(".")} in ${this.file}`);
    if (this.#text.slice(entry.valueStart, entry.valueEnd) !== text) {
      this.#splice(entry.valueStart, entry.valueEnd, text);
    }
  }

  /**
   * Removes the value at `path` with its whole line. A `[table]` header that
   * rtconf added (`# rtconf: added`) goes too when its last value goes.
   *
   * @param path The keys.
   * @returns Whether there was such a value.
   */
  delete(path: readonly string[]): boolean {
    const entry = this.#entry(path);
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
   * Appends an item to the array at `path`, in the array's own layout.
   *
   * @param path The keys of an existing array.
   * @param item The new item.
   */
  appendItem(path: readonly string[], item: TomlValue): void {
    const raw = this.raw(path);
    if (raw === undefined) {
      throw new RtconfError(`internal error: no ${path.join(".")} in ${this.file}`);
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
      next = content.endsWith(",")
        ? `[${content}\n${indent}${text},${trailing}]`
        : `[${content},\n${indent}${text}${trailing}]`;
    }
    this.setRaw(path, next);
  }

  /**
   * Removes an item from the array at `path`, with the separator that came
   * with it, so that {@linkcode appendItem} then `removeItem` gives back the
   * original text.
   *
   * @param path The keys of an existing array.
   * @param item The item to remove.
   * @returns Whether the item was there.
   */
  removeItem(path: readonly string[], item: string): boolean {
    const raw = this.raw(path);
    const value = this.get(path);
    if (raw === undefined || !Array.isArray(value) || !value.includes(item)) return false;
    const expected = value.filter((v) => v !== item);
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
      for (const candidate of candidates) {
        let parsed: unknown;
        try {
          parsed = parse(`x = ${candidate}`).x;
        } catch {
          continue;
        }
        if (JSON.stringify(parsed) === JSON.stringify(expected)) {
          this.setRaw(path, candidate);
          return true;
        }
      }
    }
    throw new RtconfError(
      `${this.file}: cannot remove ${formatValue(item)} from ${path.join(".")}`,
    );
  }

  /**
   * Removes the table at `path`, its sub-tables and its header lines, with
   * one blank line before each removed block when there is one.
   *
   * @param path The table's keys.
   * @returns Whether there was such a table.
   */
  removeTable(path: readonly string[]): boolean {
    if (!isTable(this.get(path))) return false;
    const ranges: [number, number][] = [];
    for (const entry of this.#layout.entries) {
      const entryPath = this.#entryPath(entry);
      if (startsWith(entryPath, path) && this.#headerPath(entry.header).length < path.length) {
        ranges.push([entry.lineStart, entry.lineEnd]);
      }
    }
    for (const header of this.#layout.headers) {
      if (startsWith(names(header.key), path)) {
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
   * that already carries a note keeps it: the note records the original.
   *
   * @param path The keys.
   * @param value The new value.
   */
  change(path: readonly string[], value: TomlValue): void {
    if (sameValue(this.get(path), value)) return;
    const raw = this.raw(path);
    this.set(path, value);
    if (this.note(path) === undefined) {
      this.addNote(path, raw === undefined ? "added" : `was ${raw}`);
    }
  }

  /**
   * Puts back what {@linkcode change} noted: the original text of the value,
   * or no value at all. Without a `was` note the value is removed.
   *
   * @param path The keys.
   */
  restore(path: readonly string[]): void {
    const note = this.note(path);
    if (note?.startsWith("was ") && noteValue(note) !== undefined) {
      this.removeNote(path);
      this.setRaw(path, note.slice("was ".length));
    } else {
      this.delete(path);
    }
  }

  /**
   * The note rtconf left in the comment after the value at `path`: the text
   * after `# rtconf: ` up to the end of the note.
   *
   * @param path The keys.
   * @returns The note, or `undefined`.
   */
  note(path: readonly string[]): string | undefined {
    const entry = this.#entry(path, false);
    if (!entry || entry.commentStart === undefined) return undefined;
    const comment = this.#text.slice(entry.commentStart, entry.contentEnd);
    if (!comment.startsWith(NOTE_PREFIX)) return undefined;
    return noteBody(comment.slice(NOTE_PREFIX.length));
  }

  /**
   * Leaves a note (`# rtconf: NOTE`) after the value at `path`, before any
   * comment the line has; {@linkcode removeNote} takes it back exactly.
   *
   * @param path The keys.
   * @param note The note: a word, a space and a TOML value at the most.
   */
  addNote(path: readonly string[], note: string): void {
    const entry = this.#entry(path);
    if (!entry) {
      throw new RtconfError(`internal error: no ${path.join(".")} to note in ${this.file}`);
    }
    if (entry.commentStart === undefined) {
      this.#splice(entry.contentEnd, entry.contentEnd, ` ${NOTE_PREFIX}${note}`);
    } else {
      this.#splice(entry.commentStart, entry.commentStart, `${NOTE_PREFIX}${note} `);
    }
  }

  /**
   * Removes the note after the value at `path`.
   *
   * @param path The keys.
   */
  removeNote(path: readonly string[]): void {
    const note = this.note(path);
    const entry = this.#entry(path);
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

/** The note at the start of a comment body: a word and, after a space, a TOML value. */
function noteBody(body: string): string {
  const word = /^[a-z-]+/.exec(body)?.[0] ?? "";
  if (body[word.length] !== " " || body[word.length + 1] === "#") return word;
  const rest = body.slice(word.length + 1);
  const { entries } = scan(`x = ${rest}\n`);
  const length = entries[0] ? entries[0].valueEnd - 4 : 0;
  return length > 0 ? `${word} ${rest.slice(0, length)}` : word;
}

/**
 * The TOML value in a note such as `was "runc"`.
 *
 * @param note The note.
 * @returns The value, or `undefined` when the note has none.
 */
export function noteValue(note: string): TomlValue | undefined {
  const space = note.indexOf(" ");
  if (space < 0) return undefined;
  try {
    return parse(`x = ${note.slice(space + 1)}`, { integersAsBigInt: true }).x as TomlValue;
  } catch {
    return undefined;
  }
}
