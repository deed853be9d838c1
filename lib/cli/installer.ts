/**
 * `rtconf installer`: the runtime step of nvidia-ctk-installer (the GPU
 * Operator's toolkit container), from the installer's environment: configure,
 * wait for a stop signal, undo.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import type { FlagValues } from "./flags.ts";
import { type Env, installerSetup } from "./installer_env.ts";
import type { Reporter } from "./output.ts";

/** The signals that stop the installer (and a pod's container). */
const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"] as const;

/** Runs an rtconf command line (the arguments after `rtconf`); returns its exit status. */
export type RunCommand = (args: string[]) => Promise<number>;

/** Shows a command line as a shell would take it back. */
function shown(args: string[]): string {
  return ["rtconf", ...args].map((arg) =>
    /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
  ).join(" ");
}

/** A promise of the first stop signal, and a way to stop listening. */
function stopSignal(): { received: Promise<string>; close: () => void } {
  let resolve!: (signal: string) => void;
  const received = new Promise<string>((done) => resolve = done);
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => resolve(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  return {
    received,
    close: () => {
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    },
  };
}

/**
 * Runs `rtconf installer`: the command lines the installer's environment
 * asks for (see `installerSetup`), printed, then run; in daemon mode (the
 * default, as the installer's), after a stop signal the undoing one.
 *
 * @param values The flags of `rtconf installer`.
 * @param env Reads the environment.
 * @param reporter Where to print.
 * @param run Runs an rtconf command line.
 * @returns The exit status of the last command run.
 * @throws {RtconfError} for variables the installer would refuse, or a
 * host root that is not there.
 */
export async function runInstaller(
  values: FlagValues,
  env: Env,
  reporter: Reporter,
  run: RunCommand,
): Promise<number> {
  const setup = installerSetup(env, (message) => reporter.warn(message));
  if (setup.skipped) {
    reporter.info(setup.skipped);
    return 0;
  }
  if (setup.hostRoot !== "") {
    const root = await Deno.stat(setup.hostRoot).catch(() => undefined);
    if (!root?.isDirectory) {
      throw new RtconfError(
        `HOST_ROOT_MOUNT: ${setup.hostRoot} is not a directory: mount the host's root there`,
      );
    }
  }
  const configure = values["dry-run"] === true
    ? [...setup.configure, "--dry-run"]
    : setup.configure;
  if (values.cleanup === true) {
    reporter.info(`nvidia-ctk-installer environment, undone: ${shown(setup.unconfigure)}`);
    return await run(setup.unconfigure);
  }
  reporter.info(`nvidia-ctk-installer environment: ${shown(configure)}`);
  const daemon = setup.daemon && values["no-daemon"] !== true && values["dry-run"] !== true;
  if (!daemon) return await run(configure);

  // Listening before configuring: a stop signal meanwhile undoes it as soon as it is done.
  const stop = stopSignal();
  try {
    const status = await run(configure);
    if (status !== 0) return status;
    reporter.info(`configured; on SIGTERM, SIGINT, SIGHUP or SIGQUIT: ${shown(setup.unconfigure)}`);
    const signal = await stop.received;
    reporter.info(`${signal}: undoing what was configured`);
    return await run(setup.unconfigure);
  } finally {
    stop.close();
  }
}
