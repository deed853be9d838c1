/**
 * The notes rtconf leaves in a comment after a value it changed or added:
 * `# rtconf: added`, `# rtconf: was "runc"`. They record what a value was
 * before rtconf came, so that undo puts back exactly that; a comment can
 * never break an engine's parser, and it survives reboots and other tools'
 * edits of other lines.
 *
 * @module
 */

import { parseValue } from "./parse.ts";
import { scan } from "./scanner.ts";
import type { TomlValue } from "./values.ts";

/** The prefix of every note. */
export const NOTE_PREFIX = "# rtconf: ";

/**
 * The note at the start of a comment's body (the text after
 * {@linkcode NOTE_PREFIX}): a word and, after a space, at most one TOML value.
 * Whatever follows (another comment) is not part of the note.
 *
 * @example Usage
 * ```ts
 * import { noteBody } from "./notes.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(noteBody('was "runc" # the site default'), 'was "runc"');
 * equal(noteBody("added"), "added");
 * equal(noteBody("added # keep"), "added");
 * ```
 *
 * @param body The comment's text after the prefix.
 * @returns The note.
 */
export function noteBody(body: string): string {
  const word = /^[a-z-]+/.exec(body)?.[0] ?? "";
  if (body[word.length] !== " " || body[word.length + 1] === "#") return word;
  const rest = body.slice(word.length + 1);
  const { entries } = scan(`x = ${rest}\n`);
  const length = entries[0] ? entries[0].valueEnd - 4 : 0;
  return length > 0 ? `${word} ${rest.slice(0, length)}` : word;
}

/**
 * The TOML value a note holds, such as the `"runc"` of `was "runc"`.
 *
 * @example Usage
 * ```ts
 * import { noteValue } from "./notes.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(noteValue('was "runc"'), "runc");
 * equal(noteValue("was 2"), 2n);
 * equal(noteValue("added"), undefined);
 * ```
 *
 * @param note The note.
 * @returns The value, or `undefined` when the note has none.
 */
export function noteValue(note: string): TomlValue | undefined {
  const space = note.indexOf(" ");
  return space < 0 ? undefined : parseValue(note.slice(space + 1));
}
