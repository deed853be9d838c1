/**
 * Config sources other than files: an engine's own report of its effective
 * configuration.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { processStat } from "./proc.ts";

/** The processes a process started, and theirs, from /proc (empty where /proc cannot say). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const parent = processStat(Number(entry.name))?.ppid;
      if (parent === undefined) continue; // gone meanwhile
      children.set(parent, [...children.get(parent) ?? [], Number(entry.name)]);
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const queue = [pid]; queue.length > 0;) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * How long rtconf waits for an engine's config command, by default, in
 * milliseconds: `containerd config dump` answers in well under a second.
 */
export const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Runs a command and returns its standard output; stderr is kept for the
 * error message. A command that does not finish in time is killed.
 *
 * @example Usage
 * ```ts
 * import { commandOutput } from "@rtconf/rtconf/files";
 * import { equal, rejects } from "node:assert/strict";
 *
 * equal(await commandOutput("echo", ["version = 2"]), "version = 2\n");
 * await rejects(commandOutput("sleep", ["10"], 100), /no answer in 0.1 s/);
 * ```
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param timeoutMs How long to wait, in milliseconds ({@linkcode COMMAND_TIMEOUT_MS}).
 * @returns What it printed on stdout.
 * @throws {RtconfError} when it cannot run, exits non-zero or takes too long.
 */
export async function commandOutput(
  command: string,
  args: string[],
  timeoutMs: number = COMMAND_TIMEOUT_MS,
): Promise<string> {
  const line = [command, ...args].join(" ");
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    throw new RtconfError(`failed to run command ${line}: ${reason}`);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // The command and whatever it started: a child left holding its output would keep rtconf waiting.
    for (const pid of [child.pid, ...descendants(child.pid)]) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // It had just finished.
      }
    }
  }, timeoutMs);
  const result = await child.output().finally(() => clearTimeout(timer));
  if (timedOut) {
    throw new RtconfError(`failed to run command ${line}: no answer in ${timeoutMs / 1000} s`);
  }
  if (!result.success) {
    const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").pop() ?? "";
    throw new RtconfError(
      `failed to run command ${line}: exit status ${result.code}${stderr ? `: ${stderr}` : ""}`,
    );
  }
  return new TextDecoder().decode(result.stdout);
}

/**
 * The output of the first command that succeeds, as nvidia-ctk reads CRI-O's
 * config (`crio status config`, then `crio-status config`).
 *
 * @example Usage
 * ```ts
 * import { firstOutput } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * equal(await firstOutput([["false", []], ["echo", ["ok"]]]), "ok\n");
 * ```
 *
 * @param commands The commands with their arguments, in order.
 * @param timeoutMs How long to wait for each, in milliseconds.
 * @returns What the first successful one printed.
 * @throws {RtconfError} with every command's failure, on one line, when all fail.
 */
export async function firstOutput(
  commands: [string, string[]][],
  timeoutMs: number = COMMAND_TIMEOUT_MS,
): Promise<string> {
  const failures: string[] = [];
  for (const [command, args] of commands) {
    try {
      return await commandOutput(command, args, timeoutMs);
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new RtconfError(failures.join("; "));
}
