/**
 * podman: runtimes in `[engine.runtimes]` of `containers.conf`, through a
 * drop-in file of rtconf's own or in place — decided from the configuration
 * podman really uses (see `files.ts` and `effective.ts`).
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";
import { TomlDocument } from "../../formats/toml/document.ts";
import { sameValue, type TomlTable, valueAt } from "../../formats/toml/values.ts";
import { basename, dirname } from "../../path.ts";
import { isWrittenWhole, type Plan, writtenHeader } from "../../plan.ts";
import type { Rule } from "../../rules.ts";
import { type DropInState, nextDropInState } from "../drop_in_state.ts";
import type { EngineOptions, FileTexts } from "../engine.ts";
import { expectTable, planInPlace, undoChange } from "../in_place.ts";
import { refuseForeignRuntime } from "../runtime_names.ts";
import {
  BUILT_IN_RUNTIMES,
  DEFAULT,
  firstExecutable,
  mergedPodman,
  podmanFilesRead,
  readers,
  refusePodmanPlan,
  RUNTIMES,
  runtimesOf,
} from "./effective.ts";
import { podmanScope, RELEASES, VENDOR_CONFIG } from "./files.ts";

/** The first line of rtconf's drop-in. */
const HEADER = writtenHeader("Podman");

/** Applies one rule to `containers.conf` in place, with notes of what rtconf added and changed. */
function applyRule(doc: TomlDocument, rule: Rule): void {
  switch (rule.op) {
    case "add-runtime": {
      const keys = [...RUNTIMES, rule.name];
      expectTable(doc, RUNTIMES);
      // A list the operator wrote keeps a note of what it was; rtconf's own keeps its note.
      doc.change(keys, [rule.path]);
      return;
    }
    case "remove-runtime": {
      const keys = [...RUNTIMES, rule.name];
      expectTable(doc, RUNTIMES);
      // Only what rtconf added or changed: a runtime without a note is the operator's.
      undoChange(doc, keys);
      return;
    }
    case "set-default":
      expectTable(doc, DEFAULT.slice(0, -1));
      doc.change(DEFAULT, rule.name);
      return;
    case "unset-default":
      // Only a default that rtconf set: one without a note is the operator's.
      undoChange(doc, DEFAULT, rule.name);
      return;
    case "enable-cdi":
    case "disable-cdi":
      // podman always has CDI; the CLI warns that the flag is ignored.
      return;
  }
}

/**
 * Refuses to take over a runtime of the node's that is not one of NVIDIA's
 * (e.g. `--nvidia-runtime-name=runc`, one of podman's built-in runtimes).
 */
function refuseForeignRuntimes(
  rules: readonly Rule[],
  nodes: readonly TomlTable[],
  main: TomlDocument | undefined,
): void {
  for (const rule of rules) {
    if (rule.op !== "add-runtime") continue;
    const keys = [...RUNTIMES, rule.name];
    if (main?.note(keys) === "added") continue; // rtconf's own
    for (const node of nodes) {
      const entry = runtimesOf(node)[rule.name];
      if (entry === undefined && !BUILT_IN_RUNTIMES.includes(rule.name)) continue;
      const executable = firstExecutable(entry) ?? "";
      refuseForeignRuntime(rule, executable, {
        shown: executable || `${rule.name} (built into podman)`,
      });
    }
  }
}

/** What an earlier run left in the drop-in: its runtimes and the default. */
function previousState(previous: TomlDocument | undefined): DropInState {
  const state: DropInState = { runtimes: new Map() };
  if (!previous) return state;
  for (const [name, entry] of Object.entries(runtimesOf(previous.data))) {
    const path = firstExecutable(entry);
    if (path !== undefined) state.runtimes.set(name, path);
  }
  const named = valueAt(previous.data, DEFAULT);
  if (typeof named === "string" && state.runtimes.has(named)) state.defaultRuntime = named;
  return state;
}

function planDropIn(
  texts: FileTexts,
  rules: readonly Rule[],
  dropInPath: string,
  nodes: readonly TomlTable[],
): Plan {
  const before = texts[dropInPath];
  const previous = before === undefined ? undefined : new TomlDocument(before, dropInPath);
  if (previous && !before!.startsWith(HEADER)) {
    throw new RtconfError(
      `${dropInPath}: is not rtconf's (it lacks the first line rtconf writes); nothing was ` +
        "written: give rtconf a drop-in of its own with --drop-in-config",
    );
  }
  const earlier = previousState(previous);
  // What every podman already has is the operator's: that runtime (its first
  // executable), or that default, needs nothing of rtconf's; a default in the
  // drop-in comes with its runtime.
  const needs = (rule: Rule): boolean => {
    switch (rule.op) {
      case "add-runtime":
        return earlier.runtimes.has(rule.name) ||
          !nodes.every((node) => firstExecutable(runtimesOf(node)[rule.name]) === rule.path) ||
          rules.some((other) =>
            other.op === "set-default" && other.name === rule.name && needs(other)
          );
      case "set-default":
        return earlier.defaultRuntime === rule.name ||
          !nodes.every((node) => valueAt(node, DEFAULT) === rule.name);
      default:
        return true;
    }
  };
  const needed = rules.filter(needs);
  const state = nextDropInState(earlier, needed);
  if (state.runtimes.size === 0) return [{ path: dropInPath, before, after: undefined, own: true }];
  const engine: TomlTable = {};
  if (state.defaultRuntime !== undefined) engine.runtime = state.defaultRuntime;
  engine.runtimes = Object.fromEntries([...state.runtimes].map(([name, path]) => [name, [path]]));
  const doc = new TomlDocument(HEADER, dropInPath);
  doc.addTable(["engine"], engine);
  // An earlier run's text that says the same stays as it is.
  const after = previous && sameValue(previous.data, doc.data) ? before : doc.text;
  return [{ path: dropInPath, before, after, own: true }];
}

/**
 * Plans the changes to podman's files for the rules.
 *
 * Decisions come from the configuration podman uses — for root, the files of
 * `/usr/share/containers` and `/etc/containers` (and root's own, which
 * podman 5 reads); for a rootless user (a main config of their own), those
 * and the user's — without rtconf's own drop-in, once for each family of
 * releases that reads the file rtconf writes.
 *
 * - Drop-in mode writes only the drop-in, a file of rtconf's own in the main
 *   config's `.d` directory (`/etc/containers/containers.conf.d/99-nvidia.conf`):
 *   `[engine.runtimes]` `NAME = ["PATH"]` and, when asked, `[engine] runtime`;
 *   a runtime or default every podman already has is left out. Unconfigure
 *   removes the drop-in when no runtime of rtconf's is left. A file at the
 *   drop-in's path that is not rtconf's is refused.
 * - In place (`dropInPath` `""`) edits `containers.conf` with `# rtconf:`
 *   notes, which unconfigure reads to put back what was there.
 * - Refused with one line: a runtime of the node's that is not NVIDIA's, a
 *   drop-in podman would not read (not a `*.conf` file in that directory),
 *   the vendor's config, a file read later that overrides what was asked, a
 *   file podman 6 would no longer read, and a default runtime that would no
 *   longer be defined.
 *
 * The plan is not checked; `planEngine` checks it.
 *
 * @example Usage
 * ```ts
 * import { planPodman } from "./plan.ts";
 * import { equal } from "node:assert/strict";
 *
 * const [dropIn] = planPodman(
 *   {},
 *   [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 *   {
 *     configPath: "/etc/containers/containers.conf",
 *     dropInPath: "/etc/containers/containers.conf.d/99-nvidia.conf",
 *   },
 * );
 * equal(dropIn.after?.includes('nvidia = ["/usr/bin/nvidia-container-runtime"]'), true);
 * ```
 *
 * @param texts The texts of the files `podmanFiles` names (`undefined` when missing).
 * @param rules The rules.
 * @param options The main config and the drop-in.
 * @returns The plan: the drop-in in drop-in mode, else the main config.
 * @throws {RtconfError} for invalid TOML, a config rtconf cannot edit, or a
 * plan podman would not run with.
 */
export function planPodman(texts: FileTexts, rules: readonly Rule[], options: EngineOptions): Plan {
  const { configPath, dropInPath } = options;
  if (configPath === VENDOR_CONFIG) {
    throw new RtconfError(
      `${configPath}: is the vendor's, which packages replace; rtconf edits ` +
        "/etc/containers/containers.conf or a drop-in beside it",
    );
  }
  if (
    dropInPath !== "" &&
    (dirname(dropInPath) !== `${configPath}.d` || !/.\.conf$/.test(basename(dropInPath)))
  ) {
    throw new RtconfError(
      `${dropInPath}: podman would not read it with ${configPath}: its drop-ins are the ` +
        `*.conf files of ${configPath}.d`,
    );
  }
  // The node's own configuration: everything but rtconf's drop-in.
  const node = dropInPath === "" ? texts : { ...texts, [dropInPath]: undefined };
  const scope = podmanScope(configPath);
  const nodes = readers(options).map((release) =>
    mergedPodman(podmanFilesRead(node, scope, release))
  );
  const main = dropInPath === "" && texts[configPath] !== undefined
    ? new TomlDocument(texts[configPath]!, configPath)
    : undefined;
  refuseForeignRuntimes(rules, nodes, main);
  const plan = dropInPath === ""
    ? planInPlace(texts, rules, configPath, applyRule)
    : planDropIn(texts, rules, dropInPath, nodes);
  const planned: Record<string, string | undefined> = { ...texts };
  for (const change of plan) planned[change.path] = change.after;
  const own = plan.filter((change) => change.own || isWrittenWhole(change.before))
    .map((change) => change.path);
  refusePodmanPlan(texts, planned, rules, options, own);
  // root's own files: podman 4 reads them for rootless users only.
  const blind = RELEASES.filter((release) => !readers(options).includes(release));
  const target = dropInPath || configPath;
  if (blind.length > 0 && rules.some((rule) => rule.op === "add-runtime")) {
    const names = blind.map((release) => release.reader).join(", ");
    return plan.map((change) =>
      change.path === target
        ? { ...change, warnings: [`${target}: ${names} as root does not read it`] }
        : change
    );
  }
  return plan;
}
