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
import {
  COMMANDS,
  CONFIGURE,
  HOOK,
  INSTALLER,
  ROOT,
  RUNTIME,
  STATUS,
  VERSION_COMMAND,
} from "./commands.ts";
import { type Command, type FlagValues, helpText, parseBool, parseFlags } from "./flags.ts";
import { HostRoot } from "./host_root.ts";
import type { Env } from "./installer_env.ts";
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
  /**
   * Reads an environment variable (`undefined`: not set): nvidia-ctk's
   * `NVIDIA_CTK_DEBUG` and `NVIDIA_CTK_QUIET`, and the variables of `rtconf
   * installer`. Default: the process's environment.
   */
  env?: Env;
}

/** The command argv names, the values of its flags and of the flags before its words. */
interface Resolved {
  command: Command;
  values: FlagValues;
  /** `help` was asked for, as a command (`rtconf help runtime configure`). */
  help: boolean;
}

/**
 * Reads argv as nvidia-ctk's command line library does: each group's flags
 * (the global ones) before the next word, then the command's; `help` (or
 * `h`) in a group shows the help of the command the words after it name.
 */
function resolveCommand(args: string[]): Resolved {
  let command = ROOT;
  let rest = args;
  let help = false;
  // The global flags given before the command's words (nvidia-ctk's `--debug runtime configure`).
  const before: FlagValues = {};
  while (true) {
    const { values, positionals } = parseFlags(command, rest);
    if (!command.group || positionals.length === 0) {
      if (positionals.length > 0) {
        const name = ["rtconf", ...command.words].join(" ");
        throw usageError(
          `unexpected argument '${positionals[0]}' for '${name}'; see '${name} --help'`,
        );
      }
      // A command's own flag of a global flag's name is another flag (configure's --config).
      const own = new Set(command.flags.flatMap((flag) => flag.names));
      for (const [key, value] of Object.entries(before)) {
        if (!own.has(key) && !(key in values)) values[key] = value;
      }
      return { command, values, help };
    }
    for (const [key, value] of Object.entries(values)) if (key !== "version") before[key] = value;
    const [word, ...after] = positionals;
    rest = after;
    if (!help && (word === "help" || word === "h")) {
      help = true;
      continue;
    }
    const words = [...command.words, word].join(" ");
    const next = COMMANDS.find((c) => c.words.join(" ") === words);
    if (!next) {
      const parent = ["rtconf", ...command.words].join(" ");
      const where = command === ROOT ? "" : ` for '${parent}'`;
      throw usageError(`unknown command '${word}'${where}; see '${parent} --help'`);
    }
    command = next;
  }
}

/** Reads the process's environment. */
const processEnv: Env = (name) => Deno.env.get(name);

/** A boolean of nvidia-ctk's environment (`NVIDIA_CTK_DEBUG`), as urfave/cli reads it. */
function envFlag(env: Env, name: string): boolean {
  const value = env(name);
  if (value === undefined || value === "") return false;
  const parsed = parseBool(value);
  if (parsed === undefined) throw usageError(`${name}="${value}" is not a boolean`);
  return parsed;
}

/** Runs the command that `values` were parsed for. */
async function runCommand(
  command: Command,
  values: FlagValues,
  reporter: Reporter,
  options: MainOptions,
  env: Env,
): Promise<number> {
  const writeOptions = { writeData: options.writeData };
  if (command === ROOT) {
    if (values.version) {
      reporter.result(`rtconf ${VERSION}\n`);
      return 0;
    }
    throw usageError("missing command; see 'rtconf --help'");
  }
  if (command === VERSION_COMMAND) {
    reporter.result(`rtconf ${VERSION}\n`);
    return 0;
  }
  if (command === RUNTIME) {
    throw usageError("missing command after 'rtconf runtime'; see 'rtconf runtime --help'");
  }
  if (values.config !== undefined && !command.flags.some((flag) => flag.names[0] === "config")) {
    reporter.debug(`--config=${values.config}: nvidia-ctk's own config file, not read by rtconf`);
  }
  if (command === INSTALLER) {
    const { runInstaller } = await import("./installer.ts");
    return await runInstaller(
      values,
      env,
      reporter,
      (args) => dispatch(args, reporter, options, env),
    );
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
    return await runHook(invocation, new HostRoot(invocation.hostRoot), reporter, writeOptions);
  }
  const { runRuntime } = await import("./configure.ts");
  const host = new HostRoot(invocation.hostRoot);
  await host.check();
  return await runRuntime(invocation, host, reporter, writeOptions);
}

/** Resolves argv and runs it with this reporter: the installer's commands run this way. */
async function dispatch(
  args: string[],
  reporter: Reporter,
  options: MainOptions,
  env: Env,
): Promise<number> {
  const { command, values } = resolveCommand(args);
  return await runCommand(command, values, reporter, options, env);
}

/** Whether argv asks for debug output, however it is spelled (for an error before parsing). */
function debugAsked(args: string[]): boolean {
  return args.some((arg) => /^--?(d|debug)(=(1|t|T|TRUE|true|True))?$/.test(arg));
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
  const env = options.env ?? processEnv;
  let debug = debugAsked(args);
  try {
    const { command, values, help } = resolveCommand(args);
    const quiet = values.quiet === true || envFlag(env, "NVIDIA_CTK_QUIET");
    debug = !quiet && (values.debug === true || envFlag(env, "NVIDIA_CTK_DEBUG"));
    if (values.help || help) {
      output.stdout(helpText(command));
      return 0;
    }
    const reporter = new Reporter(output, { quiet, debug });
    return await runCommand(command, values, reporter, options, env);
  } catch (error) {
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
