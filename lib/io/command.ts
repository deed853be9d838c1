/**
 * Config sources other than files: an engine's own report of its effective
 * configuration.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";

/**
 * Runs a command and returns its standard output; stderr is kept for the
 * error message.
 *
 * @example Usage
 * ```ts
 * import { commandOutput } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * equal(await commandOutput("echo", ["version = 2"]), "version = 2\n");
 * ```
 *
 * @param command The executable.
 * @param args Its arguments.
 * @returns What it printed on stdout.
 * @throws {RtconfError} when it cannot run or exits non-zero.
 */
export async function commandOutput(command: string, args: string[]): Promise<string> {
  const line = [command, ...args].join(" ");
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    throw new RtconfError(`failed to run command ${line}: ${reason}`);
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
 * @returns What the first successful one printed.
 * @throws {RtconfError} with every command's failure, on one line, when all fail.
 */
export async function firstOutput(commands: [string, string[]][]): Promise<string> {
  const failures: string[] = [];
  for (const [command, args] of commands) {
    try {
      return await commandOutput(command, args);
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new RtconfError(failures.join("; "));
}
