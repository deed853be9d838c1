/**
 * The layout of a TOML text under edit: its headers and entries, scanned as
 * far as the questions asked need (the root table's lines need no more than
 * the lines before the first header), and kept up to date after each change
 * of the text by scanning again only the lines the change touched: an edit
 * of a large file costs what its lines cost, not what the file costs.
 *
 * @module
 */

import { type Entry, type Header, scanLines } from "./scanner.ts";

/** The first index in `[from, length)` where `after` holds (it holds from some index on). */
function firstIndex(from: number, length: number, after: (i: number) => boolean): number {
  let lo = from, hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Replaces `count` items of `items` at `at` by `insert`, in place (any number of items). */
function replace<T>(items: T[], at: number, count: number, insert: readonly T[]): void {
  if (insert.length < 10_000) {
    items.splice(at, count, ...insert);
    return;
  }
  const tail = items.slice(at + count);
  items.length = at;
  for (const item of insert) items.push(item);
  for (const item of tail) items.push(item);
}

const LITERAL = 39; // '
const BASIC = 34; // "

/** The key of a list of key names in the index of headers. */
function pathKey(names: readonly string[]): string {
  return JSON.stringify(names);
}

/** The headers and entries of a TOML text, in text order, and an index of the headers by keys. */
export class TextLayout {
  #text: string;
  /** The offset up to which the text is scanned: a line start, or the text's length. */
  #scanned = 0;
  #headers: Header[] = [];
  #entries: Entry[] = [];
  /** The headers by their keys, in text order. */
  #byKeys = new Map<string, Header[]>();
  #literal = 0;
  #basic = 0;

  /**
   * The layout of a text, to be scanned when asked.
   *
   * @param text Valid TOML.
   */
  constructor(text: string) {
    this.#text = text;
  }

  /** Scans on from where the scan stopped, until `stop` says so at a line start. */
  #scanOn(stop: (at: number, header: Header | undefined) => boolean): void {
    if (this.#scanned >= this.#text.length) return;
    const scanned = scanLines(this.#text, this.#scanned, this.#headers.at(-1), stop);
    this.#add(scanned.headers, scanned.entries, this.#text);
    for (const header of scanned.headers) this.#headers.push(header);
    for (const entry of scanned.entries) this.#entries.push(entry);
    this.#scanned = scanned.end;
  }

  /** Scans the whole text. */
  #complete(): void {
    this.#scanOn(() => false);
  }

  /** Indexes new headers and counts the quoting of new entries (`sign` -1: removed ones). */
  #add(headers: readonly Header[], entries: readonly Entry[], text: string, sign = 1): void {
    for (const header of headers) {
      const key = pathKey(header.names);
      const list = this.#byKeys.get(key) ?? [];
      if (sign > 0) {
        list.push(header);
        list.sort((a, b) => a.lineStart - b.lineStart);
        this.#byKeys.set(key, list);
      } else {
        const rest = list.filter((other) => other !== header);
        if (rest.length) this.#byKeys.set(key, rest);
        else this.#byKeys.delete(key);
      }
    }
    for (const entry of entries) {
      const c = text.charCodeAt(entry.valueStart);
      if (c === LITERAL) this.#literal += sign;
      else if (c === BASIC) this.#basic += sign;
    }
  }

  /** The `[table]` and `[[array]]` headers, in text order. */
  get headers(): readonly Header[] {
    this.#complete();
    return this.#headers;
  }

  /** The `key = value` lines, in text order. */
  get entries(): readonly Entry[] {
    this.#complete();
    return this.#entries;
  }

  /** How many values are written as literal strings (`'…'`), and as basic strings (`"…"`). */
  get strings(): { literal: number; basic: number } {
    this.#complete();
    return { literal: this.#literal, basic: this.#basic };
  }

  /**
   * The headers (of tables and of arrays of tables) with these keys, in text order.
   *
   * @param names The keys.
   * @returns The headers; empty when there is none.
   */
  headersAt(names: readonly string[]): readonly Header[] {
    this.#complete();
    return this.#byKeys.get(pathKey(names)) ?? [];
  }

  /**
   * The entries that stand under a header (`undefined`: the root table, before the first header).
   *
   * @param header The header.
   * @returns The entries, in text order.
   */
  body(header: Header | undefined): Entry[] {
    if (header === undefined && this.#headers.length === 0) {
      this.#scanOn((_, current) => current !== undefined);
    }
    if (header !== undefined && this.#headers.at(-1) === header) {
      this.#scanOn((_, current) => current !== header);
    }
    const entries = this.#entries;
    const start = header === undefined
      ? 0
      : firstIndex(0, entries.length, (i) => entries[i].lineStart > header.lineStart);
    let end = start;
    while (end < entries.length && entries[end].header === header) end++;
    return entries.slice(start, end);
  }

  /**
   * Brings the layout up to date after its text became `next` by the
   * replacement of the text from `start` to `end` with `length` characters:
   * the lines around the change are scanned again, the items after it are
   * moved.
   *
   * @param next The text after the change.
   * @param start Where the change starts.
   * @param end Where the replaced text ended, in the text before.
   * @param length The length of the new text.
   */
  update(next: string, start: number, end: number, length: number): void {
    const text = this.#text;
    this.#text = next;
    const scannedTo = this.#scanned;
    // The lines scanned so far are as they were (a last line without a newline is not).
    if (start >= scannedTo && (scannedTo === 0 || text.charCodeAt(scannedTo - 1) === 10)) return;
    const headers = this.#headers, entries = this.#entries;
    const delta = length - (end - start);
    // Scan again from the start of the line that holds `start`, or of the value around it.
    let from = start === 0 ? 0 : text.lastIndexOf("\n", start - 1) + 1;
    const firstEntry = firstIndex(0, entries.length, (i) => entries[i].lineEnd > from);
    if (firstEntry < entries.length && entries[firstEntry].lineStart < from) {
      from = entries[firstEntry].lineStart;
    }
    const firstHeader = firstIndex(0, headers.length, (i) => headers[i].lineStart >= from);
    const changedEnd = start + length;
    // Until a line start after the change that is a line start outside any value before it
    // too, or the end of what was scanned.
    let keptEntry = firstEntry;
    const scanned = scanLines(
      next,
      from,
      firstHeader > 0 ? headers[firstHeader - 1] : undefined,
      (at) => {
        if (at < changedEnd) return false;
        const old = at - delta;
        if (old >= scannedTo) return true;
        if (old > 0 && text.charCodeAt(old - 1) !== 10) return false;
        while (keptEntry < entries.length && entries[keptEntry].lineEnd <= old) keptEntry++;
        return keptEntry === entries.length || entries[keptEntry].lineStart >= old;
      },
    );
    const old = scanned.end - delta;
    keptEntry = firstIndex(firstEntry, entries.length, (i) => entries[i].lineStart >= old);
    const keptHeader = firstIndex(firstHeader, headers.length, (i) => headers[i].lineStart >= old);
    const headerAtEnd = keptHeader > 0 ? headers[keptHeader - 1] : undefined;

    this.#add(
      headers.slice(firstHeader, keptHeader),
      entries.slice(firstEntry, keptEntry),
      text,
      -1,
    );
    replace(entries, firstEntry, keptEntry - firstEntry, scanned.entries);
    replace(headers, firstHeader, keptHeader - firstHeader, scanned.headers);
    this.#scanned = old >= scannedTo ? scanned.end : scannedTo + delta;
    if (delta !== 0) {
      for (let i = firstEntry + scanned.entries.length; i < entries.length; i++) {
        const entry = entries[i];
        entry.lineStart += delta;
        entry.valueStart += delta;
        entry.valueEnd += delta;
        if (entry.commentStart !== undefined) entry.commentStart += delta;
        entry.contentEnd += delta;
        entry.lineEnd += delta;
      }
      for (let i = firstHeader + scanned.headers.length; i < headers.length; i++) {
        const header = headers[i];
        header.lineStart += delta;
        header.lineEnd += delta;
        if (header.commentStart !== undefined) header.commentStart += delta;
      }
    }
    this.#add(scanned.headers, scanned.entries, next);
    // The lines after the change that stood under another header now stand under the last one.
    if (scanned.header !== headerAtEnd) {
      for (let i = firstEntry + scanned.entries.length; i < entries.length; i++) {
        if (entries[i].header !== headerAtEnd) break;
        entries[i].header = scanned.header;
      }
    }
  }
}
