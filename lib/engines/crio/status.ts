/**
 * `runtime status` for CRI-O: its runtimes and default from `crio.conf` and
 * then the files of `crio.conf.d`.
 *
 * @module
 */

import { parseToml } from "../../formats/toml/parse.ts";
import type { EngineStatus, FileText } from "../engine.ts";
import { lastValue, runtimesOf, statusOf } from "../status.ts";

/**
 * What CRI-O's configuration holds, from `crio.conf` and then the files of
 * `crio.conf.d`, later files over earlier ones. CRI-O's own default runtime
 * is `crun`, and it always has CDI.
 *
 * @example Usage
 * ```ts
 * import { crioStatus } from "./status.ts";
 * import { equal } from "node:assert/strict";
 *
 * const status = crioStatus([
 *   { path: "/etc/crio/crio.conf", text: '[crio.runtime]\ndefault_runtime = "runc"\n' },
 *   { path: "/etc/crio/crio.conf.d/99-nvidia.toml", text: '[crio.runtime]\ndefault_runtime = "nvidia"\n' },
 * ]);
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.cdi.enabled, true);
 * ```
 *
 * @param files `crio.conf` and the files of `crio.conf.d`, in order.
 * @returns The status.
 * @throws {RtconfError} for a file that is not valid TOML.
 */
export function crioStatus(files: readonly FileText[]): EngineStatus {
  const parsed = files.map(({ path, text }) => ({ path, data: parseToml(text, path) }));
  const runtime = ["crio", "runtime"];
  return statusOf(
    "crio",
    files,
    runtimesOf(parsed, [...runtime, "runtimes"], ["runtime_path"]),
    lastValue(parsed, [...runtime, "default_runtime"]),
    "crun",
    { enabled: true, file: "", engineDefault: "always on" },
  );
}
