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
