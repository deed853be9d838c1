/**
 * `runtime status` for Docker: its runtimes, default and CDI from
 * `daemon.json`, read as strictly as configure reads it.
 *
 * @module
 */

import { parseJsonConfig } from "../../formats/json/parse.ts";
import type { TomlTable } from "../../formats/toml/values.ts";
import type { EngineStatus, FileText } from "../engine.ts";
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
 * const status = dockerStatus([{
 *   path: "/etc/docker/daemon.json",
 *   text: '\uFEFF{"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}, "default-runtime": "nvidia"}',
 * }]);
 * equal(status.defaultRuntime, "nvidia");
 * deepEqual(status.runtimes.map((runtime) => runtime.name), ["runc", "nvidia"]);
 * ```
 *
 * @param files `daemon.json`, when it exists.
 * @returns The status.
 * @throws {RtconfError} for a file that is not strict JSON or not an object.
 */
export function dockerStatus(files: readonly FileText[]): EngineStatus {
  const parsed = files.slice(0, 1).map(({ path, text }) => ({
    path,
    data: parseJsonConfig(text, path) as TomlTable,
  }));
  const runtimes = runtimesOf(parsed, ["runtimes"], ["path"]);
  if (!runtimes.some((runtime) => runtime.name === "runc")) {
    runtimes.unshift({ name: "runc", path: "", file: "" });
  }
  const cdi = lastValue(parsed, ["features", "cdi"]);
  return statusOf(
    "docker",
    files.slice(0, 1),
    runtimes,
    lastValue(parsed, ["default-runtime"]),
    "runc",
    cdi === undefined
      ? { enabled: null, file: "", engineDefault: "on since Docker 28.2, off before" }
      : { enabled: cdi.value === true, file: cdi.file },
  );
}
