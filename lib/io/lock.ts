/**
 * The advisory lock that keeps two rtconf processes from interleaving their
 * reads and writes of the same configuration.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { dirname, resolve } from "../path.ts";
import { existingAncestor } from "./files.ts";

/**
 * How long rtconf waits for another rtconf, by default, in milliseconds.
 */
export const LOCK_TIMEOUT_MS = 10_000;

/** Opens the directory to lock for `configPath`: its own, or its nearest existing parent. */
async function lockTarget(configPath: string): Promise<{ dir: string; handle: Deno.FsFile }> {
  let dir = dirname(resolve(Deno.cwd(), configPath));
  try {
    // A directory that does not exist yet is not created for the lock: its
    // nearest existing parent is locked instead.
    dir = await existingAncestor(dir);
    return { dir, handle: await Deno.open(dir, { read: true }) };
  } catch (error) {
    throw new RtconfError(
      `${dir}: cannot lock: ${(error as Error).message.replace(/ \(os error.*$/, "")}`,
    );
  }
}

/** Waits up to `timeoutMs` for an exclusive lock on an open directory. */
async function lock(dir: string, handle: Deno.FsFile, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await handle.tryLock(true)) {
    if (Date.now() >= deadline) {
      throw new RtconfError(
        `${dir}: another rtconf is changing this configuration; gave up after ${
          timeoutMs / 1000
        } s`,
      );
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * Runs `fn` holding an exclusive `flock` on the directory of each config
 * (or, while it does not exist, its nearest existing parent), each directory
 * locked once and all in one order, so that runs on overlapping sets of
 * configs never deadlock. No lock file is left behind, and the locks go with
 * the process. Waits up to `timeoutMs` for each.
 *
 * @example Usage
 * ```ts
 * import { withLock } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * // Two configs whose directories do not exist yet: their parent is locked once.
 * const configs = [`${dir}/crio/crio.conf`, `${dir}/containerd/config.toml`];
 * equal(await withLock(configs, () => Promise.resolve(42)), 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param configPaths The main configs of the engines being changed.
 * @param fn What to do under the locks.
 * @param timeoutMs How long to wait for each lock.
 * @returns What `fn` returns.
 * @throws {RtconfError} when a lock is not had in time.
 */
export async function withLock<T>(
  configPaths: readonly string[],
  fn: () => Promise<T>,
  timeoutMs: number = LOCK_TIMEOUT_MS,
): Promise<T> {
  const targets = new Map<string, Deno.FsFile>();
  try {
    for (const configPath of configPaths) {
      const { dir, handle } = await lockTarget(configPath);
      if (targets.has(dir)) handle.close();
      else targets.set(dir, handle);
    }
    for (const dir of [...targets.keys()].sort()) await lock(dir, targets.get(dir)!, timeoutMs);
    return await fn();
  } finally {
    for (const handle of targets.values()) handle.close();
  }
}
