/**
 * The layout of a TOML text under edit: its headers, found by a scan that
 * goes only as far as the questions asked need (the root table's lines need
 * no more than the lines before the first header), and the entries of each
 * table, read when a question is about that table. After each change of the
 * text, only the lines from the start of the table the change is in to the
 * next header after it are scanned again: an edit of a large file costs what
 * its table costs, not what the file costs.
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

/** The key of a list of key names in the index of headers. */
function pathKey(names: readonly string[]): string {
  return JSON.stringify(names);
}

/** The headers of a TOML text, in text order, an index of them by keys, and their entries. */
export class TextLayout {
  #text: string;
  /** The offset up to which the headers are found: a line start, or the text's length. */
  #scanned = 0;
  #headers: Header[] = [];
  /** The headers by their keys, in text order. */
  #byKeys = new Map<string, Header[]>();
  /** The entries of the tables read so far since the last change (`undefined`: the root table). */
  #bodies = new Map<Header | undefined, Entry[]>();
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

  /** Finds headers on from where the scan stopped, until `stop` says so at a line start. */
  #scanOn(stop: (at: number, header: Header | undefined) => boolean): void {
    if (this.#scanned >= this.#text.length) return;
    const scanned = scanLines(this.#text, this.#scanned, this.#headers.at(-1), stop, false);
    this.#headers.push(...scanned.headers);
    this.#add(scanned.headers, scanned.literal, scanned.basic);
    this.#scanned = scanned.end;
  }

  /** Finds every header. */
  #complete(): void {
    this.#scanOn(() => false);
  }

  /** Indexes headers (`sign` -1: takes them out) and counts strings. */
  #add(headers: readonly Header[], literal: number, basic: number, sign = 1): void {
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
    this.#literal += sign * literal;
    this.#basic += sign * basic;
  }

  /** The `[table]` and `[[array]]` headers, in text order. */
  get headers(): readonly Header[] {
    this.#complete();
    return this.#headers;
  }

  /** The `key = value` lines, in text order. */
  get entries(): Entry[] {
    return [undefined, ...this.headers].flatMap((header) => this.body(header));
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
    const known = this.#bodies.get(header);
    if (known) return known;
    // Its end: the next header's line, found if need be.
    const headers = this.#headers;
    let next = header === undefined
      ? 0
      : firstIndex(0, headers.length, (i) => headers[i].lineStart > header.lineStart);
    if (next === headers.length) {
      this.#scanOn((_, current) => current !== header);
      next = header === undefined ? 0 : headers.indexOf(header) + 1;
    }
    const start = header?.lineEnd ?? 0;
    const end = headers[next]?.lineStart ?? this.#text.length;
    const entries = start < end
      ? scanLines(this.#text, start, header, (at) => at >= end).entries
      : [];
    this.#bodies.set(header, entries);
    return entries;
  }

  /**
   * Brings the layout up to date after its text became `next` by the
   * replacement of the text from `start` to `end` with `length` characters:
   * the lines from the start of the table the change is in to the next
   * header after it are scanned again, the headers after it are moved.
   *
   * @param next The text after the change.
   * @param start Where the change starts.
   * @param end Where the replaced text ended, in the text before.
   * @param length The length of the new text.
   */
  update(next: string, start: number, end: number, length: number): void {
    const text = this.#text;
    this.#text = next;
    this.#bodies.clear();
    const scannedTo = this.#scanned;
    // The lines scanned so far are as they were (a last line without a newline is not).
    if (start >= scannedTo && (scannedTo === 0 || text.charCodeAt(scannedTo - 1) === 10)) return;
    const headers = this.#headers;
    const delta = length - (end - start);
    // From the start of the table that holds `start`: its header's line, or the text's start.
    const holder = firstIndex(0, headers.length, (i) => headers[i].lineStart > start) - 1;
    const from = holder >= 0 ? headers[holder].lineStart : 0;
    const firstHeader = Math.max(holder, 0);
    const before = holder > 0 ? headers[holder - 1] : undefined;
    const changedEnd = start + length;
    // To the first header after the change, or the end of what was scanned.
    let kept = firstHeader;
    const scanned = scanLines(next, from, before, (at) => {
      if (at < changedEnd) return false;
      const old = at - delta;
      if (old >= scannedTo) return true;
      while (kept < headers.length && headers[kept].lineStart < old) kept++;
      return kept < headers.length && headers[kept].lineStart === old;
    }, false);
    const old = scanned.end - delta;
    kept = firstIndex(firstHeader, headers.length, (i) => headers[i].lineStart >= old);
    // The strings of the lines scanned again, as they were, to count them out.
    const wasEnd = Math.min(old, scannedTo);
    const was = scanLines(text, from, before, (at) => at >= wasEnd, false);
    this.#add(headers.slice(firstHeader, kept), was.literal, was.basic, -1);
    replace(headers, firstHeader, kept - firstHeader, scanned.headers);
    this.#scanned = old >= scannedTo ? scanned.end : scannedTo + delta;
    if (delta !== 0) {
      for (let i = firstHeader + scanned.headers.length; i < headers.length; i++) {
        const header = headers[i];
        header.lineStart += delta;
        header.lineEnd += delta;
        if (header.commentStart !== undefined) header.commentStart += delta;
      }
    }
    this.#add(scanned.headers, scanned.literal, scanned.basic);
  }
}
