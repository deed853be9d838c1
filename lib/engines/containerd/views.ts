/**
 * containerd's effective configuration of a set of files, once for each
 * family of releases that reads them: what the check before writing
 * compares, what planning copies from, and which file wins a setting.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import type { EngineParser } from "../../formats/parsers/mod.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import { isTable, overlayTables, type TomlTable, valueAt } from "../../formats/toml/values.ts";
import type { Rule } from "../../rules.ts";
import type { EffectiveView, EngineOptions, FileTexts } from "../engine.ts";
import { criKeys } from "./cri_rules.ts";
import {
  type CriView,
  criView,
  type LoadedFile,
  loadOrder,
  mergedConfig,
  readers,
  type Release,
} from "./effective.ts";
import { configVersion } from "./version.ts";

/** How the families of releases are named in messages. */
export const RELEASE_NAMES: Readonly<Record<Release, string>> = {
  "1.x": "containerd 1.6 and 1.7",
  "2.x": "containerd 2.0 and 2.1",
};

/** The TOML parser of each family of releases (see lib/formats/parsers/README.md). */
const RELEASE_PARSERS: Readonly<Record<Release, EngineParser>> = {
  "1.x": "go-toml-v1",
  "2.x": "go-toml-v2",
};

/** The label of `containerd config dump` output when it stands for the files. */
const DUMP = "the output of containerd config dump";

/**
 * The output of `containerd config dump`, parsed, when the plan is made from it.
 *
 * @param options The config source.
 * @returns The dump, or `undefined`.
 */
export function dumped(options: EngineOptions): LoadedFile | undefined {
  return options.source === undefined
    ? undefined
    : { path: DUMP, data: parseToml(options.source, DUMP) };
}

/**
 * The files containerd loads, in order; with the engine's own report of its
 * configuration in the main config's version, that report first (it holds
 * what the files hold, and containerd's defaults). A report in another
 * version (containerd 2.x dumps version 3 or later) is another schema: it
 * only informs planning.
 *
 * @param texts The files' texts.
 * @param options The main config and the config source.
 * @returns The files.
 */
export function loadedFiles(texts: FileTexts, options: EngineOptions): LoadedFile[] {
  return loadOrder(options.configPath, texts);
}

/**
 * The configuration containerd's plugins start from before the files: its
 * own report, when the plan is made from one in the main config's version
 * (it holds containerd's defaults, which a plugin's section is decoded over).
 */
function defaults(files: readonly LoadedFile[], options: EngineOptions): TomlTable {
  const dump = dumped(options);
  const main = files[0];
  return dump && configVersion(dump.data, DUMP) === configVersion(main.data, main.path)
    ? dump.data
    : {};
}

/** A merged configuration with the CRI plugin's runtime settings as the release uses them. */
function normalized(merged: TomlTable, view: CriView): TomlTable {
  // Copies of the tables on the way; the rest is shared with the (read-only) merged config.
  const config = { ...merged };
  const plugins = isTable(config.plugins) ? { ...config.plugins } : {};
  const section = isTable(plugins[view.plugin]) ? plugins[view.plugin] as TomlTable : {};
  const containerd = isTable(section.containerd) ? { ...section.containerd } : {};
  delete containerd.default_runtime;
  plugins[view.plugin] = {
    ...section,
    containerd: {
      ...containerd,
      runtimes: view.runtimes,
      default_runtime_name: view.defaultRuntime,
    },
    ...(view.cdi === undefined ? {} : { enable_cdi: view.cdi }),
  };
  if (view.plugin !== "io.containerd.grpc.v1.cri" && view.plugin !== "cri") {
    delete plugins["io.containerd.grpc.v1.cri"]; // moved into the runtime plugin's section
  }
  config.plugins = plugins;
  return config;
}

/**
 * containerd's effective configuration of the files, for each family of
 * releases that reads the main config's version.
 *
 * @example Usage
 * ```ts
 * import { containerdViews } from "./views.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const texts = { "/etc/containerd/config.toml": "version = 3\n" };
 * const [view] = containerdViews(texts, { configPath: "/etc/containerd/config.toml", dropInPath: "" });
 * deepEqual([view.reader, Object.keys(view.config.plugins as object)], ["containerd 2.0 and 2.1", ["io.containerd.cri.v1.runtime"]]);
 * ```
 *
 * @param texts The files' texts.
 * @param options The main config and the config source.
 * @returns The views.
 */
export function containerdViews(texts: FileTexts, options: EngineOptions): EffectiveView[] {
  const files = loadedFiles(texts, options);
  const main = files.find((file) => file.path === options.configPath)!;
  const version = configVersion(main.data, options.configPath, options.legacyConfig);
  const base = defaults(files, options);
  return readers(version).map((release) => {
    const merged = overlayTables(base, mergedConfig(files, release));
    const view = criView(merged, release, version);
    return {
      reader: RELEASE_NAMES[release],
      parser: RELEASE_PARSERS[release],
      files: files.map((file) => file.path).filter((path) => texts[path] !== undefined),
      config: normalized(merged, view),
      keys: criKeys(view.plugin),
    };
  });
}

/** The last file, from `after` on, that sets one of these keys (2.x) or the plugin's section (1.x). */
function winner(
  files: readonly LoadedFile[],
  after: number,
  release: Release,
  plugin: string,
  keys: readonly string[][],
): string | undefined {
  let found: string | undefined;
  files.forEach((file, i) => {
    if (i <= after) return;
    const sets = release === "1.x"
      ? valueAt(file.data, ["plugins", plugin]) !== undefined
      : keys.some((at) => valueAt(file.data, at) !== undefined);
    if (sets) found = file.path;
  });
  return found;
}

/**
 * Refuses a plan whose files, read by any release that reads them, would not
 * hold what the rules asked for because of a file rtconf does not own: with
 * one line that names the file that wins and the release that reads it so.
 *
 * @param texts The planned files' texts.
 * @param rules The rules.
 * @param options The main config, the drop-in and the config source.
 * @param owned The file rtconf writes its settings into (the drop-in, or the main config).
 * @throws {RtconfError} naming the file that wins.
 */
export function refuseOverrides(
  texts: FileTexts,
  rules: readonly Rule[],
  options: EngineOptions,
  owned: string,
): void {
  const files = loadedFiles(texts, options);
  const position = files.findIndex((file) => file.path === owned);
  const main = files.find((file) => file.path === options.configPath)!;
  const version = configVersion(main.data, options.configPath, options.legacyConfig);
  const hint = owned === options.configPath
    ? "change that file, or use a drop-in that containerd loads after it"
    : "give the drop-in a name that containerd loads after it with --drop-in-config, or change " +
      "that file";
  for (const release of readers(version)) {
    const merged = mergedConfig(files, release);
    const view = criView(merged, release, version);
    const reader = RELEASE_NAMES[release];
    const v2 = ["plugins", "io.containerd.grpc.v1.cri"];
    const v3 = ["plugins", "io.containerd.cri.v1.runtime"];
    const plugin = release === "1.x" ? view.plugin : "io.containerd.grpc.v1.cri";
    const fail = (what: string, setting: string[]): never => {
      // containerd 2.x reads everything in the version of the last file that sets one.
      const read = typeof merged.version === "bigint" ? Number(merged.version) : version;
      if (release === "2.x" && (read >= 3) !== (version >= 3)) {
        const file = winner(files, -1, release, plugin, [["version"]]);
        throw new RtconfError(
          `${owned}: ${reader} would not use ${what}: ${file}, loaded after ` +
            `${options.configPath}, sets version ${read}, and containerd 2.x then ignores the ` +
            `version ${version} settings; nothing was written (make the versions agree)`,
        );
      }
      const file = winner(files, position, release, plugin, [[...v2, ...setting], [
        ...v3,
        ...setting,
      ]]);
      const where = file === undefined
        ? "a file it loads after it"
        : release === "1.x"
        ? `${file}, loaded after it, whose CRI section replaces the whole section for ${reader}`
        : `${file}, loaded after it`;
      throw new RtconfError(
        `${owned}: ${reader} would not use ${what}: it is overridden by ${where}; ` +
          `nothing was written (${hint})`,
      );
    };
    for (const rule of rules) {
      if (rule.op === "add-runtime") {
        const table = view.runtimes[rule.name];
        const options = table && isTable(table.options) ? table.options : {};
        if (options.BinaryName !== rule.path) {
          fail(`runtime ${rule.name} at ${rule.path}`, ["containerd", "runtimes", rule.name]);
        }
      } else if (rule.op === "set-default" && view.defaultRuntime !== rule.name) {
        if (view.defaultFrom !== undefined) {
          const file = [...files].reverse().find((item) =>
            item.path !== owned &&
            isTable(valueAt(item.data, ["plugins", view.plugin, "containerd", "default_runtime"]))
          );
          throw new RtconfError(
            `${file?.path ?? owned}: ${view.defaultFrom} makes ${reader} ignore ` +
              `default_runtime_name, so ${rule.name} would not be the default runtime; nothing ` +
              "was written (remove that table, or use default_runtime_name alone)",
          );
        }
        fail(`${rule.name} as the default runtime`, ["containerd", "default_runtime_name"]);
      } else if (rule.op === "enable-cdi" && view.cdi === false) {
        fail("CDI", ["enable_cdi"]);
      }
    }
  }
}
