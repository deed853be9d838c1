/**
 * The strict JSON reader: JSON as dockerd reads it (no comments, no trailing
 * commas), with one-line errors that name the file, line and column.
 *
 * @module
 */

import { type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { RtconfError } from "../../errors.ts";

/** jsonc-parser's options for strict JSON. */
export const PARSE_OPTIONS = {
  disallowComments: true,
  allowTrailingComma: false,
  allowEmptyContent: true,
};

/** The 1-based line and column of an offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return {
    line: before.split("\n").length,
    column: [...before.slice(lineStart)].length + 1,
  };
}

/** `line L, column C` of an offset. */
export function where(text: string, offset: number): string {
  const { line, column } = position(text, offset);
  return `line ${line}, column ${column}`;
}

/** The character at an offset, for a message. */
function found(text: string, offset: number): string {
  if (offset >= text.length) return "the end of the file";
  const char = String.fromCodePoint(text.codePointAt(offset)!);
  return /^[\x21-\x7e]$/.test(char)
    ? `'${char}'`
    : `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The reason of a parse error, as one short phrase. */
function reason(text: string, error: ParseError): string {
  const at = error.offset;
  const previous = text.slice(0, at).trimEnd().at(-1);
  switch (printParseErrorCode(error.error)) {
    case "InvalidSymbol":
      return `unexpected character ${found(text, at)}`;
    case "InvalidNumberFormat":
    case "UnexpectedEndOfNumber":
      return "invalid number";
    case "PropertyNameExpected":
      return previous === "," && text[at] === "}"
        ? "trailing comma before '}'"
        : `expected a property name in double quotes, found ${found(text, at)}`;
    case "ValueExpected":
      return previous === "," && text[at] === "]"
        ? "trailing comma before ']'"
        : `expected a value, found ${found(text, at)}`;
    case "ColonExpected":
      return `expected ':' after the property name, found ${found(text, at)}`;
    case "CommaExpected":
      return `expected ',' or a closing bracket, found ${found(text, at)}`;
    case "CloseBraceExpected":
      return `expected ',' or '}', found ${found(text, at)}`;
    case "CloseBracketExpected":
      return `expected ',' or ']', found ${found(text, at)}`;
    case "EndOfFileExpected":
      return `unexpected ${found(text, at)} after the top-level value`;
    case "InvalidCommentToken":
    case "UnexpectedEndOfComment":
      return "comments are not allowed in JSON";
    case "UnexpectedEndOfString":
      return "unterminated string";
    case "InvalidUnicode":
      return "invalid \\u escape in string";
    case "InvalidEscapeCharacter":
      return "invalid escape in string";
    case "InvalidCharacter":
      return "control character in string";
    default:
      return "invalid JSON";
  }
}

/**
 * Parses JSON text strictly into jsonc-parser's tree, which keeps every
 * value's offset and length.
 *
 * @example Usage
 * ```ts
 * import { parseJsonTree } from "./parse.ts";
 * import { equal, throws } from "node:assert/strict";
 *
 * equal(parseJsonTree('{"a": 1}', "/d.json")?.type, "object");
 * equal(parseJsonTree(" \n", "/d.json"), undefined);
 * throws(() => parseJsonTree('{"a": 1,}', "/d.json"), /line 1, column 9: trailing comma before '}'/);
 * ```
 *
 * @param text The text; blank text has no value.
 * @param file The file it came from, for the error message.
 * @returns The root value, or `undefined` for blank text.
 * @throws {RtconfError} one line naming the file, line and column.
 */
export function parseJsonTree(text: string, file: string): Node | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, PARSE_OPTIONS);
  if (errors.length > 0) {
    const first = errors[0];
    throw new RtconfError(
      `${file}: invalid JSON at ${where(text, first.offset)}: ${reason(text, first)}`,
    );
  }
  if (root !== undefined) {
    // A backstop: anything the scanner let through that JSON itself rejects.
    try {
      JSON.parse(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const at = /at position (\d+)/.exec(message);
      const detail = message.replace(/ in JSON at position \d+.*$|, ".*$/s, "").replace(
        /\s+/g,
        " ",
      );
      throw new RtconfError(
        `${file}: invalid JSON at ${where(text, at ? Number(at[1]) : 0)}: ${detail}`,
      );
    }
  }
  return root;
}

/**
 * Parses a JSON config strictly, as dockerd reads it: a byte order mark is
 * skipped, blank text is an empty object, and the top-level value must be an
 * object.
 *
 * @example Usage
 * ```ts
 * import { parseJsonConfig } from "./parse.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * deepEqual(parseJsonConfig('\uFEFF{"default-runtime": "runc"}', "/d.json"), { "default-runtime": "runc" });
 * deepEqual(parseJsonConfig("", "/d.json"), {});
 * throws(() => parseJsonConfig("[]", "/d.json"), /is an array, not an object/);
 * ```
 *
 * @param text The file's text.
 * @param file The file it came from, for the error message.
 * @returns The object.
 * @throws {RtconfError} one line naming the file, line and column.
 */
export function parseJsonConfig(text: string, file: string): Record<string, unknown> {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const root = parseJsonTree(body, file);
  if (root === undefined) return {};
  if (root.type !== "object") throw notAnObject(body, root, file);
  return JSON.parse(body);
}

/**
 * The error for a top-level value that is not an object.
 *
 * @param text The text.
 * @param root Its top-level value.
 * @param file The file, for the message.
 * @returns The error, to throw.
 */
export function notAnObject(text: string, root: Node, file: string): RtconfError {
  return new RtconfError(
    `${file}: the top-level value at ${where(text, root.offset)} is ${
      describeType(root)
    }, not an object`,
  );
}

/**
 * A value's JSON type, for a message: `an object`, `a string`, `null`…
 *
 * @param tree A value of the tree.
 * @returns The phrase.
 */
export function describeType(tree: Node): string {
  return tree.type === "null"
    ? "null"
    : tree.type === "array" || tree.type === "object"
    ? `an ${tree.type}`
    : `a ${tree.type}`;
}
