/**
 * The last check before anything is written: the planned files, parsed
 * afresh by the strict parser and read together as the engine reads them,
 * must hold what the rules asked for and every other value as it was.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { parseToml } from "../formats/toml/parse.ts";
import {
  isTable,
  mergeTables,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "../formats/toml/values.ts";
import { CREATED_HEADER, type Plan, WRITTEN_HEADER_PREFIX } from "../plan.ts";
import type { Rule } from "../rules.ts";

/**
 * Where an engine keeps what the rules change, as lists of keys into its
 * configuration.
 */
export interface SettingKeys {
  /** The keys of a runtime's table. */
  runtime(name: string): string[];
  /** The keys of a runtime's executable. */
  runtimeExecutable(name: string): string[];
  /** The keys of the default runtime's name. */
  defaultRuntime: string[];
  /** The keys of the CDI switch, where the engine has one. */
  cdi?: string[];
  /** Settings rtconf keeps for itself (containerd's `version` and `imports`). */
  bookkeeping?: string[][];
  /** Settings rtconf may add where they are missing, or take out again (containerd 1.x's built-in `runc`). */
  addedWhereMissing?: string[][];
}

/** A strict parser of an engine's files. */
export type Parser = (text: string, path: string) => TomlTable;

/** Whether rtconf created a file with this text (its first line says so). */
function createdByRtconf(text: string | undefined): boolean {
  return text !== undefined &&
    (text.startsWith(CREATED_HEADER) || text.startsWith(WRITTEN_HEADER_PREFIX));
}

/** The first keys where `before` and `after` differ, outside `skip`; `undefined` when none. */
function difference(
  before: TomlValue | undefined,
  after: TomlValue | undefined,
  keys: string[],
  skip: (keys: string[], before: TomlValue | undefined, after: TomlValue | undefined) => boolean,
): string[] | undefined {
  if (skip(keys, before, after)) return undefined;
  // A table that is missing on one side compares as an empty one: only what
  // it holds counts.
  const was = before === undefined && isTable(after) ? {} : before;
  const is = after === undefined && isTable(before) ? {} : after;
  if (isTable(was) && isTable(is)) {
    for (const key of new Set([...Object.keys(was), ...Object.keys(is)])) {
      const found = difference(was[key], is[key], [...keys, key], skip);
      if (found) return found;
    }
    return undefined;
  }
  return sameValue(before, after) ? undefined : keys;
}

function startsWith(keys: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= keys.length && prefix.every((key, i) => keys[i] === key);
}

/**
 * Parses every planned file afresh and checks that, read together (later
 * files over earlier ones, table by table), they hold what each rule asked
 * for, and that every value the rules do not name is as it was before.
 * A file that rtconf created and that the plan removes does not count as
 * "before": what it held was rtconf's.
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
 * const rules = [{ op: "add-runtime" as const, name: "gpu", path: "/gpu" }];
 * checkPlan([{ path: "/c.toml", before: "a = 1\n", after: 'a = 1\n[runtimes.gpu]\npath = "/gpu"\n' }], rules, keys);
 * throws(() => checkPlan([{ path: "/c.toml", before: "a = 1\n", after: "a = 1\n" }], rules, keys), /would not hold runtime gpu/);
 * throws(() => checkPlan([{ path: "/c.toml", before: "a = 1\n", after: 'a = 2\n[runtimes.gpu]\npath = "/gpu"\n' }], rules, keys), /would also change a/);
 * ```
 *
 * @param plan The plan.
 * @param rules The rules it was made for.
 * @param keys Where the engine keeps each setting.
 * @param options `parse`: the strict parser of the engine's format (TOML by
 * default); `source`: the engine's own report of its configuration, when the
 * plan was made from it (its values count as present before and after).
 * @throws {RtconfError} an internal error when the plan falls short or
 * changes more: then nothing is written.
 */
export function checkPlan(
  plan: Plan,
  rules: readonly Rule[],
  keys: SettingKeys,
  options: { parse?: Parser; source?: TomlTable } = {},
): void {
  const parse = options.parse ?? parseToml;
  const paths = plan.map((change) => change.path).join(" and ");
  const read = (text: string, path: string, when: string): TomlTable => {
    try {
      return parse(text, path);
    } catch (error) {
      throw new RtconfError(
        `internal error: the ${when} ${path} does not parse (${
          (error as Error).message
        }); nothing was written; please report this bug`,
      );
    }
  };
  let before: TomlTable = options.source ?? {};
  let after: TomlTable = options.source ?? {};
  for (const change of plan) {
    const ownRemoved = change.after === undefined && createdByRtconf(change.before);
    if (change.before !== undefined && !ownRemoved) {
      before = mergeTables(before, read(change.before, change.path, "current"));
    }
    if (change.after !== undefined) {
      after = mergeTables(after, read(change.after, change.path, "planned"));
    }
  }
  const fail = (what: string): never => {
    throw new RtconfError(
      `internal error: the planned ${paths} would ${what}; nothing was written; please report this bug`,
    );
  };
  const is = (at: string[], value: TomlValue) => valueAt(after, at) === value;
  const named: string[][] = [...(keys.bookkeeping ?? [])];
  for (const rule of rules) {
    switch (rule.op) {
      case "add-runtime":
        if (!is(keys.runtimeExecutable(rule.name), rule.path)) {
          fail(`not hold runtime ${rule.name} at ${rule.path}`);
        }
        named.push(keys.runtime(rule.name));
        break;
      case "remove-runtime":
        if (valueAt(after, keys.runtime(rule.name)) !== undefined) {
          fail(`still hold runtime ${rule.name}`);
        }
        named.push(keys.runtime(rule.name));
        break;
      case "set-default":
        if (!is(keys.defaultRuntime, rule.name)) {
          fail(`not hold ${rule.name} as the default runtime`);
        }
        named.push(keys.defaultRuntime);
        break;
      case "unset-default":
        if (is(keys.defaultRuntime, rule.name)) {
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
  const missingOnOneSide = keys.addedWhereMissing ?? [];
  const changed = difference(
    before,
    after,
    [],
    (at, was, is) =>
      named.some((prefix) => startsWith(at, prefix)) ||
      ((was === undefined || is === undefined) &&
        missingOnOneSide.some((prefix) => startsWith(at, prefix))),
  );
  if (changed) fail(`also change ${changed.join(".")}`);
}
