/**
 * `runtime status`: each engine's runtimes, default and CDI, from the files
 * it loads, in its order.
 *
 * @module
 */

import type { EngineStatus, FileText } from "../engines/engine.ts";
import { renderStatus } from "../engines/status.ts";
import { globFiles, readText } from "../io/files.ts";
import type { HostRoot } from "./host_root.ts";
import type { StatusInvocation } from "./invocation.ts";
import type { Reporter } from "./output.ts";

/** The files an engine loads, in its order, each read once; paths as on disk. */
async function loadedFiles(
  target: StatusInvocation["targets"][number],
  host: HostRoot,
): Promise<FileText[]> {
  const { engine } = target;
  const options = { configPath: target.configPath, dropInPath: target.dropInPath };
  const main = await readText(host.onDisk(target.configPath));
  const files: FileText[] = main === undefined
    ? []
    : [{ path: host.onDisk(target.configPath), text: main }];
  for (const glob of engine.loads(options, main)) {
    for (const path of await globFiles({ dir: host.onDisk(glob.dir), pattern: glob.pattern })) {
      const text = await readText(path);
      if (text !== undefined) files.push({ path, text });
    }
  }
  return files;
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
    statuses.push(target.engine.status(await loadedFiles(target, host)));
  }
  reporter.result(
    invocation.json
      ? `${JSON.stringify({ engines: statuses }, null, 2)}\n`
      : statuses.map(renderStatus).join("\n"),
  );
  return 0;
}
