/**
 * The plan: the new contents of every file a command touches, and the ways it
 * is shown to an operator.
 *
 * @module
 */

/**
 * One file of a plan. `undefined` stands for "no such file": a `before` of
 * `undefined` creates the file, an `after` of `undefined` removes it.
 */
export interface FileChange {
  /** The file's path. */
  path: string;
  /** The file's text now. */
  before: string | undefined;
  /** The file's text after the command. */
  after: string | undefined;
  /** What the operator should know about this file (a record that is no longer true). */
  warnings?: string[];
  /**
   * The file is rtconf's own, written whole (a drop-in, or nvidia-ctk's drop-in
   * that rtconf takes over): what it held is not the node's own configuration.
   */
  own?: boolean;
  /**
   * Directories that did not exist, outermost first: a file rtconf creates
   * creates them, and a file rtconf removes takes with it those that its
   * notes say rtconf created, where they are empty (host paths).
   */
  directories?: string[];
  /**
   * The mode of a file the plan creates (default 0644): never more readable
   * than the files its content came from.
   */
  mode?: number;
  /**
   * The engine reads every file of this file's directory (CRI-O's
   * `crio.conf.d`): rtconf's temporary files for it never go there.
   */
  readWhole?: boolean;
}

/**
 * The first line of a TOML file rtconf creates. Unconfigure removes a file
 * that holds nothing else any more: rtconf removes only files it created.
 *
 * @example Usage
 * ```ts
 * import { configure, CREATED_HEADER } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const [crioConf] = await configure({
 *   engine: "crio",
 *   files: {},
 *   dropInPath: "",
 *   runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 * });
 * equal(crioConf.after?.startsWith(CREATED_HEADER), true);
 * ```
 */
export const CREATED_HEADER =
  "# Created by rtconf (runtime configure); 'rtconf runtime unconfigure' removes it.\n";

/**
 * How the first line of a drop-in file rtconf writes begins.
 */
export const WRITTEN_HEADER_PREFIX = "# Written by rtconf (runtime configure) for ";

/**
 * The first line of a drop-in file rtconf writes for an engine.
 *
 * @example Usage
 * ```ts
 * import { writtenHeader } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   writtenHeader("CRI-O"),
 *   "# Written by rtconf (runtime configure) for CRI-O; 'rtconf runtime unconfigure' removes it.\n",
 * );
 * ```
 *
 * @param engine The engine's name as people write it.
 * @returns The comment line, with its newline.
 */
export function writtenHeader(engine: string): string {
  return `${WRITTEN_HEADER_PREFIX}${engine}; 'rtconf runtime unconfigure' removes it.\n`;
}

/**
 * How the note begins that a TOML file rtconf creates carries, on the line
 * after its header, for each directory rtconf created to hold it.
 */
export const DIRECTORY_NOTE = "# rtconf: created the directory ";

/**
 * Splits the directory notes off a file rtconf wrote whole.
 *
 * @example Usage
 * ```ts
 * import { CREATED_HEADER, directoryNotes } from "./plan.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const text = `${CREATED_HEADER}# rtconf: created the directory /etc/containerd\nversion = 2\n`;
 * deepEqual(directoryNotes(text), { directories: ["/etc/containerd"], text: `${CREATED_HEADER}version = 2\n` });
 * deepEqual(directoryNotes("version = 2\n"), { directories: [], text: "version = 2\n" });
 * ```
 *
 * @param text The file's text.
 * @returns The directories its notes name, outermost first, and the text without the notes.
 */
export function directoryNotes(text: string): { directories: string[]; text: string } {
  const lines = text.split("\n");
  if (!isWrittenWhole(text)) return { directories: [], text };
  let end = 1;
  while (end < lines.length && lines[end].startsWith(DIRECTORY_NOTE)) end++;
  return {
    directories: lines.slice(1, end).map((line) => line.slice(DIRECTORY_NOTE.length)),
    text: [lines[0], ...lines.slice(end)].join("\n"),
  };
}

/**
 * A file rtconf writes whole with directory notes after its header (see
 * {@linkcode directoryNotes}); any other text is returned as it is.
 *
 * @example Usage
 * ```ts
 * import { CREATED_HEADER, withDirectoryNotes } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   withDirectoryNotes(`${CREATED_HEADER}version = 2\n`, ["/etc/containerd"]),
 *   `${CREATED_HEADER}# rtconf: created the directory /etc/containerd\nversion = 2\n`,
 * );
 * ```
 *
 * @param text The file's text, without notes.
 * @param directories The directories, outermost first.
 * @returns The text with the notes.
 */
export function withDirectoryNotes(text: string, directories: readonly string[]): string {
  if (directories.length === 0 || !isWrittenWhole(text)) return text;
  const header = text.indexOf("\n") + 1;
  const notes = directories.map((dir) => `${DIRECTORY_NOTE}${dir}\n`).join("");
  return text.slice(0, header) + notes + text.slice(header);
}

/**
 * Whether rtconf wrote a file whole: its first line is rtconf's header.
 *
 * @example Usage
 * ```ts
 * import { CREATED_HEADER, isWrittenWhole, writtenHeader } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isWrittenWhole(`${CREATED_HEADER}version = 2\n`), true);
 * equal(isWrittenWhole(writtenHeader("CRI-O")), true);
 * equal(isWrittenWhole("version = 2\n"), false);
 * equal(isWrittenWhole(undefined), false);
 * ```
 *
 * @param text The file's text (`undefined`: no file).
 * @returns `true` when it begins with {@linkcode CREATED_HEADER} or a {@linkcode writtenHeader}.
 */
export function isWrittenWhole(text: string | undefined): boolean {
  return text !== undefined &&
    (text.startsWith(CREATED_HEADER) || text.startsWith(WRITTEN_HEADER_PREFIX));
}

/**
 * Every file a command reads and what becomes of it.
 */
export type Plan = FileChange[];

/**
 * The files of a plan whose contents would change.
 *
 * @example Usage
 * ```ts
 * import { changes } from "@rtconf/rtconf";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   changes([
 *     { path: "/a", before: "x", after: "x" },
 *     { path: "/b", before: undefined, after: "y" },
 *   ]).map((c) => c.path),
 *   ["/b"],
 * );
 * ```
 *
 * @param plan The plan.
 * @returns The changing files, in plan order.
 */
export function changes(plan: Plan): FileChange[] {
  return plan.filter((change) => change.before !== change.after);
}

/**
 * Shows what a plan would do, as `--dry-run` prints it: each changing file
 * under a header line `==> PATH <==` followed by its new text. A file that
 * would be removed shows as `==> PATH (removed) <==`. Nothing is shown for a
 * plan that changes nothing.
 *
 * @example Usage
 * ```ts
 * import { renderPlan } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const plan = [
 *   { path: "/etc/x.toml", before: undefined, after: "a = 1\n" },
 *   { path: "/etc/y.toml", before: "b = 1\n", after: undefined },
 * ];
 * equal(renderPlan(plan), "==> /etc/x.toml <==\na = 1\n\n==> /etc/y.toml (removed) <==\n");
 * ```
 *
 * @param plan The plan.
 * @returns The text to print on stdout.
 */
export function renderPlan(plan: Plan): string {
  const parts: string[] = [];
  for (const { path, after } of changes(plan)) {
    if (after === undefined) {
      parts.push(`==> ${path} (removed) <==\n`);
    } else {
      const body = after === "" || after.endsWith("\n") ? after : `${after}\n`;
      parts.push(`==> ${path} <==\n${body}`);
    }
  }
  return parts.join("\n");
}
