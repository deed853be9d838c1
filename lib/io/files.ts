/**
 * The file layer: reading configs and carrying out a plan with atomic writes.
 * This is the only part of the library that touches the file system.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import type { FileGlob } from "../engines/engine.ts";
import { globToRegExp } from "../glob.ts";
import { basename, dirname, join, resolve as resolveFrom } from "../path.ts";
import type { FileChange } from "../plan.ts";

/** An absolute path: relative ones are relative to the working directory. */
function resolve(path: string): string {
  return resolveFrom(Deno.cwd(), path);
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The largest config rtconf reads, in bytes (16 MiB): engines' configs are kilobytes.
 */
export const MAX_CONFIG_BYTES: number = 16 * 2 ** 20;

/** The name rtconf's temporary files have beside `file`. */
function tempPattern(file: string): RegExp {
  const name = basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\.${name}\\.rtconf-\\d+\\.tmp$`);
}

/** A new, exclusively created temporary file beside `file`, named by {@linkcode tempPattern}. */
async function createTemp(file: string): Promise<{ path: string; handle: Deno.FsFile }> {
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  const path = `${dirname(file)}/.${basename(file)}.rtconf-${suffix}.tmp`;
  return { path, handle: await Deno.open(path, { write: true, createNew: true, mode: 0o600 }) };
}

/** Removes what an rtconf that died mid-write left beside `file` (the caller holds the lock). */
async function removeLeftovers(file: string): Promise<void> {
  const dir = dirname(file);
  for await (const entry of Deno.readDir(dir)) {
    if (tempPattern(file).test(entry.name)) await Deno.remove(`${dir}/${entry.name}`);
  }
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory, not a file";
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  const message = error instanceof Error ? error.message : String(error);
  // Deno's messages read "Read-only file system (os error 30): open '/x'".
  return message.replace(/ \(os error \d+\).*$/s, "").toLowerCase();
}

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
export async function readText(path: string): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new RtconfError(
        `${path}: too large for a config file (${
          Math.ceil(info.size / 2 ** 20)
        } MiB; rtconf reads up to ${MAX_CONFIG_BYTES / 2 ** 20} MiB)`,
      );
    }
    bytes = await Deno.readFile(path);
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

/** Where a path's bytes live: a symlink's final target, else the path itself. */
async function target(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    // Missing file, or a dangling link: write where the link points.
    try {
      const link = await Deno.readLink(path);
      return resolveFrom(dirname(resolve(path)), link);
    } catch {
      return resolve(path);
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** Creates a directory and its missing parents, each with `mode` (0755) whatever the umask. */
async function makeDirectories(dir: string, mode = 0o755): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(dir); current !== dirname(current); current = dirname(current)) {
    const exists = await Deno.lstat(current).then(() => true, (error) => {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    });
    if (exists) break;
    missing.unshift(current);
  }
  for (const path of missing) {
    await Deno.mkdir(path).catch((error) => {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    });
    await Deno.chmod(path, mode);
  }
}

/**
 * Writes a new file's bytes; {@linkcode WriteOptions} can replace it.
 *
 * @param file The open file.
 * @param data The bytes.
 */
async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.length;) {
    written += await file.write(data.subarray(written));
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
   * Writes a new file's bytes into the open temporary file (default: all at
   * once). A test can slow it down or make it fail.
   */
  writeData?: (file: Deno.FsFile, data: Uint8Array) => Promise<void>;
}

/**
 * Writes `text` to `path` atomically: a new file in the same directory
 * (created exclusively, mode 0600), flushed, given the old file's mode and
 * owner (0644 for a new file), renamed over the target, and the directory
 * flushed. A symlink is followed and kept. Parent directories are created
 * with mode 0755.
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
  await replaceFile(path, text, options);
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
  await replaceFile(path, text, {}, { mode: 0o600, uid: null, gid: null }, 0o700);
}

/** The mode and owner a new file gets. */
type Ownership = Pick<Deno.FileInfo, "mode" | "uid" | "gid">;

/**
 * {@linkcode writeAtomic}, the new file given the mode and owner of `like`
 * (default: the file it replaces, else 0644) before it takes the name.
 */
async function replaceFile(
  path: string,
  text: string,
  options: WriteOptions,
  like?: Ownership,
  directoryMode = 0o755,
): Promise<void> {
  const file = await target(path);
  const dir = dirname(file);
  let temp: string | undefined;
  try {
    await makeDirectories(dir, directoryMode);
    let info = like;
    try {
      info ??= await Deno.stat(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await removeLeftovers(file);
    const created = await createTemp(file);
    temp = created.path;
    const handle = created.handle;
    try {
      await (options.writeData ?? writeAll)(handle, new TextEncoder().encode(text));
      await handle.sync();
    } finally {
      handle.close();
    }
    await Deno.chmod(
      temp,
      info?.mode !== undefined && info.mode !== null ? info.mode & 0o7777 : 0o644,
    );
    if (info?.uid != null && info.gid != null) {
      try {
        await Deno.chown(temp, info.uid, info.gid);
      } catch (error) {
        // Only root may give a file away; anyone else keeps their own files.
        if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
      }
    }
    await Deno.rename(temp, file);
    temp = undefined;
    await syncDirectory(dir);
  } catch (error) {
    if (temp !== undefined) await Deno.remove(temp).catch(() => {});
    throw new RtconfError(`${path}: cannot write: ${describe(error)}`);
  }
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
 * The nearest directory that exists, from `dir` up.
 *
 * @param dir A directory.
 * @returns It, or its nearest existing parent.
 */
export async function existingAncestor(dir: string): Promise<string> {
  for (let current = resolve(dir);; current = dirname(current)) {
    try {
      if ((await Deno.stat(current)).isDirectory) return current;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (current === dirname(current)) return current;
  }
}

/** Fails unless a file can be created in the directory that will hold `path`. */
async function checkWritable(path: string): Promise<void> {
  const file = await target(path);
  try {
    const dir = await existingAncestor(dirname(file));
    // A probe named like rtconf's temporary files, so that a probe left by a
    // killed run is removed like them.
    await removeLeftovers(join(dir, basename(file)));
    const probe = await createTemp(join(dir, basename(file)));
    probe.handle.close();
    await Deno.remove(probe.path);
    if (await Deno.stat(file).then((info) => info.isDirectory, () => false)) {
      throw new Deno.errors.IsADirectory(file);
    }
  } catch (error) {
    throw new RtconfError(`${path}: cannot write: ${describe(error)}`);
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
  const absolute = resolve(path);
  const inside = root && absolute.startsWith(`${resolve(root)}/`)
    ? absolute.slice(resolve(root).length)
    : absolute;
  const stamp = time.toISOString().replace(/[-:]/g, "");
  return `${root ? resolve(root) : ""}${BACKUP_DIR}${inside}.${stamp}`;
}

/**
 * Carries out the changing files of a plan, in order. Every file is checked
 * for writability first, so a plan that cannot be carried out writes
 * nothing.
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
 * @param options `backup`: keep the previous contents; how to write the bytes.
 */
export async function applyChanges(
  changes: readonly FileChange[],
  options: WriteOptions = {},
): Promise<void> {
  const changing = changes.filter((change) => change.before !== change.after);
  for (const change of changing) await checkWritable(change.path);
  const time = new Date();
  const emptied: string[] = [];
  for (const change of changing) {
    if (change.after === undefined) emptied.push(...change.directories ?? []);
    if (options.backup && change.before !== undefined) {
      const file = await target(change.path);
      const backup = backupPath(file, time, options.hostRoot);
      // Backups may hold what the configs hold (credentials): their directories are root's only.
      await replaceFile(backup, change.before, options, await Deno.stat(file), 0o700);
    }
    if (change.after === undefined) await removeFile(change.path);
    else await writeAtomic(change.path, change.after, options);
  }
  // Innermost first; a directory that holds anything else stays.
  for (const dir of [...new Set(emptied)].sort().reverse()) await removeEmptyDirectory(dir);
}

/** Removes a directory that is empty; one that is not, or is gone, stays as it is. */
async function removeEmptyDirectory(dir: string): Promise<void> {
  try {
    if ((await Deno.lstat(dir)).isSymlink) return;
    await Deno.remove(dir);
    await syncDirectory(dirname(resolve(dir)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if ((error as { code?: string }).code === "ENOTEMPTY") return;
    throw new RtconfError(`${dir}: cannot remove the empty directory: ${describe(error)}`);
  }
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
