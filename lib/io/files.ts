/**
 * The file layer: reading configs and carrying out a plan with atomic writes.
 * This is the only part of the library that touches the file system.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import type { FileGlob } from "../engines/engine.ts";
import { globToRegExp } from "../glob.ts";
import { dirname, join, underRoot } from "../path.ts";
import type { FileChange } from "../plan.ts";
import { absolute, describe, removeLeftovers, syncDirectory, target, writeOwnFile } from "./fs.ts";
import { commit, type Replacement } from "./transaction.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The largest config rtconf reads, in bytes (16 MiB): engines' configs are kilobytes.
 */
export const MAX_CONFIG_BYTES: number = 16 * 2 ** 20;

/**
 * Reads a config file as text.
 *
 * @example Usage
 * ```ts
 * import { readText } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * equal(await readText("/nonexistent/config.toml"), undefined);
 * ```
 *
 * @param path The file.
 * @returns Its text, or `undefined` when it does not exist.
 * @throws {RtconfError} naming the file when it is a directory, unreadable,
 * binary or not UTF-8.
 */
export function readText(path: string): Promise<string | undefined> {
  try {
    return Promise.resolve(readTextNow(path));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * {@linkcode readText}, synchronously: a config file is small and local, and
 * a run reads a few, where each asynchronous call costs more than the read.
 */
function readTextNow(path: string): string | undefined {
  let bytes: Uint8Array;
  try {
    const info = Deno.statSync(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
    if (!info.isFile) {
      // A FIFO would hang the read; /dev/null (a masked file) is no config.
      const kind = info.isFifo
        ? "a FIFO"
        : info.isCharDevice
        ? "a character device"
        : info.isSocket
        ? "a socket"
        : "a special file";
      throw new RtconfError(`${path}: ${kind}, not a regular file; nothing was written`);
    }
    if (info.size > MAX_CONFIG_BYTES) {
      throw new RtconfError(
        `${path}: too large for a config file (${
          Math.ceil(info.size / 2 ** 20)
        } MiB; rtconf reads up to ${MAX_CONFIG_BYTES / 2 ** 20} MiB)`,
      );
    }
    bytes = Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof RtconfError) throw error;
    throw new RtconfError(`${path}: cannot read: ${describe(error)}`);
  }
  if (bytes.includes(0)) throw new RtconfError(`${path}: binary file, not a config file`);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new RtconfError(`${path}: not UTF-8 text`);
  }
}

/**
 * Options of {@linkcode writeAtomic} and {@linkcode applyChanges}.
 *
 * @example Usage
 * ```ts
 * import { type WriteOptions, writeAtomic } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * let calls = 0;
 * const options: WriteOptions = {
 *   writeData: async (file, data) => {
 *     calls++;
 *     await file.write(data);
 *   },
 * };
 * const dir = await Deno.makeTempDir();
 * await writeAtomic(`${dir}/x.toml`, "a = 1\n", options);
 * equal(calls, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface WriteOptions {
  /**
   * Keep each changed file's previous content under the host's
   * {@linkcode BACKUP_DIR} (`applyChanges`; see {@linkcode backupPath}).
   */
  backup?: boolean;
  /** The host's root as mounted here, under which backups go (`""`: this machine). */
  hostRoot?: string;
  /**
   * Where a host path is here, links resolved inside the host (default: the
   * path under `hostRoot`): backups go there.
   */
  resolve?: (hostPath: string) => Promise<string>;
  /**
   * Where `applyChanges` keeps the journal of a plan being written, so that
   * a run killed between two files is undone by the next (see
   * `recoverJournals`); without it a failure is still undone in process.
   */
  journalDir?: string;
  /** The locks held while writing, recorded in the journal. */
  locks?: readonly string[];
  /**
   * Writes a new file's bytes into the open temporary file (default: all at
   * once). A test can slow it down or make it fail.
   */
  writeData?: (file: Deno.FsFile, data: Uint8Array) => Promise<void>;
}

/**
 * Writes `text` to `path` atomically: a new file in the same directory
 * (created exclusively, mode 0600), flushed, given the old file's mode,
 * owner and extended attributes (0644 for a new file), renamed over the
 * target, and the directory flushed. A symlink is followed and kept. Parent
 * directories are created with mode 0755. Anything but a regular file, an
 * immutable file, one the caller may not write, and a mount point are
 * refused.
 *
 * @example Usage
 * ```ts
 * import { writeAtomic } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await writeAtomic(`${dir}/conf.d/x.toml`, "a = 1\n");
 * equal(await Deno.readTextFile(`${dir}/conf.d/x.toml`), "a = 1\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file to write.
 * @param text Its new text.
 * @param options How to write the bytes.
 * @throws {RtconfError} naming the file and the reason; the file is untouched.
 */
export async function writeAtomic(
  path: string,
  text: string,
  options: WriteOptions = {},
): Promise<void> {
  const file = await target(path);
  await removeLeftovers(file);
  await commit([{ path, file, before: undefined, compare: false, after: text }], options);
}

/**
 * Writes one of rtconf's own records atomically: mode 0600, in directories
 * created 0700 (what it records is root's business).
 *
 * @example Usage
 * ```ts
 * import { writePrivate } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await writePrivate(`${dir}/rtconf/record.json`, "{}\n");
 * equal((await Deno.stat(`${dir}/rtconf/record.json`)).mode! & 0o777, 0o600);
 * equal((await Deno.stat(`${dir}/rtconf`)).mode! & 0o777, 0o700);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The record's file.
 * @param text Its text.
 * @throws {RtconfError} naming the file and the reason.
 */
export async function writePrivate(path: string, text: string): Promise<void> {
  await writeOwnFile(path, text).catch((error: unknown) => {
    throw new RtconfError(`${path}: cannot write: ${describe(error)}`);
  });
}

/**
 * Removes a file; a file that is already gone is not an error. A symlink
 * stays: the file it points to is removed (rtconf removes only what it
 * created, and the link was there before).
 *
 * @example Usage
 * ```ts
 * import { removeFile } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/target.toml`, "a = 1\n");
 * await Deno.symlink(`${dir}/target.toml`, `${dir}/link.toml`);
 * await removeFile(`${dir}/link.toml`);
 * equal((await Deno.lstat(`${dir}/link.toml`)).isSymlink, true);
 * equal(await Deno.stat(`${dir}/target.toml`).catch(() => "gone"), "gone");
 * await removeFile(`${dir}/nonexistent.toml`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file.
 * @throws {RtconfError} naming the file when it cannot be removed.
 */
export async function removeFile(path: string): Promise<void> {
  try {
    const file = await target(path);
    await Deno.remove(file);
    await syncDirectory(dirname(file));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new RtconfError(`${path}: cannot remove: ${describe(error)}`);
  }
}

/**
 * Where `--backup` keeps backups on a host: outside every directory an
 * engine reads, so that no engine ever loads one.
 */
export const BACKUP_DIR = "/var/backups/rtconf";

/**
 * Where `--backup` keeps a file's content from before a change made at
 * `time`: under {@linkcode BACKUP_DIR} of the host, at the file's own path
 * with the time appended (UTC).
 *
 * @example Usage
 * ```ts
 * import { backupPath } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const time = new Date("2026-11-30T10:15:02.123Z");
 * equal(
 *   backupPath("/etc/crio/crio.conf.d/99-nvidia.toml", time),
 *   "/var/backups/rtconf/etc/crio/crio.conf.d/99-nvidia.toml.20261130T101502.123Z",
 * );
 * equal(
 *   backupPath("/host/etc/docker/daemon.json", time, "/host"),
 *   "/host/var/backups/rtconf/etc/docker/daemon.json.20261130T101502.123Z",
 * );
 * ```
 *
 * @param path The file as seen here (under `root`).
 * @param time When the change is made.
 * @param root The host's root as mounted here (`""`: this machine).
 * @returns The backup's path, as seen here.
 */
export function backupPath(path: string, time: Date, root = ""): string {
  const file = absolute(path);
  const top = root ? absolute(root) : "";
  const inside = underRoot(top, file);
  const stamp = time.toISOString().replace(/[-:]/g, "");
  return `${top}${BACKUP_DIR}${inside}.${stamp}`;
}

/** Where a file's backup goes: {@linkcode backupPath}, its links resolved inside the host. */
function backupFor(file: string, time: Date, options: WriteOptions): Promise<string> {
  const root = options.hostRoot ?? "";
  const disk = backupPath(file, time, root);
  return options.resolve ? options.resolve(underRoot(root, disk)) : Promise.resolve(disk);
}

/**
 * Carries out the changing files of a plan as one: every file is checked
 * and written beside its target before the first is replaced, each must
 * still hold the text the plan was made from, and if one cannot be
 * replaced the others are put back. A file the plan removes takes with it
 * the directories its `directories` name, where they are empty.
 *
 * @example Usage
 * ```ts
 * import { applyChanges } from "@rtconf/rtconf/files";
 * import { equal } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await applyChanges([{ path: `${dir}/a.json`, before: undefined, after: "{}\n" }]);
 * equal(await Deno.readTextFile(`${dir}/a.json`), "{}\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param changes The files to write or remove.
 * @param options `backup`: keep the previous contents; the journal; how to write the bytes.
 * @throws {RtconfError} naming the file and why; no file is left changed.
 */
export async function applyChanges(
  changes: readonly FileChange[],
  options: WriteOptions = {},
): Promise<void> {
  const time = new Date();
  const replacements: Replacement[] = [];
  for (const change of changes.filter((change) => change.before !== change.after)) {
    const file = await target(change.path);
    await removeLeftovers(file, change.readWhole);
    replacements.push({
      path: change.path,
      file,
      before: change.before,
      compare: true,
      after: change.after,
      ...(change.mode === undefined ? {} : { mode: change.mode }),
      ...(change.readWhole ? { readWhole: true } : {}),
      ...(change.after === undefined && change.directories
        ? { directories: change.directories }
        : {}),
      ...(options.backup && change.before !== undefined
        ? {
          backup: await backupFor(file, time, options),
          backupDir: options.resolve
            ? await options.resolve(BACKUP_DIR)
            : `${options.hostRoot ?? ""}${BACKUP_DIR}`,
        }
        : {}),
    });
  }
  await commit(replacements, options);
}

/**
 * The files a glob names that exist and are not directories (links
 * followed), as paths relative to its directory: each directory's entries in
 * lexical order, and with `recursive` the files of its subdirectories where
 * they sort.
 *
 * @example Usage
 * ```ts
 * import { globFiles } from "@rtconf/rtconf/files";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["b.toml", "a.toml", "c.conf"]) await Deno.writeTextFile(`${dir}/${name}`, "");
 * await Deno.mkdir(`${dir}/sub`);
 * await Deno.writeTextFile(`${dir}/sub/d.toml`, "");
 * deepEqual(await globFiles({ dir, pattern: "*.toml" }), ["a.toml", "b.toml"]);
 * deepEqual(await globFiles({ dir, pattern: "*", recursive: true }), ["a.toml", "b.toml", "c.conf", "sub/d.toml"]);
 * deepEqual(await globFiles({ dir: `${dir}/missing`, pattern: "*" }), []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param glob The directory, the pattern of names, and whether to walk subdirectories.
 * @returns The relative paths.
 * @throws {RtconfError} when a directory cannot be read.
 */
export async function globFiles(glob: FileGlob): Promise<string[]> {
  const pattern = globToRegExp(glob.pattern);
  const entries: { name: string; directory: boolean }[] = [];
  try {
    for await (const entry of Deno.readDir(glob.dir)) {
      let directory = entry.isDirectory;
      if (entry.isSymlink) {
        const info = await Deno.stat(join(glob.dir, entry.name)).catch(() => undefined);
        if (info === undefined) continue;
        directory = info.isDirectory;
      }
      entries.push({ name: entry.name, directory });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw new RtconfError(`${glob.dir}: cannot read the directory: ${describe(error)}`);
  }
  const found: string[] = [];
  for (const { name, directory } of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (directory) {
      if (!glob.recursive) continue;
      const inner = await globFiles({ ...glob, dir: join(glob.dir, name) });
      found.push(...inner.map((path) => `${name}/${path}`));
    } else if (pattern.test(name)) {
      found.push(name);
    }
  }
  return found;
}
