/**
 * Mount points, from `/proc/self/mountinfo`: a file that is a mount point (a
 * bind-mounted config, as Kubernetes mounts a ConfigMap's file) cannot be
 * replaced by a rename.
 *
 * @module
 */

/** `\040` and the like in mountinfo's paths. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The mount points of this process's mount namespace.
 *
 * @example Usage
 * ```ts
 * import { mountPoints } from "./mounts.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal((await mountPoints()).has("/"), true);
 * ```
 *
 * @returns Their paths; empty where /proc cannot say.
 */
export async function mountPoints(): Promise<Set<string>> {
  let text: string;
  try {
    text = await Deno.readTextFile("/proc/self/mountinfo");
  } catch {
    return new Set();
  }
  // Fields: id, parent id, major:minor, root, mount point, ...
  return new Set(
    text.split("\n").filter(Boolean).map((line) => unescape(line.split(" ")[4] ?? "")),
  );
}
