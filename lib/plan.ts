/**
 * The plan: the new contents of every file a command touches, and the ways it
 * is shown to an operator.
 *
 * @module
 */

import { unifiedDiff } from "./diff.ts";

/**
 * One file of a plan. `undefined` stands for "no such file": a `before` of
 * `undefined` creates the file, an `after` of `undefined` removes it.
 *
 * @example Usage
 * ```ts
 * import type { FileChange } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const change: FileChange = { path: "/etc/x.toml", before: undefined, after: "a = 1\n" };
 * equal(change.before, undefined);
 * ```
 */
export interface FileChange {
  /** The file's path. */
  path: string;
  /** The file's text now. */
  before: string | undefined;
  /** The file's text after the command. */
  after: string | undefined;
}

/**
 * The first line of a TOML file rtconf creates. Unconfigure removes a file
 * that holds nothing else any more: rtconf removes only files it created.
 *
 * @example Usage
 * ```ts
 * import { CREATED_HEADER, planCrio } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const [crioConf] = planCrio({}, [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }], { configPath: "/etc/crio/crio.conf", dropInPath: "" });
 * equal(crioConf.after?.startsWith(CREATED_HEADER), true);
 * ```
 */
export const CREATED_HEADER =
  "# Created by rtconf (runtime configure); 'rtconf runtime unconfigure' removes it.\n";

/**
 * The first line of a drop-in file rtconf writes for an engine.
 *
 * @example Usage
 * ```ts
 * import { writtenHeader } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(writtenHeader("CRI-O").startsWith("# Written by rtconf"), true);
 * ```
 *
 * @param engine The engine's name as people write it.
 * @returns The comment line, with its newline.
 */
export function writtenHeader(engine: string): string {
  return `# Written by rtconf (runtime configure) for ${engine}; 'rtconf runtime unconfigure' removes it.\n`;
}

/**
 * Every file a command reads and what becomes of it.
 *
 * @example Usage
 * ```ts
 * import { changes, type Plan } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const plan: Plan = [{ path: "/etc/x.toml", before: "a = 1\n", after: "a = 1\n" }];
 * equal(changes(plan).length, 0);
 * ```
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
 * under a header line `==> PATH <==` followed by its new text, or as a unified
 * diff per file when `diff` is set. A file that would be removed shows as
 * `==> PATH (removed) <==`. Nothing is shown for a plan that changes nothing.
 *
 * @example Usage
 * ```ts
 * import { renderPlan } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const plan = [{ path: "/etc/x.toml", before: undefined, after: "a = 1\n" }];
 * equal(renderPlan(plan), "==> /etc/x.toml <==\na = 1\n");
 * equal(
 *   renderPlan(plan, { diff: true }),
 *   "--- /dev/null\n+++ /etc/x.toml\n@@ -0,0 +1 @@\n+a = 1\n",
 * );
 * ```
 *
 * @param plan The plan.
 * @param options `diff`: unified diffs instead of whole files.
 * @returns The text to print on stdout.
 */
export function renderPlan(plan: Plan, options: { diff?: boolean } = {}): string {
  const parts: string[] = [];
  for (const { path, before, after } of changes(plan)) {
    if (options.diff) {
      parts.push(unifiedDiff(before, after, path));
    } else if (after === undefined) {
      parts.push(`==> ${path} (removed) <==\n`);
    } else {
      const body = after === "" || after.endsWith("\n") ? after : `${after}\n`;
      parts.push(`==> ${path} <==\n${body}`);
    }
  }
  return parts.join(options.diff ? "" : "\n");
}
