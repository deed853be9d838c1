/**
 * containerd: runtimes in `config.toml` (config versions 1, 2, 3 and later),
 * through a drop-in file and `imports`, or in place; k3s's and rke2's
 * templates; `containerd config dump`.
 *
 * @module
 */

import { parseToml } from "../../formats/toml/parse.ts";
import type { CommandLine, Engine, FileTexts } from "../engine.ts";
import type { SettingKeys } from "../plan_check.ts";
import { criKeys } from "./cri_rules.ts";
import { importGlobs } from "./imports.ts";
import { k3sTemplate } from "./k3s.ts";
import { type ContainerdOptions, planContainerd } from "./plan.ts";
import { containerdStatus } from "./status.ts";
import { configVersion, criPluginId } from "./version.ts";

/** Where the CRI settings are in the files of a plan: under the main config's version. */
function settings(texts: FileTexts, options: ContainerdOptions): SettingKeys {
  const main = parseToml(texts[options.configPath] ?? "", options.configPath);
  const version = configVersion(main, options.configPath);
  return criKeys(criPluginId(version), version);
}

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
  supports: { dropIn: true, cdi: true, relativeRuntimePath: false },
  template: k3sTemplate,
  configCommands: (executable): CommandLine[] => [[executable || "containerd", ["config", "dump"]]],
  files: (options) =>
    options.dropInPath === "" ? [options.configPath] : [options.configPath, options.dropInPath],
  loads: (options, mainText) => {
    if (mainText === undefined) return [];
    return importGlobs(parseToml(mainText, options.configPath).imports, options.configPath);
  },
  records: () => [],
  plan: planContainerd,
  settings,
  status: containerdStatus,
};
