/**
 * The library's front door: configure or unconfigure an engine from file
 * texts, with the CLI's defaults, and get back the plan.
 *
 * @module
 */

import type { EngineName, FileTexts } from "./engines/engine.ts";
import { defaultDropIn, loadEngine, planEngine } from "./engines/mod.ts";
import { usageError } from "./errors.ts";
import type { Plan } from "./plan.ts";
import { type ConfigureRequest, configureRules, type Rule, unconfigureRules } from "./rules.ts";

/**
 * What to configure, where, and the files' current texts.
 *
 * @example Usage
 * ```ts
 * import { type ConfigureOptions, configure } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const options: ConfigureOptions = { engine: "crio", files: {}, runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }] };
 * equal((await configure(options))[0].path, "/etc/crio/crio.conf.d/99-nvidia.toml");
 * ```
 */
export interface ConfigureOptions extends ConfigureRequest {
  /** The engine. */
  engine: EngineName;
  /** The current text of each file by path; a path that is absent is a missing file. */
  files: FileTexts;
  /** The main config (default: the engine's usual one, e.g. `/etc/containerd/config.toml`). */
  configPath?: string;
  /** The drop-in (default: the engine's usual one); `""` edits the main config in place. */
  dropInPath?: string;
  /** The engine's own report of its config (`containerd config dump`, `crio status config`). */
  source?: string;
}

/**
 * The paths come from the options, never from `files`: a plan for the
 * engine's usual paths, made from files that are elsewhere, would write to
 * the machine's own config. Refuses such options. An engine whose drop-in
 * goes beside its main config (podman: `dropInFor`) needs no `dropInPath`.
 */
function checkPaths(
  options: ConfigureOptions,
  configPath: string,
  dropInPath: string,
  dropInFollows: boolean,
): void {
  const given = Object.keys(options.files);
  if (
    options.configPath === undefined && given.length > 0 &&
    !given.includes(configPath) && !given.includes(dropInPath)
  ) {
    throw usageError(
      `files names ${given[0]}, not ${options.engine}'s main config ${configPath}: ` +
        "give configPath (and dropInPath) for files elsewhere",
    );
  }
  if (
    options.configPath !== undefined && options.dropInPath === undefined && dropInPath !== "" &&
    options.configPath !== configPath && !dropInFollows
  ) {
    throw usageError(
      `configPath ${options.configPath} is not ${options.engine}'s usual config: give ` +
        `dropInPath too (the usual one is ${dropInPath}; "" edits the config in place)`,
    );
  }
}

async function plan(options: ConfigureOptions, rules: Rule[]): Promise<Plan> {
  const engine = await loadEngine(options.engine);
  const { configPath, dropInPath } = engine.defaults;
  checkPaths(options, configPath, dropInPath, engine.dropInFor !== undefined);
  const config = options.configPath ?? configPath;
  return planEngine(engine, options.files, rules, {
    configPath: config,
    dropInPath: options.dropInPath ?? defaultDropIn(engine, config),
    source: options.source,
  });
}

/**
 * Plans `runtime configure`: the new text of every file, nothing written.
 *
 * @example Usage
 * ```ts
 * import { changes, configure } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const plan = await configure({
 *   engine: "docker",
 *   files: { "/etc/docker/daemon.json": '{\n  "log-driver": "journald"\n}\n' },
 *   runtimes: [{ name: "nvidia", path: "nvidia-container-runtime" }],
 *   setAsDefault: "nvidia",
 * });
 * // daemon.json, and beside it the record of the default it replaced.
 * equal(changes(plan).length, 2);
 * const daemonJson = plan.find((change) => change.path === "/etc/docker/daemon.json")!;
 * equal(JSON.parse(daemonJson.after!)["default-runtime"], "nvidia");
 * ```
 *
 * @param options The engine, the files and what to configure. The paths are
 * `configPath` and `dropInPath` (default: the engine's usual ones), never
 * taken from `files`: files elsewhere need `configPath`, and a `configPath`
 * that is not the usual one needs `dropInPath` too.
 * @returns The plan: each file's text before and after, checked (see `planEngine`).
 * @throws {RtconfError} for a file rtconf cannot read or edit; exit status 2
 * for files elsewhere than the paths (see above).
 */
export function configure(options: ConfigureOptions): Promise<Plan> {
  return plan(options, configureRules(options));
}

/**
 * Plans `runtime unconfigure`: the inverse of {@linkcode configure} with the
 * same options.
 *
 * @example Usage
 * ```ts
 * import { configure, unconfigure } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const config = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "runc"\n';
 * const request = {
 *   engine: "containerd" as const,
 *   dropInPath: "",
 *   runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 *   setAsDefault: "nvidia",
 * };
 * const [configured] = await configure({ ...request, files: { "/etc/containerd/config.toml": config } });
 * const [restored] = await unconfigure({ ...request, files: { "/etc/containerd/config.toml": configured.after } });
 * equal(restored.after, config);
 * ```
 *
 * @param options The engine, the files and what was configured.
 * @returns The plan.
 * @throws {RtconfError} for a file rtconf cannot read or edit.
 */
export function unconfigure(options: ConfigureOptions): Promise<Plan> {
  return plan(options, unconfigureRules(options));
}
