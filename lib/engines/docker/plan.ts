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
import { refuseForeignRuntime } from "../runtime_names.ts";
import { type DockerRestore, type Previous, readRestore, restorePath } from "./restore.ts";

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

/** The value of `features.cdi`, as a record keeps it. */
function cdiValue(doc: JsonDocument): Previous | undefined {
  if (!objectAt(doc, ["features"])) return undefined;
  const value: unknown = doc.get(["features", "cdi"])?.value;
  return ["string", "number", "boolean"].includes(typeof value) ? value as Previous : null;
}

/**
 * Drops the entries of a record that the file no longer bears out (someone
 * changed the value rtconf wrote since), saying so.
 */
function checkRecord(doc: JsonDocument, restore: DockerRestore, warnings: string[]): void {
  const stale = (what: string) =>
    warnings.push(`${doc.file}: ${what} is no longer what rtconf wrote; its record is dropped`);
  for (const [name, entry] of Object.entries(restore.runtimes ?? {})) {
    if (runtimePath(doc, name) !== entry.set) {
      stale(`runtimes.${name}`);
      delete restore.runtimes![name];
    }
  }
  const named = restore["default-runtime"];
  if (named && defaultRuntime(doc) !== named.set) {
    stale("default-runtime");
    delete restore["default-runtime"];
  }
  if (restore.cdi && cdiValue(doc) !== true) {
    stale("features.cdi");
    delete restore.cdi;
  }
}

/**
 * Applies one rule to the document, recording in `restore` what rtconf
 * changes, and undoing only what the record says rtconf did.
 */
function apply(doc: JsonDocument, rule: Rule, restore: DockerRestore): void {
  switch (rule.op) {
    case "add-runtime": {
      const runtimes = restore.runtimes ?? {};
      const recorded = runtimes[rule.name];
      if (!objectAt(doc, ["runtimes"])) {
        doc.set(["runtimes"], { [rule.name]: { path: rule.path } });
        restore.runtimesAdded = true;
        runtimes[rule.name] = { set: rule.path };
      } else if (!objectAt(doc, ["runtimes", rule.name])) {
        doc.set(["runtimes", rule.name], { path: rule.path });
        runtimes[rule.name] = { set: rule.path };
      } else {
        const path = runtimePath(doc, rule.name);
        if (path === rule.path) return;
        // Only `path`: the entry's other keys (`runtimeArgs` above all) stay.
        doc.set(["runtimes", rule.name, "path"], rule.path);
        runtimes[rule.name] = recorded
          ? { ...recorded, set: rule.path }
          : { set: rule.path, ...(path === undefined ? {} : { was: path }) };
      }
      restore.runtimes = runtimes;
      return;
    }
    case "remove-runtime": {
      const recorded = restore.runtimes?.[rule.name];
      if (!recorded) return; // the operator's runtime
      if (recorded.was !== undefined) doc.set(["runtimes", rule.name, "path"], recorded.was);
      else doc.delete(["runtimes", rule.name]);
      delete restore.runtimes![rule.name];
      if (restore.runtimesAdded && doc.get(["runtimes"])?.children?.length === 0) {
        doc.delete(["runtimes"]);
        delete restore.runtimesAdded;
      }
      return;
    }
    case "set-default": {
      const previous = defaultRuntime(doc);
      if (previous === rule.name) return;
      restore["default-runtime"] = {
        set: rule.name,
        was: restore["default-runtime"]?.was ?? previous ?? null,
      };
      doc.set(["default-runtime"], rule.name);
      return;
    }
    case "unset-default": {
      // Only a default that rtconf set (nvidia-ctk leaves Docker's default alone too).
      const recorded = restore["default-runtime"];
      if (recorded?.set !== rule.name) return;
      if (recorded.was !== null) doc.set(["default-runtime"], recorded.was);
      else doc.delete(["default-runtime"]);
      delete restore["default-runtime"];
      return;
    }
    case "enable-cdi": {
      const previous = cdiValue(doc);
      if (previous === true) return;
      if (previous === undefined) {
        doc.set(["features"], { cdi: true });
        restore.cdi = restore.cdi ?? { was: null, featuresAdded: true };
      } else {
        doc.set(["features", "cdi"], true);
        restore.cdi = restore.cdi ?? { was: previous };
      }
      return;
    }
    case "disable-cdi": {
      const recorded = restore.cdi;
      if (!recorded) return;
      if (recorded.was === null) doc.delete(["features", "cdi"]);
      else doc.set(["features", "cdi"], recorded.was);
      if (recorded.featuresAdded && doc.get(["features"])?.children?.length === 0) {
        doc.delete(["features"]);
      }
      delete restore.cdi;
      return;
    }
  }
}

/**
 * Refuses to take over a runtime of the node's that is not one of NVIDIA's
 * (e.g. `--nvidia-runtime-name=runc`).
 */
function refuseForeignRuntimes(
  doc: JsonDocument,
  rules: readonly Rule[],
  restore: DockerRestore,
): void {
  for (const rule of rules) {
    if (rule.op !== "add-runtime" || restore.runtimes?.[rule.name]) continue;
    if (!objectAt(doc, ["runtimes"]) || !objectAt(doc, ["runtimes", rule.name])) continue;
    const path = runtimePath(doc, rule.name) ?? "";
    refuseForeignRuntime(rule, path, { shown: path || "nothing", file: doc.file });
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
 * // The config, and beside it the record of what it replaced (written first).
 * const change = planDocker(
 *   { "/etc/docker/daemon.json": '{\n  "log-driver": "journald"\n}\n' },
 *   [
 *     { op: "add-runtime", name: "nvidia", path: "nvidia-container-runtime" },
 *     { op: "set-default", name: "nvidia" },
 *   ],
 *   { configPath: "/etc/docker/daemon.json", dropInPath: "" },
 * ).find((file) => file.path === "/etc/docker/daemon.json")!;
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
  // The shape of what the rules touch is checked whatever they will change.
  if (objectAt(doc, ["runtimes"])) {
    for (const rule of rules) if ("name" in rule) objectAt(doc, ["runtimes", rule.name]);
  }
  defaultRuntime(doc);
  if (rules.some((rule) => rule.op === "enable-cdi" || rule.op === "disable-cdi")) {
    objectAt(doc, ["features"]);
  }
  const warnings: string[] = [];
  checkRecord(doc, restore, warnings);
  refuseForeignRuntimes(doc, rules, restore);
  const empty = doc.get([])?.children?.length === 0;
  if (configures && empty && !("text" in restore)) restore.text = before ?? null;
  for (const rule of rules) apply(doc, rule, restore);
  if (restore.runtimes && Object.keys(restore.runtimes).length === 0) delete restore.runtimes;
  let after = doc.changed ? bom + doc.text : before;
  if (!configures && "text" in restore && restore.runtimes === undefined) {
    // Back to nothing but {}: the text the file had before configure. A file
    // that was missing stays as {}: a dockerd started with --config-file
    // refuses to start or reload without it.
    if (doc.get([])?.children?.length === 0) after = restore.text ?? "{}\n";
    delete restore.text;
  }
  const restoreAfter = Object.keys(restore).length === 0
    ? undefined
    : `${JSON.stringify(restore, null, 2)}\n`;
  const config = { path: configPath, before, after, ...(warnings.length ? { warnings } : {}) };
  const record = {
    path: recordPath,
    before: restoreBefore,
    after: restoreAfter === restoreBefore ? restoreBefore : restoreAfter,
  };
  // The record goes to disk before the file it describes, and leaves after it:
  // a kill between the two never loses what was there before.
  return record.after === undefined ? [config, record] : [record, config];
}
