/**
 * `runtime status` for containerd: its runtimes, default and CDI as
 * containerd uses them, from the main config and the files it imports.
 *
 * @module
 */

import { isTable, valueAt } from "../../formats/toml/values.ts";
import type { EngineOptions, EngineStatus, FileTexts } from "../engine.ts";
import { statusOf } from "../status.ts";
import { criView, mergedConfig, readers } from "./effective.ts";
import { loadedFiles } from "./views.ts";
import { configVersion } from "./version.ts";

/** CDI when no file sets it, per config version: containerd 1.7 defaults it off, 2.x on. */
function cdiDefault(version: number): EngineStatus["cdi"] {
  if (version === 1) return { enabled: false, file: "", engineDefault: "containerd 1.x default" };
  if (version >= 3) return { enabled: true, file: "", engineDefault: "containerd 2.x default" };
  return { enabled: null, file: "", engineDefault: "on in containerd 2.x, off in 1.x" };
}

/**
 * What containerd's configuration holds, as the newest release that reads
 * its version uses it: the main config, then the files it imports,
 * breadth-first. Each setting names the last file that sets it; runtimes
 * that no file defines are containerd's own (`runc`).
 *
 * @example Usage
 * ```ts
 * import { containerdStatus } from "./status.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const status = containerdStatus({
 *   "/etc/containerd/config.toml": 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n',
 *   "/etc/containerd/conf.d/99-nvidia.toml": 'version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd]\ndefault_runtime_name = "nvidia"\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.nvidia.options]\nBinaryName = "/usr/bin/nvidia-container-runtime"\n',
 * }, { configPath: "/etc/containerd/config.toml", dropInPath: "" });
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.defaultFile, "/etc/containerd/conf.d/99-nvidia.toml");
 * deepEqual(status.cdi, { enabled: true, file: "", engineDefault: "containerd 2.x default" });
 * ```
 *
 * @param texts The files' texts.
 * @param options The main config.
 * @returns The status.
 * @throws {RtconfError} for a file that is not valid TOML.
 */
export function containerdStatus(texts: FileTexts, options: EngineOptions): EngineStatus {
  const files = loadedFiles(texts, { ...options, source: undefined })
    .filter((file) => texts[file.path] !== undefined);
  const version = configVersion(files[0]?.data ?? {}, options.configPath);
  const release = readers(version).at(-1)!;
  const view = criView(mergedConfig(files, release), release, version);
  // The file that sets a value last, under the version 2 or the version 3 plugin id.
  const from = (...keys: string[]): string => {
    let found = "";
    for (const file of files) {
      const plugins = isTable(file.data.plugins) ? file.data.plugins : {};
      if (
        Object.values(plugins).some((section) =>
          isTable(section) && valueAt(section, keys) !== undefined
        )
      ) {
        found = file.path;
      }
    }
    return found;
  };
  const runtimes = Object.entries(view.runtimes).map(([name, table]) => {
    const binary = isTable(table.options) ? table.options.BinaryName : undefined;
    return {
      name,
      path: typeof binary === "string" ? binary : "",
      file: from("containerd", "runtimes", name),
    };
  });
  const defaultFile = view.defaultFrom === undefined
    ? from("containerd", "default_runtime_name")
    : from("containerd", "default_runtime");
  const cdiFile = from("enable_cdi");
  return statusOf(
    "containerd",
    files.map((file) => file.path),
    runtimes,
    defaultFile === "" ? undefined : { value: view.defaultRuntime, file: defaultFile },
    view.defaultRuntime,
    cdiFile === "" ? cdiDefault(version) : { enabled: view.cdi === true, file: cdiFile },
  );
}
