/**
 * containerd's `imports`: which files a file pulls in, and whether a list
 * already loads a file.
 *
 * @module
 */

import { globMatches } from "../../glob.ts";
import { basename, dirname, isAbsolute, resolve } from "../../path.ts";
import type { TomlValue } from "../../formats/toml/values.ts";
import type { FileGlob } from "../engine.ts";

/**
 * Whether an `imports` list already loads a file, for every containerd
 * release: an entry names it, or a pattern matches it. A relative entry is
 * relative to the directory of the file that names it; but containerd
 * 1.6.0-1.6.28 and 1.7.0-1.7.15 match a relative pattern with `*` against
 * their working directory (`/` under systemd), so such an entry does not
 * count.
 *
 * @example Usage
 * ```ts
 * import { importsFile } from "./imports.ts";
 * import { equal } from "node:assert/strict";
 *
 * const config = "/etc/containerd/config.toml";
 * equal(importsFile(["/etc/containerd/conf.d/*.toml"], config, "/etc/containerd/conf.d/99-nvidia.toml"), true);
 * // containerd 1.6.20 looks for a relative pattern under its working directory.
 * equal(importsFile(["conf.d/*.toml"], config, "/etc/containerd/conf.d/99-nvidia.toml"), false);
 * equal(importsFile(["/etc/containerd/other.toml"], config, "/etc/containerd/conf.d/99-nvidia.toml"), false);
 * ```
 *
 * @param imports The `imports` value.
 * @param configPath The main config.
 * @param file The file.
 * @returns `true` when containerd loads the file.
 */
export function importsFile(
  imports: TomlValue | undefined,
  configPath: string,
  file: string,
): boolean {
  if (!Array.isArray(imports)) return false;
  return imports.some((item) =>
    typeof item === "string" && (isAbsolute(item) || !item.includes("*")) &&
    globMatches(resolve(dirname(configPath), item), file)
  );
}

/**
 * The files an `imports` list loads, as globs in the list's order; relative
 * entries are relative to the main config's directory.
 *
 * @example Usage
 * ```ts
 * import { importGlobs } from "./imports.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(importGlobs(["conf.d/*.toml", "/opt/extra.toml"], "/etc/containerd/config.toml"), [
 *   { dir: "/etc/containerd/conf.d", pattern: "*.toml" },
 *   { dir: "/opt", pattern: "extra.toml" },
 * ]);
 * ```
 *
 * @param imports The `imports` value.
 * @param file The file that names them (relative entries are relative to its directory).
 * @returns The globs.
 */
export function importGlobs(imports: TomlValue | undefined, file: string): FileGlob[] {
  if (!Array.isArray(imports)) return [];
  const globs: FileGlob[] = [];
  for (const item of imports) {
    if (typeof item !== "string") continue;
    const path = resolve(dirname(file), item);
    globs.push({ dir: dirname(path), pattern: basename(path) });
  }
  return globs;
}
