/**
 * CRI-O: runtimes in a drop-in file in `/etc/crio/crio.conf.d/`, or in place
 * in `crio.conf` — decided from the configuration CRI-O really uses (see
 * `effective.ts`).
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { TomlDocument } from "../../formats/toml/document.ts";
import { isTable, sameValue, type TomlTable, valueAt } from "../../formats/toml/values.ts";
import { type Plan, writtenHeader } from "../../plan.ts";
import type { Rule } from "../../rules.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import { type DropInState, nextDropInState } from "../drop_in_state.ts";
import { expectTable, planInPlace, undoChange } from "../in_place.ts";
import { refuseForeignRuntime } from "../runtime_names.ts";
import { templateRuntime } from "../template_runtime.ts";
import { parseToml } from "../../formats/toml/parse.ts";
import {
  CRIO_KEYS,
  crioFiles,
  crioView,
  dropInDir,
  mergedCrio,
  refuseCrioOverrides,
} from "./effective.ts";

const RUNTIME = ["crio", "runtime"];

/**
 * Whether a runtime runs containers as an OCI runtime does (`runtime_type`
 * `oci`, or none), with none of the settings of a VM runtime: only such a
 * runtime is a template for NVIDIA's.
 *
 * @example Usage
 * ```ts
 * import { isOciRuntime } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isOciRuntime({ runtime_path: "/usr/libexec/crio/crun", monitor_path: "/usr/libexec/crio/conmon" }), true);
 * equal(isOciRuntime({ runtime_type: "vm", runtime_config_path: "/opt/kata/configuration.toml" }), false);
 * ```
 *
 * @param table A runtime's table.
 * @returns `true` for an OCI runtime.
 */
export function isOciRuntime(table: TomlTable): boolean {
  const type = table.runtime_type;
  return (type === undefined || type === "" || type === "oci") &&
    table.runtime_config_path === undefined;
}

/** The table of a new runtime: the template's settings, then the runtime's own. */
function runtimeTable(template: TomlTable | undefined, path: string): TomlTable {
  return { ...(template ?? {}), runtime_path: path, runtime_type: "oci" };
}

/** Applies one rule to `crio.conf` in place, with notes of what rtconf added and changed. */
function applyRule(doc: TomlDocument, rule: Rule, template: TomlTable | undefined): void {
  switch (rule.op) {
    case "add-runtime": {
      const keys = CRIO_KEYS.runtime(rule.name);
      expectTable(doc, keys);
      if (isTable(doc.get(keys))) {
        // The operator's runtime keeps a note of what rtconf changes in it.
        const set = doc.headerNote(keys) === "added"
          ? (at: string[], value: string) => doc.set(at, value)
          : (at: string[], value: string) => doc.change(at, value);
        set([...keys, "runtime_path"], rule.path);
        set([...keys, "runtime_type"], "oci");
        return;
      }
      doc.addTable(keys, runtimeTable(template, rule.path), "added");
      return;
    }
    case "remove-runtime": {
      const keys = CRIO_KEYS.runtime(rule.name);
      expectTable(doc, keys);
      if (!isTable(doc.get(keys))) return;
      if (doc.headerNote(keys) === "added") {
        doc.removeTable(keys);
        return;
      }
      for (const key of ["runtime_path", "runtime_type"]) {
        undoChange(doc, [...keys, key]);
      }
      return;
    }
    case "set-default":
      expectTable(doc, RUNTIME);
      doc.change(CRIO_KEYS.defaultRuntime, rule.name);
      return;
    case "unset-default":
      // Only a default that rtconf set: one without a note is the operator's.
      undoChange(doc, CRIO_KEYS.defaultRuntime, rule.name);
      return;
    case "enable-cdi":
    case "disable-cdi":
      // CRI-O always has CDI; the CLI warns that the flag is ignored.
      return;
  }
}

/**
 * Refuses to take over a runtime of the node's that is not one of NVIDIA's
 * (e.g. `--nvidia-runtime-name=runc`).
 */
function refuseForeignRuntimes(
  rules: readonly Rule[],
  runtimes: Record<string, TomlTable>,
  main: TomlDocument | undefined,
): void {
  for (const rule of rules) {
    if (rule.op !== "add-runtime" || runtimes[rule.name] === undefined) continue;
    if (main?.headerNote(CRIO_KEYS.runtime(rule.name)) === "added") continue; // rtconf's own
    const path = runtimes[rule.name].runtime_path;
    const executable = typeof path === "string" ? path : "";
    refuseForeignRuntime(rule, executable, { shown: executable || rule.name });
  }
}

/** What an earlier run left in the drop-in: its runtimes and the default. */
function previousState(previous: TomlDocument | undefined): DropInState {
  const state: DropInState = { runtimes: new Map() };
  if (!previous) return state;
  const runtimes = valueAt(previous.data, [...RUNTIME, "runtimes"]);
  for (const [name, table] of Object.entries(isTable(runtimes) ? runtimes : {})) {
    const path = isTable(table) ? table.runtime_path : undefined;
    if (typeof path === "string") state.runtimes.set(name, path);
  }
  const named = valueAt(previous.data, CRIO_KEYS.defaultRuntime);
  if (typeof named === "string" && state.runtimes.has(named)) state.defaultRuntime = named;
  return state;
}

/**
 * Plans the changes to CRI-O's files for the rules.
 *
 * Decisions come from the configuration CRI-O uses: `crio.conf`, then the
 * files of its drop-in directory, without rtconf's own drop-in.
 *
 * - A new runtime copies the default runtime, else `runc`, else `crun`,
 *   whichever first is an OCI runtime (a VM runtime such as Kata never is) —
 *   so it finds conmon where they do — with its own `runtime_path` and
 *   `runtime_type = "oci"`; derived again on every run.
 * - Drop-in mode writes only the drop-in: the runtimes and, when asked,
 *   `crio.runtime.default_runtime`. Unconfigure removes the drop-in when no
 *   runtime of rtconf's is left.
 * - In place (`dropInPath` `""`) edits `crio.conf`, keeping all it had
 *   (nvidia-ctk replaces the whole file with the runtime table: a marked bug).
 * - A file read after rtconf's that overrides what was asked is named in a
 *   one-line refusal.
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
 * @param texts The texts of `crio.conf` and of every file of the drop-in
 * directory (`undefined` when missing).
 * @param rules The rules.
 * @param options The files and the config source.
 * @returns The plan: the drop-in in drop-in mode, else the main config.
 * @throws {RtconfError} for invalid TOML, a config rtconf cannot edit, or a
 * file that overrides what was asked.
 */
export function planCrio(texts: FileTexts, rules: readonly Rule[], options: EngineOptions): Plan {
  const { configPath, dropInPath } = options;
  const dir = dropInDir(options);
  if (dropInPath !== "" && !dropInPath.startsWith(`${dir}/`)) {
    throw new RtconfError(
      `${dropInPath}: CRI-O reads drop-ins from ${dir} only and would never load this one; ` +
        `nothing was written: put it in ${dir} with --drop-in-config`,
    );
  }
  const configures = rules.some((rule) => rule.op === "add-runtime");
  // The node's own configuration: everything but rtconf's drop-in.
  const node = crioFiles(
    dropInPath === "" ? texts : { ...texts, [dropInPath]: undefined },
    options,
  );
  if (options.source !== undefined) {
    node.unshift({
      path: "crio status config",
      data: parseToml(options.source, "crio status config"),
    });
  }
  const view = crioView(mergedCrio(node));
  const template = templateRuntime(
    view.runtimes,
    [view.defaultRuntime, "runc", "crun"],
    isOciRuntime,
  );
  const main = dropInPath === "" && texts[configPath] !== undefined
    ? new TomlDocument(texts[configPath]!, configPath)
    : undefined;
  refuseForeignRuntimes(rules, view.runtimes, main);
  const plan = dropInPath === ""
    ? planInPlace(texts, rules, configPath, (doc, rule) => applyRule(doc, rule, template))
    : planDropIn(texts, rules, dropInPath, template);
  if (configures) {
    const planned: Record<string, string | undefined> = { ...texts };
    for (const change of plan) planned[change.path] = change.after;
    refuseCrioOverrides(planned, rules, options, dropInPath || configPath);
  }
  return plan;
}

function planDropIn(
  texts: FileTexts,
  rules: readonly Rule[],
  dropInPath: string,
  template: TomlTable | undefined,
): Plan {
  const before = texts[dropInPath];
  const previous = before === undefined ? undefined : new TomlDocument(before, dropInPath);
  if (previous && !before!.startsWith(writtenHeader("CRI-O"))) {
    // nvidia-ctk's drop-in holds runtimes and the default only: rtconf takes it over.
    const runtime = valueAt(previous.data, RUNTIME);
    const others = [
      ...Object.keys(previous.data).filter((key) => key !== "crio"),
      ...Object.keys(isTable(previous.data.crio) ? previous.data.crio : {})
        .filter((key) => key !== "runtime").map((key) => `crio.${key}`),
      ...Object.keys(isTable(runtime) ? runtime : {})
        .filter((key) => key !== "runtimes" && key !== "default_runtime")
        .map((key) => `crio.runtime.${key}`),
    ];
    if (others.length > 0) {
      throw new RtconfError(
        `${dropInPath}: holds settings that neither rtconf nor nvidia-ctk writes ` +
          `(${others.join(", ")}); nothing was written: give rtconf a drop-in of its own ` +
          "with --drop-in-config",
      );
    }
  }
  const state = nextDropInState(previousState(previous), rules);
  if (state.runtimes.size === 0) {
    return [{ path: dropInPath, before, after: undefined, own: true, readWhole: true }];
  }
  const doc = new TomlDocument(writtenHeader("CRI-O"), dropInPath);
  if (state.defaultRuntime !== undefined) {
    doc.set(CRIO_KEYS.defaultRuntime, state.defaultRuntime);
  }
  for (const [name, path] of state.runtimes) {
    doc.addTable(CRIO_KEYS.runtime(name), runtimeTable(template, path));
  }
  // An earlier run's text that says the same stays as it is.
  const after = previous && sameValue(previous.data, doc.data) ? before : doc.text;
  return [{ path: dropInPath, before, after, own: true, readWhole: true }];
}
