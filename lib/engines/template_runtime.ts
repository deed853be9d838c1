/**
 * Which existing runtime a new runtime copies its settings from: the
 * engine's default runtime (unless it is one of NVIDIA's), else `runc`, else
 * `crun` — nvidia-ctk's "low-level runtimes".
 *
 * @module
 */

import { copyValue, isTable, type TomlTable, type TomlValue } from "../formats/toml/values.ts";

/**
 * The names of the runtimes a new runtime copies, in order of preference.
 *
 * @param defaultRuntime The engine's default runtime setting, if any.
 * @returns The candidates.
 */
function lowLevelRuntimes(defaultRuntime: TomlValue | undefined): string[] {
  const first = typeof defaultRuntime === "string" && defaultRuntime !== "" &&
      !defaultRuntime.startsWith("nvidia")
    ? [defaultRuntime]
    : [];
  return [...first, "runc", "crun"];
}

/**
 * A copy of the first low-level runtime's table found in `runtimes`.
 *
 * @example Usage
 * ```ts
 * import { templateRuntime } from "./template_runtime.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const runtimes = { crun: { runtime_path: "/usr/bin/crun" }, kata: { runtime_path: "/usr/bin/kata" } };
 * deepEqual(templateRuntime(runtimes, "kata"), { runtime_path: "/usr/bin/kata" });
 * deepEqual(templateRuntime(runtimes, "nvidia"), { runtime_path: "/usr/bin/crun" });
 * equal(templateRuntime({}, undefined), undefined);
 * ```
 *
 * @param runtimes The engine's runtimes table.
 * @param defaultRuntime The engine's default runtime setting, if any.
 * @returns The copy, or `undefined` when none of them is there.
 */
export function templateRuntime(
  runtimes: TomlValue | undefined,
  defaultRuntime: TomlValue | undefined,
): TomlTable | undefined {
  if (!isTable(runtimes)) return undefined;
  for (const name of lowLevelRuntimes(defaultRuntime)) {
    const table = runtimes[name];
    if (isTable(table)) return copyValue(table);
  }
  return undefined;
}
