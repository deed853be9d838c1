/**
 * CRI-O: runtimes in `crio.conf`, through a drop-in file in
 * `/etc/crio/crio.conf.d/` or in place; `crio status config`.
 *
 * @module
 */

import { dirname } from "../../path.ts";
import type { CommandLine, Engine } from "../engine.ts";
import { CRIO_KEYS, planCrio } from "./plan.ts";
import { crioStatus } from "./status.ts";

/** The directory of CRI-O's drop-ins. */
const DROP_IN_DIR = "/etc/crio/crio.conf.d";

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
  supports: { dropIn: true, cdi: false, relativeRuntimePath: false },
  configCommands: (executable): CommandLine[] => [
    [executable || "crio", ["status", "config"]],
    ["crio-status", ["config"]],
  ],
  files: (options) =>
    options.dropInPath === "" ? [options.configPath] : [options.configPath, options.dropInPath],
  loads: (options) => [{
    dir: options.dropInPath ? dirname(options.dropInPath) : DROP_IN_DIR,
    pattern: "*",
  }],
  records: () => [],
  plan: planCrio,
  settings: () => CRIO_KEYS,
  status: crioStatus,
};
