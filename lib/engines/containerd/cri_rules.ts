/**
 * The rules applied to the CRI plugin section of one containerd TOML file.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import type { TomlDocument } from "../../formats/toml/document.ts";
import { isTable, type TomlTable, valueAt } from "../../formats/toml/values.ts";
import type { Rule } from "../../rules.ts";
import type { SettingKeys } from "../plan_check.ts";
import { templateRuntime } from "../template_runtime.ts";

/** The runtime type nvidia-ctk fills in. */
export const DEFAULT_RUNTIME_TYPE = "io.containerd.runc.v2";

/** What the rules act on. */
export interface CriTarget {
  /** The file being edited. */
  doc: TomlDocument;
  /** The config version. */
  version: number;
  /** The CRI plugin id for that version. */
  plugin: string;
  /** The CRI section containerd will see, to copy a new runtime's options from. */
  effective: TomlTable | undefined;
  /** `runtime_type` for new runtimes whose template has none. */
  runtimeType: string;
}

/**
 * The keys of the CRI settings rtconf edits, for the CRI plugin `plugin`.
 *
 * @example Usage
 * ```ts
 * import { criKeys } from "./cri_rules.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const keys = criKeys("io.containerd.grpc.v1.cri", 2);
 * deepEqual(keys.runtimeExecutable("nvidia"), [
 *   "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "nvidia", "options", "BinaryName",
 * ]);
 * deepEqual(keys.cdi, ["plugins", "io.containerd.grpc.v1.cri", "enable_cdi"]);
 * ```
 *
 * @param plugin The CRI plugin id.
 * @param version The config version.
 * @returns The keys.
 */
export function criKeys(
  plugin: string,
  version: number,
): SettingKeys & { runtimes: string[]; cdi: string[] } {
  const containerd = ["plugins", plugin, "containerd"];
  return {
    runtimes: [...containerd, "runtimes"],
    runtime: (name) => [...containerd, "runtimes", name],
    runtimeExecutable: (name) => [...containerd, "runtimes", name, "options", "BinaryName"],
    defaultRuntime: [...containerd, "default_runtime_name"],
    cdi: ["plugins", plugin, "enable_cdi"],
    bookkeeping: [["version"], ["imports"]],
    // containerd 1.x drops its built-in runc when a file has a runtimes table.
    addedWhereMissing: version <= 2 ? [[...containerd, "runtimes", "runc"]] : [],
  };
}

function keysOf(target: CriTarget) {
  return criKeys(target.plugin, target.version);
}

/**
 * The table of a new runtime: a copy of the default runtime's (unless it is
 * one of NVIDIA's), else of `runc`, else of `crun`, else a fixed block; then
 * `runtime_type` filled in when empty and the executable set.
 */
function newRuntime(target: CriTarget, path: string): TomlTable {
  const effective = target.effective;
  const defaultName = valueAt(effective, ["containerd", "default_runtime_name"]);
  let table = templateRuntime(valueAt(effective, ["containerd", "runtimes"]), defaultName);
  table ??= {
    privileged_without_host_devices: false,
    runtime_engine: "",
    runtime_root: "",
    runtime_type: target.runtimeType,
  };
  if (!table.runtime_type) table.runtime_type = target.runtimeType;
  if (!isTable(table.options)) table.options = {};
  table.options.BinaryName = path;
  if (target.version === 1) table.options.Runtime = path;
  return table;
}

/**
 * The runtime containerd 1.x has built in. Any `runtimes` table replaces the
 * built-in ones, so a file that adds the first runtime adds this one too.
 */
function builtInRunc(runtimeType: string): TomlTable {
  return { runtime_type: runtimeType, sandbox_mode: "podsandbox", options: {} };
}

function expectTable(target: CriTarget, keys: string[]): void {
  const value = target.doc.get(keys);
  if (value !== undefined && !isTable(value)) {
    throw new RtconfError(`${target.doc.file}: ${keys.join(".")} is not a table`);
  }
}

function addRuntime(target: CriTarget, name: string, path: string): void {
  const { doc } = target;
  const p = keysOf(target);
  for (const table of [["plugins"], ["plugins", target.plugin], p.runtimes, p.runtime(name)]) {
    expectTable(target, table);
  }
  const existing = doc.get(p.runtime(name));
  if (isTable(existing)) {
    expectTable(target, [...p.runtime(name), "options"]);
    if (!existing.runtime_type) doc.set([...p.runtime(name), "runtime_type"], target.runtimeType);
    doc.set([...p.runtime(name), "options", "BinaryName"], path);
    if (target.version === 1) doc.set([...p.runtime(name), "options", "Runtime"], path);
    return;
  }
  const builtIn = target.version <= 2 && doc.get(p.runtimes) === undefined &&
    valueAt(target.effective, ["containerd", "runtimes"]) === undefined && name !== "runc";
  if (builtIn) {
    doc.addTable(p.runtime("runc"), builtInRunc(target.runtimeType));
    doc.addNote([...p.runtime("runc"), "runtime_type"], "added");
  }
  doc.addTable(p.runtime(name), newRuntime(target, path));
}

function removeRuntime(target: CriTarget, name: string): void {
  const { doc } = target;
  const p = keysOf(target);
  expectTable(target, p.runtimes);
  expectTable(target, p.runtime(name));
  doc.removeTable(p.runtime(name));
  // The built-in runc that addRuntime put in goes with the last runtime.
  const runtimes = doc.get(p.runtimes);
  if (
    isTable(runtimes) && Object.keys(runtimes).join() === "runc" &&
    doc.note([...p.runtime("runc"), "runtime_type"]) === "added"
  ) {
    doc.removeTable(p.runtime("runc"));
  }
}

/**
 * Applies one rule to the CRI section of a file.
 *
 * @param target The file and its CRI plugin.
 * @param rule The rule.
 */
export function applyCriRule(target: CriTarget, rule: Rule): void {
  const p = keysOf(target);
  switch (rule.op) {
    case "add-runtime":
      return addRuntime(target, rule.name, rule.path);
    case "remove-runtime":
      return removeRuntime(target, rule.name);
    case "set-default":
      return target.doc.change(p.defaultRuntime, rule.name);
    case "unset-default":
      if (target.doc.get(p.defaultRuntime) === rule.name) target.doc.restore(p.defaultRuntime);
      return;
    case "enable-cdi":
      return target.doc.change(p.cdi, true);
    case "disable-cdi": {
      const note = target.doc.note(p.cdi);
      if (note === "added" || note?.startsWith("was ")) target.doc.restore(p.cdi);
    }
  }
}
