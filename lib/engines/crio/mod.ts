/**
 * CRI-O: runtimes in `crio.conf`, through a drop-in file in
 * `/etc/crio/crio.conf.d/` or in place; `crio status config`.
 *
 * @module
 */

import type { CommandLine, Engine } from "../engine.ts";
import { handlerNameProblem } from "../runtime_names.ts";
import { crioViews, DROP_IN_DIR, dropInDir } from "./effective.ts";
import { planCrio } from "./plan.ts";
import { crioStatus } from "./status.ts";

/**
 * The CRI-O engine.
 */
export const crio: Engine = {
  name: "crio",
  title: "CRI-O",
  defaults: {
    configPath: "/etc/crio/crio.conf",
    dropInPath: `${DROP_IN_DIR}/99-nvidia.toml`,
    unit: "crio",
    runtimePath: "/usr/bin/nvidia-container-runtime",
  },
  // CRI-O always has CDI: nothing to switch on.
  supports: {
    dropIn: true,
    cdi: false,
    relativeRuntimePath: false,
    runtimeNameProblem: handlerNameProblem,
  },
  configCommands: (executable): CommandLine[] => [
    [executable || "crio", ["status", "config"]],
    ["crio-status", ["config"]],
  ],
  // CRI-O reads every file of its drop-in directory, whatever its name, subdirectories too.
  files: (options) => ({
    paths: options.dropInPath === ""
      ? [options.configPath]
      : [options.configPath, options.dropInPath],
    globs: [{ dir: dropInDir(options), pattern: "*", recursive: true }],
  }),
  loads: () => [],
  records: () => [],
  plan: planCrio,
  views: crioViews,
  status: crioStatus,
};
