/**
 * `runtime status` for CRI-O: its runtimes and default as CRI-O uses them,
 * from `crio.conf` and then the files of `crio.conf.d`.
 *
 * @module
 */

import type { EngineOptions, EngineStatus, FileTexts } from "../engine.ts";
import { lastValue, runtimesOf, statusOf } from "../status.ts";
import { BUILT_IN_DEFAULT, CRIO_KEYS, crioFiles, crioView, mergedCrio } from "./effective.ts";

/**
 * What CRI-O's configuration holds, from `crio.conf` and then the files of
 * its drop-in directory, later files over earlier ones. CRI-O's own default
 * runtime is `crun`, and it always has CDI.
 *
 * @example Usage
 * ```ts
 * import { crioStatus } from "./status.ts";
 * import { equal } from "node:assert/strict";
 *
 * const status = crioStatus({
 *   "/etc/crio/crio.conf": '[crio.runtime]\ndefault_runtime = "runc"\n',
 *   "/etc/crio/crio.conf.d/99-nvidia.toml": '[crio.runtime]\ndefault_runtime = "nvidia"\n',
 * }, { configPath: "/etc/crio/crio.conf", dropInPath: "" });
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.defaultFile, "/etc/crio/crio.conf.d/99-nvidia.toml");
 * equal(status.cdi.enabled, true);
 * ```
 *
 * @param texts The files' texts.
 * @param options The main config and the drop-in.
 * @returns The status.
 * @throws {RtconfError} for a file that is not valid TOML.
 */
export function crioStatus(texts: FileTexts, options: EngineOptions): EngineStatus {
  const files = crioFiles(texts, options);
  const view = crioView(mergedCrio(files));
  // A runtime named again is replaced whole: its executable is the last file's.
  const runtimes = runtimesOf(files, CRIO_KEYS.runtime("").slice(0, -1), ["runtime_path"])
    .filter((runtime) => runtime.name in view.runtimes);
  return statusOf(
    "crio",
    files.map((file) => file.path),
    runtimes,
    lastValue(files, CRIO_KEYS.defaultRuntime),
    BUILT_IN_DEFAULT,
    { enabled: true, file: "", engineDefault: "always on" },
  );
}
