/**
 * containerd: runtimes in `config.toml` (config versions 1, 2, 3 and later),
 * through a drop-in file and `imports`, or in place; k3s's and rke2's
 * templates; `containerd config dump`.
 *
 * @module
 */

import { parseToml } from "../../formats/toml/parse.ts";
import type { CommandLine, Engine } from "../engine.ts";
import { handlerNameProblem } from "../runtime_names.ts";
import { importGlobs } from "./imports.ts";
import { k3sTemplate } from "./k3s.ts";
import { type ContainerdOptions, planContainerd } from "./plan.ts";
import { containerdStatus } from "./status.ts";
import { containerdViews } from "./views.ts";

/**
 * The containerd engine.
 */
export const containerd: Engine<ContainerdOptions> = {
  name: "containerd",
  title: "containerd",
  defaults: {
    configPath: "/etc/containerd/config.toml",
    dropInPath: "/etc/containerd/conf.d/99-nvidia.toml",
    unit: "containerd",
    runtimePath: "/usr/bin/nvidia-container-runtime",
  },
  supports: {
    dropIn: true,
    cdi: true,
    relativeRuntimePath: false,
    runtimeOptions: true,
    runtimeNameProblem: handlerNameProblem,
  },
  template: k3sTemplate,
  configCommands: (executable): CommandLine[] => [[executable || "containerd", ["config", "dump"]]],
  files: (options) => ({
    paths: options.dropInPath === ""
      ? [options.configPath]
      : [options.configPath, options.dropInPath],
    globs: [],
  }),
  // What a file imports; a file containerd cannot parse is reported where it is loaded.
  loads: (path, text) => {
    try {
      return importGlobs(parseToml(text, path).imports, path);
    } catch {
      return [];
    }
  },
  records: () => [],
  plan: planContainerd,
  views: containerdViews,
  status: containerdStatus,
};
