/**
 * Unified diffs of two texts, line by line (Myers' O(ND) algorithm).
 *
 * @module
 */

/** One line of an edit script: kept (` `), removed (`-`) or added (`+`). */
export type Op = { kind: " " | "-" | "+"; line: string };

function splitLines(text: string | undefined): string[] {
  if (text === undefined || text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += "\n\\ No newline at end of file";
  return lines;
}

/**
 * The shortest edit script turning the lines `a` into the lines `b`.
 *
 * @param a The old lines.
 * @param b The new lines.
 * @returns The script, in order.
 */
export function editScript(a: string[], b: string[]): Op[] {
  const n = a.length, m = b.length, max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
        ? v[offset + k + 1]
        : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) x++, y++;
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = n, y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: " ", line: a[--x] }), y--;
    if (d > 0) {
      if (x === prevX) ops.push({ kind: "+", line: b[--y] });
      else ops.push({ kind: "-", line: a[--x] });
    }
  }
  return ops.reverse();
}

function range(start: number, count: number): string {
  if (count === 1) return `${start}`;
  return `${count === 0 ? start : start},${count}`;
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
 * ```
 *
 * @param before The old text.
 * @param after The new text.
 * @param path The file's path, used in the `---`/`+++` lines.
 * @returns The diff, empty when the texts are equal.
 */
export function unifiedDiff(
  before: string | undefined,
  after: string | undefined,
  path: string,
): string {
  if (before === after) return "";
  const ops = editScript(splitLines(before), splitLines(after));
  const out = [
    `--- ${before === undefined ? "/dev/null" : path}`,
    `+++ ${after === undefined ? "/dev/null" : path}`,
  ];
  const context = 3;
  let i = 0;
  while (i < ops.length) {
    if (ops[i].kind === " ") {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after
    // the last change that is closer than 2 * context lines to the previous.
    let start = Math.max(0, i - context);
    while (start < i && ops[start].kind !== " ") start++;
    let end = i;
    let last = i;
    while (end < ops.length) {
      if (ops[end].kind !== " ") last = end;
      else if (end - last > 2 * context) break;
      end++;
    }
    end = Math.min(ops.length, last + context + 1);
    let oldLine = 1, newLine = 1;
    for (let j = 0; j < start; j++) {
      if (ops[j].kind !== "+") oldLine++;
      if (ops[j].kind !== "-") newLine++;
    }
    const hunk = ops.slice(start, end);
    const oldCount = hunk.filter((op) => op.kind !== "+").length;
    const newCount = hunk.filter((op) => op.kind !== "-").length;
    out.push(
      `@@ -${range(oldCount === 0 ? oldLine - 1 : oldLine, oldCount)} +${
        range(newCount === 0 ? newLine - 1 : newLine, newCount)
      } @@`,
    );
    for (const op of hunk) out.push(op.kind + op.line);
    i = end;
  }
  return out.join("\n") + "\n";
}
