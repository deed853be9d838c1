/**
 * containerd: runtimes in `config.toml` (config versions 1, 2, 3 and later),
 * through a drop-in file and `imports`, or in place.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { TomlDocument } from "../../formats/toml/document.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import {
  formatString,
  isTable,
  mergeTables,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../../formats/toml/values.ts";
import { CREATED_HEADER, type FileChange, type Plan, writtenHeader } from "../../plan.ts";
import type { Rule } from "../../rules.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import { applyCriRule, type CriTarget, DEFAULT_RUNTIME_TYPE } from "./cri_rules.ts";
import { importPattern, importsFile } from "./imports.ts";
import { configVersion, criPluginId } from "./version.ts";

/**
 * How containerd is configured: where its files are, and what new runtimes
 * get when they copy no existing runtime.
 */
export interface ContainerdOptions extends EngineOptions {
  /** `runtime_type` for new runtimes that copy none (default `io.containerd.runc.v2`). */
  runtimeType?: string;
}

/** The text of a main config that rtconf creates to import the drop-in directory. */
function createdMain(version: number, dropInPath: string): string {
  return `${CREATED_HEADER}version = ${version}\nimports = [${
    formatString(importPattern(dropInPath))
  }]\n`;
}

/** Makes the main config import the drop-in directory, noting what was added. */
function ensureImport(
  main: TomlDocument,
  before: string | undefined,
  version: number,
  dropInPath: string,
): void {
  const pattern = importPattern(dropInPath);
  const imports = main.get(["imports"]) as TomlValue[] | undefined; // checked by checkShape
  if (importsFile(imports, main.file, dropInPath)) return;
  if (Object.keys(main.data).length === 0 && before === undefined) return; // created whole, see below
  if (Object.keys(main.data).length === 0) {
    main.set(["version"], BigInt(version));
    main.addNote(["version"], "added");
  }
  if (imports === undefined) {
    main.set(["imports"], [pattern]);
    main.addNote(["imports"], "added");
  } else {
    main.appendItem(["imports"], pattern);
    if (main.note(["imports"]) === undefined) {
      main.addNote(["imports"], `added ${formatString(pattern)}`);
    }
  }
}

/** Takes back what {@linkcode ensureImport} added. */
function removeImport(main: TomlDocument, dropInPath: string): void {
  const pattern = importPattern(dropInPath);
  const note = main.note(["imports"]);
  if (note === "added") {
    main.delete(["imports"]);
  } else if (note === `added ${formatString(pattern)}`) {
    main.removeNote(["imports"]);
    main.removeItem(["imports"], pattern);
  }
  if (main.note(["version"]) === "added" && Object.keys(main.data).length === 1) {
    main.delete(["version"]);
  }
}

/**
 * Fails unless the tables rtconf edits are tables and `imports` is an array,
 * naming the file where they are not.
 */
function checkShape(data: TomlTable, file: string, plugin: string): void {
  const tables = [["plugins"], ["plugins", plugin], ["plugins", plugin, "containerd"], [
    "plugins",
    plugin,
    "containerd",
    "runtimes",
  ]];
  for (const keys of tables) {
    const value = valueAt(data, keys);
    if (value !== undefined && !isTable(value)) {
      throw new RtconfError(`${file}: ${keys.join(".")} is not a table`);
    }
  }
  if (data.imports !== undefined && !Array.isArray(data.imports)) {
    throw new RtconfError(`${file}: imports is not an array`);
  }
}

/** Whether a rule list configures (adds runtimes) rather than unconfigures. */
function configures(rules: readonly Rule[]): boolean {
  return rules.some((rule) => rule.op === "add-runtime");
}

/**
 * Plans the changes to containerd's files for the rules.
 *
 * - Version 1 configs, and any config with `dropInPath` `""`, are edited in
 *   place: the runtime tables go after their siblings, in the file's style.
 * - Otherwise the drop-in file holds `version`, a copy of the CRI plugin
 *   section (containerd before 2.1 replaces a plugin's whole section with an
 *   imported one) and the runtime; the main config gains the drop-in
 *   directory in `imports` and nothing else.
 * - Values rtconf changes in a file carry a `# rtconf:` note of what was
 *   there, so that unconfigure puts back the original bytes.
 *
 * The plan is not checked; {@linkcode planEngine} checks it.
 *
 * @example Usage
 * ```ts
 * import { planContainerd } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * const [main, dropIn] = planContainerd(
 *   {},
 *   [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 *   { configPath: "/etc/containerd/config.toml", dropInPath: "/etc/containerd/conf.d/99-nvidia.toml" },
 * );
 * equal(main.after?.includes('imports = ["/etc/containerd/conf.d/*.toml"]'), true);
 * equal(dropIn.after?.includes('BinaryName = "/usr/bin/nvidia-container-runtime"'), true);
 * ```
 *
 * @param texts The texts of the main config and the drop-in (`undefined` when missing).
 * @param rules The rules.
 * @param options The files and the config source.
 * @returns The plan: the main config, then the drop-in (in drop-in mode).
 * @throws {RtconfError} for invalid TOML or a config rtconf cannot edit.
 */
export function planContainerd(
  texts: FileTexts,
  rules: readonly Rule[],
  options: ContainerdOptions,
): Plan {
  return planFiles(texts, rules, options).plan;
}

/** The plan, and the CRI plugin id of the main config's version. */
function planFiles(
  texts: FileTexts,
  rules: readonly Rule[],
  options: ContainerdOptions,
): { plan: Plan; plugin: string } {
  const { configPath, dropInPath } = options;
  const runtimeType = options.runtimeType ?? DEFAULT_RUNTIME_TYPE;
  const before = texts[configPath];
  const main = new TomlDocument(before ?? "", configPath);
  const source = options.source === undefined
    ? undefined
    : parseToml(options.source, "containerd config dump");
  const empty = Object.keys(main.data).length === 0;
  // The main file's version, never the dump's: containerd 2.3 dumps version 4,
  // which beside a version 2 main file stops containerd from starting.
  const version = configVersion(main.data, configPath);
  const plugin = criPluginId(version);
  const cri = (data: TomlTable | undefined): TomlTable | undefined => {
    const section = valueAt(data, ["plugins", plugin]);
    return isTable(section) ? section : undefined;
  };
  checkShape(main.data, configPath, plugin);
  if (source) checkShape(source, "containerd config dump", plugin);
  const sourceCri = cri(source) ?? cri(main.data);

  if (dropInPath === "" || version === 1) {
    const change = planInPlace(main, before, rules, {
      version,
      plugin,
      runtimeType,
      effective: sourceCri,
    });
    return { plan: [change], plugin };
  }

  const dropBefore = texts[dropInPath];
  const base = () => {
    const doc = new TomlDocument(
      `${writtenHeader("containerd")}version = ${version}\n`,
      dropInPath,
    );
    if (sourceCri && Object.keys(sourceCri).length) doc.addTable(["plugins", plugin], sourceCri);
    return doc;
  };
  let drop = dropBefore !== undefined
    ? new TomlDocument(dropBefore, dropInPath)
    : configures(rules)
    ? base()
    : undefined;
  if (drop) {
    const dropCri = cri(drop.data);
    const effective = source !== undefined
      ? sourceCri
      : dropCri && sourceCri
      ? mergeTables(sourceCri, dropCri)
      : dropCri ?? sourceCri;
    const target: CriTarget = { doc: drop, version, plugin, runtimeType, effective };
    for (const rule of rules) applyCriRule(target, rule);
  }
  // A default naming the runtime goes from the main config too: containerd
  // 2.1 merges imported files deeply, so the main file's default would stay.
  // Like nvidia-ctk, unconfigure also takes the runtime out of the main config.
  const mainTarget: CriTarget = { doc: main, version, plugin, runtimeType, effective: sourceCri };
  for (const rule of rules) {
    if (rule.op === "unset-default" || rule.op === "remove-runtime") applyCriRule(mainTarget, rule);
  }
  // Unconfigure removes a drop-in that adds nothing to the main config any more.
  if (!configures(rules) && drop && sameValue(drop.data, base().data)) drop = undefined;

  let mainAfter: string | undefined;
  if (drop) {
    ensureImport(main, before, version, dropInPath);
    mainAfter = empty && before === undefined ? createdMain(version, dropInPath) : main.text;
  } else if (before === createdMain(version, dropInPath)) {
    mainAfter = undefined;
  } else {
    removeImport(main, dropInPath);
    mainAfter = before === undefined ? undefined : main.text;
  }
  const plan = [
    { path: configPath, before, after: mainAfter },
    { path: dropInPath, before: dropBefore, after: drop?.text },
  ];
  return { plan, plugin };
}

function planInPlace(
  main: TomlDocument,
  before: string | undefined,
  rules: readonly Rule[],
  target: Omit<CriTarget, "doc">,
): FileChange {
  const created = `${CREATED_HEADER}version = ${target.version}\n`;
  let doc = main;
  if (configures(rules) && Object.keys(main.data).length === 0) {
    // containerd reads a config without `version` as version 1.
    if (before === undefined || before.trim() === "") {
      doc = new TomlDocument(created, main.file);
    } else {
      doc.set(["version"], BigInt(target.version));
      doc.addNote(["version"], "added");
    }
  }
  for (const rule of rules) applyCriRule({ ...target, doc }, rule);
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
