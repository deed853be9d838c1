/**
 * The lock that keeps two rtconf processes from interleaving their reads and
 * writes of the same configuration: one lock file per configuration, keyed
 * by its resolved path, in a directory only root can enter.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { join } from "../path.ts";
import { absolute, describe, makeDirectories } from "./fs.ts";

/**
 * How long rtconf waits for another rtconf, by default, in milliseconds.
 */
export const LOCK_TIMEOUT_MS = 10_000;

/** Where the lock files are on a host (a tmpfs: gone with a reboot, like the locks). */
export const LOCK_DIR = "/run/rtconf/locks";

/** How {@linkcode withLock} locks. */
export interface LockOptions {
  /** How long to wait for each lock, in milliseconds ({@linkcode LOCK_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** The directory of the lock files ({@linkcode LOCK_DIR}); created 0700. */
  dir?: string;
}

/** The lock file's name for a configuration: a digest of its path (any length, any bytes). */
async function lockName(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(path));
  return `${
    [...new Uint8Array(digest)].slice(0, 16).map((b) => b.toString(16).padStart(2, "0")).join("")
  }.lock`;
}

/** One lock held: its file, open and locked. */
interface Held {
  path: string;
  file: string;
  handle: Deno.FsFile;
}

/**
 * Takes the lock of one configuration: opens (creating, 0600) its lock file,
 * waits for an exclusive `flock`, and makes sure the file it locked is still
 * the one at the lock's path (a holder removes it as it lets go).
 */
async function take(path: string, dir: string, timeoutMs: number): Promise<Held> {
  const file = join(dir, await lockName(path));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let handle: Deno.FsFile;
    try {
      // Nothing but rtconf's own lock files belongs here: a link or the like goes.
      const info = await Deno.lstat(file).catch(() => undefined);
      if (info && !info.isFile) await Deno.remove(file, { recursive: true });
      handle = await Deno.open(file, { read: true, write: true, create: true, mode: 0o600 });
    } catch (error) {
      throw new RtconfError(`${path}: cannot lock (${file}): ${describe(error)}`);
    }
    let locked = await handle.tryLock(true);
    while (!locked && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
      locked = await handle.tryLock(true);
    }
    if (!locked) {
      handle.close();
      throw new RtconfError(
        `${path}: another rtconf is changing this configuration; gave up after ${
          timeoutMs / 1000
        } s`,
      );
    }
    const same = await Deno.stat(file).then(
      async (info) => info.ino === (await handle.stat()).ino,
      () => false,
    );
    if (same) {
      // Who holds it, for an operator who looks; a full /run does not stop the run.
      await handle.truncate(0)
        .then(() => handle.write(new TextEncoder().encode(`${Deno.pid} ${path}\n`)))
        .catch(() => {});
      return { path, file, handle };
    }
    handle.close(); // the holder before removed it: lock the new one
  }
}

/**
 * Runs `fn` holding an exclusive lock on each configuration: a lock file per
 * configuration path (links resolved by the caller, so that every way to
 * name a file takes the same lock; a file that does not exist yet is locked
 * by its path), in a directory only root can enter, each path locked once
 * and all in one order, so that runs on overlapping sets never deadlock.
 * The lock files go when their holder lets go, and the locks with the
 * process. Waits up to `timeoutMs` for each.
 *
 * @example Usage
 * ```ts
 * import { withLock } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const configs = [`${dir}/crio/crio.conf`, `${dir}/containerd/config.toml`, `${dir}/crio/crio.conf`];
 * equal(await withLock(configs, () => Promise.resolve(42), { dir: `${dir}/locks` }), 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param paths The main configs of the engines being changed.
 * @param fn What to do under the locks.
 * @param options How long to wait, and where the lock files are.
 * @returns What `fn` returns.
 * @throws {RtconfError} when a lock is not had in time, or cannot be taken.
 */
export async function withLock<T>(
  paths: readonly string[],
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const dir = options.dir ?? LOCK_DIR;
  const timeoutMs = options.timeoutMs ?? LOCK_TIMEOUT_MS;
  const held: Held[] = [];
  try {
    await makeDirectories(dir, 0o700);
    const info = await Deno.lstat(dir);
    if (!info.isDirectory) throw new Error("not a directory");
    if (info.uid !== Deno.uid()) throw new Error(`owned by user ${info.uid}, not by rtconf's`);
    await Deno.chmod(dir, 0o700); // only root may take, or block, rtconf's locks
  } catch (error) {
    throw new RtconfError(`${dir}: cannot use it for rtconf's locks: ${describe(error)}`);
  }
  try {
    for (const path of [...new Set(paths.map(absolute))].sort()) {
      held.push(await take(path, dir, timeoutMs));
    }
    return await fn();
  } finally {
    for (const { file, handle } of held.reverse()) {
      await Deno.remove(file).catch(() => {});
      handle.close();
    }
  }
}
