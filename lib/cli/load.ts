/**
 * Reading what an engine reads: its files, the directories it lists, and
 * what those files pull in (containerd's imports), each file once.
 *
 * @module
 */

import type { Engine, EngineOptions, FileGlob, FileTexts } from "../engines/engine.ts";
import { globFiles, readText } from "../io/files.ts";
import { join } from "../path.ts";
import type { HostRoot } from "./host_root.ts";

/**
 * The texts of every file an engine's plan, views and status read, by their
 * path on the host (`undefined`: missing).
 *
 * @param engine The engine.
 * @param options Where its configuration is.
 * @param host The host.
 * @param debug Told each file read.
 * @returns The texts.
 * @throws {RtconfError} for a file that cannot be read.
 */
export async function engineTexts(
  engine: Engine,
  options: EngineOptions,
  host: HostRoot,
  debug: (message: string) => void = () => {},
): Promise<FileTexts> {
  const texts: Record<string, string | undefined> = {};
  const pending: string[] = [];
  const expand = async (glob: FileGlob) => {
    for (const path of await globFiles({ ...glob, dir: await host.path(glob.dir) })) {
      pending.push(join(glob.dir, path));
    }
  };
  const { paths, globs } = engine.files(options);
  pending.push(...paths);
  for (const glob of globs) await expand(glob);
  while (pending.length > 0) {
    const path = pending.shift()!;
    if (path in texts) continue;
    const file = await host.path(path);
    const text = await readText(file);
    debug(`${engine.name}: read ${file}${text === undefined ? " (missing)" : ""}`);
    texts[path] = text;
    if (text !== undefined) { for (const glob of engine.loads(path, text)) await expand(glob); }
  }
  return texts;
}
