/**
 * The engines, loaded when first asked for (an engine's format library
 * loads with it), and the two things done with any engine: a checked plan,
 * and its status.
 *
 * @module
 */

import { RtconfError, usageError } from "../errors.ts";
import { directoryNotes, isWrittenWhole, type Plan, withDirectoryNotes } from "../plan.ts";
import type { Rule } from "../rules.ts";
import type {
  EffectiveView,
  Engine,
  EngineName,
  EngineOptions,
  EngineStatus,
  FileText,
  FileTexts,
} from "./engine.ts";
import { checkPlan } from "./plan_check.ts";

/**
 * The engines, in the order `--help` lists them.
 *
 * @example Usage
 * ```ts
 * import { ENGINE_NAMES, loadEngine } from "@rtconf/rtconf";
 * import { deepEqual } from "node:assert/strict";
 *
 * const engines = await Promise.all(ENGINE_NAMES.map(loadEngine));
 * deepEqual(engines.map((engine) => engine.title), ["containerd", "CRI-O", "Docker", "Podman"]);
 * ```
 */
export const ENGINE_NAMES: readonly EngineName[] = ["containerd", "crio", "docker", "podman"];

const LOADERS: Record<EngineName, () => Promise<Engine>> = {
  containerd: async () => (await import("./containerd/mod.ts")).containerd,
  crio: async () => (await import("./crio/mod.ts")).crio,
  docker: async () => (await import("./docker/mod.ts")).docker,
  podman: async () => (await import("./podman/mod.ts")).podman,
};

/**
 * Whether a name is one of the engines'.
 *
 * @example Usage
 * ```ts
 * import { isEngineName } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(isEngineName("crio"), true);
 * equal(isEngineName("cri-o"), false);
 * ```
 *
 * @param name A name.
 * @returns `true` for `containerd`, `crio`, `docker` and `podman`.
 */
export function isEngineName(name: string): name is EngineName {
  return Object.hasOwn(LOADERS, name);
}

/**
 * The engine of that name, with everything rtconf knows about it.
 *
 * @example Usage
 * ```ts
 * import { loadEngine } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const docker = await loadEngine("docker");
 * equal(docker.defaults.configPath, "/etc/docker/daemon.json");
 * equal(docker.supports.reload?.signal, "SIGHUP");
 * ```
 *
 * @param name The engine's name, as `--runtime` takes it.
 * @returns The engine.
 * @throws {RtconfError} exit status 2 for a name that is not an engine's.
 */
export function loadEngine(name: string): Promise<Engine> {
  if (!isEngineName(name)) return Promise.reject(usageError(`unrecognized runtime '${name}'`));
  return LOADERS[name]();
}

/**
 * The drop-in rtconf writes for an engine's main config when none is given.
 *
 * @example Usage
 * ```ts
 * import { defaultDropIn, loadEngine } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const podman = await loadEngine("podman");
 * equal(defaultDropIn(podman, "/etc/containers/containers.conf"), "/etc/containers/containers.conf.d/99-nvidia.conf");
 * equal(
 *   defaultDropIn(podman, "/home/ada/.config/containers/containers.conf"),
 *   "/home/ada/.config/containers/containers.conf.d/99-nvidia.conf",
 * );
 * ```
 *
 * @param engine The engine.
 * @param configPath Its main config.
 * @returns The drop-in (`""`: the engine has none).
 */
export function defaultDropIn(engine: Engine, configPath: string): string {
  return engine.dropInFor?.(configPath) ?? engine.defaults.dropInPath;
}

/**
 * Plans the rules for an engine and checks the plan before anything is
 * written: every planned file is parsed again, and, read together as the
 * engine reads them, they must hold what each rule asked for and every other
 * value as it was. When the plan changes a file, the engine's own parsers
 * (`lib/formats/parsers`) then read every file it loads, as it is and as
 * planned, for each family of its releases, and must read exactly what
 * rtconf read and wrote.
 *
 * @example Usage
 * ```ts
 * import { changes, loadEngine, planEngine } from "@rtconf/rtconf";
 * import { equal, rejects } from "node:assert/strict";
 *
 * const docker = await loadEngine("docker");
 * const options = { configPath: "/etc/docker/daemon.json", dropInPath: "" };
 * const rules = [{ op: "add-runtime" as const, name: "nvidia", path: "nvidia-container-runtime" }];
 * // daemon.json, and beside it the record that there was none.
 * equal(changes(await planEngine(docker, {}, rules, options)).length, 2);
 *
 * // An engine whose plan loses the runtime is stopped before anything is written.
 * const lossy = { ...docker, plan: () => [{ path: options.configPath, before: undefined, after: "{}\n" }] };
 * await rejects(planEngine(lossy, {}, rules, options), /would not hold runtime nvidia/);
 * ```
 *
 * @param engine The engine.
 * @param texts The current texts of the files `engine.files(options)` names.
 * @param rules What to change.
 * @param options Where the configuration is.
 * @returns The plan.
 * @throws {RtconfError} for a runtime name the engine cannot use, a file
 * rtconf cannot read or edit, a file an engine's parser cannot read or reads
 * otherwise than rtconf, or (as an internal error) a plan that does not hold
 * what was asked.
 */
export async function planEngine<Options extends EngineOptions>(
  engine: Engine<Options>,
  texts: FileTexts,
  rules: readonly Rule[],
  options: Options,
): Promise<Plan> {
  for (const rule of rules) {
    const problem = rule.op === "add-runtime" && engine.supports.runtimeNameProblem(rule.name);
    if (problem) {
      throw new RtconfError(`invalid runtime name "${rule.name}" for ${engine.name}: ${problem}`);
    }
  }
  const plan = withDirectories(engine, texts, rules, options);
  const records = new Set(engine.records(options));
  const changes = plan.filter((change) => !records.has(change.path));
  // The node's own configuration: without rtconf's own files (its drop-ins). A
  // main config rtconf created is the operator's to add to: it stays.
  const baseline: Record<string, string | undefined> = { ...texts };
  const planned: Record<string, string | undefined> = { ...texts };
  for (const change of changes) {
    if (change.own) baseline[change.path] = undefined;
    planned[change.path] = change.after;
  }
  const paths = changes.map((change) => change.path).join(" and ");
  let after: EffectiveView[];
  try {
    after = engine.views(planned, options);
  } catch (error) {
    throw new RtconfError(
      `internal error: the planned ${paths} do not parse (${
        (error as Error).message
      }); nothing was written; please report this bug`,
    );
  }
  const current = engine.views(texts, options);
  // Without rtconf's own files, the node's configuration is the current one when it has none yet.
  const same = changes.every((change) => !change.own || texts[change.path] === undefined);
  const own = same ? current : engine.views(baseline, options);
  checkPlan(
    rules,
    after.map((view, i) => ({ baseline: own[i], current: current[i], planned: view })),
    paths,
  );
  if (changes.some((change) => change.before !== change.after)) {
    const { checkWithEngineParsers } = await import("./parser_check.ts");
    await checkWithEngineParsers([
      { views: current, texts, planned: false },
      { views: after, texts: planned, planned: true },
    ]);
  }
  return plan;
}

/**
 * The engine's plan, with the directories rtconf creates noted in the files
 * it creates in them, and taken away with those files: the engine plans
 * from the texts without the notes, and a file it keeps keeps them.
 */
function withDirectories<Options extends EngineOptions>(
  engine: Engine<Options>,
  texts: FileTexts,
  rules: readonly Rule[],
  options: Options,
): Plan {
  const noted: Record<string, string[]> = {};
  const stripped: Record<string, string | undefined> = { ...texts };
  for (const [path, text] of Object.entries(texts)) {
    if (text === undefined) continue;
    const { directories, text: rest } = directoryNotes(text);
    if (directories.length === 0) continue;
    noted[path] = directories;
    stripped[path] = rest;
  }
  const missing = options.missingDirectories ?? [];
  return engine.plan(stripped, rules, options).map((change) => {
    const before = texts[change.path] ?? change.before;
    if (change.path in noted) {
      const directories = noted[change.path];
      return change.after === undefined
        ? { ...change, before, directories }
        : { ...change, before, after: withDirectoryNotes(change.after, directories) };
    }
    if (change.before !== undefined || !isWrittenWhole(change.after)) return change;
    const directories = missing.filter((dir) => change.path.startsWith(`${dir}/`));
    if (directories.length === 0) return change;
    return { ...change, after: withDirectoryNotes(change.after!, directories), directories };
  });
}

/**
 * What an engine's configuration holds, from the texts of its files, the
 * main config first (containerd: `config.toml` and what it imports; CRI-O:
 * `crio.conf` and the files of `/etc/crio/crio.conf.d`; Docker:
 * `daemon.json`), as the engine merges them.
 *
 * @example Usage
 * ```ts
 * import { engineStatus } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const status = await engineStatus("docker", [{
 *   path: "/etc/docker/daemon.json",
 *   text: '{"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}, "default-runtime": "nvidia"}',
 * }]);
 * equal(status.defaultRuntime, "nvidia");
 * equal(status.runtimes.find((runtime) => runtime.name === "nvidia")?.path, "nvidia-container-runtime");
 * ```
 *
 * @param name The engine.
 * @param files The files it loads, in order (existing ones only).
 * @returns What they hold together.
 * @throws {RtconfError} for a file that does not parse.
 */
export async function engineStatus(
  name: EngineName,
  files: readonly FileText[],
): Promise<EngineStatus> {
  const engine = await loadEngine(name);
  const texts = Object.fromEntries(files.map((file) => [file.path, file.text]));
  const configPath = files[0]?.path ?? engine.defaults.configPath;
  return engine.status(texts, { configPath, dropInPath: defaultDropIn(engine, configPath) });
}
