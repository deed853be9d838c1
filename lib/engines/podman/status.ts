/**
 * `runtime status` for podman: its runtimes and default as the newest podman
 * 5 uses them, from the files it reads (see `files.ts`).
 *
 * @module
 */

import type { EngineOptions, EngineStatus, FileTexts } from "../engine.ts";
import { lastValue, statusOf } from "../status.ts";
import {
  DEFAULT,
  firstExecutable,
  mergedPodman,
  podmanFilesRead,
  RUNTIMES,
  runtimesOf,
} from "./effective.ts";
import { CURRENT_RELEASE, podmanScope } from "./files.ts";

/** How podman chooses its default runtime when no file names one. */
export const BUILT_IN_DEFAULT = {
  name: "crun",
  words: "the first of crun, runc, runj, kata, runsc and ocijail that is installed",
};

/**
 * What podman's configuration holds, from the files podman 5.7 and later
 * read, later files over earlier ones: the runtimes the files define (each
 * with its first executable, the one podman runs when it exists), and the
 * default. podman always has CDI.
 *
 * @example Usage
 * ```ts
 * import { podmanStatus } from "./status.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const status = podmanStatus({
 *   "/usr/share/containers/containers.conf": '[engine]\nruntime = "crun"\n',
 *   "/etc/containers/containers.conf.d/99-nvidia.conf":
 *     '[engine]\nruntime = "nvidia"\n[engine.runtimes]\nnvidia = ["/usr/bin/nvidia-container-runtime"]\n',
 * }, { configPath: "/etc/containers/containers.conf", dropInPath: "" });
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.defaultFile, "/etc/containers/containers.conf.d/99-nvidia.conf");
 * deepEqual(status.runtimes, [{
 *   name: "nvidia",
 *   path: "/usr/bin/nvidia-container-runtime",
 *   file: "/etc/containers/containers.conf.d/99-nvidia.conf",
 * }]);
 * ```
 *
 * @param texts The files' texts.
 * @param options The main config (root's, or a rootless user's).
 * @returns The status.
 * @throws {RtconfError} for a file that is not valid TOML.
 */
export function podmanStatus(texts: FileTexts, options: EngineOptions): EngineStatus {
  const files = podmanFilesRead(texts, podmanScope(options.configPath), CURRENT_RELEASE);
  const runtimes = Object.entries(runtimesOf(mergedPodman(files))).map(([name, entry]) => ({
    name,
    path: firstExecutable(entry) ?? "",
    file: lastValue(files, [...RUNTIMES, name])?.file ?? "",
  }));
  const defaultRuntime = lastValue(files, DEFAULT);
  return {
    ...statusOf(
      "podman",
      files.map((file) => file.path),
      runtimes,
      defaultRuntime,
      BUILT_IN_DEFAULT.name,
      { enabled: true, file: "", engineDefault: "always on" },
    ),
    ...(defaultRuntime === undefined ? { engineDefault: BUILT_IN_DEFAULT.words } : {}),
  };
}
