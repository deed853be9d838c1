/**
 * What rtconf keeps in a drop-in file of its own, from one run to the next:
 * its runtimes, the default and CDI. Each engine reads the state from its
 * drop-in and writes the drop-in from the state; the rules change the state
 * alike for every engine.
 *
 * @module
 */

import type { Rule } from "../rules.ts";

/** What rtconf keeps in its drop-in. */
export interface DropInState {
  /** Its runtimes, by name, with their executables, in order. */
  runtimes: Map<string, string>;
  /** The default it sets, if any. */
  defaultRuntime?: string;
  /** CDI as it sets it, if it does. */
  cdi?: boolean;
}

/**
 * The state after the rules: runtimes added and removed, the default set or
 * dropped (a default whose runtime is gone goes too), CDI set or dropped.
 *
 * @example Usage
 * ```ts
 * import { nextDropInState } from "./drop_in_state.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const state = { runtimes: new Map([["nvidia", "/usr/bin/nvidia-container-runtime"]]), defaultRuntime: "nvidia" };
 * deepEqual(nextDropInState(state, [{ op: "remove-runtime", name: "nvidia" }]), { runtimes: new Map() });
 * deepEqual(state.runtimes.size, 1);
 * ```
 *
 * @param state The state an earlier run left.
 * @param rules The rules.
 * @returns A new state; `state` is left as it was.
 */
export function nextDropInState(state: DropInState, rules: readonly Rule[]): DropInState {
  const next: DropInState = { ...state, runtimes: new Map(state.runtimes) };
  for (const rule of rules) {
    switch (rule.op) {
      case "add-runtime":
        next.runtimes.set(rule.name, rule.path);
        break;
      case "remove-runtime":
        next.runtimes.delete(rule.name);
        break;
      case "set-default":
        next.defaultRuntime = rule.name;
        break;
      case "unset-default":
        if (next.defaultRuntime === rule.name) delete next.defaultRuntime;
        break;
      case "enable-cdi":
        next.cdi = true;
        break;
      case "disable-cdi":
        delete next.cdi;
        break;
    }
  }
  if (next.defaultRuntime !== undefined && !next.runtimes.has(next.defaultRuntime)) {
    delete next.defaultRuntime;
  }
  return next;
}
