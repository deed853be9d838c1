/**
 * CRI-O's effective configuration: `crio.conf`, then every file of its
 * drop-in directory (any name, subdirectories too, each directory's entries
 * in lexical order), each decoded over what came before: a setting a file
 * names replaces the one before, tables merge key by key, and a runtime that
 * a later file names again is replaced whole. CRI-O's own default runtime
 * (`crun` since CRI-O 1.31) is there unless a file redefines it.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import {
  copyValue,
  isTable,
  mergeTables,
  type TomlTable,
  valueAt,
} from "../../formats/toml/values.ts";
import { basename, dirname, join } from "../../path.ts";
import type { Rule } from "../../rules.ts";
import type { EffectiveView, EngineOptions, FileTexts } from "../engine.ts";
import type { SettingKeys } from "../engine.ts";

/** Where CRI-O's drop-ins are, by default. */
export const DROP_IN_DIR = "/etc/crio/crio.conf.d";

/** CRI-O's own default runtime (since 1.31; `runc` before). */
export const BUILT_IN_DEFAULT = "crun";

const RUNTIME = ["crio", "runtime"];
const RUNTIMES = [...RUNTIME, "runtimes"];
const DEFAULT = [...RUNTIME, "default_runtime"];

/**
 * Where CRI-O keeps the settings rtconf changes.
 */
export const CRIO_KEYS: SettingKeys = {
  runtime: (name) => [...RUNTIMES, name],
  runtimeExecutable: (name) => [...RUNTIMES, name, "runtime_path"],
  defaultRuntime: DEFAULT,
};

/** A file CRI-O reads, and what it holds. */
export interface CrioFile {
  /** Its path. */
  path: string;
  /** Its content. */
  data: TomlTable;
}

/**
 * The drop-in directory CRI-O reads: `crio.conf.d` beside its main config
 * (`/etc/crio/crio.conf.d`, CRI-O's `config_dir`).
 *
 * @example Usage
 * ```ts
 * import { dropInDir } from "./effective.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(dropInDir({ configPath: "/etc/crio/crio.conf", dropInPath: "" }), "/etc/crio/crio.conf.d");
 * ```
 *
 * @param options The main config.
 * @returns The directory.
 */
export function dropInDir(options: EngineOptions): string {
  return join(dirname(options.configPath), basename(DROP_IN_DIR));
}

/** Whether `a` comes before `b` in a walk of their directory tree (each directory's entries sorted). */
function walkOrder(a: string, b: string): number {
  const x = a.split("/"), y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * The files CRI-O reads, in its order, among the files whose texts are known:
 * `crio.conf`, then the drop-in directory's files.
 *
 * @example Usage
 * ```ts
 * import { crioFiles } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const texts = {
 *   "/etc/crio/crio.conf": "",
 *   "/etc/crio/crio.conf.d/99-nvidia.toml": "",
 *   "/etc/crio/crio.conf.d/10-crio.conf": "",
 *   "/etc/crio/crio.conf.d/sub/50-x": "",
 *   "/etc/other.toml": "",
 * };
 * deepEqual(crioFiles(texts, { configPath: "/etc/crio/crio.conf", dropInPath: "" }).map((f) => f.path), [
 *   "/etc/crio/crio.conf",
 *   "/etc/crio/crio.conf.d/10-crio.conf",
 *   "/etc/crio/crio.conf.d/99-nvidia.toml",
 *   "/etc/crio/crio.conf.d/sub/50-x",
 * ]);
 * ```
 *
 * @param texts The files' texts (`undefined`: missing).
 * @param options The main config and the drop-in.
 * @returns The existing files, parsed, in order.
 * @throws {RtconfError} for a file that is not TOML 1.0.
 */
export function crioFiles(texts: FileTexts, options: EngineOptions): CrioFile[] {
  const dir = `${dropInDir(options)}/`;
  const paths = Object.keys(texts)
    .filter((path) => texts[path] !== undefined && path.startsWith(dir))
    .sort(walkOrder);
  if (texts[options.configPath] !== undefined) paths.unshift(options.configPath);
  return paths.map((path) => ({ path, data: parseToml(texts[path]!, path) }));
}

/**
 * The files merged as CRI-O decodes them, one over the other.
 *
 * @example Usage
 * ```ts
 * import { mergedCrio } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const merged = mergedCrio([
 *   { path: "/a", data: { crio: { runtime: { runtimes: { runc: { runtime_path: "/a", runtime_root: "/run/runc" } } } } } },
 *   { path: "/b", data: { crio: { runtime: { runtimes: { runc: { runtime_path: "/b" } } } } } },
 * ]);
 * deepEqual(merged, { crio: { runtime: { runtimes: { runc: { runtime_path: "/b" } } } } });
 * ```
 *
 * @param files The files, in order.
 * @returns The merged configuration.
 */
export function mergedCrio(files: readonly CrioFile[]): TomlTable {
  let merged: TomlTable = {};
  for (const { data } of files) {
    const runtimes = valueAt(data, RUNTIMES);
    merged = mergeTables(merged, data);
    if (isTable(runtimes)) {
      // A runtime named again starts afresh.
      const into = valueAt(merged, RUNTIMES) as TomlTable;
      for (const [name, table] of Object.entries(runtimes)) into[name] = copyValue(table);
    }
  }
  return merged;
}

/** The runtimes and the default CRI-O uses, from the merged files. */
export interface CrioView {
  /** The runtimes the files define, by name. */
  runtimes: Record<string, TomlTable>;
  /** The default runtime's name. */
  defaultRuntime: string;
}

/**
 * The runtimes and the default CRI-O uses.
 *
 * @example Usage
 * ```ts
 * import { crioView } from "./effective.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(crioView({}).defaultRuntime, "crun");
 * equal(crioView({ crio: { runtime: { default_runtime: "runc" } } }).defaultRuntime, "runc");
 * ```
 *
 * @param merged The merged files.
 * @returns The view.
 */
export function crioView(merged: TomlTable): CrioView {
  const tables = valueAt(merged, RUNTIMES);
  const runtimes: Record<string, TomlTable> = {};
  for (const [name, table] of Object.entries(isTable(tables) ? tables : {})) {
    if (isTable(table)) runtimes[name] = table;
  }
  const named = valueAt(merged, DEFAULT);
  return {
    runtimes,
    defaultRuntime: typeof named === "string" && named ? named : BUILT_IN_DEFAULT,
  };
}

/**
 * CRI-O's effective configuration of the files: one view (its releases read
 * files alike).
 *
 * @example Usage
 * ```ts
 * import { crioViews } from "./effective.ts";
 * import { equal } from "node:assert/strict";
 *
 * const [view] = crioViews({}, { configPath: "/etc/crio/crio.conf", dropInPath: "" });
 * equal(view.reader, "CRI-O");
 * ```
 *
 * @param texts The files' texts.
 * @param options The main config, the drop-in and the config source.
 * @returns The view.
 */
export function crioViews(texts: FileTexts, options: EngineOptions): EffectiveView[] {
  const files = crioFiles(texts, options);
  if (options.source !== undefined) {
    files.unshift({
      path: "crio status config",
      data: parseToml(options.source, "crio status config"),
    });
  }
  const merged = mergedCrio(files);
  const view = crioView(merged);
  const config = copyValue(merged);
  const runtime = isTable(valueAt(config, RUNTIME)) ? valueAt(config, RUNTIME) as TomlTable : {};
  runtime.default_runtime = view.defaultRuntime;
  runtime.runtimes = view.runtimes;
  config.crio = { ...(isTable(config.crio) ? config.crio : {}), runtime };
  const read = files.map((file) => file.path).filter((path) => texts[path] !== undefined);
  return [{ reader: "CRI-O", parser: "burntsushi-toml", files: read, config, keys: CRIO_KEYS }];
}

/**
 * Refuses a plan whose files would not give CRI-O what the rules asked for
 * because a file read after rtconf's (which rtconf does not own) overrides it,
 * naming that file.
 *
 * @param texts The planned files' texts.
 * @param rules What was asked: the runtimes and the default.
 * @param options The main config and the drop-in.
 * @param owned The file rtconf writes into.
 * @throws {RtconfError} naming the file that wins.
 */
export function refuseCrioOverrides(
  texts: FileTexts,
  rules: readonly Rule[],
  options: EngineOptions,
  owned: string,
): void {
  const files = crioFiles(texts, options);
  const view = crioView(mergedCrio(files));
  const at = files.findIndex((file) => file.path === owned);
  const last = (keys: string[]) =>
    files.slice(at + 1).reverse().find((file) => valueAt(file.data, keys) !== undefined)?.path;
  const refuse = (what: string, keys: string[]): never => {
    throw new RtconfError(
      `${owned}: CRI-O would not use ${what}: ${last(keys) ?? "a file read after it"}, read ` +
        "after it, overrides it; nothing was written (give the drop-in a name that sorts after " +
        "it with --drop-in-config, or change that file)",
    );
  };
  for (const rule of rules) {
    if (rule.op === "add-runtime") {
      if (view.runtimes[rule.name]?.runtime_path !== rule.path) {
        refuse(`runtime ${rule.name} at ${rule.path}`, CRIO_KEYS.runtime(rule.name));
      }
    } else if (rule.op === "set-default" && view.defaultRuntime !== rule.name) {
      refuse(`${rule.name} as the default runtime`, DEFAULT);
    }
  }
}
