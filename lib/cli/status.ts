/**
 * `runtime status`: each engine's runtimes, default and CDI, from the files
 * it loads, in its order.
 *
 * @module
 */

import type { EngineStatus } from "../engines/engine.ts";
import { renderStatus } from "../engines/status.ts";
import { engineTexts } from "./load.ts";
import { readPending } from "./pending_restart.ts";
import type { HostRoot } from "./host_root.ts";
import type { StatusInvocation } from "./invocation.ts";
import type { Reporter } from "./output.ts";

/** The engine's pending restart, as a status field. */
async function restartPending(
  engine: string,
  configPath: string,
  host: HostRoot,
): Promise<Pick<EngineStatus, "restartPending">> {
  const pending = await readPending(engine, configPath, host);
  return pending ? { restartPending: { since: pending.since, reason: pending.reason } } : {};
}

/**
 * Runs `runtime status`.
 *
 * @param invocation What to show.
 * @param host The host.
 * @param reporter Where to print.
 * @returns The exit status.
 */
export async function runStatus(
  invocation: StatusInvocation,
  host: HostRoot,
  reporter: Reporter,
): Promise<number> {
  const statuses: EngineStatus[] = [];
  for (const target of invocation.targets) {
    const options = { configPath: target.configPath, dropInPath: target.dropInPath };
    const texts = await engineTexts(target.engine, options, host, (m) => reporter.debug(m));
    const status = target.engine.status(texts, options);
    // Files as this machine sees them, under the host root.
    statuses.push({
      ...status,
      files: status.files.map((path) => host.onDisk(path)),
      defaultFile: status.defaultFile && host.onDisk(status.defaultFile),
      runtimes: status.runtimes.map((runtime) => ({
        ...runtime,
        file: runtime.file && host.onDisk(runtime.file),
      })),
      cdi: { ...status.cdi, file: status.cdi.file && host.onDisk(status.cdi.file) },
      ...await restartPending(target.engine.name, target.configPath, host),
    });
  }
  reporter.result(
    invocation.json
      ? `${JSON.stringify({ engines: statuses }, null, 2)}\n`
      : statuses.map(renderStatus).join("\n"),
  );
  return 0;
}
