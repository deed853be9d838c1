/**
 * What an engine's configuration holds: its runtimes, their executables, the
 * default and CDI, and which file says so — as the engine reads its files.
 *
 * @module
 */

import type { EngineName } from "./engine.ts";
import { RtconfError } from "./errors.ts";
import { configVersion, criPluginId } from "./containerd/version.ts";
import { parseToml } from "./toml/document.ts";
import { isTable, type TomlTable, type TomlValue, valueAt } from "./toml/value.ts";

/**
 * One runtime an engine knows.
 *
 * @example Usage
 * ```ts
 * import { engineStatus, type RuntimeStatus } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const [runc]: RuntimeStatus[] = engineStatus("docker", []).runtimes;
 * equal(runc.file, "");
 * ```
 */
export interface RuntimeStatus {
  /** Its name. */
  name: string;
  /** Its executable (`""` when the engine finds it by name). */
  path: string;
  /** The file that defines it (`""`: built into the engine). */
  file: string;
}

/**
 * What an engine's configuration holds.
 *
 * @example Usage
 * ```ts
 * import { type EngineStatus, engineStatus } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const status: EngineStatus = engineStatus("crio", []);
 * equal(status.defaultRuntime, "crun");
 * ```
 */
export interface EngineStatus {
  /** The engine. */
  engine: EngineName;
  /** The files read, in the order the engine reads them (existing ones only). */
  files: string[];
  /** The runtimes. */
  runtimes: RuntimeStatus[];
  /** The default runtime. */
  defaultRuntime: string;
  /** The file that sets it (`""`: the engine's built-in default). */
  defaultFile: string;
  /** Whether CDI is on; `undefined` where the engine has no switch (CRI-O: always on). */
  cdi: boolean | undefined;
}

/**
 * A file's path and text.
 *
 * @example Usage
 * ```ts
 * import { engineStatus, type FileText } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const file: FileText = { path: "/etc/crio/crio.conf", text: '[crio.runtime]\ndefault_runtime = "runc"\n' };
 * equal(engineStatus("crio", [file]).defaultRuntime, "runc");
 * ```
 */
export interface FileText {
  /** The path. */
  path: string;
  /** The text. */
  text: string;
}

/** The engine's view of one setting: the value of the last file that has it. */
function lastValue(files: { path: string; data: TomlTable }[], path: string[]) {
  let found: { value: TomlValue; file: string } | undefined;
  for (const { path: file, data } of files) {
    const value = valueAt(data, path);
    if (value !== undefined) found = { value, file };
  }
  return found;
}

function runtimesOf(
  files: { path: string; data: TomlTable }[],
  table: string[],
  executable: string[],
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
 * The status of an engine from the texts of the files it reads, in the order
 * it reads them (containerd: config.toml, then its imports; CRI-O: crio.conf,
 * then crio.conf.d/*.toml; Docker: daemon.json).
 *
 * @example Usage
 * ```ts
 * import { engineStatus } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const status = engineStatus("docker", [{
 *   path: "/etc/docker/daemon.json",
 *   text: '{"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}, "default-runtime": "nvidia"}',
 * }]);
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.runtimes.find((r) => r.name === "nvidia")?.path, "nvidia-container-runtime");
 * ```
 *
 * @param engine The engine.
 * @param files The files it reads, in order.
 * @returns What they hold together.
 */
export function engineStatus(engine: EngineName, files: readonly FileText[]): EngineStatus {
  if (engine === "docker") {
    const file = files[0];
    let data: TomlTable = {};
    if (file && file.text.trim() !== "") {
      try {
        data = JSON.parse(file.text);
      } catch (error) {
        throw new RtconfError(`${file.path}: invalid JSON: ${(error as Error).message}`);
      }
    }
    const parsed = file ? [{ path: file.path, data }] : [];
    const runtimes = runtimesOf(parsed, ["runtimes"], ["path"]);
    if (!runtimes.some((runtime) => runtime.name === "runc")) {
      runtimes.unshift({ name: "runc", path: "", file: "" });
    }
    return summary(engine, files, runtimes, lastValue(parsed, ["default-runtime"]), "runc", {
      cdi: valueAt(data, ["features", "cdi"]) === true,
    });
  }
  const parsed = files.map(({ path, text }) => ({ path, data: parseToml(text, path) }));
  if (engine === "crio") {
    const runtime = ["crio", "runtime"];
    const runtimes = runtimesOf(parsed, [...runtime, "runtimes"], ["runtime_path"]);
    const defaultRuntime = lastValue(parsed, [...runtime, "default_runtime"]);
    return summary(engine, files, runtimes, defaultRuntime, "crun", { cdi: undefined });
  }
  const version = parsed[0] ? configVersion(parsed[0].data, parsed[0].path) : 2;
  const plugin = ["plugins", criPluginId(version)];
  const runtimes = runtimesOf(parsed, [...plugin, "containerd", "runtimes"], [
    "options",
    "BinaryName",
  ]);
  if (runtimes.length === 0) runtimes.push({ name: "runc", path: "", file: "" });
  const defaultRuntime = lastValue(parsed, [...plugin, "containerd", "default_runtime_name"]);
  const cdi = lastValue(parsed, [...plugin, "enable_cdi"]);
  return summary(engine, files, runtimes, defaultRuntime, "runc", {
    // containerd 2.x turns CDI on by default; 1.x off.
    cdi: cdi === undefined ? version >= 3 : cdi.value === true,
  });
}

/** The status from what was found; `builtIn` is the engine's default runtime when none is set. */
function summary(
  engine: EngineName,
  files: readonly FileText[],
  runtimes: RuntimeStatus[],
  defaultRuntime: { value: TomlValue; file: string } | undefined,
  builtIn: string,
  { cdi }: { cdi: boolean | undefined },
): EngineStatus {
  return {
    engine,
    files: files.map((file) => file.path),
    runtimes,
    defaultRuntime: typeof defaultRuntime?.value === "string" ? defaultRuntime.value : builtIn,
    defaultFile: defaultRuntime?.file ?? "",
    cdi,
  };
}

/**
 * The status as text for a person: the default, CDI, and one line per
 * runtime with its executable and its file.
 *
 * @example Usage
 * ```ts
 * import { engineStatus, renderStatus } from "@rtconf/rtconf";
 * import { match } from "node:assert/strict";
 *
 * const status = engineStatus("docker", [{ path: "/etc/docker/daemon.json", text: "{}" }]);
 * match(renderStatus(status), /^docker: default runtime runc/);
 * ```
 *
 * @param status What {@linkcode engineStatus} found.
 * @returns The text.
 */
export function renderStatus(status: EngineStatus): string {
  const where = (file: string) => file === "" ? "built in" : file;
  const cdi = status.cdi === undefined ? "always on" : status.cdi ? "enabled" : "disabled";
  const lines = [
    `${status.engine}: default runtime ${status.defaultRuntime} (${
      where(status.defaultFile)
    }), CDI ${cdi}`,
    `  files: ${status.files.length ? status.files.join(", ") : "none"}`,
  ];
  const width = Math.max(...status.runtimes.map((runtime) => runtime.name.length));
  for (const runtime of status.runtimes) {
    lines.push(`  ${runtime.name.padEnd(width)}  ${runtime.path || "-"}  (${where(runtime.file)})`);
  }
  return lines.join("\n") + "\n";
}
