/**
 * CRI-O: runtimes in `crio.conf`, through a drop-in file in
 * `/etc/crio/crio.conf.d/` or in place.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { TomlDocument } from "../../formats/toml/document.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import {
  isTable,
  mergeTables,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../../formats/toml/values.ts";
import { CREATED_HEADER, type Plan, writtenHeader } from "../../plan.ts";
import type { Rule } from "../../rules.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import type { SettingKeys } from "../plan_check.ts";
import { templateRuntime } from "../template_runtime.ts";

/** The first line of a drop-in rtconf writes. */
const CRIO_DROP_IN_HEADER: string = writtenHeader("CRI-O");

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

function expectTable(doc: TomlDocument, keys: string[]): void {
  const value = doc.get(keys);
  if (value !== undefined && !isTable(value)) {
    throw new RtconfError(`${doc.file}: ${keys.join(".")} is not a table`);
  }
}

/** Applies one rule to a CRI-O file; `effective` is the config CRI-O sees, to copy from. */
function applyRule(doc: TomlDocument, rule: Rule, effective: TomlTable): void {
  switch (rule.op) {
    case "add-runtime": {
      const keys = [...RUNTIMES, rule.name];
      for (let i = 1; i <= keys.length; i++) expectTable(doc, keys.slice(0, i));
      if (isTable(doc.get(keys))) {
        doc.set([...keys, "runtime_path"], rule.path);
        doc.set([...keys, "runtime_type"], "oci");
        return;
      }
      const table = templateRuntime(valueAt(effective, RUNTIMES), valueAt(effective, DEFAULT)) ??
        {};
      table.runtime_path = rule.path;
      table.runtime_type = "oci";
      doc.addTable(keys, table);
      return;
    }
    case "remove-runtime":
      expectTable(doc, [...RUNTIMES, rule.name]);
      doc.removeTable([...RUNTIMES, rule.name]);
      return;
    case "set-default":
      expectTable(doc, RUNTIME);
      doc.change(DEFAULT, rule.name);
      return;
    case "unset-default":
      if (doc.get(DEFAULT) === rule.name) doc.restore(DEFAULT);
      return;
    case "enable-cdi":
    case "disable-cdi":
      // CRI-O always has CDI; the CLI warns that the flag is ignored.
      return;
  }
}

/** Whether a table holds no value at all (only empty tables, if anything). */
function holdsNothing(value: TomlValue): boolean {
  return isTable(value) && Object.values(value).every(holdsNothing);
}

/**
 * Plans the changes to CRI-O's files for the rules.
 *
 * - Drop-in mode writes only the drop-in: the runtime's table (a copy of the
 *   default runtime's, else `runc`'s, else `crun`'s, with `runtime_path` and
 *   `runtime_type = "oci"`) and, when asked, `crio.runtime.default_runtime`.
 *   Unconfigure removes the drop-in when nothing is left in it.
 * - In place (`dropInPath` `""`) edits `crio.conf`, keeping all it had
 *   (nvidia-ctk replaces the whole file with the runtime table: a marked bug).
 *
 * The plan is not checked; `planEngine` checks it.
 *
 * @example Usage
 * ```ts
 * import { planCrio } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * const [dropIn] = planCrio(
 *   {},
 *   [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 *   { configPath: "/etc/crio/crio.conf", dropInPath: "/etc/crio/crio.conf.d/99-nvidia.toml" },
 * );
 * equal(dropIn.after?.includes('runtime_path = "/usr/bin/nvidia-container-runtime"'), true);
 * ```
 *
 * @param texts The texts of the main config and the drop-in (`undefined` when missing).
 * @param rules The rules.
 * @param options The files and the config source.
 * @returns The plan: the drop-in in drop-in mode, else the main config.
 * @throws {RtconfError} for invalid TOML or a config rtconf cannot edit.
 */
export function planCrio(texts: FileTexts, rules: readonly Rule[], options: EngineOptions): Plan {
  const { configPath, dropInPath } = options;
  const before = texts[configPath];
  const command = options.source === undefined
    ? undefined
    : parseToml(options.source, "crio status config");
  const configures = rules.some((rule) => rule.op === "add-runtime");
  if (dropInPath === "") {
    const created = before === undefined && configures;
    const doc = new TomlDocument(created ? CREATED_HEADER : before ?? "", configPath);
    // The values as read: later edits give the document new values, not this object.
    const source = command ?? doc.data;
    for (const rule of rules) applyRule(doc, rule, source);
    // A file rtconf created goes when nothing but its header is left.
    const after = doc.text === CREATED_HEADER || (before === undefined && doc.text === "")
      ? undefined
      : doc.text;
    return [{ path: configPath, before, after }];
  }
  const dropBefore = texts[dropInPath];
  if (dropBefore === undefined && !configures) {
    return [{ path: dropInPath, before: undefined, after: undefined }];
  }
  const doc = new TomlDocument(dropBefore ?? CRIO_DROP_IN_HEADER, dropInPath);
  const effective = command ?? mergeTables(parseToml(before ?? "", configPath), doc.data);
  for (const rule of rules) applyRule(doc, rule, effective);
  const empty = !configures && holdsNothing(doc.data);
  return [{ path: dropInPath, before: dropBefore, after: empty ? undefined : doc.text }];
}
