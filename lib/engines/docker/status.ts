/**
 * `runtime status` for Docker: its runtimes, default and CDI from
 * `daemon.json`, read as strictly as configure reads it.
 *
 * @module
 */

import { parseJsonConfig } from "../../formats/json/parse.ts";
import type { TomlTable } from "../../formats/toml/values.ts";
import type { EngineOptions, EngineStatus, FileTexts } from "../engine.ts";
import { lastValue, runtimesOf, statusOf } from "../status.ts";

/**
 * What Docker's configuration holds, from `daemon.json`. dockerd always has
 * `runc`, its own default; CDI is on by default since Docker 28.2.
 *
 * @example Usage
 * ```ts
 * import { dockerStatus } from "./status.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const status = dockerStatus({
 *   "/etc/docker/daemon.json": '\uFEFF{"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}, "default-runtime": "nvidia"}',
 * }, { configPath: "/etc/docker/daemon.json", dropInPath: "" });
 * equal(status.defaultRuntime, "nvidia");
 * deepEqual(status.runtimes.map((runtime) => runtime.name), ["runc", "nvidia"]);
 * ```
 *
 * @param texts The files' texts.
 * @param options The config file.
 * @returns The status.
 * @throws {RtconfError} for a file that is not strict JSON or not an object.
 */
export function dockerStatus(texts: FileTexts, options: EngineOptions): EngineStatus {
  const text = texts[options.configPath];
  const parsed = text === undefined
    ? []
    : [{ path: options.configPath, data: parseJsonConfig(text, options.configPath) as TomlTable }];
  const runtimes = runtimesOf(parsed, ["runtimes"], ["path"]);
  if (!runtimes.some((runtime) => runtime.name === "runc")) {
    runtimes.unshift({ name: "runc", path: "", file: "" });
  }
  const cdi = lastValue(parsed, ["features", "cdi"]);
  return statusOf(
    "docker",
    parsed.map((file) => file.path),
    runtimes,
    lastValue(parsed, ["default-runtime"]),
    "runc",
    cdi === undefined
      ? { enabled: null, file: "", engineDefault: "on since Docker 28.2, off before" }
      : { enabled: cdi.value === true, file: cdi.file },
  );
}
