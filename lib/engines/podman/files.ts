/**
 * Which `containers.conf` files podman reads, in which order, by release.
 * The rules come from the source of the library podman reads them with:
 * containers/common `pkg/config/new.go` (podman 4.x: v0.50–v0.57; 5.x:
 * v0.58–v0.67, `go.podman.io/common` since 5.7) and, for podman 6 (in
 * development), containers/container-libs `storage/pkg/configfile/parse.go`.
 *
 * - **podman 4 and 5** merge, each file over the ones before it:
 *   `/usr/share/containers/containers.conf` (the vendor's),
 *   `/etc/containers/containers.conf`, the `*.conf` files of
 *   `/etc/containers/containers.conf.d/` (by name; not its subdirectories);
 *   for a rootless user, from 5.7 on, `/etc/containers/containers.rootless.conf`
 *   and the `*.conf` files of its `.d` (and of `.d/<UID>/`, which rtconf does
 *   not read: it does not know the user's id); then the user's own
 *   `containers.conf` (`$XDG_CONFIG_HOME/containers/`, else
 *   `$HOME/.config/containers/`) and its `.d`. podman 4 reads the user's own
 *   files for rootless users only, podman 5 for root too
 *   (`/root/.config/containers/`).
 * - **podman 6** reads only the first of the user's, `/etc`'s and
 *   `/usr/share`'s `containers.conf` that exists, then the `*.conf` drop-ins
 *   of `/usr/share/containers/containers.conf.d/`,
 *   `containers.rootful.conf.d/` (rootless: `containers.rootless.conf.d/`),
 *   the same two under `/etc/containers/`, and the user's `.d`: one file per
 *   name (a later directory's wins), in the order of the names. It skips
 *   drop-ins that are symbolic links, which rtconf cannot tell apart.
 * - `CONTAINERS_CONF` in podman's environment replaces all of these with
 *   that one file (and `CONTAINERS_CONF_OVERRIDE`, and `--module`, add one at
 *   the end): rtconf cannot see podman's environment, and does not model it.
 *
 * Tables merge key by key; `[engine.runtimes]` maps a name to a list of
 * candidate executables, and a later file's list for a name replaces the
 * earlier one whole.
 *
 * @module
 */

import type { EngineOptions, FileGlob, FileTexts } from "../engine.ts";
import { dirname } from "../../path.ts";

/** The vendor's config, which packages replace. */
export const VENDOR_CONFIG = "/usr/share/containers/containers.conf";
/** The system-wide config: root's and every user's. */
export const SYSTEM_CONFIG = "/etc/containers/containers.conf";
/** root's own config, which podman 5 and later read as root. */
export const ROOT_CONFIG = "/root/.config/containers/containers.conf";
/** The system-wide config of rootless users (podman 5.7 and later). */
export const ROOTLESS_CONFIG = "/etc/containers/containers.rootless.conf";
/** The directory of the system-wide drop-ins. */
export const DROP_IN_DIR = `${SYSTEM_CONFIG}.d`;

/** Whose configuration a main config is. */
export interface PodmanScope {
  /** A rootless user's own config; otherwise root's (the system-wide files, or root's own). */
  rootless: boolean;
  /** The user's own `containers.conf`: root's, or the rootless user's. */
  user: string;
}

/**
 * Whose configuration rtconf works on, from the main config it is given:
 * `/etc/containers/containers.conf` (and the vendor's, and root's own) are
 * root's; any other `containers.conf` is a rootless user's own
 * (`~/.config/containers/containers.conf`).
 *
 * @example Usage
 * ```ts
 * import { podmanScope } from "./files.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(podmanScope("/etc/containers/containers.conf"), {
 *   rootless: false,
 *   user: "/root/.config/containers/containers.conf",
 * });
 * deepEqual(podmanScope("/home/ada/.config/containers/containers.conf"), {
 *   rootless: true,
 *   user: "/home/ada/.config/containers/containers.conf",
 * });
 * ```
 *
 * @param configPath The main config.
 * @returns The scope.
 */
export function podmanScope(configPath: string): PodmanScope {
  return [VENDOR_CONFIG, SYSTEM_CONFIG, ROOT_CONFIG].includes(configPath)
    ? { rootless: false, user: ROOT_CONFIG }
    : { rootless: true, user: configPath };
}

/** A family of podman releases that read the files alike. */
export interface PodmanRelease {
  /** Who, for messages: `podman 4`. */
  readonly reader: string;
  /** root reads its own files (`/root/.config/containers/`) too. */
  readonly rootReadsOwn: boolean;
  /** A rootless user reads `/etc/containers/containers.rootless.conf` and its `.d`. */
  readonly rootlessConf: boolean;
  /** podman 6: the first main config only, and one drop-in per name. */
  readonly firstMainOnly: boolean;
}

/** The families of podman releases, oldest first. */
export const RELEASES: readonly PodmanRelease[] = [
  { reader: "podman 4", rootReadsOwn: false, rootlessConf: false, firstMainOnly: false },
  { reader: "podman 5.0 to 5.6", rootReadsOwn: true, rootlessConf: false, firstMainOnly: false },
  {
    reader: "podman 5.7 and later 5.x",
    rootReadsOwn: true,
    rootlessConf: true,
    firstMainOnly: false,
  },
  { reader: "podman 6", rootReadsOwn: true, rootlessConf: true, firstMainOnly: true },
];

/** The newest released family: what `runtime status` shows. */
export const CURRENT_RELEASE: PodmanRelease = RELEASES[2];

/** One place a release reads: a file, or a directory's `*.conf` files. */
type Source = { file: string } | { dir: string };

/** The directory of podman 6's root-only or rootless-only drop-ins beside a main config. */
function scopedDir(main: string, scope: PodmanScope): string {
  return `${main.slice(0, -".conf".length)}.${scope.rootless ? "rootless" : "rootful"}.conf.d`;
}

/** Where a release of podman 4 or 5 looks, in its order. */
function mergedSources(release: PodmanRelease, scope: PodmanScope): Source[] {
  const sources: Source[] = [
    { file: VENDOR_CONFIG },
    { file: SYSTEM_CONFIG },
    { dir: `${SYSTEM_CONFIG}.d` },
  ];
  if (scope.rootless && release.rootlessConf) {
    sources.push({ file: ROOTLESS_CONFIG }, { dir: `${ROOTLESS_CONFIG}.d` });
  }
  if (scope.rootless || release.rootReadsOwn) {
    sources.push({ file: scope.user }, { dir: `${scope.user}.d` });
  }
  return sources;
}

/** podman 6's main configs, the first that exists wins, and its drop-in directories, in order. */
function podman6Sources(scope: PodmanScope): { mains: string[]; dirs: string[] } {
  return {
    mains: [scope.user, SYSTEM_CONFIG, VENDOR_CONFIG],
    dirs: [
      `${VENDOR_CONFIG}.d`,
      scopedDir(VENDOR_CONFIG, scope),
      `${SYSTEM_CONFIG}.d`,
      scopedDir(SYSTEM_CONFIG, scope),
      `${scope.user}.d`,
    ],
  };
}

/** Whether `path` is a drop-in podman reads from `dir`: a `*.conf` file directly in it. */
function inDir(path: string, dir: string): boolean {
  return dirname(path) === dir && path.endsWith(".conf");
}

/**
 * Whether a release reads `path` when it exists, by its rules of paths (podman
 * 6 may still pass over it: it reads one main config, and one drop-in per
 * name).
 *
 * @example Usage
 * ```ts
 * import { podmanScope, reads, RELEASES } from "./files.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const root = podmanScope("/etc/containers/containers.conf");
 * const own = "/root/.config/containers/containers.conf.d/99-nvidia.conf";
 * deepEqual(RELEASES.map((release) => reads(release, root, own)), [false, true, true, true]);
 * ```
 *
 * @param release The release.
 * @param scope Whose configuration.
 * @param path A file.
 * @returns Whether it is one of the files the release reads.
 */
export function reads(release: PodmanRelease, scope: PodmanScope, path: string): boolean {
  if (release.firstMainOnly) {
    const { mains, dirs } = podman6Sources(scope);
    return mains.includes(path) || dirs.some((dir) => inDir(path, dir));
  }
  return mergedSources(release, scope).some((source) =>
    "file" in source ? source.file === path : inDir(path, source.dir)
  );
}

/**
 * The files a release reads, in its order, among the files whose texts are
 * known (a text of `undefined` is a missing file).
 *
 * @example Usage
 * ```ts
 * import { podmanScope, readOrder, RELEASES } from "./files.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const texts = {
 *   "/usr/share/containers/containers.conf": "",
 *   "/etc/containers/containers.conf": "",
 *   "/etc/containers/containers.conf.d/99-nvidia.conf": "",
 *   "/etc/containers/containers.conf.d/10-site.conf": "",
 *   "/etc/containers/containers.conf.d/notes.txt": "",
 * };
 * const root = podmanScope("/etc/containers/containers.conf");
 * deepEqual(readOrder(texts, root, RELEASES[0]), [
 *   "/usr/share/containers/containers.conf",
 *   "/etc/containers/containers.conf",
 *   "/etc/containers/containers.conf.d/10-site.conf",
 *   "/etc/containers/containers.conf.d/99-nvidia.conf",
 * ]);
 * // podman 6 reads one main config: /etc's hides the vendor's.
 * deepEqual(readOrder(texts, root, RELEASES[3]).slice(0, 2), [
 *   "/etc/containers/containers.conf",
 *   "/etc/containers/containers.conf.d/10-site.conf",
 * ]);
 * ```
 *
 * @param texts The files' texts.
 * @param scope Whose configuration.
 * @param release The release.
 * @returns The paths, in order.
 */
export function readOrder(
  texts: FileTexts,
  scope: PodmanScope,
  release: PodmanRelease,
): string[] {
  const existing = Object.keys(texts).filter((path) => texts[path] !== undefined).sort();
  const filesIn = (dir: string) => existing.filter((path) => inDir(path, dir));
  if (release.firstMainOnly) {
    const { mains, dirs } = podman6Sources(scope);
    const main = mains.find((path) => existing.includes(path));
    const byName = new Map<string, string>();
    for (const dir of dirs) {
      for (const path of filesIn(dir)) byName.set(path.slice(dir.length + 1), path);
    }
    const dropIns = [...byName.keys()].sort().map((name) => byName.get(name)!);
    return main === undefined ? dropIns : [main, ...dropIns];
  }
  return mergedSources(release, scope).flatMap((source) =>
    "file" in source ? (existing.includes(source.file) ? [source.file] : []) : filesIn(source.dir)
  );
}

/**
 * The files to read for these options, for every release: the main configs
 * and the drop-in directories.
 *
 * @example Usage
 * ```ts
 * import { podmanFiles } from "./files.ts";
 * import { equal } from "node:assert/strict";
 *
 * const { paths, globs } = podmanFiles({
 *   configPath: "/etc/containers/containers.conf",
 *   dropInPath: "/etc/containers/containers.conf.d/99-nvidia.conf",
 * });
 * equal(paths[0], "/usr/share/containers/containers.conf");
 * equal(globs.some((glob) => glob.dir === "/etc/containers/containers.conf.d"), true);
 * ```
 *
 * @param options The main config and the drop-in.
 * @returns The paths and the globs.
 */
export function podmanFiles(options: EngineOptions): { paths: string[]; globs: FileGlob[] } {
  const scope = podmanScope(options.configPath);
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const release of RELEASES) {
    if (release.firstMainOnly) {
      const sources = podman6Sources(scope);
      sources.mains.forEach((path) => files.add(path));
      sources.dirs.forEach((dir) => dirs.add(dir));
    } else {
      for (const source of mergedSources(release, scope)) {
        if ("file" in source) files.add(source.file);
        else dirs.add(source.dir);
      }
    }
  }
  for (const path of [options.configPath, options.dropInPath]) if (path) files.add(path);
  return {
    paths: [...files],
    globs: [...dirs].map((dir) => ({ dir, pattern: "*.conf" })),
  };
}
