/**
 * The file system primitives rtconf's reads and writes are made of:
 * resolving a file, describing an error in one line, temporary files beside
 * a target (named after their writer's process), directories with a set
 * mode, and flushing a directory.
 *
 * @module
 */

import { basename, dirname, join, resolve as resolveFrom } from "../path.ts";
import { mountPoints } from "./mounts.ts";
import { processStat } from "./proc.ts";

/** An absolute path: relative ones are relative to the working directory. */
export function absolute(path: string): string {
  return resolveFrom(Deno.cwd(), path);
}

/**
 * An error in a few words, as rtconf's one-line messages end.
 *
 * @param error What was thrown.
 * @returns E.g. `permission denied`, `read-only file system`.
 */
export function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === "EPERM") return "operation not permitted (immutable or append-only?)";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory, not a file";
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  const message = error instanceof Error ? error.message : String(error);
  // Deno's messages read "Read-only file system (os error 30): open '/x'".
  return message.replace(/ \(os error \d+\).*$/s, "").toLowerCase();
}

/**
 * Where a path's bytes live: a symlink's final target, else the path itself
 * (a dangling link: where it points).
 *
 * @param path The path.
 * @returns The file.
 */
export async function target(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    try {
      const link = await Deno.readLink(path);
      return resolveFrom(dirname(absolute(path)), link);
    } catch {
      return absolute(path);
    }
  }
}

/**
 * Flushes a directory, so that a rename or removal in it is on disk.
 *
 * @param dir The directory.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * Creates a directory and its missing parents: the directory itself (and,
 * with `from`, every directory from `from` down to it) with `mode`, the
 * others 0755, whatever the umask.
 *
 * @param dir The directory.
 * @param mode Its mode (0755).
 * @param from The outermost directory that gets `mode` too.
 * @returns The directories created, outermost first.
 */
export async function makeDirectories(
  dir: string,
  mode = 0o755,
  from?: string,
): Promise<string[]> {
  const missing: string[] = [];
  const leaf = absolute(dir);
  for (let current = leaf; current !== dirname(current); current = dirname(current)) {
    const exists = await Deno.lstat(current).then(() => true, (error) => {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    });
    if (exists) break;
    missing.unshift(current);
  }
  const created: string[] = [];
  for (const path of missing) {
    try {
      await Deno.mkdir(path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    created.push(path);
    const own = path === leaf ||
      (from !== undefined && (path === from || path.startsWith(`${from}/`)));
    await Deno.chmod(path, own ? mode : 0o755);
  }
  return created;
}

/** What tells a process apart: its pid, when it started, and the boot it runs in. */
export interface ProcessIdentity {
  /** Its pid, in the pid namespace that wrote the record. */
  pid: number;
  /** When it started, in clock ticks since boot (`/proc/PID/stat`). */
  start: number;
  /** The boot it runs in (`/proc/sys/kernel/random/boot_id`). */
  boot: string;
}

function bootId(): string {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return "";
  }
}

let self: ProcessIdentity | undefined;

/**
 * This process, told apart from any other: a pid alone is reused, and the
 * same in another pid namespace.
 *
 * @returns Its identity.
 */
export function thisProcess(): ProcessIdentity {
  return self ??= { pid: Deno.pid, start: processStat(Deno.pid)?.start ?? 0, boot: bootId() };
}

/**
 * Whether the process a record names still runs: the same pid, started at
 * the same time, in this boot.
 *
 * @param who The process (a pid alone, from an older record, counts by its pid).
 * @returns `true` while it runs.
 */
export function alive(who: ProcessIdentity | number): boolean {
  const id = typeof who === "number" ? { pid: who } : who;
  const start = processStat(id.pid)?.start;
  if (start === undefined) return false;
  if (typeof who === "number") return true;
  return who.boot === bootId() && who.start === start;
}

/** `.NAME.rtconf-PID.START-KIND.tmp`: rtconf's temporary files of `file`, with their writer. */
function tempPattern(file: string): RegExp {
  const name = basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\.${name}\\.rtconf-(\\d+)(?:\\.(\\d+))?(?:-[\\w]+)?\\.tmp$`);
}

/**
 * Where the temporary files of a file in a directory that an engine reads
 * whole (CRI-O's `crio.conf.d`) go, so that the engine never reads one: the
 * directory above, when it is on the same mount (a rename from there is
 * atomic); else the file's own directory.
 *
 * @param file The file.
 * @returns The directory.
 */
export async function stagingDirectory(file: string): Promise<string> {
  const dir = dirname(absolute(file));
  const above = dirname(dir);
  if (above === dir) return dir;
  const mounts = await mountPoints();
  const mountOf = (path: string) => {
    for (let at = path;; at = dirname(at)) if (mounts.has(at) || at === dirname(at)) return at;
  };
  if (mountOf(dir) !== mountOf(above)) return dir;
  const [own, parent] = await Promise.all([Deno.stat(dir), Deno.stat(above)]).catch(() => []);
  return own && parent && own.dev === parent.dev ? above : dir;
}

/**
 * A new, exclusively created temporary file for `file` (mode 0600), in
 * `dir`, named after the file and this process.
 *
 * @param file The file it stands in for.
 * @param dir Where it goes (default: beside the file).
 * @returns Its path and open handle.
 */
export async function createTemp(
  file: string,
  dir: string = dirname(file),
): Promise<{ path: string; handle: Deno.FsFile }> {
  const path = tempName(file, "new", dir);
  return { path, handle: await Deno.open(path, { write: true, createNew: true, mode: 0o600 }) };
}

/**
 * A name for a temporary file of `file`, not created.
 *
 * @param file The file it stands in for.
 * @param kind A word for what it holds (`new`, `old`).
 * @param dir Where it goes (default: beside the file).
 * @returns The path.
 */
export function tempName(file: string, kind: string, dir: string = dirname(file)): string {
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0];
  const { pid, start } = thisProcess();
  return join(dir, `.${basename(file)}.rtconf-${pid}.${start}-${kind}${suffix}.tmp`);
}

/**
 * Removes the temporary files that an rtconf whose process is gone left for
 * `file`, beside it or in its staging directory (a writer that still runs
 * keeps its own).
 *
 * @param file The file.
 * @param readWhole Whether an engine reads its directory whole (see {@linkcode stagingDirectory}).
 */
export async function removeLeftovers(file: string, readWhole = false): Promise<void> {
  const pattern = tempPattern(file);
  const dirs = [dirname(file), ...readWhole ? [await stagingDirectory(file)] : []];
  for (const dir of new Set(dirs)) {
    try {
      for await (const entry of Deno.readDir(dir)) {
        const found = pattern.exec(entry.name);
        const pid = Number(found?.[1]);
        const start = found?.[2] === undefined ? undefined : Number(found[2]);
        const writer = start === undefined ? pid : { pid, start, boot: thisProcess().boot };
        const mine = pid === thisProcess().pid && start === thisProcess().start;
        if (pid && !mine && !alive(writer)) {
          await Deno.remove(join(dir, entry.name)).catch(() => {});
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/**
 * Writes all of `data` to an open file.
 *
 * @param file The open file.
 * @param data The bytes.
 */
export async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.length;) {
    written += await file.write(data.subarray(written));
  }
}

/**
 * Writes one of rtconf's own files atomically: a 0600 temporary file beside
 * it, flushed, renamed over it, its directory flushed; missing directories
 * are created 0700. The errors are the file system's.
 *
 * @param path The file.
 * @param text Its text.
 */
export async function writeOwnFile(path: string, text: string): Promise<void> {
  const temp = tempName(path, "new");
  try {
    await makeDirectories(dirname(path), 0o700);
    const handle = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      await writeAll(handle, new TextEncoder().encode(text));
      await handle.sync();
    } finally {
      handle.close();
    }
    await Deno.rename(temp, path);
    await syncDirectory(dirname(path));
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
