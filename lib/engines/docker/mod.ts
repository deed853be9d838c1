/**
 * Docker: runtimes in `daemon.json`, edited member by member; dockerd reloads
 * them on SIGHUP.
 *
 * @module
 */

import { parseJsonConfig } from "../../formats/json/parse.ts";
import type { TomlTable } from "../../formats/toml/values.ts";
import type { Engine } from "../engine.ts";
import { dockerNameProblem } from "../runtime_names.ts";
import { DOCKER_KEYS, planDocker } from "./plan.ts";
import { reloadGap } from "./reload.ts";
import { restorePath } from "./restore.ts";
import { dockerStatus } from "./status.ts";

/**
 * The Docker engine.
 */
export const docker: Engine = {
  name: "docker",
  title: "Docker",
  defaults: {
    configPath: "/etc/docker/daemon.json",
    dropInPath: "",
    unit: "docker",
    runtimePath: "nvidia-container-runtime",
  },
  supports: {
    dropIn: false,
    cdi: true,
    relativeRuntimePath: true,
    runtimeNameProblem: dockerNameProblem,
    reload: {
      signal: "SIGHUP",
      pidFile: "/var/run/docker.pid",
      process: "dockerd",
      gap: reloadGap,
    },
  },
  configCommands: () => [],
  files: (options) => ({ paths: [options.configPath, restorePath(options.configPath)], globs: [] }),
  loads: () => [],
  records: (options) => [restorePath(options.configPath)],
  plan: planDocker,
  views: (texts, options) => [{
    reader: "dockerd",
    parser: "dockerd-json",
    files: texts[options.configPath] === undefined ? [] : [options.configPath],
    config: parseJsonConfig(texts[options.configPath] ?? "", options.configPath) as TomlTable,
    keys: DOCKER_KEYS,
  }],
  status: dockerStatus,
};
