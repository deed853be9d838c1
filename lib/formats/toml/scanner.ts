/**
 * The layout of a TOML text: where each table header and each key/value line
 * stands, byte for byte. The editor uses it to change only the lines it must.
 * The scanner expects text that a strict parser has already accepted.
 *
 * @module
 */

/** One part of a dotted key: its name and the exact text it was written as. */
export interface KeyPart {
  /** The decoded name. */
  name: string;
  /** The text in the file, e.g. `"io.containerd.grpc.v1.cri"` or `runc`. */
  raw: string;
}

/** A `[table]` or `[[array]]` header line. */
export interface Header {
  /** `table` for `[x]`, `array` for `[[x]]`. */
  kind: "table" | "array";
  /** The key parts. */
  key: KeyPart[];
  /** The key parts' names. */
  names: string[];
  /** Offset of the line's first character. */
  lineStart: number;
  /** Offset just after the line's newline (or the end of the text). */
  lineEnd: number;
  /** The white space before `[`. */
  indent: string;
  /** Offset of a `#` comment after the header on its line, if any. */
  commentStart?: number;
}

/** A `key = value` line (the value may span lines). */
export interface Entry {
  /** The header the entry stands under; `undefined` for the root table. */
  header: Header | undefined;
  /** The key parts, relative to the header. */
  key: KeyPart[];
  /** Offset of the line's first character. */
  lineStart: number;
  /** Offset of the value's first character. */
  valueStart: number;
  /** Offset just after the value. */
  valueEnd: number;
  /** Offset of a `#` comment after the value on its last line, if any. */
  commentStart: number | undefined;
  /** Offset of the end of the value's last line (before its newline). */
  contentEnd: number;
  /** Offset just after the value's last line's newline (or the end of the text). */
  lineEnd: number;
  /** The white space before the key. */
  indent: string;
}

/** Every header and entry of a TOML text, in text order. */
export interface Layout {
  /** The headers. */
  headers: Header[];
  /** The entries. */
  entries: Entry[];
}

/** Whether a character code may stand in a bare key: A-Z a-z 0-9 _ -. */
function bareKeyCode(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) ||
    code === 95 || code === 45;
}

/** Whether a character code ends a bare value: white space , ] } #. */
function endsValue(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 44 || code === 93 ||
    code === 125 || code === 35;
}

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skipBlanks(): void {
    while (this.text[this.pos] === " " || this.text[this.pos] === "\t") this.pos++;
  }

  /** Skips white space, newlines and comments. */
  skipSpace(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.pos++;
      else if (c === "#") this.skipComment();
      else return;
    }
  }

  skipComment(): void {
    const end = this.text.indexOf("\n", this.pos);
    this.pos = end < 0 ? this.text.length : end;
  }

  /** The end of the current line: the offset of `\r\n`/`\n` or the text's end. */
  lineContentEnd(): number {
    const end = this.text.indexOf("\n", this.pos);
    if (end < 0) return this.text.length;
    return this.text[end - 1] === "\r" ? end - 1 : end;
  }

  afterNewline(): number {
    const end = this.text.indexOf("\n", this.pos);
    return end < 0 ? this.text.length : end + 1;
  }

  key(): KeyPart[] {
    const parts: KeyPart[] = [];
    for (;;) {
      this.skipBlanks();
      const start = this.pos;
      const c = this.text[this.pos];
      let name: string;
      if (c === '"') {
        this.basicString();
        name = decodeBasicString(this.text.slice(start + 1, this.pos - 1));
      } else if (c === "'") {
        this.literalString();
        name = this.text.slice(start + 1, this.pos - 1);
      } else {
        while (this.pos < this.text.length && bareKeyCode(this.text.charCodeAt(this.pos))) {
          this.pos++;
        }
        name = this.text.slice(start, this.pos);
      }
      parts.push({ name, raw: this.text.slice(start, this.pos) });
      this.skipBlanks();
      if (this.text[this.pos] !== ".") return parts;
      this.pos++;
    }
  }

  /** Skips a key, dotted or not, without reading it. */
  skipKey(): void {
    for (;;) {
      this.skipBlanks();
      const c = this.text.charCodeAt(this.pos);
      if (c === 34) this.basicString();
      else if (c === 39) this.literalString();
      else {
        while (this.pos < this.text.length && bareKeyCode(this.text.charCodeAt(this.pos))) {
          this.pos++;
        }
      }
      this.skipBlanks();
      if (this.text.charCodeAt(this.pos) !== 46) return; // "."
      this.pos++;
    }
  }

  /** Skips a literal string; one without its closing quote (in a note) ends with the text. */
  literalString(): void {
    const end = this.text.indexOf("'", this.pos + 1);
    this.pos = end < 0 ? this.text.length : end + 1;
  }

  basicString(): void {
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === "\\") this.pos += 2;
      else if (c === '"') {
        this.pos++;
        return;
      } else this.pos++;
    }
  }

  multiline(quote: string): void {
    this.pos += 3;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) return;
      if (c === "\\" && quote === '"') {
        this.pos += 2;
      } else if (this.text.startsWith(quote.repeat(3), this.pos)) {
        this.pos += 3;
        // Up to two more quotes belong to the content: `""""` ends with one.
        for (let i = 0; i < 2 && this.text[this.pos] === quote; i++) this.pos++;
        return;
      } else {
        this.pos++;
      }
    }
  }

  value(): void {
    const c = this.text[this.pos];
    if (c === '"') {
      if (this.text.startsWith('"""', this.pos)) this.multiline('"');
      else this.basicString();
    } else if (c === "'") {
      if (this.text.startsWith("'''", this.pos)) this.multiline("'");
      else this.literalString();
    } else if (c === "[") {
      this.pos++;
      for (;;) {
        this.skipSpace();
        const start = this.pos;
        if (this.text[this.pos] === "]" || start >= this.text.length) break;
        this.value();
        this.skipSpace();
        if (this.text[this.pos] === ",") this.pos++;
        if (this.pos === start) break; // not a value: only in a note, which is any comment
      }
      this.pos = Math.min(this.pos + 1, this.text.length);
    } else if (c === "{") {
      this.pos++;
      for (;;) {
        this.skipSpace(); // TOML 1.1 allows newlines and comments between members
        if (this.text[this.pos] === "}" || this.pos >= this.text.length) break;
        this.key();
        this.skipBlanks();
        this.pos++; // "="
        this.skipBlanks();
        this.value();
        this.skipSpace();
        if (this.text[this.pos] === ",") this.pos++;
      }
      this.pos = Math.min(this.pos + 1, this.text.length);
    } else {
      // A date-time may hold one space: 1979-05-27 07:32:00.
      const date = this.text.charCodeAt(this.pos + 4) === 45 &&
        /^\d{4}-\d{2}-\d{2} \d{2}:/.test(this.text.slice(this.pos, this.pos + 14));
      if (date) this.pos += 11;
      while (this.pos < this.text.length && !endsValue(this.text.charCodeAt(this.pos))) this.pos++;
    }
  }
}

/**
 * Decodes the body of a basic (double-quoted) TOML string.
 *
 * @param body The text between the quotes.
 * @returns The string's value.
 */
export function decodeBasicString(body: string): string {
  return body.replace(
    /\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g,
    (_, x2: string, u4: string, u8: string, c: string) => {
      if (x2 || u4 || u8) return String.fromCodePoint(parseInt(x2 ?? u4 ?? u8, 16));
      return { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", e: "\x1b" }[c] ?? c;
    },
  );
}

/**
 * Finds every header and entry of a TOML text.
 *
 * @example Usage
 * ```ts
 * import { scan } from "./scanner.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const { headers, entries } = scan("a = 1\n[t]\nb = 2\n");
 * deepEqual(headers.map((h) => h.lineStart), [6]);
 * deepEqual(entries.map((e) => [e.lineStart, e.header?.lineStart]), [[0, undefined], [10, 6]]);
 * ```
 *
 * @param text Valid TOML.
 * @returns The layout.
 */
export function scan(text: string): Layout {
  const { headers, entries } = scanLines(text, 0, undefined, () => false);
  return { headers, entries };
}

/** What {@linkcode scanLines} found, and where it stopped. */
export interface ScannedLines extends Layout {
  /** The offset of the line start where the scan stopped (the text's length at its end). */
  end: number;
  /** The header in force at `end`. */
  header: Header | undefined;
  /** How many values it met written as literal strings (`'…'`). */
  literal: number;
  /** How many values it met written as basic strings (`"…"`). */
  basic: number;
}

/**
 * Finds the headers and entries of a TOML text from a line start on, until
 * `stop` says so at a line start after the first line, or the text ends:
 * what an editor scans again after it changed some lines.
 *
 * @example Usage
 * ```ts
 * import { scanLines } from "./scanner.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const text = "[t]\na = 1\nb = 2\n";
 * const found = scanLines(text, 4, undefined, (at) => at >= 10);
 * deepEqual(found.entries.map((e) => e.lineStart), [4]);
 * equal(found.end, 10);
 * ```
 *
 * @param text Valid TOML.
 * @param from The offset of a line start that is not inside a value.
 * @param header The header in force at `from` (`undefined`: the root table).
 * @param stop Whether to stop at a line start (offset), before the next line,
 * given the header in force there.
 * @param withEntries Whether to give the entries too (or only count their strings' quotes).
 * @returns The headers and entries found, where the scan stopped and the header in force there.
 */
export function scanLines(
  text: string,
  from: number,
  header: Header | undefined,
  stop: (at: number, header: Header | undefined) => boolean,
  withEntries = true,
): ScannedLines {
  const s = new Scanner(text);
  // A byte order mark stays where it is, before the first line.
  s.pos = from === 0 && text.startsWith("\uFEFF") ? 1 : from;
  const headers: Header[] = [];
  const entries: Entry[] = [];
  let current = header;
  let first = true;
  let literal = 0, basic = 0;
  while (s.pos < text.length) {
    if (!first && stop(s.pos, current)) break;
    first = false;
    const lineStart = s.pos;
    s.skipBlanks();
    const indentEnd = s.pos;
    const c = text[s.pos];
    if (c === undefined) break;
    if (c === "\n" || c === "\r" || c === "#") {
      s.pos = s.afterNewline();
      continue;
    }
    if (c === "[") {
      const kind = text[s.pos + 1] === "[" ? "array" : "table";
      s.pos += kind === "array" ? 2 : 1;
      const key = s.key();
      s.pos += kind === "array" ? 2 : 1; // "]" or "]]"
      s.skipBlanks();
      const commentStart = text[s.pos] === "#" ? s.pos : undefined;
      s.pos = s.afterNewline();
      const names = key.map((part) => part.name);
      const indent = text.slice(lineStart, indentEnd);
      current = { kind, key, names, lineStart, lineEnd: s.pos, indent, commentStart };
      headers.push(current);
      continue;
    }
    if (!withEntries) {
      s.skipKey();
      s.pos++; // "="
      s.skipBlanks();
      const quote = text.charCodeAt(s.pos);
      if (quote === 39) literal++;
      else if (quote === 34) basic++;
      s.value();
      s.pos = s.afterNewline();
      continue;
    }
    const key = s.key();
    s.skipBlanks();
    s.pos++; // "="
    s.skipBlanks();
    const valueStart = s.pos;
    const quote = text.charCodeAt(s.pos);
    if (quote === 39) literal++;
    else if (quote === 34) basic++;
    s.value();
    const valueEnd = s.pos;
    s.skipBlanks();
    const commentStart = text[s.pos] === "#" ? s.pos : undefined;
    const contentEnd = s.lineContentEnd();
    s.pos = s.afterNewline();
    entries.push({
      header: current,
      key,
      lineStart,
      valueStart,
      valueEnd,
      commentStart,
      contentEnd,
      lineEnd: s.pos,
      indent: text.slice(lineStart, indentEnd),
    });
  }
  return { headers, entries, end: Math.min(s.pos, text.length), header: current, literal, basic };
}
