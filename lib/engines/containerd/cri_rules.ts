/**
 * The rules applied to the CRI plugin section of one containerd TOML file.
 *
 * @module
 */

import type { TomlDocument } from "../../formats/toml/document.ts";
import {
  copyValue,
  isTable,
  sameValue,
  type TomlTable,
  type TomlValue,
} from "../../formats/toml/values.ts";
import type { Rule } from "../../rules.ts";
import type { SettingKeys } from "../engine.ts";
import { expectTable } from "../in_place.ts";
import { templateRuntime } from "../template_runtime.ts";

/** The runtime type nvidia-ctk fills in. */
export const DEFAULT_RUNTIME_TYPE = "io.containerd.runc.v2";

/** The shims that run runc (or a runtime that works like it, as NVIDIA's does). */
const RUNC_SHIMS = new Set([
  "io.containerd.runc.v2",
  "io.containerd.runc.v1",
  "io.containerd.runtime.v1.linux",
]);

/**
 * Whether a runtime is a runc shim, whose table a new runc-like runtime can
 * copy; a Kata or gVisor runtime is not.
 *
 * @example Usage
 * ```ts
 * import { isRuncShim } from "./cri_rules.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isRuncShim({ runtime_type: "io.containerd.runc.v2", options: { BinaryName: "/usr/bin/nvidia-container-runtime" } }), true);
 * equal(isRuncShim({ runtime_type: "io.containerd.kata.v2" }), false);
 * ```
 *
 * @param table A runtime's table.
 * @returns `true` for a runc shim (or no type, which rtconf fills in).
 */
export function isRuncShim(table: TomlTable): boolean {
  const type = table.runtime_type;
  return type === undefined || type === "" || (typeof type === "string" && RUNC_SHIMS.has(type));
}

/**
 * The runtime a new runtime copies, from the CRI settings the engine uses: the
 * default runtime, else `runc`, else `crun`, whichever first is a runc shim.
 *
 * @example Usage
 * ```ts
 * import { criTemplate } from "./cri_rules.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const runtimes = {
 *   kata: { runtime_type: "io.containerd.kata.v2" },
 *   "nvidia-container-runtime": { runtime_type: "io.containerd.runc.v2", options: { SystemdCgroup: true } },
 * };
 * deepEqual(criTemplate(runtimes, "nvidia-container-runtime"), runtimes["nvidia-container-runtime"]);
 * deepEqual(criTemplate(runtimes, "kata"), undefined);
 * ```
 *
 * @param runtimes The runtimes the files define, by name (a built-in runtime is no template).
 * @param defaultRuntime The default runtime's name.
 * @returns A copy of the template's table, or `undefined` when none is a runc shim.
 */
export function criTemplate(
  runtimes: Record<string, TomlTable>,
  defaultRuntime: string,
): TomlTable | undefined {
  return templateRuntime(runtimes, [defaultRuntime, "runc", "crun"], isRuncShim);
}

/** What the rules act on. */
export interface CriTarget {
  /** The file being edited. */
  doc: TomlDocument;
  /** The config version. */
  version: number;
  /** The CRI plugin id for that version. */
  plugin: string;
  /** The runtime a new runtime copies (see {@linkcode criTemplate}), if any. */
  template: TomlTable | undefined;
  /** `runtime_type` for new runtimes whose template has none. */
  runtimeType: string;
  /** Annotations new runtimes pass on (`container_annotations`), before the template's. */
  containerAnnotations: string[];
  /**
   * Whether the first `runtimes` table in this file takes away containerd
   * 1.x's built-in `runc`, so that rtconf must write it too.
   */
  builtInRunc: boolean;
  /**
   * Whether the file is the operator's, so that the tables rtconf adds carry
   * a `# rtconf: added` note and the values it changes a note of what they
   * were (a file rtconf writes whole needs neither).
   */
  operators: boolean;
}

/**
 * The keys of the CRI settings rtconf edits, for the CRI plugin `plugin`.
 *
 * @example Usage
 * ```ts
 * import { criKeys } from "./cri_rules.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const keys = criKeys("io.containerd.grpc.v1.cri");
 * deepEqual(keys.runtimeExecutable("nvidia"), [
 *   "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "nvidia", "options", "BinaryName",
 * ]);
 * deepEqual(keys.cdi, ["plugins", "io.containerd.grpc.v1.cri", "enable_cdi"]);
 * ```
 *
 * @param plugin The CRI plugin id.
 * @returns The keys.
 */
export function criKeys(plugin: string): SettingKeys & { runtimes: string[]; cdi: string[] } {
  const containerd = ["plugins", plugin, "containerd"];
  return {
    runtimes: [...containerd, "runtimes"],
    runtime: (name) => [...containerd, "runtimes", name],
    runtimeExecutable: (name) => [...containerd, "runtimes", name, "options", "BinaryName"],
    defaultRuntime: [...containerd, "default_runtime_name"],
    cdi: ["plugins", plugin, "enable_cdi"],
    bookkeeping: [["version"], ["imports"]],
  };
}

/**
 * The table of a new runtime: a copy of the template, else a fixed block;
 * then `runtime_type` filled in when empty and the executable set.
 *
 * @param target The file and what it copies.
 * @param path The runtime's executable.
 * @returns The table.
 */
export function newRuntime(target: Omit<CriTarget, "doc">, path: string): TomlTable {
  // nvidia-ctk's fixed block; containerd 2.x (version 3) has no runtime_engine or runtime_root.
  const fixed: TomlTable = target.version >= 3
    ? { privileged_without_host_devices: false, runtime_type: target.runtimeType }
    : {
      privileged_without_host_devices: false,
      runtime_engine: "",
      runtime_root: "",
      runtime_type: target.runtimeType,
    };
  const table: TomlTable = target.template ? copyValue(target.template) : fixed;
  if (!table.runtime_type) table.runtime_type = target.runtimeType;
  if (target.containerAnnotations.length > 0) {
    table.container_annotations = withAnnotations(table.container_annotations, target);
  }
  if (!isTable(table.options)) table.options = {};
  table.options.BinaryName = path;
  if (target.version === 1) table.options.Runtime = path;
  return table;
}

/** The annotations a runtime passes on: rtconf's, then its own that are not among them. */
function withAnnotations(
  existing: TomlValue | undefined,
  target: Omit<CriTarget, "doc">,
): string[] {
  const own = Array.isArray(existing)
    ? existing.filter((item): item is string => typeof item === "string")
    : [];
  return [
    ...target.containerAnnotations,
    ...own.filter((a) => !target.containerAnnotations.includes(a)),
  ];
}

/**
 * The runtime containerd 1.x has built in. Any `runtimes` table replaces the
 * built-in ones, so a file that adds the first runtime adds this one too.
 *
 * @param runtimeType The runc shim.
 * @returns Its table.
 */
export function builtInRunc(runtimeType: string): TomlTable {
  return { runtime_type: runtimeType, sandbox_mode: "podsandbox", options: {} };
}

/** Whether rtconf added the table of runtime `name` to the file (its header says so). */
function added(target: CriTarget, name: string): boolean {
  return !target.operators ||
    target.doc.headerNote(criKeys(target.plugin).runtime(name)) === "added";
}

function addRuntime(target: CriTarget, name: string, path: string): void {
  const { doc } = target;
  const p = criKeys(target.plugin);
  const runtime = p.runtime(name);
  for (const table of [["plugins"], ["plugins", target.plugin], p.runtimes, runtime]) {
    expectTable(doc, table);
  }
  const existing = doc.get(runtime);
  if (isTable(existing)) {
    expectTable(doc, [...runtime, "options"]);
    // The operator's runtime keeps a note of each value rtconf changes.
    const set = added(target, name)
      ? (keys: string[], value: TomlValue) => doc.set(keys, value)
      : (keys: string[], value: TomlValue) => doc.change(keys, value);
    if (!existing.runtime_type) set([...runtime, "runtime_type"], target.runtimeType);
    if (target.containerAnnotations.length > 0) {
      const annotations = withAnnotations(existing.container_annotations, target);
      if (!sameValue(existing.container_annotations, annotations)) {
        set([...runtime, "container_annotations"], annotations);
      }
    }
    set([...runtime, "options", "BinaryName"], path);
    if (target.version === 1) set([...runtime, "options", "Runtime"], path);
    return;
  }
  if (target.builtInRunc && doc.get(p.runtimes) === undefined && name !== "runc") {
    doc.addTable(
      p.runtime("runc"),
      builtInRunc(DEFAULT_RUNTIME_TYPE),
      target.operators ? "added" : undefined,
    );
  }
  doc.addTable(runtime, newRuntime(target, path), target.operators ? "added" : undefined);
}

function removeRuntime(target: CriTarget, name: string): void {
  const { doc } = target;
  const p = criKeys(target.plugin);
  const runtime = p.runtime(name);
  expectTable(doc, p.runtimes);
  expectTable(doc, runtime);
  if (!isTable(doc.get(runtime))) return;
  if (!added(target, name)) {
    // The operator's runtime: only what rtconf changed in it goes back.
    for (const keys of [["runtime_type"], ["options", "BinaryName"], ["options", "Runtime"]]) {
      if (doc.note([...runtime, ...keys]) !== undefined) doc.restore([...runtime, ...keys]);
    }
    return;
  }
  doc.removeTable(runtime);
  // The built-in runc that addRuntime put in goes with the last runtime.
  const runtimes = doc.get(p.runtimes);
  if (isTable(runtimes) && Object.keys(runtimes).join() === "runc" && added(target, "runc")) {
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
  const p = criKeys(target.plugin);
  switch (rule.op) {
    case "add-runtime":
      return addRuntime(target, rule.name, rule.path);
    case "remove-runtime":
      return removeRuntime(target, rule.name);
    case "set-default":
      return target.doc.change(p.defaultRuntime, rule.name);
    case "unset-default":
      // Only a default that rtconf set: one without a note is the operator's.
      if (
        target.doc.get(p.defaultRuntime) === rule.name &&
        (!target.operators || target.doc.note(p.defaultRuntime) !== undefined)
      ) {
        target.doc.restore(p.defaultRuntime);
      }
      return;
    case "enable-cdi":
      return target.doc.change(p.cdi, true);
    case "disable-cdi": {
      const note = target.doc.note(p.cdi);
      if (note === "added" || note?.startsWith("was ")) target.doc.restore(p.cdi);
    }
  }
}
