/**
 * The OCI hook generator: the hooks.d JSON (hooks schema 1.0.0) that podman
 * and CRI-O read to run the NVIDIA container runtime hook before every
 * container starts.
 *
 * @example Usage
 * ```ts
 * import { ociHook } from "@rtconf/rtconf/hooks";
 * import { equal } from "node:assert/strict";
 *
 * equal(ociHook("/usr/bin/nvidia-container-runtime-hook").hook.args[1], "prestart");
 * ```
 *
 * @module
 */

import { basename, dirname } from "../path.ts";

/**
 * The directories of the hook's PATH, before the hook's own directory.
 */
export const HOOK_PATH_DIRS: readonly string[] = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

/**
 * A hooks.d file, schema 1.0.0, in the field order podman documents.
 */
export interface OciHook {
  /** The schema version, `1.0.0`. */
  version: "1.0.0";
  /** What to run. */
  hook: {
    /** The executable. */
    path: string;
    /** Its argv, starting with its name. */
    args: string[];
    /** Its environment. */
    env: string[];
  };
  /** When to run it. */
  when: {
    /** Always. */
    always: boolean;
    /** For every command. */
    commands: string[];
  };
  /** The OCI stages to run in. */
  stages: string[];
}

/**
 * The hook for `hookPath`: run `<basename> prestart` in the prestart stage of
 * every container, with a PATH of the usual system directories plus the
 * hook's own directory when it is not one of them.
 *
 * @example Usage
 * ```ts
 * import { ociHook } from "@rtconf/rtconf/hooks";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(ociHook("/usr/local/nvidia/toolkit/nvidia-container-runtime-hook").hook.env, [
 *   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/nvidia/toolkit",
 * ]);
 * ```
 *
 * @param hookPath The hook executable's absolute path.
 * @returns The hook.
 */
export function ociHook(hookPath: string): OciHook {
  const dirs = [...HOOK_PATH_DIRS];
  const dir = dirname(hookPath);
  if (!dirs.includes(dir)) dirs.push(dir);
  return {
    version: "1.0.0",
    hook: {
      path: hookPath,
      args: [basename(hookPath), "prestart"],
      env: [`PATH=${dirs.join(":")}`],
    },
    when: { always: true, commands: [".*"] },
    stages: ["prestart"],
  };
}

/**
 * The hook file's text: 2-space indented JSON with a final newline, as
 * nvidia-ctk writes it.
 *
 * @example Usage
 * ```ts
 * import { ociHookText } from "@rtconf/rtconf/hooks";
 * import { equal } from "node:assert/strict";
 *
 * const text = ociHookText("/usr/bin/nvidia-container-runtime-hook");
 * equal(JSON.parse(text).when.always, true);
 * equal(text.endsWith("}\n"), true);
 * ```
 *
 * @param hookPath The hook executable's absolute path.
 * @returns The JSON text.
 */
export function ociHookText(hookPath: string): string {
  return JSON.stringify(ociHook(hookPath), null, 2) + "\n";
}
