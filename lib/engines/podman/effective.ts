/**
 * podman's effective configuration: the files a release reads (see
 * `files.ts`), each merged over the ones before it, key by key, a runtime's
 * list of executables replaced whole. podman looks a runtime up by name in
 * `[engine.runtimes]` (`podman --runtime NAME`; a name that starts with `/`
 * is taken as the executable itself) and runs the first of its executables
 * that exists; `[engine] runtime` names the default.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import {
  isTable,
  mergeTables,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../../formats/toml/values.ts";
import { basename } from "../../path.ts";
import type { Rule } from "../../rules.ts";
import type { EffectiveView, EngineOptions, FileTexts, SettingKeys } from "../engine.ts";
import { lastValue, type ParsedFile } from "../status.ts";
import {
  type PodmanRelease,
  type PodmanScope,
  podmanScope,
  readOrder,
  reads,
  RELEASES,
} from "./files.ts";

/** The keys of the table of runtimes. */
export const RUNTIMES = ["engine", "runtimes"];
/** The keys of the default runtime. */
export const DEFAULT = ["engine", "runtime"];

/**
 * podman's built-in runtimes (containers/common's defaults, podman 4.3 to
 * 5.8): names that are podman's even where no file names them.
 */
export const BUILT_IN_RUNTIMES: readonly string[] = [
  "crun",
  "crun-vm",
  "crun-wasm",
  "runc",
  "runj",
  "kata",
  "runsc",
  "youki",
  "krun",
  "ocijail",
];

/**
 * Where the views keep the settings rtconf changes. In a view a runtime is
 * `{ path, paths }`: `paths` its list of executables, `path` the first, the
 * one podman runs when it exists.
 */
export const PODMAN_KEYS: SettingKeys = {
  runtime: (name) => [...RUNTIMES, name],
  runtimeExecutable: (name) => [...RUNTIMES, name, "path"],
  defaultRuntime: DEFAULT,
};

/**
 * The first executable of a runtime's entry (`NAME = ["PATH", ...]`).
 *
 * @example Usage
 * ```ts
 * import { firstExecutable } from "./effective.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(firstExecutable(["/usr/bin/crun", "/usr/local/bin/crun"]), "/usr/bin/crun");
 * equal(firstExecutable("/usr/bin/crun"), undefined);
 * ```
 *
 * @param entry The entry's value.
 * @returns The path, or `undefined` when the entry is not a list of paths.
 */
export function firstExecutable(entry: TomlValue | undefined): string | undefined {
  return Array.isArray(entry) && typeof entry[0] === "string" ? entry[0] : undefined;
}

/**
 * The files a release reads, in order, parsed.
 *
 * @param texts The files' texts.
 * @param scope Whose configuration.
 * @param release The release.
 * @returns The files.
 * @throws {RtconfError} for a file that is not TOML 1.0.
 */
export function podmanFilesRead(
  texts: FileTexts,
  scope: PodmanScope,
  release: PodmanRelease,
): ParsedFile[] {
  return readOrder(texts, scope, release).map((path) => ({
    path,
    data: parseToml(texts[path]!, path),
  }));
}

/**
 * The files merged as podman decodes them, each over the ones before it.
 *
 * @example Usage
 * ```ts
 * import { mergedPodman } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   mergedPodman([
 *     { path: "/a", data: { engine: { runtimes: { runc: ["/a", "/b"], crun: ["/c"] } } } },
 *     { path: "/b", data: { engine: { runtimes: { runc: ["/d"] } } } },
 *   ]),
 *   { engine: { runtimes: { runc: ["/d"], crun: ["/c"] } } },
 * );
 * ```
 *
 * @param files The files, in order.
 * @returns The merged configuration.
 */
export function mergedPodman(files: readonly ParsedFile[]): TomlTable {
  return files.reduce((merged: TomlTable, file) => mergeTables(merged, file.data), {});
}

/** The runtimes the merged files define, by name, with their lists of executables. */
export function runtimesOf(merged: TomlTable): Record<string, TomlValue> {
  const runtimes = valueAt(merged, RUNTIMES);
  return isTable(runtimes) ? runtimes : {};
}

/**
 * The releases whose rules read the file rtconf writes (the drop-in, or the
 * main config in place): rtconf must be right for each of them.
 *
 * @example Usage
 * ```ts
 * import { readers } from "./effective.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const own = {
 *   configPath: "/root/.config/containers/containers.conf",
 *   dropInPath: "/root/.config/containers/containers.conf.d/99-nvidia.conf",
 * };
 * deepEqual(readers(own).map((release) => release.reader), [
 *   "podman 5.0 to 5.6",
 *   "podman 5.7 and later 5.x",
 *   "podman 6",
 * ]);
 * ```
 *
 * @param options The main config and the drop-in.
 * @returns The releases.
 */
export function readers(options: EngineOptions): PodmanRelease[] {
  const scope = podmanScope(options.configPath);
  return RELEASES.filter((release) =>
    reads(release, scope, options.dropInPath || options.configPath)
  );
}

/** A view's configuration: the merged files, each runtime as `{ path, paths }`. */
function viewConfig(merged: TomlTable): TomlTable {
  const runtimes: TomlTable = {};
  for (const [name, entry] of Object.entries(runtimesOf(merged))) {
    const path = firstExecutable(entry);
    runtimes[name] = path === undefined ? entry : { path, paths: entry };
  }
  return mergeTables(merged, { engine: { runtimes } });
}

/**
 * podman's effective configuration of the files, once for each family of
 * releases that reads the file rtconf writes.
 *
 * @example Usage
 * ```ts
 * import { podmanViews } from "./effective.ts";
 * import { equal } from "node:assert/strict";
 *
 * const views = podmanViews(
 *   { "/etc/containers/containers.conf.d/99-nvidia.conf": '[engine.runtimes]\nnvidia = ["/usr/bin/nvidia-container-runtime"]\n' },
 *   { configPath: "/etc/containers/containers.conf", dropInPath: "/etc/containers/containers.conf.d/99-nvidia.conf" },
 * );
 * equal(views.length, 4);
 * equal(views[0].reader, "podman 4");
 * ```
 *
 * @param texts The files' texts.
 * @param options The main config and the drop-in.
 * @returns The views.
 * @throws {RtconfError} for a file that is not TOML 1.0.
 */
export function podmanViews(texts: FileTexts, options: EngineOptions): EffectiveView[] {
  const scope = podmanScope(options.configPath);
  return readers(options).map((release) => {
    const files = podmanFilesRead(texts, scope, release);
    return {
      reader: release.reader,
      // podman reads containers.conf through containers/common, with BurntSushi/toml.
      parser: "burntsushi-toml",
      files: files.map((file) => file.path),
      config: viewConfig(mergedPodman(files)),
      keys: PODMAN_KEYS,
    };
  });
}

/** Whether a runtime is defined, by a file or by podman itself. */
function defined(merged: TomlTable, name: string): boolean {
  return runtimesOf(merged)[name] !== undefined || BUILT_IN_RUNTIMES.includes(name) ||
    name.startsWith("/");
}

/**
 * Refuses a plan after which podman would not read what the node's files
 * hold, would not run with what was asked, or would not start at all:
 *
 * - a file of the node's that a release reads now and would no longer read
 *   (podman 6 reads one main config, and one drop-in per name);
 * - the file rtconf writes not read (podman 6: another main config comes
 *   first, or a later directory has a drop-in of that name);
 * - a file read after it that sets the runtime or the default otherwise;
 * - a default runtime that would no longer be defined.
 *
 * @param before The files' texts now.
 * @param after The planned texts.
 * @param rules What was asked.
 * @param options The main config and the drop-in.
 * @param own The files rtconf wrote whole (its drop-in, a config it created):
 * they are not the node's.
 * @throws {RtconfError} naming the file, and what to do.
 */
export function refusePodmanPlan(
  before: FileTexts,
  after: FileTexts,
  rules: readonly Rule[],
  options: EngineOptions,
  own: readonly string[],
): void {
  const releases = readers(options);
  const problems = releases.map((release) =>
    planProblem(before, after, rules, options, own, release)
  );
  const first = problems.find((problem) => problem !== undefined);
  if (first === undefined) return;
  // The releases with that very problem: all of them are "podman".
  const who = releases.filter((_, i) => problems[i] === first);
  const names = who.length === releases.length
    ? "podman"
    : who.map((release) => release.reader).join(", ");
  throw new RtconfError(first.replace(WHO, names));
}

/** Where a problem names the releases it concerns. */
const WHO = "\0who\0";

/** What would be wrong with the plan for one release, with {@linkcode WHO} for the release. */
function planProblem(
  before: FileTexts,
  after: FileTexts,
  rules: readonly Rule[],
  options: EngineOptions,
  own: readonly string[],
  release: PodmanRelease,
): string | undefined {
  const scope = podmanScope(options.configPath);
  const target = options.dropInPath || options.configPath;
  const only = "(it reads only the first main config that exists, and one drop-in per file name)";
  const fix = options.dropInPath
    ? "give the drop-in another name with --drop-in-config"
    : "use a drop-in, the default, instead of editing it in place";
  const was = readOrder(before, scope, release);
  const read = readOrder(after, scope, release);
  const lost = was.find((path) => !own.includes(path) && !read.includes(path));
  if (lost !== undefined) {
    return `${lost}: ${WHO} would no longer read it once rtconf writes ${target} ${only}; ` +
      `nothing was written (${fix})`;
  }
  if (after[target] !== undefined && !read.includes(target)) {
    const instead = options.dropInPath
      ? read.find((path) => basename(path) === basename(target))
      : read[0];
    return `${target}: ${WHO} would not read it, but ${instead} ${only}; nothing was written ` +
      `(${fix})`;
  }
  const files = podmanFilesRead(after, scope, release);
  const merged = mergedPodman(files);
  const later = files.slice(files.findIndex((file) => file.path === target) + 1);
  const overridden = (what: string, keys: string[]): string =>
    `${target}: ${WHO} would not use ${what}: ${
      lastValue(later, keys)?.file ?? "a file read after it"
    }, read after it, overrides it; nothing was written (give the drop-in a name that sorts ` +
    "after it with --drop-in-config, or change that file)";
  for (const rule of rules) {
    if (
      rule.op === "add-runtime" && firstExecutable(runtimesOf(merged)[rule.name]) !== rule.path
    ) {
      return overridden(`runtime ${rule.name} at ${rule.path}`, [...RUNTIMES, rule.name]);
    }
    if (rule.op === "set-default" && valueAt(merged, DEFAULT) !== rule.name) {
      return overridden(`${rule.name} as the default runtime`, DEFAULT);
    }
  }
  // podman does not start with a default runtime it does not know.
  const name = valueAt(merged, DEFAULT);
  const earlier = mergedPodman(podmanFilesRead(before, scope, release));
  if (typeof name === "string" && !defined(merged, name) && defined(earlier, name)) {
    return `${lastValue(files, DEFAULT)?.file}: makes ${name} the default runtime, which would ` +
      `no longer be defined: ${WHO} would not start; nothing was written (change that default ` +
      "first)";
  }
  return undefined;
}
