/**
 * TOML 1.0 as the engines read it. The strict parser (smol-toml) also takes
 * TOML 1.1, which containerd's and CRI-O's Go parsers reject; this finds the
 * first thing in a text that only TOML 1.1 allows, or an integer that does
 * not fit in 64 bits.
 *
 * @module
 */

/** Where a text leaves TOML 1.0, and why. */
export interface Toml11Feature {
  /** The offset of the first character concerned. */
  offset: number;
  /** What it is, in words. */
  reason: string;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A time `HH:MM` without seconds, or a run of digits long enough to pass 64 bits. */
const MAYBE_TOML11 = /\d\d:\d\d(?!:)|(?<![\d_])[\d_]{19}|0x[\dA-Fa-f_]{16}/;

/**
 * Whether a text has what any TOML 1.1 feature or integer beyond 64 bits
 * needs: an inline table, an escape `\e` or `\x`, a time without seconds,
 * or a long run of digits (decimal, octal or binary; or hexadecimal). Most
 * configs have none of these, and are TOML 1.0 without a closer look.
 */
function maybeToml11(text: string): boolean {
  return text.includes("{") || text.includes("\\e") || text.includes("\\x") ||
    MAYBE_TOML11.test(text);
}

/** The characters that end a bare token (a key or a value that is not a string). */
function endsToken(c: string | undefined): boolean {
  return c === undefined || " \t\r\n,]}#=".includes(c);
}

/**
 * The first TOML 1.1 feature of a text that a TOML parser accepted, or an
 * integer beyond 64 bits; `undefined` when the text is TOML 1.0.
 *
 * @example Usage
 * ```ts
 * import { toml11Feature } from "./toml10.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * equal(toml11Feature('a = { b = 1 }\nc = "\\u001b[0m"\nd = 9223372036854775807\n'), undefined);
 * deepEqual(toml11Feature('a = "\\e[0m"\n'), { offset: 5, reason: "the escape \\e (TOML 1.1)" });
 * deepEqual(toml11Feature("a = {\n  b = 1\n}\n"), { offset: 5, reason: "a newline in an inline table (TOML 1.1)" });
 * deepEqual(toml11Feature("t = 07:32\n"), { offset: 4, reason: "a time without seconds (TOML 1.1)" });
 * deepEqual(toml11Feature("n = 9223372036854775808\n"), { offset: 4, reason: "an integer beyond 64 bits" });
 * ```
 *
 * @param text A text that a TOML parser accepted.
 * @returns The first such feature, or `undefined`.
 */
export function toml11Feature(text: string): Toml11Feature | undefined {
  if (!maybeToml11(text)) return undefined;
  /** What each open bracket is: `{` an inline table, `[` an array. */
  const open: string[] = [];
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  let lineStart = true;
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      if (open.at(-1) === "{") {
        return { offset: i, reason: "a newline in an inline table (TOML 1.1)" };
      }
      lineStart = true;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    const atLineStart = lineStart;
    lineStart = false;
    if (c === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (c === '"' || c === "'") {
      const found = skipString(text, i);
      if (typeof found !== "number") return found;
      i = found;
    } else if (c === "[" && atLineStart && open.length === 0) {
      // A table header: its keys are keys, not values.
      i = skipHeader(text, i);
    } else if (c === "[" || c === "{") {
      open.push(c);
      i++;
    } else if (c === "]" || c === "}") {
      if (c === "}" && text[skipBack(text, i - 1)] === ",") {
        return { offset: i, reason: "a comma before the end of an inline table (TOML 1.1)" };
      }
      open.pop();
      i++;
    } else if (c === "=" || c === "," || c === ".") {
      i++;
    } else {
      let end = i;
      while (!endsToken(text[end]) || (text[end] === " " && isDateSpace(text, i, end))) end++;
      const token = text.slice(i, end);
      const next = text[skipBlanks(text, end)];
      if (next !== "=" && next !== ".") {
        const problem = valueProblem(token);
        if (problem) return { offset: i, reason: problem };
      }
      i = Math.max(end, i + 1);
    }
  }
  return undefined;
}

/** The offset of the last character at or before `at` that is not white space. */
function skipBack(text: string, at: number): number {
  let i = at;
  while (i >= 0 && " \t\r\n".includes(text[i])) i--;
  return i;
}

/** The offset of the first character at or after `at` that is not a space or tab. */
function skipBlanks(text: string, at: number): number {
  let i = at;
  while (text[i] === " " || text[i] === "\t") i++;
  return i;
}

/** Whether the space at `at` is the one a date-time may hold (`1979-05-27 07:32:00`). */
function isDateSpace(text: string, start: number, at: number): boolean {
  return at - start === 10 && /^\d{4}-\d\d-\d\d \d/.test(text.slice(start, at + 2));
}

/** What is wrong with a bare value token for TOML 1.0, if anything. */
function valueProblem(token: string): string | undefined {
  if (
    /(?:^|[Tt ])\d\d:\d\d(?!:)/.test(token) && /^(?:\d{4}-\d\d-\d\d[Tt ])?\d\d:\d\d/.test(token)
  ) {
    return "a time without seconds (TOML 1.1)";
  }
  const integer = /^[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|\d[\d_]*)$/.exec(token);
  if (integer) {
    const sign = token.startsWith("-") ? -1n : 1n;
    const digits = token.replace(/^[+-]/, "").replaceAll("_", "");
    const value = sign * BigInt(digits);
    if (value < INT64_MIN || value > INT64_MAX) return "an integer beyond 64 bits";
  }
  return undefined;
}

/** Skips a table header line's brackets and keys; returns the offset after it. */
function skipHeader(text: string, start: number): number {
  let i = start;
  while (i < text.length && text[i] !== "\n") {
    if (text[i] === '"' || text[i] === "'") {
      const end = skipString(text, i);
      i = typeof end === "number" ? end : text.length;
    } else if (text[i] === "#") {
      break;
    } else {
      i++;
    }
  }
  return i;
}

/**
 * Skips a string at `start`; returns the offset after it, or what makes it
 * TOML 1.1 (the escapes `\e` and `\x`).
 */
function skipString(text: string, start: number): number | Toml11Feature {
  const quote = text[start];
  const triple = text.startsWith(quote.repeat(3), start);
  let i = start + (triple ? 3 : 1);
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && quote === '"') {
      const next = text[i + 1];
      if (next === "e" || next === "x") {
        return { offset: i, reason: `the escape \\${next} (TOML 1.1)` };
      }
      i += 2;
    } else if (triple && text.startsWith(quote.repeat(3), i)) {
      i += 3;
      // Up to two more quotes belong to the content: `""""` ends with one.
      for (let extra = 0; extra < 2 && text[i] === quote; extra++) i++;
      return i;
    } else if (!triple && c === quote) {
      return i + 1;
    } else {
      i++;
    }
  }
  return i;
}
