/**
 * `rtconf hook` (and configure's deprecated `--config-mode=oci-hook`): the
 * OCI hook file for podman and CRI-O; `--remove` (and unconfigure's
 * `--config-mode=oci-hook`) takes it away again.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { ociHookText } from "../hooks/mod.ts";
import { applyChanges, readText, writeAtomic, type WriteOptions } from "../io/files.ts";
import { LOCK_DIR, withLock } from "../io/lock.ts";
import type { HostRoot } from "./host_root.ts";
import type { HookInvocation } from "./invocation.ts";
import type { Reporter } from "./output.ts";

/**
 * Whether a file holds a hook as rtconf and nvidia-ctk write it (for any
 * hook executable): only such a file is removed.
 */
function isOwnHook(text: string): boolean {
  try {
    const path = JSON.parse(text)?.hook?.path;
    return typeof path === "string" && text === ociHookText(path);
  } catch {
    return false;
  }
}

/**
 * Runs `rtconf hook`: prints the hook, writes it when it differs, or
 * removes it.
 *
 * @param invocation What to do.
 * @param host The host the hook file is on.
 * @param reporter Where to print.
 * @param writeOptions How the file is written.
 * @returns The exit status.
 * @throws {RtconfError} for a file to remove that holds another hook.
 */
export async function runHook(
  invocation: HookInvocation,
  host: HostRoot,
  reporter: Reporter,
  writeOptions: WriteOptions = {},
): Promise<number> {
  const text = ociHookText(invocation.hookPath);
  const output = invocation.output === "" ? "" : await host.path(invocation.output);
  reporter.debug(`the hook runs ${invocation.hookPath}; its file: ${output || "stdout"}`);
  if (!invocation.remove && (output === "" || invocation.dryRun)) {
    reporter.result(text);
    return 0;
  }
  // The same lock as any rtconf writing this file: two runs never fail each other.
  return await withLock([output], async () => {
    const before = await readText(output);
    if (invocation.remove) {
      if (before === undefined) {
        reporter.info(`no changes: ${output} does not exist`);
        return 0;
      }
      if (!isOwnHook(before)) {
        throw new RtconfError(
          `${output}: not a hook file that rtconf or nvidia-ctk wrote; nothing was removed`,
        );
      }
      if (invocation.dryRun) {
        reporter.info(`would remove ${output}`);
        return 0;
      }
      await applyChanges([{ path: output, before, after: undefined }], writeOptions);
      reporter.info(`removed ${output}`);
      return 0;
    }
    if (before === text) {
      reporter.info(`no changes: ${output} already holds this hook`);
      return 0;
    }
    if (before !== undefined && !isOwnHook(before)) {
      throw new RtconfError(
        `${output}: not a hook file that rtconf or nvidia-ctk wrote; nothing was written`,
      );
    }
    await writeAtomic(output, text, writeOptions);
    reporter.info(`wrote ${output}`);
    return 0;
  }, { dir: await host.path(LOCK_DIR) });
}
