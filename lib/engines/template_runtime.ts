/**
 * Which existing runtime a new runtime copies its settings from: the first
 * of a list of candidates (the engine's default runtime, then `runc`, then
 * `crun`) that is of the kind the new runtime is. The kind is what a
 * runtime is (its type), never its name: an NVIDIA runtime of runc's kind is
 * a fine template, a Kata or gVisor runtime never is.
 *
 * @module
 */

import { copyValue, type TomlTable } from "../formats/toml/values.ts";

/**
 * A copy of the table of the first candidate that exists and suits.
 *
 * @example Usage
 * ```ts
 * import { templateRuntime } from "./template_runtime.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const runtimes = { kata: { runtime_type: "vm" }, crun: { runtime_type: "oci" } };
 * const oci = (table: Record<string, unknown>) => table.runtime_type === "oci";
 * deepEqual(templateRuntime(runtimes, ["kata", "runc", "crun"], oci), { runtime_type: "oci" });
 * equal(templateRuntime(runtimes, ["kata"], oci), undefined);
 * ```
 *
 * @param runtimes The engine's runtimes, by name, as it uses them.
 * @param candidates The names to try, in order.
 * @param suits Whether a runtime is of the new runtime's kind.
 * @returns The copy, or `undefined` when no candidate suits.
 */
export function templateRuntime(
  runtimes: Readonly<Record<string, TomlTable>>,
  candidates: readonly string[],
  suits: (table: TomlTable) => boolean,
): TomlTable | undefined {
  for (const name of candidates) {
    const table = Object.hasOwn(runtimes, name) ? runtimes[name] : undefined;
    if (table && suits(table)) return copyValue(table);
  }
  return undefined;
}
