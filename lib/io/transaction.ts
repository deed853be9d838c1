/**
 * All or nothing: the files of a plan are checked, then staged (written in
 * full beside their targets, flushed, with their mode, owner and extended
 * attributes), then compared with what the plan was made from, and only
 * then replaced one after the other. If a replacement fails, the files
 * already replaced are put back. With a journal, a run killed between two
 * replacements is undone by the next one.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { dirname, join, underRoot } from "../path.ts";
import {
  alive,
  createTemp,
  describe,
  makeDirectories,
  type ProcessIdentity,
  stagingDirectory,
  syncDirectory,
  tempName,
  thisProcess,
  writeAll,
  writeOwnFile,
} from "./fs.ts";
import { mountPoints } from "./mounts.ts";
import { copyAttributes } from "./xattr.ts";

/**
 * Where the CLI keeps the journals of commits on a host: on disk, so that a
 * commit killed just before a reboot is still undone after it.
 */
export const JOURNAL_DIR = "/var/lib/rtconf/journal";

/** One file of a commit. */
export interface Replacement {
  /** The file as the plan names it (for messages). */
  path: string;
  /** The file itself: links resolved. */
  file: string;
  /** Its text when the plan was made (`undefined`: missing), checked before replacing. */
  before: string | undefined;
  /** Whether `before` is known and must still be the file's text. */
  compare: boolean;
  /** Its new text; `undefined` removes it. */
  after: string | undefined;
  /** The mode of a file this creates (default 0644). */
  mode?: number;
  /** Directories to remove, where empty, after this removes the file. */
  directories?: readonly string[];
  /** Where to keep its previous content, if anywhere. */
  backup?: string;
  /** The directory of all backups, which and whose subdirectories are created 0700. */
  backupDir?: string;
  /** An engine reads every file of its directory: temporary files go above it. */
  readWhole?: boolean;
}

/** How a commit writes. */
export interface CommitOptions {
  /** Writes a staged file's bytes (default: all at once). */
  writeData?: (file: Deno.FsFile, data: Uint8Array) => Promise<void>;
  /** Where the journal of a commit goes, so that a killed commit is undone later. */
  journalDir?: string;
  /** The locks the caller holds, recorded in the journal for the run that undoes it. */
  locks?: readonly string[];
  /**
   * The host's root as mounted here (`""`: this machine): the journal names
   * files as the host does, so that a run with the root mounted elsewhere
   * (a DaemonSet's `/host`, the host itself) finds them.
   */
  hostRoot?: string;
}

/** What a journal records of one file (paths as the host names them). */
export interface JournalEntry {
  /** The file (links resolved). */
  file: string;
  /** The staged new text (none for a removal). */
  staged?: string;
  /** The hard link that keeps the old file while it is replaced. */
  old: string;
  /** Whether the file existed before. */
  existed: boolean;
  /** SHA-256 of the new text, to know a file this commit created. */
  afterHash?: string;
}

/** A commit's journal. */
export interface Journal {
  /** The process that wrote it: a journal of a live process is its own business. */
  owner: ProcessIdentity;
  /** The locks it was written under, which undoing it needs. */
  locks: string[];
  /** The directories the commit created, removed (where empty) when it is undone. */
  created?: string[];
  /** The files, in the order they are replaced. */
  entries: JournalEntry[];
}

/** A file being committed. */
interface Step extends JournalEntry {
  change: Replacement;
  info: Deno.FileInfo | undefined;
  backupTemp?: string;
  backupPlaced?: boolean;
  replaced: boolean;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** Fails unless `file` can be replaced: a regular file this process may write, not a mount point. */
async function preflight(
  change: Replacement,
  mounts: Set<string>,
): Promise<Deno.FileInfo | undefined> {
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(change.file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new RtconfError(`${change.path}: cannot write: ${describe(error)}`);
    }
  }
  if (info === undefined) return undefined;
  if (!info.isFile) {
    throw new RtconfError(
      `${change.path}: ${kindOf(info)}, not a regular file; nothing was written`,
    );
  }
  if (mounts.has(change.file)) {
    throw new RtconfError(
      `${change.path}: a mount point (a file mounted over another), which cannot be replaced; ` +
        "change it where it is mounted from",
    );
  }
  try {
    // Opening for writing is what the kernel refuses for an immutable or
    // append-only file (EPERM), and for a file the caller may not write (EACCES).
    (await Deno.open(change.file, { write: true })).close();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "EPERM"
      ? "immutable or append-only (see lsattr; chattr -i / -a)"
      : describe(error);
    throw new RtconfError(`${change.path}: cannot write: ${why}; nothing was written`);
  }
  return info;
}

/** Where a file's temporary files go: beside it, unless its directory is read whole. */
function stagingFor(change: Replacement): Promise<string> {
  return change.readWhole ? stagingDirectory(change.file) : Promise.resolve(dirname(change.file));
}

/** Writes the new text beside the target, flushed, with the target's mode, owner and attributes. */
async function stage(step: Step, options: CommitOptions): Promise<void> {
  const { change, info } = step;
  const { path, handle } = await createTemp(change.file, await stagingFor(change));
  step.staged = path;
  try {
    await (options.writeData ?? writeAll)(handle, new TextEncoder().encode(change.after!));
    await handle.sync();
  } finally {
    handle.close();
  }
  await own(path, info, change.mode ?? 0o644);
  if (info) copyAttributes(change.file, path);
}

/** Gives a staged file the mode and owner of `info`, or `mode`. */
async function own(path: string, info: Deno.FileInfo | undefined, mode: number): Promise<void> {
  if (info?.uid != null && info.gid != null) {
    try {
      await Deno.chown(path, info.uid, info.gid);
    } catch (error) {
      // Only root may give a file away; anyone else keeps their own files.
      if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    }
  }
  // After chown, which clears setuid and setgid bits.
  await Deno.chmod(path, info?.mode != null ? info.mode & 0o7777 : mode);
}

/** Copies the file's current bytes, mode, owner and attributes to a staged backup. */
async function stageBackup(step: Step, created: string[]): Promise<void> {
  const backup = step.change.backup!;
  // Backups may hold what the configs hold (credentials): their directories are root's only.
  created.push(...await makeDirectories(dirname(backup), 0o700, step.change.backupDir));
  const temp = tempName(backup, "new");
  await Deno.copyFile(step.change.file, temp);
  await own(temp, step.info, 0o600);
  copyAttributes(step.change.file, temp);
  const handle = await Deno.open(temp, { read: true });
  await handle.sync().finally(() => handle.close());
  step.backupTemp = temp;
}

function writeJournal(path: string, journal: Journal): Promise<void> {
  return writeOwnFile(path, `${JSON.stringify(journal, null, 2)}\n`);
}

async function removeQuietly(path: string | undefined): Promise<void> {
  if (path !== undefined) await Deno.remove(path).catch(() => {});
}

/** Removes the directories that are empty, innermost first; the others stay. */
export async function removeEmptyDirectories(dirs: readonly string[]): Promise<void> {
  for (const dir of [...new Set(dirs)].sort().reverse()) {
    try {
      if ((await Deno.lstat(dir)).isSymlink) continue;
      await Deno.remove(dir);
      await syncDirectory(dirname(dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      if ((error as { code?: string }).code === "ENOTEMPTY") continue;
      throw new RtconfError(`${dir}: cannot remove the empty directory: ${describe(error)}`);
    }
  }
}

/** The text of a file now, or `undefined`; `null` when it cannot be read as text. */
async function currentText(file: string): Promise<string | undefined | null> {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      await Deno.readFile(file),
    );
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? undefined : null;
  }
}

/**
 * Carries out the replacements as one: every file is checked and staged
 * before the first is replaced, each must still hold the text the plan was
 * made from, and if one cannot be replaced the others are put back.
 *
 * @example Usage
 * ```ts
 * import { commit } from "./transaction.ts";
 * import { equal, rejects } from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.toml`, "a = 1\n");
 * await commit([
 *   { path: `${dir}/a.toml`, file: `${dir}/a.toml`, before: "a = 1\n", compare: true, after: "a = 2\n" },
 *   { path: `${dir}/b.toml`, file: `${dir}/b.toml`, before: undefined, compare: true, after: "b = 1\n" },
 * ]);
 * equal(await Deno.readTextFile(`${dir}/a.toml`), "a = 2\n");
 * // Planned from a text the file no longer holds: nothing is written.
 * await rejects(
 *   commit([{ path: `${dir}/a.toml`, file: `${dir}/a.toml`, before: "a = 1\n", compare: true, after: "a = 3\n" }]),
 *   /changed while rtconf was working/,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param changes The files, in the order to replace them.
 * @param options How to write, and where the journal goes.
 * @throws {RtconfError} naming the file and why; no file is left changed.
 */
export async function commit(
  changes: readonly Replacement[],
  options: CommitOptions = {},
): Promise<void> {
  if (changes.length === 0) return;
  const mounts = await mountPoints();
  const steps: Step[] = [];
  for (const change of changes) {
    const info = await preflight(change, mounts);
    steps.push({
      change,
      info,
      file: change.file,
      // Set once its directory exists (below).
      old: "",
      existed: info !== undefined,
      replaced: false,
    });
  }
  const created: string[] = [];
  const journalPath = options.journalDir &&
    join(
      options.journalDir,
      `${Deno.pid}-${Date.now()}-${crypto.getRandomValues(new Uint32Array(1))[0]}.json`,
    );
  const journal: Journal = { owner: thisProcess(), locks: [...options.locks ?? []], entries: [] };
  const root = options.hostRoot ?? "";
  const onHost = (disk: string) => underRoot(root, disk);
  const cleanUp = async () => {
    for (const step of steps) {
      await removeQuietly(step.staged);
      await removeQuietly(step.backupTemp);
    }
    await removeEmptyDirectories(created).catch(() => {});
    if (journalPath) await removeQuietly(journalPath);
  };

  try {
    for (const step of steps) {
      const { change } = step;
      try {
        if (change.after !== undefined) {
          created.push(...await makeDirectories(dirname(change.file)));
          await stage(step, options);
          step.afterHash = await sha256(change.after);
        }
        step.old = tempName(change.file, "old", await stagingFor(change));
      } catch (error) {
        if (error instanceof RtconfError) throw error;
        throw new RtconfError(
          `${change.path}: cannot write: ${describe(error)}; nothing was written`,
        );
      }
      try {
        if (change.backup && step.info) await stageBackup(step, created);
      } catch (error) {
        if (error instanceof RtconfError) throw error;
        throw new RtconfError(
          `${change.backup}: cannot write the backup of ${change.path}: ${
            describe(error)
          }; nothing was written`,
        );
      }
    }
    journal.entries = steps.map(({ file, staged, old, existed, afterHash }) => ({
      file: onHost(file),
      ...(staged ? { staged: onHost(staged) } : {}),
      old: onHost(old),
      existed,
      ...(afterHash ? { afterHash } : {}),
    }));
    journal.created = created.map(onHost);
    if (journalPath) {
      await writeJournal(journalPath, journal).catch((error) => {
        throw new RtconfError(
          `${journalPath}: cannot write rtconf's journal: ${describe(error)}; nothing was written`,
        );
      });
    }
    for (const { change } of steps) {
      if (!change.compare) continue;
      const now = await currentText(change.file);
      if (now !== change.before) {
        throw new RtconfError(
          `${change.path}: changed while rtconf was working (another program wrote it); ` +
            "nothing was written: run rtconf again",
        );
      }
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }

  let current = steps[0];
  try {
    for (const step of steps) {
      current = step;
      if (!step.backupTemp) continue;
      await Deno.rename(step.backupTemp, step.change.backup!);
      step.backupTemp = undefined;
      step.backupPlaced = true;
    }
    for (const step of steps) {
      current = step;
      if (step.existed) await Deno.link(step.file, step.old);
      step.replaced = true;
      if (step.staged) await Deno.rename(step.staged, step.file);
      else await Deno.remove(step.file);
      step.staged = undefined;
    }
  } catch (error) {
    await rollBack(steps);
    await cleanUp();
    throw new RtconfError(
      `${current.change.path}: cannot write: ${describe(error)}; every file was put back as it was`,
    );
  }

  for (const dir of new Set(steps.map((step) => dirname(step.file)))) await syncDirectory(dir);
  // The commit stands once its journal is gone; the old files' links are leftovers then.
  if (journalPath) {
    try {
      await Deno.remove(journalPath);
      await syncDirectory(dirname(journalPath));
    } catch (error) {
      throw new RtconfError(
        `${journalPath}: every file was written, but rtconf cannot remove its journal ` +
          `(${describe(error)}): remove it by hand, or the next run puts the files back`,
      );
    }
  }
  for (const step of steps) await removeQuietly(step.old);
  await removeEmptyDirectories(
    steps.filter((step) => step.change.after === undefined)
      .flatMap((step) => [...step.change.directories ?? []]),
  );
}

/** Puts back every file already replaced, last first. */
async function rollBack(steps: readonly Step[]): Promise<void> {
  for (const step of [...steps].reverse()) {
    if (step.backupPlaced) await removeQuietly(step.change.backup);
    if (!step.replaced) continue;
    if (step.existed) {
      await Deno.rename(step.old, step.file).catch(() => {});
    } else {
      await Deno.remove(step.file).catch(() => {});
    }
  }
}

/** Whether a value has a journal's shape. */
function isJournal(value: unknown): value is Journal {
  const journal = value as Journal;
  const strings = (list: unknown) =>
    Array.isArray(list) && list.every((x) => typeof x === "string");
  return typeof journal === "object" && journal !== null &&
    typeof journal.owner?.pid === "number" && typeof journal.owner?.start === "number" &&
    typeof journal.owner?.boot === "string" && strings(journal.locks) &&
    (journal.created === undefined || strings(journal.created)) &&
    Array.isArray(journal.entries) &&
    journal.entries.every((entry) =>
      typeof entry?.file === "string" && typeof entry.old === "string" &&
      typeof entry.existed === "boolean" &&
      (entry.staged === undefined || typeof entry.staged === "string") &&
      (entry.afterHash === undefined || typeof entry.afterHash === "string")
    );
}

/**
 * The journals of commits whose process is gone, by path; a file there that
 * is not one of rtconf's journals is set aside (`.invalid`) with a warning.
 *
 * @param journalDir Where the journals are.
 * @param warn Where to say that a file was set aside.
 * @returns Each journal and its path.
 */
export async function deadJournals(
  journalDir: string,
  warn: (message: string) => void = () => {},
): Promise<Map<string, Journal>> {
  const found = new Map<string, Journal>();
  try {
    for await (const entry of Deno.readDir(journalDir)) {
      if (!entry.name.endsWith(".json")) continue;
      const path = join(journalDir, entry.name);
      let journal: unknown;
      try {
        journal = JSON.parse(await Deno.readTextFile(path));
      } catch {
        continue; // a journal cut short was never acted on: its commit did not begin
      }
      if (!isJournal(journal)) {
        // Another rtconf's (another version's) while its writer runs: not for this one to judge.
        const pid = (journal as { pid?: unknown; owner?: { pid?: unknown } })?.owner?.pid ??
          (journal as { pid?: unknown })?.pid;
        if (typeof pid === "number" && alive(pid)) continue;
        await Deno.rename(path, `${path}.invalid`).catch(() => {});
        warn(`${path}: not one of rtconf's journals; set aside as ${path}.invalid`);
        continue;
      }
      const mine = journal.owner.pid === thisProcess().pid &&
        journal.owner.start === thisProcess().start;
      if (!mine && !alive(journal.owner)) found.set(path, journal);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found;
}

/** How {@linkcode recover} finds a journal's files and says what it did. */
export interface RecoverOptions {
  /** The host's root as mounted here (`""`: this machine). */
  hostRoot?: string;
  /** Where a host path is here, links resolved inside the host (default: under `hostRoot`). */
  resolve?: (hostPath: string) => Promise<string>;
  /** Only the journals all of whose locks are among these are undone (default: any). */
  held?: readonly string[];
  /** Where to say what was left as it is. */
  warn?: (message: string) => void;
}

/** Whether `temp` is one of rtconf's temporary names for `file`, beside it or above it. */
function isTempOf(temp: string, file: string): boolean {
  const dir = dirname(temp);
  const name = temp.slice(dir.length + 1);
  return (dir === dirname(file) || dir === dirname(dirname(file))) &&
    name.startsWith(`.${file.slice(dirname(file).length + 1)}.rtconf-`) && name.endsWith(".tmp");
}

/**
 * Undoes what killed commits left (a commit whose journal is gone stands):
 * each file is put back as it was before, unless it changed since (then it
 * stays, with a warning). The caller holds the journals' locks.
 *
 * @example Usage
 * ```ts
 * import { recover } from "./transaction.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(await recover("/nonexistent/journal"), []);
 * ```
 *
 * @param journalDir Where the journals are.
 * @param options The host, which journals, and where to warn.
 * @returns The files put back.
 */
export async function recover(journalDir: string, options: RecoverOptions = {}): Promise<string[]> {
  const root = options.hostRoot ?? "";
  const warn = options.warn ?? (() => {});
  const resolve = options.resolve ?? ((path: string) => Promise.resolve(`${root}${path}`));
  const restored: string[] = [];
  for (const [path, journal] of await deadJournals(journalDir, warn)) {
    if (options.held && !journal.locks.every((lock) => options.held!.includes(lock))) continue;
    for (const entry of [...journal.entries].reverse()) {
      const file = await resolve(entry.file);
      const old = `${root}${entry.old}`;
      const staged = entry.staged === undefined ? undefined : `${root}${entry.staged}`;
      if (!isTempOf(old, file) || (staged !== undefined && !isTempOf(staged, file))) {
        warn(`${path}: names files that are not rtconf's; left as they are`);
        continue;
      }
      const oldInfo = await Deno.lstat(old).catch(() => undefined);
      const hasOld = oldInfo !== undefined;
      const fileInfo = await Deno.stat(file).catch(() => undefined);
      // Never replaced: the old link is the file itself.
      const untouched = hasOld && fileInfo !== undefined && fileInfo.ino === oldInfo.ino;
      const stillStaged = untouched || staged !== undefined &&
          await Deno.lstat(staged).then(() => true, () => false);
      const now = await currentText(file);
      // What the killed commit left in place, if it got to this file.
      const placed = entry.afterHash === undefined
        ? now === undefined
        : typeof now === "string" && await sha256(now) === entry.afterHash;
      if (stillStaged) {
        // Done, or never replaced: the file is as it should be.
      } else if (placed && hasOld) {
        await Deno.rename(old, file);
        restored.push(file);
      } else if (placed && !entry.existed && now !== undefined) {
        await Deno.remove(file);
        restored.push(file);
      } else if (hasOld || (!entry.existed && now !== undefined)) {
        warn(`${file}: changed since an interrupted rtconf run; left as it is`);
      }
      if (hasOld) await removeQuietly(old);
      await removeQuietly(staged);
    }
    await removeEmptyDirectories((journal.created ?? []).map((dir) => `${root}${dir}`));
    await Deno.remove(path);
  }
  return restored;
}
