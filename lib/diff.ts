/**
 * Unified diffs of a plan's files, as `--diff` prints them. The diff itself
 * is npm's `diff` (jsdiff); this module is loaded only when a diff is asked
 * for.
 *
 * @module
 */

import { structuredPatch } from "diff";
import { changes, type Plan } from "./plan.ts";

/** A hunk's range: `start,count`, or `start` alone for one line. */
function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * A unified diff (3 lines of context) from `before` to `after`; `undefined`
 * stands for a missing file and shows as `/dev/null`.
 *
 * @example Usage
 * ```ts
 * import { unifiedDiff } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   unifiedDiff("a\nb\n", "a\nc\n", "/etc/f"),
 *   "--- /etc/f\n+++ /etc/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n",
 * );
 * equal(unifiedDiff(undefined, "a\n", "/etc/f"), "--- /dev/null\n+++ /etc/f\n@@ -0,0 +1 @@\n+a\n");
 * ```
 *
 * @param before The old text (`undefined`: no file).
 * @param after The new text (`undefined`: no file).
 * @param path The file's path, for the `---`/`+++` lines.
 * @returns The diff, empty when the texts are equal.
 */
export function unifiedDiff(
  before: string | undefined,
  after: string | undefined,
  path: string,
): string {
  if (before === after) return "";
  const patch = structuredPatch(path, path, before ?? "", after ?? "", undefined, undefined, {
    context: 3,
  });
  const lines = [
    `--- ${before === undefined ? "/dev/null" : path}`,
    `+++ ${after === undefined ? "/dev/null" : path}`,
  ];
  for (const hunk of patch.hunks) {
    // jsdiff counts an empty side's start from 1; diff(1) and patch(1) write 0.
    const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
    const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
    lines.push(
      `@@ -${range(oldStart, hunk.oldLines)} +${range(newStart, hunk.newLines)} @@`,
      ...hunk.lines,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * The unified diffs of every file a plan changes, one after the other.
 *
 * @example Usage
 * ```ts
 * import { renderDiff } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const plan = [
 *   { path: "/etc/x.toml", before: "a = 1\n", after: "a = 1\n" },
 *   { path: "/etc/y.toml", before: "b = 1\n", after: "b = 2\n" },
 * ];
 * equal(renderDiff(plan), "--- /etc/y.toml\n+++ /etc/y.toml\n@@ -1 +1 @@\n-b = 1\n+b = 2\n");
 * ```
 *
 * @param plan The plan.
 * @returns The diffs.
 */
export function renderDiff(plan: Plan): string {
  return changes(plan).map((change) => unifiedDiff(change.before, change.after, change.path))
    .join("");
}
