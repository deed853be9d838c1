/**
 * Docker: runtimes in `daemon.json`, edited member by member in the file's
 * own layout.
 *
 * @module
 */

import { JsonDocument } from "../../formats/json/document.ts";
import type { Plan } from "../../plan.ts";
import { configureRules, type Rule, type RuntimeSpec } from "../../rules.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import type { SettingKeys } from "../plan_check.ts";
import { type DockerRestore, readRestore, restorePath } from "./restore.ts";

/**
 * Where `daemon.json` keeps the settings rtconf changes.
 */
export const DOCKER_KEYS: SettingKeys = {
  runtime: (name) => ["runtimes", name],
  runtimeExecutable: (name) => ["runtimes", name, "path"],
  defaultRuntime: ["default-runtime"],
  cdi: ["features", "cdi"],
};

/** Checks that the value under `keys`, if any, is an object. */
function objectAt(doc: JsonDocument, keys: string[]): boolean {
  const node = doc.get(keys);
  if (node === undefined) return false;
  if (node.type !== "object") throw doc.typeError(keys, node, "an object");
  return true;
}

/** The value of `default-runtime`, checked to be a string. */
function defaultRuntime(doc: JsonDocument): string | undefined {
  const node = doc.get(["default-runtime"]);
  if (node === undefined) return undefined;
  if (node.type !== "string") throw doc.typeError(["default-runtime"], node, "a string");
  return node.value as string;
}

/** The executable of the runtime `name`, when the file has it as a string. */
function runtimePath(doc: JsonDocument, name: string): string | undefined {
  if (!objectAt(doc, ["runtimes"]) || !objectAt(doc, ["runtimes", name])) return undefined;
  const node = doc.get(["runtimes", name, "path"]);
  return node?.type === "string" ? node.value as string : undefined;
}

/** Applies one rule to the document, recording in `restore` what unconfigure puts back. */
function apply(doc: JsonDocument, rule: Rule, restore: DockerRestore): void {
  switch (rule.op) {
    case "add-runtime": {
      if (!objectAt(doc, ["runtimes"])) {
        doc.set(["runtimes"], { [rule.name]: { path: rule.path } });
      } else if (!objectAt(doc, ["runtimes", rule.name])) {
        doc.set(["runtimes", rule.name], { path: rule.path });
      } else if (runtimePath(doc, rule.name) !== rule.path) {
        // Only `path`: the entry's other keys (`runtimeArgs` above all) stay.
        doc.set(["runtimes", rule.name, "path"], rule.path);
      }
      return;
    }
    case "set-default": {
      const previous = defaultRuntime(doc);
      if (previous === rule.name) return;
      if (previous !== undefined && !("default-runtime" in restore)) {
        restore["default-runtime"] = previous;
      }
      doc.set(["default-runtime"], rule.name);
      return;
    }
    case "unset-default":
      if (defaultRuntime(doc) !== rule.name) return;
      if (restore["default-runtime"] !== undefined) {
        doc.set(["default-runtime"], restore["default-runtime"]);
      } else doc.delete(["default-runtime"]);
      delete restore["default-runtime"];
      return;
    case "enable-cdi": {
      if (!objectAt(doc, ["features"])) {
        if (!("features.cdi" in restore)) {
          Object.assign(restore, { "features.cdi": null, features: null });
        }
        doc.set(["features"], { cdi: true });
        return;
      }
      const cdi = doc.get(["features", "cdi"]);
      if (cdi?.type === "boolean" && cdi.value === true) return;
      if (!("features.cdi" in restore)) {
        const value: unknown = cdi?.value;
        const primitive = ["string", "number", "boolean"].includes(typeof value);
        restore["features.cdi"] = primitive ? value as string | number | boolean : null;
      }
      doc.set(["features", "cdi"], true);
      return;
    }
    case "remove-runtime":
      if (!objectAt(doc, ["runtimes"]) || !objectAt(doc, ["runtimes", rule.name])) return;
      doc.delete(["runtimes", rule.name]);
      if (doc.get(["runtimes"])?.children?.length === 0) doc.delete(["runtimes"]);
      return;
    case "disable-cdi": {
      // Only what configure changed, as the restore file says.
      if (!("features.cdi" in restore) || !objectAt(doc, ["features"])) return;
      const previous = restore["features.cdi"];
      if (previous === null || previous === undefined) doc.delete(["features", "cdi"]);
      else doc.set(["features", "cdi"], previous);
      if ("features" in restore && doc.get(["features"])?.children?.length === 0) {
        doc.delete(["features"]);
      }
      delete restore["features.cdi"];
      delete restore.features;
      return;
    }
  }
}

/** The text configure writes for these rules when the file does not exist. */
function created(rules: readonly Rule[], configPath: string): { text: string; restore: string } {
  const doc = new JsonDocument("", configPath);
  const restore: DockerRestore = {};
  for (const rule of rules) apply(doc, rule, restore);
  return { text: doc.text, restore: JSON.stringify(restore) };
}

/**
 * The configure rules that would have created this file from nothing, for the
 * runtimes an unconfigure removes (with the paths the file holds), or
 * `undefined` when the file does not hold them.
 */
function creatingRules(doc: JsonDocument, rules: readonly Rule[]): Rule[] | undefined {
  const runtimes: RuntimeSpec[] = [];
  for (const rule of rules) {
    if (rule.op !== "remove-runtime") continue;
    const path = runtimePath(doc, rule.name);
    if (path === undefined) return undefined;
    runtimes.push({ name: rule.name, path });
  }
  if (runtimes.length === 0) return undefined;
  const current = defaultRuntime(doc);
  return configureRules({
    runtimes,
    setAsDefault: runtimes.some((runtime) => runtime.name === current) ? current : undefined,
    enableCdi: rules.some((rule) => rule.op === "disable-cdi"),
  });
}

/**
 * Plans the changes to `daemon.json` for the rules.
 *
 * - `add-runtime` sets `runtimes.<name>.path` (nvidia-ctk's `args` key, which
 *   Docker does not define, is not written); an existing entry keeps its other
 *   keys, `runtimeArgs` above all.
 * - `set-default` sets `default-runtime`; `unset-default` removes a
 *   `default-runtime` that names the runtime (nvidia-ctk resets it to `runc`).
 * - `enable-cdi` sets `features.cdi` and keeps the other feature flags.
 * - `remove-runtime` removes `runtimes.<name>`, and `runtimes` when it becomes
 *   empty. `disable-cdi` does nothing: `features.cdi` is harmless and JSON
 *   cannot record whether rtconf added it.
 *
 * Only the members that change are touched: indentation, key order, line ends
 * and the final newline (or its absence) stay. A missing, empty or blank file
 * counts as `{}`; configure creates it with four-space indentation and a final
 * newline, and unconfigure removes a file that holds exactly what configure
 * would have created from nothing.
 *
 * The plan is not checked; `planEngine` checks it.
 *
 * @example Usage
 * ```ts
 * import { planDocker } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * const [change] = planDocker(
 *   { "/etc/docker/daemon.json": '{\n  "log-driver": "journald"\n}\n' },
 *   [
 *     { op: "add-runtime", name: "nvidia", path: "nvidia-container-runtime" },
 *     { op: "set-default", name: "nvidia" },
 *   ],
 *   { configPath: "/etc/docker/daemon.json", dropInPath: "" },
 * );
 * equal(
 *   change.after,
 *   '{\n  "log-driver": "journald",\n  "runtimes": {\n    "nvidia": {\n      "path": "nvidia-container-runtime"\n    }\n  },\n  "default-runtime": "nvidia"\n}\n',
 * );
 * ```
 *
 * @param texts The text of the config (`undefined` when missing).
 * @param rules The rules.
 * @param options The config file.
 * @returns The plan: the config file.
 * @throws {RtconfError} for invalid JSON, a top-level value that is not an
 * object, or a member of the wrong type.
 */
export function planDocker(
  texts: FileTexts,
  rules: readonly Rule[],
  options: EngineOptions,
): Plan {
  const { configPath } = options;
  const recordPath = restorePath(configPath);
  const before = texts[configPath];
  const restoreBefore = texts[recordPath];
  const restore = readRestore(restoreBefore, recordPath);
  const configures = rules.some((rule) => rule.op === "add-runtime");
  const unchanged = [
    { path: configPath, before, after: before },
    { path: recordPath, before: restoreBefore, after: restoreBefore },
  ];
  if (before === undefined && !configures) return unchanged;
  // dockerd reads a daemon.json that starts with a byte order mark; so does rtconf, and keeps it.
  const bom = before?.startsWith("\uFEFF") ? "\uFEFF" : "";
  const doc = new JsonDocument(before?.slice(bom.length) ?? "", configPath);
  if (!configures && before !== undefined) {
    const creating = creatingRules(doc, rules);
    const made = creating && created(creating, configPath);
    if (made && before === bom + made.text && JSON.stringify(restore) === made.restore) {
      return [
        { path: configPath, before, after: undefined },
        { path: recordPath, before: restoreBefore, after: undefined },
      ];
    }
  }
  for (const rule of rules) apply(doc, rule, restore);
  const restoreAfter = Object.keys(restore).length === 0
    ? undefined
    : `${JSON.stringify(restore, null, 2)}\n`;
  const plan = [
    { path: configPath, before, after: doc.changed ? bom + doc.text : before },
    {
      path: recordPath,
      before: restoreBefore,
      after: restoreAfter === restoreBefore ? restoreBefore : restoreAfter,
    },
  ];
  return plan;
}
