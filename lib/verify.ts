/**
 * The last check before anything is written: the planned files, parsed
 * afresh by the strict parser, must hold what the rules asked for.
 *
 * @module
 */

import { RtconfError } from "./errors.ts";
import type { Plan } from "./plan.ts";
import type { Rule } from "./rules.ts";
import { parseToml } from "./toml/document.ts";
import { mergeTables, type TomlTable, type TomlValue, valueAt } from "./toml/value.ts";

/** Where an engine keeps what the rules change. */
export interface RuleLocations {
  /** The keys of a runtime's executable. */
  runtimePath(name: string): string[];
  /** The keys of a runtime's table. */
  runtime(name: string): string[];
  /** The keys of the default runtime's name. */
  defaultRuntime: string[];
  /** The keys of the CDI switch, where the engine has one. */
  cdi?: string[];
}

/** A strict parser of an engine's files. */
export type Parser = (text: string, path: string) => TomlTable;

/**
 * Parses every planned file afresh and checks that, together (later files
 * over earlier ones), they hold what each rule asked for.
 *
 * @param plan The plan.
 * @param rules The rules it was made for.
 * @param where Where the engine keeps each setting.
 * @param parser The strict parser of the engine's format (TOML by default).
 * @throws {RtconfError} an internal error when the plan falls short: then
 * nothing is written.
 */
export function verifyPlan(
  plan: Plan,
  rules: readonly Rule[],
  where: RuleLocations,
  parser: Parser = parseToml,
): void {
  let merged: TomlTable = {};
  for (const change of plan) {
    if (change.after === undefined) continue;
    let data: TomlTable;
    try {
      data = parser(change.after, change.path);
    } catch (error) {
      throw new RtconfError(
        `internal error: the planned ${change.path} does not parse (${
          (error as Error).message
        }); nothing was written; please report this bug`,
      );
    }
    merged = mergeTables(merged, data);
  }
  const fail = (what: string): never => {
    throw new RtconfError(
      `internal error: the planned ${
        plan.map((c) => c.path).join(" and ")
      } would not hold ${what}; nothing was written; please report this bug`,
    );
  };
  const is = (path: string[], value: TomlValue) => valueAt(merged, path) === value;
  for (const rule of rules) {
    switch (rule.op) {
      case "add-runtime":
        if (!is(where.runtimePath(rule.name), rule.path)) {
          fail(`runtime ${rule.name} at ${rule.path}`);
        }
        break;
      case "remove-runtime":
        if (valueAt(merged, where.runtime(rule.name)) !== undefined) {
          fail(`no runtime ${rule.name}`);
        }
        break;
      case "set-default":
        if (!is(where.defaultRuntime, rule.name)) fail(`${rule.name} as the default runtime`);
        break;
      case "unset-default":
        if (is(where.defaultRuntime, rule.name)) fail(`a default runtime other than ${rule.name}`);
        break;
      case "enable-cdi":
        if (where.cdi && !is(where.cdi, true)) fail("CDI enabled");
        break;
    }
  }
}
