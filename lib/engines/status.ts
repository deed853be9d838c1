/**
 * What the engines' `status` share — which file sets a value, the runtimes
 * across files — and how `runtime status` shows a status.
 *
 * @module
 */

import type { TomlTable, TomlValue } from "../formats/toml/values.ts";
import { isTable, valueAt } from "../formats/toml/values.ts";
import type { CdiStatus, EngineName, EngineStatus, RuntimeStatus } from "./engine.ts";

/** A file's path and its parsed content. */
export interface ParsedFile {
  /** The path. */
  path: string;
  /** The content. */
  data: TomlTable;
}

/** A setting's value and the file it comes from. */
export interface Setting {
  /** The value. */
  value: TomlValue;
  /** The file. */
  file: string;
}

/**
 * The engine's view of one setting when later files override earlier ones:
 * the value of the last file that has it.
 *
 * @example Usage
 * ```ts
 * import { lastValue, type ParsedFile } from "./status.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const files: ParsedFile[] = [{ path: "/a", data: { x: 1n } }, { path: "/b", data: { x: 2n } }, { path: "/c", data: { y: 3n } }];
 * deepEqual(lastValue(files, ["x"]), { value: 2n, file: "/b" });
 * ```
 *
 * @param files The files, in the engine's order.
 * @param keys The setting's keys.
 * @returns The value and its file, or `undefined` when no file sets it.
 */
export function lastValue(
  files: readonly ParsedFile[],
  keys: readonly string[],
): Setting | undefined {
  let found: Setting | undefined;
  for (const { path, data } of files) {
    const value = valueAt(data, keys);
    if (value !== undefined) found = { value, file: path };
  }
  return found;
}

/**
 * The runtimes of a table of runtime tables across files: a later file's
 * entry replaces an earlier one's executable only when it names one.
 *
 * @example Usage
 * ```ts
 * import { runtimesOf } from "./status.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const files = [{ path: "/a", data: { runtimes: { nvidia: { path: "/usr/bin/nvidia-container-runtime" } } } }];
 * deepEqual(runtimesOf(files, ["runtimes"], ["path"]), [
 *   { name: "nvidia", path: "/usr/bin/nvidia-container-runtime", file: "/a" },
 * ]);
 * ```
 *
 * @param files The files, in the engine's order.
 * @param table The keys of the table of runtimes.
 * @param executable The keys of the executable within one runtime's table.
 * @returns The runtimes, in the order they first appear.
 */
export function runtimesOf(
  files: readonly ParsedFile[],
  table: readonly string[],
  executable: readonly string[],
): RuntimeStatus[] {
  const runtimes = new Map<string, RuntimeStatus>();
  for (const { path, data } of files) {
    const entries = valueAt(data, table);
    if (!isTable(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      const value = isTable(entry) ? valueAt(entry, executable) : undefined;
      const previous = runtimes.get(name);
      runtimes.set(name, {
        name,
        path: typeof value === "string" ? value : previous?.path ?? "",
        file: path,
      });
    }
  }
  return [...runtimes.values()];
}

/**
 * The status of an engine from what its files set: the runtimes, the default
 * runtime (or the engine's own when none is set) and CDI.
 *
 * @example Usage
 * ```ts
 * import { statusOf } from "./status.ts";
 * import { equal } from "node:assert/strict";
 *
 * const status = statusOf("crio", ["/etc/crio/crio.conf"], [], undefined, "crun", { enabled: true, file: "" });
 * equal(status.defaultRuntime, "crun");
 * ```
 *
 * @param engine The engine.
 * @param files The files read, in order.
 * @param runtimes The runtimes they define.
 * @param defaultRuntime The default runtime setting and its file, if any file sets it.
 * @param builtIn The engine's own default runtime.
 * @param cdi CDI.
 * @returns The status.
 */
export function statusOf(
  engine: EngineName,
  files: readonly string[],
  runtimes: RuntimeStatus[],
  defaultRuntime: Setting | undefined,
  builtIn: string,
  cdi: CdiStatus,
): EngineStatus {
  return {
    engine,
    files: [...files],
    runtimes,
    defaultRuntime: typeof defaultRuntime?.value === "string" ? defaultRuntime.value : builtIn,
    defaultFile: defaultRuntime?.file ?? "",
    cdi,
  };
}

/**
 * The status as text for a person: the default, CDI, the files, and one line
 * per runtime with its executable and its file.
 *
 * @example Usage
 * ```ts
 * import { engineStatus, renderStatus } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const status = await engineStatus("docker", [{ path: "/etc/docker/daemon.json", text: "{}" }]);
 * equal(
 *   renderStatus(status),
 *   "docker: default runtime runc (built in), CDI engine default (on since Docker 28.2, off before)\n" +
 *     "  files: /etc/docker/daemon.json\n" +
 *     "  runc  -  (built in)\n",
 * );
 * ```
 *
 * @param status What `engineStatus` found.
 * @returns The text.
 */
export function renderStatus(status: EngineStatus): string {
  const where = (file: string) => file === "" ? "built in" : file;
  const { cdi } = status;
  const cdiText = cdi.enabled === null
    ? `engine default (${cdi.engineDefault})`
    : `${cdi.enabled ? "enabled" : "disabled"} (${cdi.file || cdi.engineDefault || "built in"})`;
  const lines = [
    `${status.engine}: default runtime ${status.defaultRuntime} (${
      status.engineDefault ? `built in: ${status.engineDefault}` : where(status.defaultFile)
    }), CDI ${cdiText}`,
    `  files: ${status.files.length ? status.files.join(", ") : "none"}`,
  ];
  const pending = status.restartPending;
  if (pending) lines.push(`  restart pending since ${pending.since} (${pending.reason})`);
  const width = Math.max(...status.runtimes.map((runtime) => runtime.name.length));
  for (const runtime of status.runtimes) {
    lines.push(`  ${runtime.name.padEnd(width)}  ${runtime.path || "-"}  (${where(runtime.file)})`);
  }
  return lines.join("\n") + "\n";
}
