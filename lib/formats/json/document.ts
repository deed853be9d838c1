/**
 * A JSON document that is edited in place: each change inserts, replaces or
 * removes one member and leaves every other byte as it was, in the file's own
 * layout (indentation, line ends, spacing around `:`). The text is parsed
 * strictly as JSON (no comments, no trailing commas), as dockerd reads it.
 *
 * @module
 */

import { applyEdits, type Node, parseTree } from "jsonc-parser";
import { RtconfError } from "../../errors.ts";
import { describeType, notAnObject, PARSE_OPTIONS, parseJsonTree, where } from "./parse.ts";

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

/** Keys for a message: `runtimes.nvidia`, `runtimes."nvidia.cdi"`. */
function formatKeys(keys: readonly string[]): string {
  return keys.map((key) => /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key)).join(".");
}

function end(tree: Node): number {
  return tree.offset + tree.length;
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
    const root = parseJsonTree(text, file);
    if (root === undefined) {
      this.text = "{}\n";
      this.#root = parseTree(this.text)!;
    } else {
      this.text = text;
      this.#root = root;
    }
    if (this.#root.type !== "object") throw notAnObject(text, this.#root, file);
    this.#eol = this.text.includes("\r\n") ? "\r\n" : "\n";
    this.#unit = detectUnit(this.text);
  }

  /** `line L, column C` of a tree. */
  where(tree: Node): string {
    return where(this.text, tree.offset);
  }

  /**
   * The value under a list of object keys, or `undefined` when a key is
   * missing. Every object on the way must be an object.
   *
   * @throws {RtconfError} for a duplicate key or a value on the way that is not an object.
   */
  get(keys: readonly string[]): Node | undefined {
    let tree: Node = this.#root;
    for (let i = 0; i < keys.length; i++) {
      if (tree.type !== "object") {
        throw this.typeError(keys.slice(0, i), tree, "an object");
      }
      const member = this.#member(tree, keys.slice(0, i + 1));
      if (!member) return undefined;
      tree = member.children![1];
    }
    return tree;
  }

  /**
   * An error saying that the value at `keys` is not of the expected type.
   *
   * @param keys The value's keys.
   * @param tree The value.
   * @param expected What it should be, e.g. `an object`.
   * @returns The error, to throw.
   */
  typeError(keys: readonly string[], tree: Node, expected: string): RtconfError {
    return new RtconfError(
      `${this.file}: ${formatKeys(keys)} at ${this.where(tree)} is ${
        describeType(tree)
      }, not ${expected}`,
    );
  }

  /** The property of `keys`'s last key in `object`, checking for duplicates. */
  #member(object: Node, keys: readonly string[]): Node | undefined {
    const key = keys[keys.length - 1];
    const matches = (object.children ?? []).filter((property) =>
      property.children![0].value === key
    );
    if (matches.length > 1) {
      throw new RtconfError(
        `${this.file}: duplicate key ${formatKeys(keys)} at ${this.where(matches[1])}`,
      );
    }
    return matches[0];
  }

  /**
   * The layout of the members of the object at `keys` (which must exist): as
   * its last member stands, or, for an empty object, one level deeper than the
   * members of the object that holds it.
   */
  #layout(keys: readonly string[]): Layout {
    let layout: Layout = { sep: this.#eol + this.#unit, close: this.#eol, colon: ": " };
    let tree = this.#root;
    for (let i = 0;; i++) {
      const children = tree.children ?? [];
      if (children.length > 0) {
        const last = children[children.length - 1];
        const previousEnd = children.length > 1
          ? end(children[children.length - 2])
          : tree.offset + 1;
        const gap = this.text.slice(previousEnd, last.offset);
        layout = {
          sep: gap.slice(gap.indexOf(",") + 1),
          close: this.text.slice(end(last), end(tree) - 1),
          colon: this.text.slice(end(last.children![0]), last.children![1].offset),
        };
      } else if (i > 0) {
        layout = this.#inner(layout);
      }
      if (i === keys.length) return layout;
      tree = this.#member(tree, keys.slice(0, i + 1))!.children![1];
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
   * Sets the value at `keys`: replaces an existing value, or adds the member
   * at the end of its object. The object holding it must exist.
   *
   * @param keys The keys.
   * @param value The new value.
   */
  set(keys: readonly string[], value: JsonValue): void {
    const parentKeys = keys.slice(0, -1);
    const parent = this.get(parentKeys);
    if (!parent || parent.type !== "object") {
      throw new RtconfError(`internal error: no object ${formatKeys(parentKeys)} in ${this.file}`);
    }
    const layout = this.#layout(parentKeys);
    const existing = this.#member(parent, keys)?.children?.[1];
    if (existing) {
      this.#edit(existing.offset, existing.length, this.#render(value, layout));
      return;
    }
    const member = `${JSON.stringify(keys[keys.length - 1])}${layout.colon}${
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
   * Removes the member at `keys`, with the comma and the line it stood on;
   * the only member of an object leaves `{}`. Nothing happens when it is missing.
   *
   * @param keys The keys.
   */
  delete(keys: readonly string[]): void {
    const parent = this.get(keys.slice(0, -1));
    if (!parent || parent.type !== "object") return;
    const member = this.#member(parent, keys);
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
