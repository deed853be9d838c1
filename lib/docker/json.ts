/**
 * A JSON document that is edited in place: each change inserts, replaces or
 * removes one member and leaves every other byte as it was, in the file's own
 * layout (indentation, line ends, spacing around `:`). The text is parsed
 * strictly as JSON (no comments, no trailing commas), as dockerd reads it.
 *
 * @module
 */

import {
  applyEdits,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { RtconfError } from "../errors.ts";

/** A JSON value rtconf writes. */
export type JsonValue = string | number | boolean | null | JsonValue[] | {
  [key: string]: JsonValue;
};

/** How the members of one object are laid out. */
interface Layout {
  /** The whitespace before each member (after `{` or `,`). */
  sep: string;
  /** The whitespace between the last member and `}`. */
  close: string;
  /** The text between a member's key and its value, `:` included. */
  colon: string;
}

const PARSE_OPTIONS = {
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
function where(text: string, offset: number): string {
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
 * Parses JSON text strictly.
 *
 * @param text The text; blank text has no value.
 * @param file The file it came from, for the error message.
 * @returns The root node, or `undefined` for blank text.
 * @throws {RtconfError} one line naming the file, line and column.
 */
function parseStrict(text: string, file: string): Node | undefined {
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

/** A node's JSON type, for a message: `an object`, `a string`, `null`… */
function describeType(node: Node): string {
  return node.type === "null"
    ? "null"
    : node.type === "array" || node.type === "object"
    ? `an ${node.type}`
    : `a ${node.type}`;
}

/** A path for a message: `runtimes.nvidia`, `runtimes."nvidia.cdi"`. */
function formatPath(path: readonly string[]): string {
  return path.map((key) => /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key)).join(".");
}

function end(node: Node): number {
  return node.offset + node.length;
}

function isPlainObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON file's text with member-level edits. */
export class JsonDocument {
  /** The file, for messages. */
  readonly file: string;
  /** The current text. */
  text: string;
  /** Whether any edit was made. */
  changed = false;
  #root: Node;
  #unit: string;
  #eol: string;

  /**
   * Parses the text. Blank text is taken as `{}` with a final newline.
   *
   * @param text The file's text.
   * @param file The file's path, for messages.
   * @throws {RtconfError} for invalid JSON or a top-level value that is not an object.
   */
  constructor(text: string, file: string) {
    this.file = file;
    const root = parseStrict(text, file);
    if (root === undefined) {
      this.text = "{}\n";
      this.#root = parseTree(this.text)!;
    } else {
      this.text = text;
      this.#root = root;
    }
    if (this.#root.type !== "object") {
      throw new RtconfError(
        `${file}: the top-level value at ${where(text, this.#root.offset)} is ${
          describeType(this.#root)
        }, not an object`,
      );
    }
    this.#eol = this.text.includes("\r\n") ? "\r\n" : "\n";
    this.#unit = detectUnit(this.text);
  }

  /** `line L, column C` of a node. */
  where(node: Node): string {
    return where(this.text, node.offset);
  }

  /**
   * The value node at a path of object keys, or `undefined` when a key is
   * missing. Every object on the way must be an object.
   *
   * @throws {RtconfError} for a duplicate key or a value on the way that is not an object.
   */
  get(path: readonly string[]): Node | undefined {
    let node: Node = this.#root;
    for (let i = 0; i < path.length; i++) {
      if (node.type !== "object") {
        throw this.typeError(path.slice(0, i), node, "an object");
      }
      const member = this.#member(node, path.slice(0, i + 1));
      if (!member) return undefined;
      node = member.children![1];
    }
    return node;
  }

  /**
   * An error saying that the value at `path` is not of the expected type.
   *
   * @param path The value's path.
   * @param node The value's node.
   * @param expected What it should be, e.g. `an object`.
   * @returns The error, to throw.
   */
  typeError(path: readonly string[], node: Node, expected: string): RtconfError {
    return new RtconfError(
      `${this.file}: ${formatPath(path)} at ${this.where(node)} is ${
        describeType(node)
      }, not ${expected}`,
    );
  }

  /** The property node of `path`'s last key in `object`, checking for duplicates. */
  #member(object: Node, path: readonly string[]): Node | undefined {
    const key = path[path.length - 1];
    const matches = (object.children ?? []).filter((property) =>
      property.children![0].value === key
    );
    if (matches.length > 1) {
      throw new RtconfError(
        `${this.file}: duplicate key ${formatPath(path)} at ${this.where(matches[1])}`,
      );
    }
    return matches[0];
  }

  /**
   * The layout of the members of the object at `path` (which must exist): as
   * its last member stands, or, for an empty object, one level deeper than the
   * members of the object that holds it.
   */
  #layout(path: readonly string[]): Layout {
    let layout: Layout = { sep: this.#eol + this.#unit, close: this.#eol, colon: ": " };
    let node = this.#root;
    for (let i = 0;; i++) {
      const children = node.children ?? [];
      if (children.length > 0) {
        const last = children[children.length - 1];
        const previousEnd = children.length > 1
          ? end(children[children.length - 2])
          : node.offset + 1;
        const gap = this.text.slice(previousEnd, last.offset);
        layout = {
          sep: gap.slice(gap.indexOf(",") + 1),
          close: this.text.slice(end(last), end(node) - 1),
          colon: this.text.slice(end(last.children![0]), last.children![1].offset),
        };
      } else if (i > 0) {
        layout = this.#inner(layout);
      }
      if (i === path.length) return layout;
      node = this.#member(node, path.slice(0, i + 1))!.children![1];
    }
  }

  /** The layout of an object that is a member of an object laid out as `outer`. */
  #inner(outer: Layout): Layout {
    const multiline = outer.sep.includes("\n");
    return {
      sep: multiline ? outer.sep + this.#unit : outer.sep,
      close: multiline ? outer.sep : outer.close,
      colon: outer.colon,
    };
  }

  /** A value's text as a member of an object laid out as `layout`. */
  #render(value: JsonValue, layout: Layout): string {
    if (!isPlainObject(value)) return JSON.stringify(value);
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const inner = this.#inner(layout);
    return `{${
      entries.map(([key, item]) =>
        `${inner.sep}${JSON.stringify(key)}${inner.colon}${this.#render(item, inner)}`
      ).join(",")
    }${inner.close}}`;
  }

  #edit(offset: number, length: number, content: string): void {
    this.text = applyEdits(this.text, [{ offset, length, content }]);
    this.#root = parseTree(this.text, undefined, PARSE_OPTIONS)!;
    this.changed = true;
  }

  /**
   * Sets the value at `path`: replaces an existing value, or adds the member
   * at the end of its object. The object holding it must exist.
   *
   * @param path The keys.
   * @param value The new value.
   */
  set(path: readonly string[], value: JsonValue): void {
    const parentPath = path.slice(0, -1);
    const parent = this.get(parentPath);
    if (!parent || parent.type !== "object") {
      throw new RtconfError(`internal error: no object ${formatPath(parentPath)} in ${this.file}`);
    }
    const layout = this.#layout(parentPath);
    const existing = this.#member(parent, path)?.children?.[1];
    if (existing) {
      this.#edit(existing.offset, existing.length, this.#render(value, layout));
      return;
    }
    const member = `${JSON.stringify(path[path.length - 1])}${layout.colon}${
      this.#render(value, layout)
    }`;
    const children = parent.children ?? [];
    if (children.length > 0) {
      this.#edit(end(children[children.length - 1]), 0, `,${layout.sep}${member}`);
    } else {
      this.#edit(parent.offset + 1, parent.length - 2, `${layout.sep}${member}${layout.close}`);
    }
  }

  /**
   * Removes the member at `path`, with the comma and the line it stood on;
   * the only member of an object leaves `{}`. Nothing happens when it is missing.
   *
   * @param path The keys.
   */
  delete(path: readonly string[]): void {
    const parent = this.get(path.slice(0, -1));
    if (!parent || parent.type !== "object") return;
    const member = this.#member(parent, path);
    if (!member) return;
    const children = parent.children!;
    const index = children.indexOf(member);
    if (children.length === 1) {
      this.#edit(parent.offset + 1, parent.length - 2, "");
    } else if (index === children.length - 1) {
      const previousEnd = end(children[index - 1]);
      this.#edit(previousEnd, end(member) - previousEnd, "");
    } else {
      this.#edit(member.offset, children[index + 1].offset - member.offset, "");
    }
  }
}

/** The indentation of one level: of the first indented line, else four spaces. */
function detectUnit(text: string): string {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1];
  if (!indent) return "    ";
  return indent.startsWith("\t") ? "\t" : indent.replace(/\t.*$/, "");
}
