/**
 * The last check before anything is written: the planned files, parsed
 * afresh and read as the engine reads them (each family of its releases),
 * must hold what the rules asked for, and every other value must be what the
 * node's own files say.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import {
  isTable,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../formats/toml/values.ts";
import type { Rule } from "../rules.ts";
import type { EffectiveView } from "./engine.ts";

export type { SettingKeys } from "./engine.ts";

function startsWith(keys: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= keys.length && prefix.every((key, i) => keys[i] === key);
}

/** The value of a table's own key. */
function own(table: TomlTable, key: string): TomlValue | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * Every list of keys where `before` and `after` differ, outside `skip`. A
 * value shared by both (effective configurations share what they do not
 * change) is the same: it is not walked.
 */
function differences(
  before: TomlValue | undefined,
  after: TomlValue | undefined,
  skip: (keys: string[]) => boolean,
  keys: string[] = [],
  found: string[][] = [],
): string[][] {
  if (before === after || skip(keys)) return found;
  // A table that is missing on one side compares as an empty one: only what
  // it holds counts.
  const was = before === undefined && isTable(after) ? {} : before;
  const is = after === undefined && isTable(before) ? {} : after;
  if (isTable(was) && isTable(is)) {
    for (const key of Object.keys(was)) {
      keys.push(key);
      differences(was[key], own(is, key), skip, keys, found);
      keys.pop();
    }
    for (const key of Object.keys(is)) {
      if (Object.hasOwn(was, key)) continue;
      keys.push(key);
      differences(undefined, is[key], skip, keys, found);
      keys.pop();
    }
  } else if (!sameValue(before, after)) {
    found.push([...keys]);
  }
  return found;
}

/** The effective configuration of a node three ways, for one reader. */
export interface CheckedViews {
  /** The node's own files alone, without what rtconf wrote. */
  baseline: EffectiveView;
  /** The files as they are now. */
  current: EffectiveView;
  /** The files as planned. */
  planned: EffectiveView;
}

/**
 * Checks a plan in each reader's effective configuration: the planned files
 * hold what each rule asked for, and every value that neither the rules nor
 * rtconf's earlier runs set is the node's own.
 *
 * @example Usage
 * ```ts
 * import { checkPlan } from "./plan_check.ts";
 * import { throws } from "node:assert/strict";
 *
 * const keys = {
 *   runtime: (name: string) => ["runtimes", name],
 *   runtimeExecutable: (name: string) => ["runtimes", name, "path"],
 *   defaultRuntime: ["default"],
 * };
 * const view = (config: Record<string, unknown>) =>
 *   ({ reader: "an engine", parser: "dockerd-json" as const, files: [], config: config as never, keys });
 * const node = view({ a: 1n });
 * const rules = [{ op: "add-runtime" as const, name: "gpu", path: "/gpu" }];
 * const added = view({ a: 1n, runtimes: { gpu: { path: "/gpu" } } });
 * checkPlan(rules, [{ baseline: node, current: node, planned: added }], "/c.toml");
 * throws(() => checkPlan(rules, [{ baseline: node, current: node, planned: node }], "/c.toml"), /would not hold runtime gpu/);
 * const changed = view({ a: 2n, runtimes: { gpu: { path: "/gpu" } } });
 * throws(() => checkPlan(rules, [{ baseline: node, current: node, planned: changed }], "/c.toml"), /would also change a/);
 * ```
 *
 * @param rules The rules the plan was made for.
 * @param views The baseline, current and planned configuration of each reader.
 * @param paths The planned files, for the message.
 * @throws {RtconfError} an internal error when the plan falls short or
 * changes more: then nothing is written.
 */
export function checkPlan(
  rules: readonly Rule[],
  views: readonly CheckedViews[],
  paths: string,
): void {
  for (const { baseline, current, planned } of views) {
    const fail = (what: string): never => {
      throw new RtconfError(
        `internal error: the planned ${paths} would ${what} for ${planned.reader}; ` +
          "nothing was written; please report this bug",
      );
    };
    const { config, keys } = planned;
    const is = (at: string[], value: TomlValue) => valueAt(config, at) === value;
    const named: string[][] = [...(keys.bookkeeping ?? [])];
    for (const rule of rules) {
      switch (rule.op) {
        case "add-runtime":
          if (!is(keys.runtimeExecutable(rule.name), rule.path)) {
            fail(`not hold runtime ${rule.name} at ${rule.path}`);
          }
          named.push(keys.runtime(rule.name));
          break;
        case "remove-runtime": {
          // A runtime left as it was, where the node's own files do not define it, is one
          // rtconf wrote and failed to take away; the operator's stays, with what rtconf
          // changed in it put back.
          const left = valueAt(config, keys.runtime(rule.name));
          if (
            left !== undefined &&
            sameValue(left, valueAt(current.config, current.keys.runtime(rule.name))) &&
            valueAt(baseline.config, baseline.keys.runtime(rule.name)) === undefined
          ) {
            fail(`still hold runtime ${rule.name}`);
          }
          named.push(keys.runtime(rule.name));
          break;
        }
        case "set-default":
          if (!is(keys.defaultRuntime, rule.name)) {
            fail(`not hold ${rule.name} as the default runtime`);
          }
          named.push(keys.defaultRuntime);
          break;
        case "unset-default":
          // A default that the node's own files set is the operator's: it stays.
          if (
            is(keys.defaultRuntime, rule.name) &&
            valueAt(baseline.config, baseline.keys.defaultRuntime) !== rule.name
          ) {
            fail(`still hold ${rule.name} as the default runtime`);
          }
          named.push(keys.defaultRuntime);
          break;
        case "enable-cdi":
          if (keys.cdi && !is(keys.cdi, true)) fail("not hold CDI enabled");
          if (keys.cdi) named.push(keys.cdi);
          break;
        case "disable-cdi":
          if (keys.cdi) named.push(keys.cdi);
          break;
      }
    }
    // What rtconf set in earlier runs may stay (a runtime of its own, whole); everything
    // else is the node's own.
    const runtimes = keys.runtime("").slice(0, -1);
    const earlier = differences(baseline.config, current.config, () => false).map((at) =>
      startsWith(at, runtimes) && at.length > runtimes.length
        ? keys.runtime(at[runtimes.length])
        : at
    );
    const allowed = [...named, ...earlier];
    const changed = differences(
      baseline.config,
      config,
      (at) => allowed.some((prefix) => startsWith(at, prefix)),
    );
    if (changed.length > 0) fail(`also change ${changed[0].join(".")}`);
  }
}
