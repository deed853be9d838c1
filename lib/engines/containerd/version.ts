/**
 * containerd's config versions and the CRI plugin id each one uses.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import type { TomlTable } from "../../formats/toml/values.ts";

/**
 * The config version of a containerd config, as nvidia-ctk and containerd
 * read it: no content at all (missing, empty or comments only) is version 2
 * (1 in nvidia-ctk-installer's legacy mode),
 * content without `version` is version 1, otherwise the integer given.
 *
 * @example Usage
 * ```ts
 * import { configVersion } from "./version.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(configVersion({}, "/etc/containerd/config.toml"), 2);
 * equal(configVersion({ root: "/var/lib/containerd" }, "/etc/containerd/config.toml"), 1);
 * equal(configVersion({ version: 3n }, "/etc/containerd/config.toml"), 3);
 * equal(configVersion({}, "/etc/containerd/config.toml", true), 1);
 * ```
 *
 * @param data The parsed config.
 * @param file The file it came from, for the error message.
 * @param legacy nvidia-ctk-installer's legacy mode: no content at all is version 1.
 * @returns The version.
 * @throws {RtconfError} when `version` is not an integer.
 */
export function configVersion(data: TomlTable, file: string, legacy = false): number {
  if (Object.keys(data).length === 0) return legacy ? 1 : 2;
  const version = data.version;
  if (version === undefined) return 1;
  if (typeof version !== "bigint") {
    throw new RtconfError(
      `${file}: failed to parse config version: unsupported type for version field: ${
        JSON.stringify(version)
      }`,
    );
  }
  return Number(version);
}

/**
 * The id of the CRI plugin that holds the runtimes in a config version:
 * `cri` (1), `io.containerd.grpc.v1.cri` (2), `io.containerd.cri.v1.runtime`
 * (3 and any other).
 *
 * @example Usage
 * ```ts
 * import { criPluginId } from "./version.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(criPluginId(2), "io.containerd.grpc.v1.cri");
 * equal(criPluginId(3), "io.containerd.cri.v1.runtime");
 * ```
 *
 * @param version The config version.
 * @returns The plugin id.
 */
export function criPluginId(version: number): string {
  if (version === 1) return "cri";
  if (version === 2) return "io.containerd.grpc.v1.cri";
  return "io.containerd.cri.v1.runtime";
}
