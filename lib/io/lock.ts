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
 * How long rtconf waits for another rtconf, by default.
 *
 * @example Usage
 * ```ts
 * import { LOCK_TIMEOUT_MS } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * equal(LOCK_TIMEOUT_MS, 10_000);
 * ```
 */
export const LOCK_TIMEOUT_MS = 10_000;

/**
 * Runs `fn` holding an exclusive `flock` on the directory of `configPath`
 * (or, while it does not exist, its nearest existing parent): no lock file is
 * left behind, and the lock goes with the process. Waits up to `timeoutMs`
 * for another holder.
 *
 * @example Usage
 * ```ts
 * import { withLock } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * equal(await withLock(`${dir}/config.toml`, () => Promise.resolve(42)), 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param configPath The main config of the engine being changed.
 * @param fn What to do under the lock.
 * @param timeoutMs How long to wait for the lock.
 * @returns What `fn` returns.
 * @throws {RtconfError} when the lock is not had in time.
 */
export async function withLock<T>(
  configPath: string,
  fn: () => Promise<T>,
  timeoutMs: number = LOCK_TIMEOUT_MS,
): Promise<T> {
  let handle: Deno.FsFile;
  let dir = dirname(resolve(Deno.cwd(), configPath));
  try {
    // A directory that does not exist yet is not created for the lock: its
    // nearest existing parent is locked instead.
    dir = await existingAncestor(dir);
    handle = await Deno.open(dir, { read: true });
  } catch (error) {
    throw new RtconfError(
      `${dir}: cannot lock: ${(error as Error).message.replace(/ \(os error.*$/, "")}`,
    );
  }
  try {
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
    return await fn();
  } finally {
    handle.close();
  }
}
