/**
 * `runtime status` for containerd: its runtimes, default and CDI from the
 * main config and the files it imports.
 *
 * @module
 */

import { parseToml } from "../../formats/toml/parse.ts";
import type { EngineStatus, FileText } from "../engine.ts";
import { lastValue, runtimesOf, statusOf } from "../status.ts";
import { configVersion, criPluginId } from "./version.ts";

/** CDI when no file sets it, per config version: containerd 1.7 defaults it off, 2.x on. */
function cdiDefault(version: number): EngineStatus["cdi"] {
  if (version === 1) return { enabled: false, file: "", engineDefault: "containerd 1.x default" };
  if (version >= 3) return { enabled: true, file: "", engineDefault: "containerd 2.x default" };
  return { enabled: null, file: "", engineDefault: "on in containerd 2.x, off in 1.x" };
}

/**
 * What containerd's configuration holds, from its main config and then the
 * files it imports. A config with no runtimes has containerd's built-in
 * `runc`.
 *
 * @example Usage
 * ```ts
 * import { containerdStatus } from "./status.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const status = containerdStatus([
 *   { path: "/etc/containerd/config.toml", text: 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n' },
 *   { path: "/etc/containerd/conf.d/99-nvidia.toml", text: 'version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd]\ndefault_runtime_name = "nvidia"\n' },
 * ]);
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.defaultFile, "/etc/containerd/conf.d/99-nvidia.toml");
 * deepEqual(status.cdi, { enabled: true, file: "", engineDefault: "containerd 2.x default" });
 * ```
 *
 * @param files The main config and the files it imports, in order.
 * @returns The status.
 * @throws {RtconfError} for a file that is not valid TOML.
 */
export function containerdStatus(files: readonly FileText[]): EngineStatus {
  const parsed = files.map(({ path, text }) => ({ path, data: parseToml(text, path) }));
  const version = parsed[0] ? configVersion(parsed[0].data, parsed[0].path) : 2;
  const plugin = ["plugins", criPluginId(version)];
  const runtimes = runtimesOf(parsed, [...plugin, "containerd", "runtimes"], [
    "options",
    "BinaryName",
  ]);
  if (runtimes.length === 0) runtimes.push({ name: "runc", path: "", file: "" });
  const defaultRuntime = lastValue(parsed, [...plugin, "containerd", "default_runtime_name"]);
  const cdi = lastValue(parsed, [...plugin, "enable_cdi"]);
  return statusOf(
    "containerd",
    files,
    runtimes,
    defaultRuntime,
    "runc",
    cdi === undefined ? cdiDefault(version) : { enabled: cdi.value === true, file: cdi.file },
  );
}
