/**
 * `rtconf hook` (and configure's deprecated `--config-mode=oci-hook`): the
 * OCI hook file for podman and CRI-O.
 *
 * @module
 */

import { ociHookText } from "../hooks/mod.ts";
import { readText, writeAtomic, type WriteOptions } from "../io/files.ts";
import { withLock } from "../io/lock.ts";
import { HostRoot } from "./host_root.ts";
import type { HookInvocation } from "./invocation.ts";
import type { Reporter } from "./output.ts";

/**
 * Runs `rtconf hook`: prints the hook, or writes it when it differs.
 *
 * @param invocation What to do.
 * @param reporter Where to print.
 * @param writeOptions How the file is written.
 * @returns The exit status.
 */
export async function runHook(
  invocation: HookInvocation,
  reporter: Reporter,
  writeOptions: WriteOptions = {},
): Promise<number> {
  const text = ociHookText(invocation.hookPath);
  if (invocation.output === "" || invocation.dryRun) {
    reporter.result(text);
    return 0;
  }
  // The same lock as any rtconf writing this file: two runs never fail each other.
  const file = await new HostRoot("").path(invocation.output);
  return await withLock([file], async () => {
    if (await readText(file) === text) {
      reporter.info(`no changes: ${invocation.output} already holds this hook`);
      return 0;
    }
    await writeAtomic(file, text, writeOptions);
    reporter.info(`wrote ${invocation.output}`);
    return 0;
  });
}
