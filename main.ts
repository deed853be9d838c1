/**
 * The rtconf command line.
 *
 * ```sh
 * deno run -A jsr:@rtconf/rtconf/cli runtime configure --runtime=containerd --dry-run
 * ```
 *
 * @module
 */

import { RtconfError, usageError } from "./lib/errors.ts";
import { COMMANDS, CONFIGURE, HOOK, ROOT, RUNTIME, STATUS } from "./lib/cli/commands.ts";
import type { Command } from "./lib/cli/flags.ts";
import { helpText, parseFlags } from "./lib/cli/flags.ts";
import { hookInvocation, runtimeInvocation, statusInvocation } from "./lib/cli/invocation.ts";
import type { Output } from "./lib/cli/run.ts";
import { runHook, runRuntime, runStatus } from "./lib/cli/run.ts";
import { VERSION } from "./lib/version.ts";

const encoder = new TextEncoder();

/** The process's own stdout and stderr. */
const processOutput: Output = {
  stdout: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
  stderr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
};

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

async function run(args: string[], output: Output): Promise<number> {
  const { command, rest } = resolveCommand(args);
  const values = parseFlags(command, rest);
  if (values.help) {
    output.stdout(helpText(command));
    return 0;
  }
  if (command === ROOT) {
    if (values.version) {
      output.stdout(`rtconf ${VERSION}\n`);
      return 0;
    }
    throw usageError("missing command; see 'rtconf --help'");
  }
  if (command === RUNTIME) {
    throw usageError("missing command after 'rtconf runtime'; see 'rtconf runtime --help'");
  }
  if (command === STATUS) return await runStatus(statusInvocation(values), output);
  const warn = (message: string) => {
    if (!values.quiet) output.stderr(`rtconf: warning: ${message}\n`);
  };
  const invocation = command === HOOK
    ? hookInvocation(values)
    : runtimeInvocation(command === CONFIGURE ? "configure" : "unconfigure", values, warn);
  return invocation.kind === "hook"
    ? await runHook(invocation, output)
    : await runRuntime(invocation, output);
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
 * @returns The exit status: 0 success, 1 failure, 2 usage error.
 */
export async function main(args: string[], output: Output = processOutput): Promise<number> {
  try {
    return await run(args, output);
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

export type { Output } from "./lib/cli/run.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
