/**
 * Docker: runtimes in `daemon.json`, edited member by member in the file's
 * own layout.
 *
 * @module
 */

import type { Engine, FileTexts } from "../engine.ts";
import type { Plan } from "../plan.ts";
import { configureRules, type Rule, type RuntimeSpec } from "../rules.ts";
import { verifyPlan } from "../verify.ts";
import { RtconfError } from "../errors.ts";
import { JsonDocument } from "./json.ts";

/**
 * How Docker is configured.
 *
 * @example Usage
 * ```ts
 * import { type DockerOptions, planDocker } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const options: DockerOptions = { configPath: "/etc/docker/daemon.json" };
 * equal(planDocker({}, [], options)[0].path, "/etc/docker/daemon.json");
 * ```
 */
export interface DockerOptions {
  /** The daemon config, e.g. `/etc/docker/daemon.json`. */
  configPath: string;
}

/** Checks that the value at `path`, if any, is an object. */
function objectAt(doc: JsonDocument, path: string[]): boolean {
  const node = doc.get(path);
  if (node === undefined) return false;
  if (node.type !== "object") throw doc.typeError(path, node, "an object");
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

/**
 * What configure changed in `daemon.json` and unconfigure puts back: the
 * previous `default-runtime` and `features.cdi` (`null`: there was none),
 * kept in a file beside the config because dockerd refuses unknown keys in
 * daemon.json.
 *
 * @example Usage
 * ```ts
 * import type { DockerRestore } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const restore: DockerRestore = { "default-runtime": "runc", "features.cdi": null };
 * equal(restore["default-runtime"], "runc");
 * ```
 */
export type DockerRestore = {
  /** The `default-runtime` before configure changed it. */
  "default-runtime"?: string;
  /** `features.cdi` before configure set it; `null`: there was none. */
  "features.cdi"?: string | number | boolean | null;
  /** Present when configure created the `features` object. */
  features?: null;
};

/**
 * Where rtconf keeps what unconfigure puts back into a `daemon.json`.
 *
 * @example Usage
 * ```ts
 * import { dockerRestorePath } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(dockerRestorePath("/etc/docker/daemon.json"), "/etc/docker/daemon.json.rtconf-restore.json");
 * ```
 *
 * @param configPath The daemon.json.
 * @returns The restore file beside it.
 */
export function dockerRestorePath(configPath: string): string {
  return `${configPath}.rtconf-restore.json`;
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

/** The restore file's record, or none. */
function readRestore(text: string | undefined, path: string): DockerRestore {
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new RtconfError(
    `${path}: not rtconf's restore record (a JSON object); remove it or fix it`,
  );
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
 * @example Usage
 * ```ts
 * import { planDocker } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const [change] = planDocker(
 *   { "/etc/docker/daemon.json": '{\n  "log-driver": "journald"\n}\n' },
 *   [
 *     { op: "add-runtime", name: "nvidia", path: "nvidia-container-runtime" },
 *     { op: "set-default", name: "nvidia" },
 *   ],
 *   { configPath: "/etc/docker/daemon.json" },
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
  options: DockerOptions,
): Plan {
  const { configPath } = options;
  const restorePath = dockerRestorePath(configPath);
  const before = texts[configPath];
  const restoreBefore = texts[restorePath];
  const restore = readRestore(restoreBefore, restorePath);
  const configures = rules.some((rule) => rule.op === "add-runtime");
  const unchanged = [
    { path: configPath, before, after: before },
    { path: restorePath, before: restoreBefore, after: restoreBefore },
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
        { path: restorePath, before: restoreBefore, after: undefined },
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
      path: restorePath,
      before: restoreBefore,
      after: restoreAfter === restoreBefore ? restoreBefore : restoreAfter,
    },
  ];
  verifyPlan(plan.slice(0, 1), rules, {
    runtime: (name) => ["runtimes", name],
    runtimePath: (name) => ["runtimes", name, "path"],
    defaultRuntime: ["default-runtime"],
    cdi: ["features", "cdi"],
  }, (text) => text.trim() === "" ? {} : JSON.parse(text.slice(bom.length)));
  return plan;
}

/**
 * The Docker engine.
 *
 * @example Usage
 * ```ts
 * import { docker } from "@rtconf/rtconf";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * deepEqual(docker.files({ configPath: "/etc/docker/daemon.json" }), [
 *   "/etc/docker/daemon.json",
 *   "/etc/docker/daemon.json.rtconf-restore.json",
 * ]);
 * const [change] = docker.plan(
 *   {},
 *   [{ op: "add-runtime", name: "nvidia", path: "nvidia-container-runtime" }],
 *   { configPath: "/etc/docker/daemon.json" },
 * );
 * equal(change.before, undefined);
 * equal(JSON.parse(change.after!).runtimes.nvidia.path, "nvidia-container-runtime");
 * ```
 */
export const docker: Engine<DockerOptions> = {
  name: "docker",
  files: (
    options: DockerOptions,
  ): string[] => [options.configPath, dockerRestorePath(options.configPath)],
  plan: planDocker,
};
