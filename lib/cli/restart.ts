/**
 * Restarting (or reloading) an engine after its files changed:
 * `--restart=systemd` runs `systemctl restart UNIT` on the host,
 * `--restart=signal` sends the engine its reload signal.
 *
 * @module
 */

import type { Engine } from "../engines/engine.ts";
import type { FileChange } from "../plan.ts";
import { RtconfError } from "../errors.ts";
import { commandOutput } from "../io/command.ts";
import { readText } from "../io/files.ts";
import { processStat } from "../io/proc.ts";
import type { HostRoot } from "./host_root.ts";
import type { Reporter } from "./output.ts";

/** How the CLI restarts an engine after its files changed. */
export type RestartMode = "none" | "systemd" | "signal";

/**
 * Sends the engine its reload signal, found by its pid file on the host,
 * when a reload loads the change; otherwise says that a restart is needed.
 *
 * @param engine The engine; it must reload on a signal.
 * @param change The engine's main config: as the engine runs with it, and as written.
 * @param host The host.
 * @param reporter Where to say what was done.
 * @throws {RtconfError} when a reload would not load the change, there is no
 * process to signal, or the signal fails.
 */
async function signalEngine(
  engine: Engine,
  change: FileChange,
  host: HostRoot,
  reporter: Reporter,
  changedAt?: string,
): Promise<void> {
  const reload = engine.supports.reload;
  if (!reload) {
    throw new RtconfError(`${engine.name} does not reload its configuration on a signal`);
  }
  const pidFile = await host.path(reload.pidFile);
  const text = await readText(pidFile);
  const pid = /^\s*\d+\s*$/.test(text ?? "") ? Number(text!.trim()) : NaN;
  if (text && Number.isInteger(pid) && pid > 0) {
    await checkProcess(pid, reload.process, pidFile, host);
  }
  const started = Number.isInteger(pid) && pid > 0 ? await startTime(pid) : undefined;
  if (changedAt && started && started > new Date(changedAt)) {
    reporter.info(
      `${reload.process} (${pid}) started at ${started.toISOString()}, after the change: ` +
        "it runs with it",
    );
    return;
  }
  const gap = reload.gap(change.before, change.after, change.path);
  if (gap !== undefined) {
    throw new RtconfError(
      `${reload.process} was not signalled, because a reload would not load the change: ${gap}; ` +
        `restart ${engine.name} to load it`,
    );
  }
  if (!text || !Number.isInteger(pid) || pid <= 0) {
    throw new RtconfError(
      `${pidFile}: no ${reload.process} process id to signal; is ${engine.name} running?`,
    );
  }
  try {
    Deno.kill(pid, reload.signal);
  } catch (error) {
    throw new RtconfError(
      `signalling ${reload.process} (${pid}) failed: ${(error as Error).message}`,
    );
  }
  reporter.info(`signalled ${reload.process} (${pid}) to reload its configuration`);
}

/**
 * Fails unless `pid` is the engine's process as the host sees it: with a
 * host root, the host's `/proc` must show the very process rtconf's own
 * `/proc` shows (the same pid namespace), and the process must be the
 * engine (a stale pid file may name anything).
 */
async function checkProcess(
  pid: number,
  process: string,
  pidFile: string,
  host: HostRoot,
): Promise<void> {
  const ours = processStat(pid);
  if (host.root !== "") {
    const hostProc = `${host.root}/proc`;
    const theirs = processStat(pid, hostProc);
    const seen = await Deno.stat(`${hostProc}/1`).then(() => true, () => false);
    // The name and start time together tell the process apart.
    if (!seen || theirs?.name !== ours?.name || theirs?.start !== ours?.start) {
      throw new RtconfError(
        `${pidFile}: rtconf does not see the host's processes (${
          seen ? "another pid namespace" : `no ${hostProc}`
        }), so it cannot signal ${process}; run it in the host's pid namespace (hostPID), ` +
          "or use --restart=systemd",
      );
    }
  }
  if (ours === undefined) {
    throw new RtconfError(`${pidFile}: no process ${pid}; is ${process} running?`);
  }
  if (ours.name !== process) {
    throw new RtconfError(
      `${pidFile}: process ${pid} is ${ours.name}, not ${process} (a stale pid file?); ` +
        "not signalled",
    );
  }
}

/** Clock ticks per second in /proc (USER_HZ: 100 on every Linux ABI). */
const USER_HZ = 100;

/**
 * When a process started, from /proc, up to a second early (the boot time is
 * in whole seconds); `undefined` when it is gone or /proc cannot say.
 */
async function startTime(pid: number): Promise<Date | undefined> {
  const ticks = processStat(pid)?.start;
  const stat = await Deno.readTextFile("/proc/stat").catch(() => "");
  const boot = Number(/^btime (\d+)$/m.exec(stat)?.[1]);
  if (ticks === undefined || !Number.isFinite(ticks) || !Number.isFinite(boot)) return undefined;
  return new Date((boot + ticks / USER_HZ) * 1000);
}

/**
 * Restarts an engine as asked, and says so.
 *
 * @param mode `systemd` or `signal`.
 * @param engine The engine.
 * @param unit The systemd unit.
 * @param change The engine's main config before and after (for `signal`).
 * @param host The host.
 * @param reporter Where to say what was done.
 * @param changedAt For a pending restart, when the files last changed (ISO
 * 8601): a process started since then runs with the change already.
 * @throws {RtconfError} when the restart fails or would not load the change.
 */
export async function restartEngine(
  mode: Exclude<RestartMode, "none">,
  engine: Engine,
  unit: string,
  change: FileChange,
  host: HostRoot,
  reporter: Reporter,
  changedAt?: string,
): Promise<void> {
  if (mode === "signal") return await signalEngine(engine, change, host, reporter, changedAt);
  const [command, args] = host.command(["systemctl", ["restart", unit]]);
  const line = [command, ...args].join(" ");
  try {
    await commandOutput(command, [...args]);
  } catch (error) {
    throw new RtconfError(`restarting ${engine.name} failed: ${(error as Error).message}`);
  }
  reporter.info(`restarted ${engine.name} (${line})`);
}
