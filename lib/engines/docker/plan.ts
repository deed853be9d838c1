/**
 * Docker: runtimes in `daemon.json`, edited member by member in the file's
 * own layout.
 *
 * @module
 */

import { JsonDocument } from "../../formats/json/document.ts";
import type { Plan } from "../../plan.ts";
import type { Rule } from "../../rules.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import type { SettingKeys } from "../engine.ts";
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
 * counts as `{}`; configure writes it with four-space indentation and a final
 * newline and records its text (or that there was none); unconfigure puts
 * that text back when nothing else was added since. A file that was missing
 * is left as `{}`: a dockerd started with `--config-file` needs it.
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
  const empty = doc.get([])?.children?.length === 0;
  if (configures && empty && !("text" in restore)) restore.text = before ?? null;
  for (const rule of rules) apply(doc, rule, restore);
  let after = doc.changed ? bom + doc.text : before;
  if (!configures && "text" in restore) {
    // Back to nothing but {}: the text the file had before configure. A file
    // that was missing stays as {}: a dockerd started with --config-file
    // refuses to start or reload without it.
    if (doc.get([])?.children?.length === 0) after = restore.text ?? "{}\n";
    delete restore.text;
  }
  const restoreAfter = Object.keys(restore).length === 0
    ? undefined
    : `${JSON.stringify(restore, null, 2)}\n`;
  const plan = [
    { path: configPath, before, after },
    {
      path: recordPath,
      before: restoreBefore,
      after: restoreAfter === restoreBefore ? restoreBefore : restoreAfter,
    },
  ];
  return plan;
}
