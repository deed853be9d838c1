/**
 * containerd: runtimes in `config.toml` (config versions 1, 2, 3 and later),
 * through a drop-in file and `imports`, or in place — decided from the
 * configuration containerd really uses (see `effective.ts`).
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { TomlDocument } from "../../formats/toml/document.ts";
import { noteValue } from "../../formats/toml/notes.ts";
import {
  copyValue,
  formatString,
  isTable,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../../formats/toml/values.ts";
import { dirname, resolve } from "../../path.ts";
import { CREATED_HEADER, type FileChange, type Plan, writtenHeader } from "../../plan.ts";
import type { Rule } from "../../rules.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import { type DropInState, nextDropInState } from "../drop_in_state.ts";
import { refuseForeignRuntime } from "../runtime_names.ts";
import {
  applyCriRule,
  criKeys,
  type CriTarget,
  criTemplate,
  DEFAULT_RUNTIME_TYPE,
} from "./cri_rules.ts";
import { type CriView, criView, type LoadedFile, mergedConfig, readers } from "./effective.ts";
import { importsFile } from "./imports.ts";
import { dumped, loadedFiles, refuseOverrides } from "./views.ts";
import { configVersion, criPluginId } from "./version.ts";

/**
 * How containerd is configured: where its files are, and what new runtimes
 * get (`runtimeType`, `containerAnnotations`, `legacyConfig`).
 */
export type ContainerdOptions = EngineOptions;

/**
 * Fails unless the tables rtconf edits are tables and `imports` is an array,
 * naming the file where they are not.
 */
function checkShape(data: TomlTable, file: string, plugin: string): void {
  const keys = criKeys(plugin);
  for (const at of [["plugins"], ["plugins", plugin], keys.runtimes.slice(0, -1), keys.runtimes]) {
    const value = valueAt(data, at);
    if (value !== undefined && !isTable(value)) {
      throw new RtconfError(`${file}: ${at.join(".")} is not a table`);
    }
  }
  if (data.imports !== undefined && !Array.isArray(data.imports)) {
    throw new RtconfError(`${file}: imports is not an array`);
  }
}

/** The text of a main config that rtconf creates to import its drop-in. */
function createdMain(version: number, entry: string): string {
  return `${CREATED_HEADER}version = ${version}\nimports = [${formatString(entry)}]\n`;
}

/** Makes the main config import the drop-in, noting what was added. */
function ensureImport(main: TomlDocument, version: number, entry: string): void {
  const imports = main.get(["imports"]) as TomlValue[] | undefined; // checked by checkShape
  if (Object.keys(main.data).length === 0) {
    main.set(["version"], BigInt(version));
    main.addNote(["version"], "added");
  }
  if (imports === undefined) {
    main.set(["imports"], [entry]);
    main.addNote(["imports"], "added");
  } else {
    main.appendItem(["imports"], entry);
    if (main.note(["imports"]) === undefined) {
      main.addNote(["imports"], `added ${formatString(entry)}`);
    }
  }
}

/**
 * Takes back the `imports` entry (and `version`) that rtconf added, as its
 * notes say; an entry naming rtconf's drop-in, which goes, goes with it even
 * when a formatter lost the note (containerd 1.x does not start with an
 * import of a missing file).
 */
function removeImport(main: TomlDocument, dropInPath: string): void {
  const note = main.note(["imports"]);
  if (note === "added") {
    main.delete(["imports"]);
  } else if (note?.startsWith("added ")) {
    const entry = noteValue(note);
    main.removeNote(["imports"]);
    if (typeof entry === "string") main.removeItem(["imports"], entry);
  }
  const imports = main.get(["imports"]);
  if (Array.isArray(imports) && imports.includes(dropInPath)) {
    main.removeItem(["imports"], dropInPath);
  }
  if (main.note(["version"]) === "added" && Object.keys(main.data).length === 1) {
    main.delete(["version"]);
  }
}

/** Whether a rule list configures (adds runtimes) rather than unconfigures. */
function configures(rules: readonly Rule[]): boolean {
  return rules.some((rule) => rule.op === "add-runtime");
}

/**
 * The node's CRI runtimes and default as the newest release that reads them
 * uses them; but where containerd 1.x takes its default from the deprecated
 * `default_runtime` table (which 2.x ignores), as 1.x does: such a config is
 * one that 1.x runs.
 */
function nodeView(files: readonly LoadedFile[], version: number): CriView {
  const views = readers(version).map((release) =>
    criView(mergedConfig(files, release), release, version)
  );
  return views.find((view) => view.defaultFrom !== undefined) ?? views.at(-1)!;
}

/**
 * Plans the changes to containerd's files for the rules.
 *
 * Decisions come from the configuration containerd uses — the main config,
 * then what it imports, merged as each release that reads that config
 * version merges them — without rtconf's own drop-in:
 *
 * - A new runtime copies the default runtime, else `runc`, else `crun`,
 *   whichever first is a runc shim (a Kata or gVisor default never is);
 *   `options.BinaryName` (version 1: also `options.Runtime`) is the runtime.
 * - Version 1 configs, and any config with `dropInPath` `""`, are edited in
 *   place, with `# rtconf:` notes of what each changed value was.
 * - Otherwise the drop-in holds `version`, the runtimes and the settings
 *   rtconf sets; where containerd 1.x reads the config (version 2), also a
 *   copy of the CRI section that 1.x would use without it (1.x replaces a
 *   plugin's whole section with an imported file's), derived again on every
 *   run. The main config gains an `imports` entry that loads the drop-in and
 *   nothing else.
 * - A file rtconf does not own that overrides what was asked (loaded after
 *   the drop-in, or containerd 1.x's deprecated `default_runtime`) is named
 *   in a one-line refusal.
 *
 * The plan is not checked; `planEngine` checks it.
 *
 * @example Usage
 * ```ts
 * import { planContainerd } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * // The drop-in first: it exists before the import that names it.
 * const [dropIn, main] = planContainerd(
 *   {},
 *   [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 *   { configPath: "/etc/containerd/config.toml", dropInPath: "/etc/containerd/conf.d/99-nvidia.toml" },
 * );
 * equal(main.after?.includes('imports = ["/etc/containerd/conf.d/99-nvidia.toml"]'), true);
 * equal(dropIn.after?.includes('BinaryName = "/usr/bin/nvidia-container-runtime"'), true);
 * ```
 *
 * @param texts The texts of the main config, the drop-in, and every file the
 * main config imports or the drop-in's directory holds (`undefined` when missing).
 * @param rules The rules.
 * @param options The files and the config source.
 * @returns The plan: the main config, then the drop-in (in drop-in mode).
 * @throws {RtconfError} for invalid TOML, a config rtconf cannot edit, or a
 * file that overrides what was asked.
 */
export function planContainerd(
  texts: FileTexts,
  rules: readonly Rule[],
  options: ContainerdOptions,
): Plan {
  const { configPath, dropInPath } = options;
  const before = texts[configPath];
  const main = new TomlDocument(before ?? "", configPath);
  const version = configVersion(main.data, configPath, options.legacyConfig);
  const plugin = criPluginId(version);
  checkShape(main.data, configPath, plugin);
  const inPlace = dropInPath === "" || version === 1;
  // The node's own configuration: everything but rtconf's drop-in.
  const node = loadedFiles({ ...texts, ...(inPlace ? {} : { [dropInPath]: undefined }) }, options);
  for (const file of node) if (file.path !== configPath) checkShape(file.data, file.path, plugin);
  // The engine's own report, when there is one, says best what it uses.
  const dump = dumped(options);
  const view = dump
    ? nodeView([dump], configVersion(dump.data, dump.path))
    : nodeView(node, version);
  const target = {
    version,
    plugin,
    runtimeType: options.runtimeType ?? DEFAULT_RUNTIME_TYPE,
    containerAnnotations: options.containerAnnotations ?? [],
    template: criTemplate(view.declared, view.defaultRuntime),
  };
  refuseForeignRuntimes(rules, view.declared, inPlace ? main : undefined, plugin);
  const plan = inPlace
    ? [planInPlace(main, before, rules, target, node)]
    : planDropIn(main, before, texts, rules, options, target, view);
  const planned: Record<string, string | undefined> = { ...texts };
  for (const change of plan) planned[change.path] = change.after;
  refuseMissingImports(texts, planned, options);
  if (configures(rules)) {
    refuseOverrides(planned, rules, options, inPlace ? configPath : dropInPath);
  }
  return plan;
}

/**
 * Stops a plan after which a file containerd loads would import, by its
 * exact path, a file that does not exist where it existed before (or was not
 * imported): containerd 1.x refuses to start then.
 */
function refuseMissingImports(
  texts: FileTexts,
  planned: FileTexts,
  options: ContainerdOptions,
): void {
  const missing = (files: FileTexts) =>
    loadedFiles(files, options).flatMap((file) => {
      const imports = file.data.imports;
      if (!Array.isArray(imports)) return [];
      return imports.filter((item): item is string => typeof item === "string")
        .map((item) => resolve(dirname(file.path), item))
        .filter((path) => !path.includes("*") && files[path] === undefined)
        .map((path) => `${file.path} imports ${path}`);
    });
  const before = new Set(missing(texts));
  const broken = missing(planned).filter((line) => !before.has(line));
  if (broken.length > 0) {
    throw new RtconfError(
      `internal error: after this change ${broken.join(", ")}, which would not exist, and ` +
        "containerd 1.x would not start; nothing was written; please report this bug",
    );
  }
}

/**
 * Refuses to take over a runtime of the node's that is not one of NVIDIA's
 * (e.g. `--nvidia-runtime-name=runc`): pointing it at another executable
 * would change what every container of that runtime runs.
 */
function refuseForeignRuntimes(
  rules: readonly Rule[],
  runtimes: Record<string, TomlTable>,
  main: TomlDocument | undefined,
  plugin: string,
): void {
  for (const rule of rules) {
    if (rule.op !== "add-runtime") continue;
    const table = runtimes[rule.name];
    if (table === undefined) continue;
    if (main?.headerNote(criKeys(plugin).runtime(rule.name)) === "added") continue; // rtconf's own
    const binary = valueAt(table, ["options", "BinaryName"]);
    const executable = typeof binary === "string" ? binary : "";
    refuseForeignRuntime(rule, executable, { shown: executable || "runc" });
  }
}

function planInPlace(
  main: TomlDocument,
  before: string | undefined,
  rules: readonly Rule[],
  target: Omit<CriTarget, "doc" | "builtInRunc" | "operators">,
  node: readonly LoadedFile[],
): FileChange {
  const created = `${CREATED_HEADER}version = ${target.version}\n`;
  let doc = main;
  if (configures(rules) && Object.keys(main.data).length === 0) {
    // containerd reads a config without `version` as version 1. A file that
    // exists, even empty, stays the operator's: rtconf adds to it with notes.
    if (before === undefined) {
      doc = new TomlDocument(created, main.file);
    } else {
      doc.set(["version"], BigInt(target.version));
      doc.addNote(["version"], "added");
    }
  }
  // containerd 1.x has its built-in runc only while no file has runtimes.
  const builtInRunc = readers(target.version).includes("1.x") &&
    valueAt(mergedConfig(node, "1.x"), criKeys(target.plugin).runtimes) === undefined;
  for (const rule of rules) applyCriRule({ ...target, doc, builtInRunc, operators: true }, rule);
  if (
    !configures(rules) && doc.note(["version"]) === "added" && Object.keys(doc.data).length === 1
  ) {
    doc.delete(["version"]);
  }
  // A file rtconf created goes when nothing but what it created is left.
  const after = doc.text === created || (before === undefined && doc.text === "")
    ? undefined
    : doc.text;
  return { path: main.file, before, after };
}

/**
 * What an earlier run left in the drop-in: the runtimes that are rtconf's
 * (not the copied section's, nor the built-in runc it added), the default
 * and CDI where they differ from the copy.
 */
function previousState(
  previous: TomlDocument | undefined,
  copy: TomlTable | undefined,
  plugin: string,
): DropInState {
  const state: DropInState = { runtimes: new Map() };
  if (!previous) return state;
  const keys = criKeys(plugin);
  const copied = valueAt(copy, keys.runtimes.slice(2));
  const runtimes = valueAt(previous.data, keys.runtimes);
  for (const [name, table] of Object.entries(isTable(runtimes) ? runtimes : {})) {
    if (isTable(copied) && name in copied) continue;
    if (name === "runc" && previous.note([...keys.runtime("runc"), "runtime_type"]) === "added") {
      continue;
    }
    const binary = isTable(table) ? valueAt(table, ["options", "BinaryName"]) : undefined;
    if (typeof binary === "string") state.runtimes.set(name, binary);
  }
  const defaultRuntime = valueAt(previous.data, keys.defaultRuntime);
  if (
    typeof defaultRuntime === "string" && state.runtimes.has(defaultRuntime) &&
    defaultRuntime !== valueAt(copy, keys.defaultRuntime.slice(2))
  ) {
    state.defaultRuntime = defaultRuntime;
  }
  const cdi = valueAt(previous.data, keys.cdi);
  if (typeof cdi === "boolean" && cdi !== valueAt(copy, keys.cdi.slice(2))) state.cdi = cdi;
  return state;
}

/** The CRI section containerd 1.x would use from these files: the last file's that has one. */
function lastSection(files: readonly LoadedFile[], plugin: string): TomlTable | undefined {
  let section: TomlTable | undefined;
  for (const file of files) {
    const found = valueAt(file.data, ["plugins", plugin]);
    if (isTable(found)) section = found;
  }
  return section;
}

function planDropIn(
  main: TomlDocument,
  before: string | undefined,
  texts: FileTexts,
  rules: readonly Rule[],
  options: ContainerdOptions,
  target: Omit<CriTarget, "doc" | "builtInRunc" | "operators">,
  node: CriView,
): Plan {
  const { configPath, dropInPath } = options;
  const { version, plugin } = target;
  const dropBefore = texts[dropInPath];
  const previous = dropBefore === undefined ? undefined : new TomlDocument(dropBefore, dropInPath);
  if (previous) refuseForeignDropIn(previous, plugin);
  const takenOver = previous !== undefined && Object.keys(previous.data).length > 0 &&
    !dropBefore!.startsWith(writtenHeader("containerd"));
  // The main config's runtimes and default are the operator's: in drop-in
  // mode rtconf changes nothing in it but the import (nvidia-ctk's
  // unconfigure deletes a runtime and a default there that it never wrote).

  // The drop-in's own path: a pattern such as its directory's *.toml could load
  // files containerd does not load now (a version 3 file, invalid TOML, a
  // directory), which can keep it from starting.
  const entry = dropInPath;
  const imported = importsFile(main.get(["imports"]), configPath, dropInPath);
  let withImport: string | undefined;
  const mainWithImport = (): string => {
    if (imported) return main.text;
    if (Object.keys(main.data).length === 0 && before === undefined) {
      return createdMain(version, entry);
    }
    if (withImport === undefined) {
      const copy = new TomlDocument(main.text, configPath);
      ensureImport(copy, version, entry);
      withImport = copy.text;
    }
    return withImport;
  };
  // Where containerd 1.x reads the config, the drop-in replaces the CRI
  // section of every file loaded before it: it carries a copy of the last one.
  const copyFrom = (): TomlTable | undefined => {
    // From the files, never from containerd's own report: that would freeze the
    // defaults of the release that made it into a file other releases read.
    if (!readers(version).includes("1.x")) return undefined;
    const order = loadedFiles(
      { ...texts, [configPath]: mainWithImport(), [dropInPath]: "" },
      options,
    );
    const at = order.findIndex((file) => file.path === dropInPath);
    return lastSection(order.slice(0, at < 0 ? order.length : at), plugin);
  };
  const copy = copyFrom();
  const earlier = previousState(previous, copy, plugin);
  // What the node already has is the operator's: a runtime with that very
  // executable, or that default, needs nothing of rtconf's.
  const needed = rules.filter((rule) => {
    if (rule.op === "add-runtime" && !earlier.runtimes.has(rule.name)) {
      return valueAt(node.declared[rule.name], ["options", "BinaryName"]) !== rule.path;
    }
    if (rule.op === "set-default" && earlier.defaultRuntime !== rule.name) {
      return node.defaultRuntime !== rule.name;
    }
    return true;
  });
  const state = nextDropInState(earlier, needed);

  let dropAfter: string | undefined;
  if (state.runtimes.size > 0) {
    // No `version`: containerd merges the last non-zero version it reads, and a
    // drop-in's would change how it reads the files loaded before it.
    const doc = new TomlDocument(writtenHeader("containerd"), dropInPath);
    if (copy && Object.keys(copy).length > 0) doc.addTable(["plugins", plugin], copy);
    const copied = valueAt(copy, ["containerd", "runtimes"]);
    const builtIn = readers(version).includes("1.x") && copied === undefined;
    const drop = { ...target, doc, builtInRunc: builtIn, operators: false };
    const asked = new Set(needed.flatMap((rule) => rule.op === "add-runtime" ? [rule.name] : []));
    for (const [name, path] of state.runtimes) {
      // A runtime of nvidia-ctk's drop-in that was not asked for stays as nvidia-ctk wrote it.
      const kept = takenOver && !asked.has(name)
        ? valueAt(previous!.data, criKeys(plugin).runtime(name))
        : undefined;
      if (isTable(kept)) doc.addTable(criKeys(plugin).runtime(name), copyValue(kept));
      else applyCriRule(drop, { op: "add-runtime", name, path });
    }
    const keys = criKeys(plugin);
    if (state.defaultRuntime !== undefined) doc.set(keys.defaultRuntime, state.defaultRuntime);
    if (state.cdi !== undefined) doc.set(keys.cdi, state.cdi);
    // An earlier run's text that says the same stays as it is.
    dropAfter = previous && sameValue(previous.data, doc.data) ? dropBefore : doc.text;
  }

  let mainAfter: string | undefined;
  if (dropAfter !== undefined) {
    mainAfter = mainWithImport();
  } else if (
    before !== undefined && [entry, `${dirname(dropInPath)}/*.toml`, dropInPath]
      .some((item) => before === createdMain(version, item))
  ) {
    mainAfter = undefined;
  } else {
    removeImport(main, dropInPath);
    mainAfter = before === undefined ? undefined : main.text;
  }
  if (dropBefore === undefined && dropAfter === undefined && !configures(rules)) {
    mainAfter = before === undefined ? undefined : mainAfter;
  }
  const config = { path: configPath, before, after: mainAfter };
  const dropIn = {
    path: dropInPath,
    before: dropBefore,
    after: dropAfter,
    own: true,
    ...(takenOver && dropAfter !== dropBefore
      ? {
        warnings: [
          `${dropInPath}: nvidia-ctk's drop-in, taken over by rtconf (the runtimes not asked ` +
          "for stay as they were; runtime unconfigure removes it)",
        ],
      }
      : {}),
  };
  // What the main config imports exists before the import, and goes after it:
  // containerd never meets an import of a missing file, even if rtconf is killed between.
  return dropAfter === undefined ? [config, dropIn] : [dropIn, config];
}

/**
 * Refuses a file at the drop-in's path that neither rtconf nor nvidia-ctk
 * wrote: nvidia-ctk's drop-in holds `version` and the CRI plugin's section
 * only, and rtconf takes it over (migrating a node from nvidia-ctk); anything
 * else there is the operator's.
 */
function refuseForeignDropIn(previous: TomlDocument, plugin: string): void {
  if (previous.text.startsWith(writtenHeader("containerd"))) return;
  const { data } = previous;
  const others = Object.keys(data).filter((key) => key !== "version" && key !== "plugins");
  const plugins = isTable(data.plugins)
    ? Object.keys(data.plugins).filter((id) => id !== plugin)
    : [];
  if (others.length > 0 || plugins.length > 0) {
    throw new RtconfError(
      `${previous.file}: holds settings that neither rtconf nor nvidia-ctk writes ` +
        `(${[...others, ...plugins.map((id) => `plugins.${JSON.stringify(id)}`)].join(", ")}); ` +
        "nothing was written: give rtconf a drop-in of its own with --drop-in-config",
    );
  }
}
