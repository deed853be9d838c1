/**
 * containerd's effective configuration: the files it loads and how it merges
 * them, for each family of releases whose rules differ.
 *
 * - Loading (all releases): the main config, then its `imports`,
 *   breadth-first; a relative entry is relative to the directory of the file
 *   that names it; an entry with `*` is a glob (lexical order); a path is
 *   loaded once.
 * - containerd 1.6 and 1.7 merge top-level settings key by key but replace
 *   a plugin's whole section with the section of each later file that has it;
 *   a CRI section with any `runtimes` table has no built-in `runc`; the
 *   deprecated `containerd.default_runtime` table, when it has a
 *   `runtime_type`, is the default whatever `default_runtime_name` says.
 * - containerd 2.0 and 2.1 merge every table key by key (a later file wins,
 *   even with an empty value); the last file that sets `version` decides the
 *   version of the whole; a merged version 2 moves the CRI settings of
 *   `io.containerd.grpc.v1.cri` to `io.containerd.cri.v1.runtime` (keys that
 *   are already there win), a merged version 3 ignores the old section;
 *   `runc` is always there; CDI is on unless a file turns it off.
 *
 * @module
 */

import { globMatches } from "../../glob.ts";
import { dirname, resolve } from "../../path.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import {
  isTable,
  overlayTables,
  setKey,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../../formats/toml/values.ts";
import type { FileTexts } from "../engine.ts";
import { builtInRunc, DEFAULT_RUNTIME_TYPE } from "./cri_rules.ts";

/** The families of containerd releases whose config loading differs. */
export type Release = "1.x" | "2.x";

/** A file containerd loads, and what it holds. */
export interface LoadedFile {
  /** Its path. */
  path: string;
  /** Its content. */
  data: TomlTable;
}

/** The id of the version 2 CRI plugin, and of the plugin that holds its runtimes in version 3. */
const CRI_V2 = "io.containerd.grpc.v1.cri";
const CRI_V3 = "io.containerd.cri.v1.runtime";

/**
 * The releases that read a config of this version: version 1 only 1.x
 * (2.x ignores its CRI settings), version 2 both, version 3 and later 2.x.
 *
 * @example Usage
 * ```ts
 * import { readers } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(readers(2), ["1.x", "2.x"]);
 * deepEqual(readers(3), ["2.x"]);
 * ```
 *
 * @param version The main config's version.
 * @returns The families.
 */
export function readers(version: number): Release[] {
  if (version === 1) return ["1.x"];
  if (version === 2) return ["1.x", "2.x"];
  return ["2.x"];
}

/**
 * The files an `imports` list names, in containerd's order, among the files
 * whose texts are known (`undefined`: missing).
 */
function imported(file: LoadedFile, texts: FileTexts): string[] {
  const imports = file.data.imports;
  if (!Array.isArray(imports)) return [];
  const known = Object.keys(texts).filter((path) => texts[path] !== undefined).sort();
  const found: string[] = [];
  for (const item of imports) {
    if (typeof item !== "string") continue;
    const path = resolve(dirname(file.path), item);
    if (path.includes("*")) found.push(...known.filter((other) => globMatches(path, other)));
    else if (texts[path] !== undefined) found.push(path);
  }
  return found;
}

/**
 * The files containerd loads from a main config, in its order: the main
 * config, then what it imports, breadth-first.
 *
 * @example Usage
 * ```ts
 * import { loadOrder } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const texts = {
 *   "/etc/containerd/config.toml": 'version = 2\nimports = ["conf.d/*.toml"]\n',
 *   "/etc/containerd/conf.d/20-b.toml": 'imports = ["/opt/c.toml"]\n',
 *   "/etc/containerd/conf.d/10-a.toml": "",
 *   "/opt/c.toml": "",
 * };
 * deepEqual(loadOrder("/etc/containerd/config.toml", texts).map((file) => file.path), [
 *   "/etc/containerd/config.toml",
 *   "/etc/containerd/conf.d/10-a.toml",
 *   "/etc/containerd/conf.d/20-b.toml",
 *   "/opt/c.toml",
 * ]);
 * ```
 *
 * @param configPath The main config.
 * @param texts The texts of the files, by path (the main config's and every file it may import).
 * @returns The files, parsed, in order; a missing main config is an empty one.
 * @throws {RtconfError} for a file that is not TOML 1.0.
 */
export function loadOrder(configPath: string, texts: FileTexts): LoadedFile[] {
  const order: LoadedFile[] = [];
  const seen = new Set<string>();
  const pending = [configPath];
  while (pending.length > 0) {
    const path = pending.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const file = { path, data: parseToml(texts[path] ?? "", path) };
    order.push(file);
    pending.push(...imported(file, texts));
  }
  return order;
}

/** Whether a value counts as set for containerd 1.x's merge (Go's zero values do not). */
function nonZero(value: TomlValue): boolean {
  return value !== 0n && value !== 0 && value !== "" && value !== false;
}

/**
 * containerd 1.x's merge of one file into the merged config. Like every
 * merge here, it copies only what it changes: the merged config shares the
 * rest with the files' (read-only) values.
 */
function mergeV1(into: TomlTable, file: TomlTable): TomlTable {
  const merged = { ...into };
  for (const [key, value] of Object.entries(file)) {
    const under = Object.hasOwn(into, key) ? into[key] : undefined;
    if (key === "plugins" && isTable(value)) {
      // Each plugin's section is replaced whole.
      if (isTable(under)) {
        const plugins = { ...under };
        for (const [id, section] of Object.entries(value)) setKey(plugins, id, section);
        merged.plugins = plugins;
      } else {
        merged.plugins = value;
      }
    } else if (Array.isArray(value)) {
      setKey(merged, key, Array.isArray(under) ? [...under, ...value] : value);
    } else if (isTable(value)) {
      setKey(merged, key, isTable(under) ? overlayTables(under, value) : value);
    } else if (nonZero(value) || under === undefined) {
      setKey(merged, key, value);
    }
  }
  return merged;
}

/** containerd 2.x's merge: table by table; top-level lists are joined without repeats. */
function mergeV2(into: TomlTable, file: TomlTable): TomlTable {
  const merged = overlayTables(into, file);
  for (const [key, value] of Object.entries(file)) {
    const under = Object.hasOwn(into, key) ? into[key] : undefined;
    if (Array.isArray(value) && Array.isArray(under)) {
      const joined = [...under];
      for (const item of value) {
        if (!joined.some((other) => JSON.stringify(other) === JSON.stringify(item))) {
          joined.push(item);
        }
      }
      setKey(merged, key, joined);
    }
    if (key === "version" && (value === 0n || value === 0)) merged.version = under ?? value;
  }
  return merged;
}

/**
 * The merged configuration of the files as a release merges them (before any
 * plugin reads its section).
 *
 * @example Usage
 * ```ts
 * import { type LoadedFile, mergedConfig } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const files: LoadedFile[] = [
 *   { path: "/a", data: { plugins: { cri: { x: 1n, y: 1n } } } },
 *   { path: "/b", data: { plugins: { cri: { y: 2n } } } },
 * ];
 * deepEqual(mergedConfig(files, "1.x").plugins, { cri: { y: 2n } });
 * deepEqual(mergedConfig(files, "2.x").plugins, { cri: { x: 1n, y: 2n } });
 * ```
 *
 * @param files The files, in load order.
 * @param release The family of releases.
 * @returns The merged configuration.
 */
export function mergedConfig(files: readonly LoadedFile[], release: Release): TomlTable {
  const merge = release === "1.x" ? mergeV1 : mergeV2;
  return files.reduce((merged: TomlTable, file) => merge(merged, file.data), {});
}

/** The runtime settings of the CRI plugin, as a release uses them. */
export interface CriView {
  /** The plugin id whose section holds them in the merged config. */
  plugin: string;
  /** The runtimes, by name, as the CRI plugin has them (built-in `runc` included). */
  runtimes: Record<string, TomlTable>;
  /** The runtimes as the files define them, merged (without the built-in runtime's settings). */
  declared: Record<string, TomlTable>;
  /** The default runtime's name. */
  defaultRuntime: string;
  /** What makes the default, when not `default_runtime_name` (1.x's deprecated table). */
  defaultFrom?: string;
  /** Whether CDI is on (`undefined`: the release has no default to say). */
  cdi: boolean | undefined;
}

/** The runtime containerd has built in (read-only: views share it). */
const BUILT_IN_RUNC: TomlTable = Object.freeze(builtInRunc(DEFAULT_RUNTIME_TYPE));

/** The key of the version 2 CRI section that stay with the gRPC plugin or go to the images plugin. */
const NOT_RUNTIME_KEYS = new Set([
  "disable_tcp_service",
  "stream_server_address",
  "stream_server_port",
  "stream_idle_timeout",
  "enable_tls_streaming",
  "x509_key_pair_streaming",
  "sandbox_image",
  "registry",
  "image_decryption",
  "max_concurrent_downloads",
  "image_pull_progress_timeout",
  "image_pull_with_sync_fs",
  "stats_collect_period",
]);

/** containerd 2.x's move of a version 2 CRI section into the runtime plugin's (keys there win). */
function migrated(v2: TomlTable, v3: TomlTable): TomlTable {
  const section = { ...v3 };
  for (const [key, value] of Object.entries(v2)) {
    if (NOT_RUNTIME_KEYS.has(key)) continue;
    if (key === "containerd" && isTable(value)) {
      const into = { ...(isTable(section.containerd) ? section.containerd : {}) };
      for (const [inner, setting] of Object.entries(value)) {
        if (
          ["snapshotter", "disable_snapshot_annotations", "discard_unpacked_layers"].includes(inner)
        ) {
          continue;
        }
        if (!Object.hasOwn(into, inner)) setKey(into, inner, setting);
      }
      section.containerd = into;
    } else if (!Object.hasOwn(section, key)) {
      setKey(section, key, value);
    }
  }
  return section;
}

/**
 * The runtime settings the CRI plugin of a release uses, from a merged
 * configuration whose main config has version `version`.
 *
 * @example Usage
 * ```ts
 * import { criView } from "./effective.ts";
 * import { equal } from "node:assert/strict";
 *
 * const merged = {
 *   version: 2n,
 *   plugins: { "io.containerd.grpc.v1.cri": { containerd: { runtimes: { kata: { runtime_type: "io.containerd.kata.v2" } } } } },
 * };
 * equal(Object.keys(criView(merged, "1.x").runtimes).join(), "kata");
 * equal(Object.keys(criView(merged, "2.x").runtimes).sort().join(), "kata,runc");
 * ```
 *
 * @param merged The merged configuration of the release.
 * @param release The family of releases.
 * @param mainVersion The main config's version, for a merged config without `version`.
 * @returns The runtimes, the default and CDI.
 */
export function criView(merged: TomlTable, release: Release, mainVersion = 2): CriView {
  const version = typeof merged.version === "bigint" ? Number(merged.version) : mainVersion;
  if (release === "1.x") {
    const plugin = version === 1 ? "cri" : CRI_V2;
    const section = valueAt(merged, ["plugins", plugin]);
    const containerd = isTable(section) ? valueAt(section, ["containerd"]) : undefined;
    const tables = isTable(containerd) && isTable(containerd.runtimes)
      ? containerd.runtimes
      : undefined;
    const runtimes: Record<string, TomlTable> = {};
    for (const [name, table] of Object.entries(tables ?? { runc: BUILT_IN_RUNC })) {
      // 1.7 runs a runtime without sandbox_mode in podsandbox mode; 1.6 has no such key.
      if (isTable(table)) {
        runtimes[name] = table.sandbox_mode ? table : { ...table, sandbox_mode: "podsandbox" };
      }
    }
    const declared: Record<string, TomlTable> = {};
    for (const [name, table] of Object.entries(tables ?? {})) {
      if (isTable(table)) declared[name] = table;
    }
    const name = isTable(containerd) && typeof containerd.default_runtime_name === "string"
      ? containerd.default_runtime_name
      : "runc";
    const deprecated = isTable(containerd) ? containerd.default_runtime : undefined;
    if (
      isTable(deprecated) && typeof deprecated.runtime_type === "string" && deprecated.runtime_type
    ) {
      runtimes.default = deprecated;
      return {
        plugin,
        runtimes,
        declared: { ...declared, default: deprecated },
        defaultRuntime: "default",
        defaultFrom: `the deprecated [plugins.${
          JSON.stringify(plugin)
        }.containerd.default_runtime] table`,
        cdi: isTable(section) && typeof section.enable_cdi === "boolean"
          ? section.enable_cdi
          : false,
      };
    }
    const cdi = isTable(section) && typeof section.enable_cdi === "boolean"
      ? section.enable_cdi
      : false;
    return { plugin, runtimes, declared, defaultRuntime: name, cdi };
  }
  const plugins = isTable(merged.plugins) ? merged.plugins : {};
  const v3 = isTable(plugins[CRI_V3]) ? plugins[CRI_V3] : {};
  const section = version < 3 && isTable(plugins[CRI_V2]) ? migrated(plugins[CRI_V2], v3) : v3;
  const containerd = isTable(section.containerd) ? section.containerd : {};
  const tables = isTable(containerd.runtimes) ? containerd.runtimes : {};
  const runtimes: Record<string, TomlTable> = {};
  for (const [name, table] of Object.entries(tables)) if (isTable(table)) runtimes[name] = table;
  const declared = { ...runtimes };
  runtimes.runc = overlayTables(BUILT_IN_RUNC, runtimes.runc ?? {});
  return {
    plugin: CRI_V3,
    runtimes,
    declared,
    defaultRuntime: typeof containerd.default_runtime_name === "string" &&
        containerd.default_runtime_name
      ? containerd.default_runtime_name
      : "runc",
    cdi: typeof section.enable_cdi === "boolean" ? section.enable_cdi : true,
  };
}
