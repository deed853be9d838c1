/**
 * The rule vocabulary: what a command asks of an engine's configuration.
 * Rules are plain data; each engine applies the rules it supports and rejects
 * the others with a clear error.
 *
 * @module
 */

/**
 * Register a runtime under `name` whose executable is `path`.
 */
export interface AddRuntimeRule {
  /** The operation. */
  op: "add-runtime";
  /** The runtime's name, e.g. `nvidia`. */
  name: string;
  /** The runtime executable, e.g. `/usr/bin/nvidia-container-runtime`. */
  path: string;
}

/**
 * Remove the runtime registered under `name`.
 */
export interface RemoveRuntimeRule {
  /** The operation. */
  op: "remove-runtime";
  /** The runtime's name. */
  name: string;
}

/**
 * Make the runtime `name` the engine's default runtime.
 */
export interface SetDefaultRule {
  /** The operation. */
  op: "set-default";
  /** The runtime's name. */
  name: string;
}

/**
 * Stop `name` from being the default runtime: put back the default that was
 * there before rtconf changed it, or remove the setting.
 */
export interface UnsetDefaultRule {
  /** The operation. */
  op: "unset-default";
  /** The runtime's name. */
  name: string;
}

/**
 * Turn on the Container Device Interface in the engine.
 */
export interface EnableCdiRule {
  /** The operation. */
  op: "enable-cdi";
}

/**
 * Undo an `enable-cdi` that rtconf made.
 */
export interface DisableCdiRule {
  /** The operation. */
  op: "disable-cdi";
}

/**
 * One change an engine's configuration should undergo.
 */
export type Rule =
  | AddRuntimeRule
  | RemoveRuntimeRule
  | SetDefaultRule
  | UnsetDefaultRule
  | EnableCdiRule
  | DisableCdiRule;

/**
 * A runtime to register: its name and its executable.
 */
export interface RuntimeSpec {
  /** The runtime's name, e.g. `nvidia`. */
  name: string;
  /** The runtime executable. */
  path: string;
}

/**
 * What `runtime configure` asks for, before it is turned into rules.
 *
 * @example Usage
 * ```ts
 * import { type ConfigureRequest, configureRules } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const request: ConfigureRequest = { runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }], enableCdi: true };
 * equal(configureRules(request).at(-1)?.op, "enable-cdi");
 * ```
 */
export interface ConfigureRequest {
  /** The runtimes to register. */
  runtimes: RuntimeSpec[];
  /** The runtime to make the default, if any. */
  setAsDefault?: string;
  /** Turn on CDI. */
  enableCdi?: boolean;
}

/**
 * The rules of `runtime configure`: each runtime added, the default set when
 * asked for (otherwise it stays as it is, as nvidia-ctk leaves Docker's),
 * CDI enabled when asked.
 *
 * @example Usage
 * ```ts
 * import { configureRules } from "@rtconf/rtconf";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   configureRules({ runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }], setAsDefault: "nvidia" }),
 *   [
 *     { op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" },
 *     { op: "set-default", name: "nvidia" },
 *   ],
 * );
 * ```
 *
 * @param request What to configure.
 * @returns The rules, in the order engines apply them.
 */
export function configureRules(request: ConfigureRequest): Rule[] {
  const rules: Rule[] = [];
  for (const { name, path } of request.runtimes) {
    rules.push({ op: "add-runtime", name, path });
  }
  // Without a default asked for, the default stays whatever it is, rtconf's
  // earlier one too: configure only adds; unconfigure takes away.
  for (const { name } of request.runtimes) {
    if (request.setAsDefault === name) rules.push({ op: "set-default", name });
  }
  if (request.enableCdi) rules.push({ op: "enable-cdi" });
  return rules;
}

/**
 * The rules of `runtime unconfigure`: the inverse of {@linkcode configureRules}
 * for the same request.
 *
 * @example Usage
 * ```ts
 * import { unconfigureRules } from "@rtconf/rtconf";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(
 *   unconfigureRules({ runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }], enableCdi: true }),
 *   [
 *     { op: "unset-default", name: "nvidia" },
 *     { op: "remove-runtime", name: "nvidia" },
 *     { op: "disable-cdi" },
 *   ],
 * );
 * ```
 *
 * @param request What was configured.
 * @returns The rules that undo it.
 */
export function unconfigureRules(request: ConfigureRequest): Rule[] {
  const rules: Rule[] = [];
  for (const { name } of request.runtimes) {
    rules.push({ op: "unset-default", name });
  }
  for (const { name } of request.runtimes) {
    rules.push({ op: "remove-runtime", name });
  }
  if (request.enableCdi) rules.push({ op: "disable-cdi" });
  return rules;
}
