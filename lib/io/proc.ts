/**
 * What `/proc/PID/stat` says of a process: its name, its parent and when it
 * started. The name is in parentheses and may hold anything, spaces and
 * parentheses too, so the fields are counted from its last `)`.
 *
 * @module
 */

/** A process as its `/proc/PID/stat` describes it. */
export interface ProcessStat {
  /** Its command name (`comm`, at most 15 bytes). */
  name: string;
  /** Its parent's pid. */
  ppid: number;
  /** When it started, in clock ticks since boot. */
  start: number;
}

/**
 * The stat of a process, read from a `/proc` (this machine's, or a host's
 * under its root).
 *
 * @example Usage
 * ```ts
 * import { processStat } from "./proc.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(processStat(Deno.pid)?.ppid !== undefined, true);
 * equal(processStat(-1), undefined);
 * ```
 *
 * @param pid The process.
 * @param proc The `/proc` to read (default: this machine's).
 * @returns Its name, parent and start, or `undefined` when it is gone or /proc cannot say.
 */
export function processStat(pid: number, proc = "/proc"): ProcessStat | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${proc}/${pid}/stat`);
  } catch {
    return undefined;
  }
  const end = text.lastIndexOf(")");
  const fields = text.slice(end + 2).split(" ");
  return {
    name: text.slice(text.indexOf("(") + 1, end),
    ppid: Number(fields[1]),
    start: Number(fields[19]),
  };
}
