/**
 * The command line's dispatch: argv to a command, its flags to an
 * invocation, the invocation to the module that runs it, and every error to
 * one line and an exit status.
 *
 * @module
 */

import { RtconfError, usageError } from "../errors.ts";
import type { WriteOptions } from "../io/files.ts";
import { VERSION } from "../version.ts";
import { COMMANDS, CONFIGURE, HOOK, ROOT, RUNTIME, STATUS } from "./commands.ts";
import { type Command, type FlagValues, helpText, parseFlags } from "./flags.ts";
import { HostRoot } from "./host_root.ts";
import { hookInvocation, runtimeInvocation, statusInvocation } from "./invocation.ts";
import { type Output, processOutput, Reporter } from "./output.ts";

/**
 * How the CLI does its I/O, beyond printing.
 *
 * @example Usage
 * ```ts
 * import { main, type MainOptions } from "@rtconf/rtconf/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * let writes = 0;
 * const options: MainOptions = { writeData: async (file, data) => void (writes++, await file.write(data)) };
 * const quiet = { stdout: () => {}, stderr: () => {} };
 * equal(await main(["hook", `--output=${dir}/hook.json`], quiet, options), 0);
 * equal(writes, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface MainOptions {
  /** Writes a new file's bytes (see `WriteOptions`). */
  writeData?: WriteOptions["writeData"];
}

/** Splits argv into the command it names and that command's arguments. */
function resolveCommand(args: string[]): { command: Command; rest: string[] } {
  let command = ROOT;
  const flags: string[] = [];
  let index = 0;
  while (command.group && index < args.length) {
    const arg = args[index++];
    if (arg.startsWith("-")) {
      flags.push(arg);
      continue;
    }
    const words = [...command.words, arg].join(" ");
    const next = COMMANDS.find((c) => c.words.join(" ") === words);
    if (!next) {
      const parent = ["rtconf", ...command.words].join(" ");
      const where = command === ROOT ? "" : ` for '${parent}'`;
      throw usageError(`unknown command '${arg}'${where}; see '${parent} --help'`);
    }
    command = next;
  }
  return { command, rest: [...flags, ...args.slice(index)] };
}

/** Runs the command that `values` were parsed for. */
async function runCommand(
  command: Command,
  values: FlagValues,
  output: Output,
  options: MainOptions,
): Promise<number> {
  const reporter = new Reporter(output, { quiet: values.quiet === true });
  const writeOptions = { writeData: options.writeData };
  if (command === ROOT) {
    if (values.version) {
      reporter.result(`rtconf ${VERSION}\n`);
      return 0;
    }
    throw usageError("missing command; see 'rtconf --help'");
  }
  if (command === RUNTIME) {
    throw usageError("missing command after 'rtconf runtime'; see 'rtconf runtime --help'");
  }
  if (command === STATUS) {
    const invocation = await statusInvocation(values);
    const { runStatus } = await import("./status.ts");
    const host = new HostRoot(invocation.hostRoot);
    await host.check();
    return await runStatus(invocation, host, reporter);
  }
  const invocation = command === HOOK ? hookInvocation(values) : await runtimeInvocation(
    command === CONFIGURE ? "configure" : "unconfigure",
    values,
    (message) => reporter.warn(message),
  );
  if (invocation.kind === "hook") {
    const { runHook } = await import("./hook.ts");
    return await runHook(invocation, reporter, writeOptions);
  }
  const { runRuntime } = await import("./configure.ts");
  const host = new HostRoot(invocation.hostRoot);
  await host.check();
  return await runRuntime(invocation, host, reporter, writeOptions);
}

/**
 * Runs rtconf with the given arguments, as the `rtconf` executable does.
 * Results go to stdout; logs, warnings and the one-line error go to stderr.
 *
 * @example Usage
 * ```ts
 * import { main } from "@rtconf/rtconf/cli";
 * import { equal } from "node:assert/strict";
 *
 * let out = "";
 * const status = await main(["--version"], { stdout: (t) => out += t, stderr: () => {} });
 * equal(status, 0);
 * equal(out.startsWith("rtconf "), true);
 * ```
 *
 * @param args The arguments after the program name.
 * @param output Where to print; the process's stdout and stderr by default.
 * @param options How to do I/O.
 * @returns The exit status: 0 success, 1 failure, 2 usage error, 3 for
 * `--check` when something would change.
 */
export async function main(
  args: string[],
  output: Output = processOutput,
  options: MainOptions = {},
): Promise<number> {
  try {
    const { command, rest } = resolveCommand(args);
    const values = parseFlags(command, rest);
    if (values.help) {
      output.stdout(helpText(command));
      return 0;
    }
    return await runCommand(command, values, output, options);
  } catch (error) {
    const debug = args.includes("--debug") || args.includes("-d");
    if (error instanceof RtconfError) {
      output.stderr(`rtconf: ${error.message}\n`);
      if (debug && error.stack) output.stderr(`${error.stack}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    output.stderr(
      `rtconf: internal error: ${
        message.split("\n")[0]
      } (this is a bug; please report it with --debug output)\n`,
    );
    if (debug && error instanceof Error && error.stack) output.stderr(`${error.stack}\n`);
    return 1;
  }
}
