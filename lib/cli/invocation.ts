/**
 * Turns parsed flags into what a command will do, with nvidia-ctk's
 * validation rules, messages and order (reference §1.3).
 *
 * @module
 */

import type { Engine, EngineOptions } from "../engines/engine.ts";
import { defaultDropIn, loadEngine } from "../engines/mod.ts";
import { usageError } from "../errors.ts";
import { isAbsolute } from "../path.ts";
import type { RuntimeSpec } from "../rules.ts";
import { COMMAND_TIMEOUT_MS } from "../io/command.ts";
import { LOCK_TIMEOUT_MS } from "../io/lock.ts";
import type { FlagValues } from "./flags.ts";
import type { RestartMode } from "./restart.ts";

/** The runtime executable when none is given, as nvidia-ctk's flag default says. */
const DEFAULT_RUNTIME_PATH = "nvidia-container-runtime";
/** The OCI hook executable when none is given. */
const DEFAULT_HOOK_PATH = "/usr/bin/nvidia-container-runtime-hook";

/** One engine's part of a `runtime configure` / `unconfigure`. */
export interface EngineTarget {
  /** The engine. */
  engine: Engine;
  /** The main config file, as the host sees it. */
  configPath: string;
  /** The drop-in file; `""` edits the main config in place. */
  dropInPath: string;
  /**
   * Where the current config is read from, tried in order: `file` (the
   * files), `command` (the engine's report), `file=PATH` (another file).
   */
  configSources: string[];
  /** The engine's executable for the `command` source; `""` for the default. */
  executablePath: string;
  /** The runtimes to register or remove. */
  runtimes: RuntimeSpec[];
  /** The runtime to make the default. */
  setAsDefault?: string;
  /** Enable (or, for unconfigure, revert) CDI. */
  enableCdi: boolean;
  /** The systemd unit `--restart=systemd` restarts. */
  unit: string;
  /** The engine's own settings (containerd's runtime type, annotations, legacy config). */
  settings: Pick<EngineOptions, "runtimeType" | "containerAnnotations" | "legacyConfig">;
}

/** `runtime configure` or `runtime unconfigure` in config-file mode. */
export interface RuntimeInvocation {
  /** Which kind of invocation. */
  kind: "runtime";
  /** Configure or unconfigure. */
  verb: "configure" | "unconfigure";
  /** The engines, each with its files and runtimes. */
  targets: EngineTarget[];
  /** The host's root as mounted here (`""`: this is the host). */
  hostRoot: string;
  /** Print instead of writing. */
  dryRun: boolean;
  /** Exit 3 when something would change; write nothing. */
  check: boolean;
  /** Print unified diffs. */
  diff: boolean;
  /** Keep each changed file's previous content beside it. */
  backup: boolean;
  /** How long to wait for the lock, in milliseconds. */
  lockTimeoutMs: number;
  /** How long to wait for an engine's config command, in milliseconds. */
  commandTimeoutMs: number;
  /** Restart engines whose files changed. */
  restart: RestartMode;
  /** Put containerd's runtimes into the k3s template. */
  k3sTemplate: boolean;
}

/** Writing (or removing) an OCI hook file. */
export interface HookInvocation {
  /** Which kind of invocation. */
  kind: "hook";
  /** The hook executable. */
  hookPath: string;
  /** The hook file, as the host sees it; `""` prints it on stdout. */
  output: string;
  /** Remove the hook file instead. */
  remove: boolean;
  /** Print instead of writing. */
  dryRun: boolean;
  /** The host's root as mounted here (`""`: this is the host). */
  hostRoot: string;
}

/** What `runtime status` reads. */
export interface StatusInvocation {
  /** Which kind of invocation. */
  kind: "status";
  /** The engines, each with its main config and drop-in. */
  targets: { engine: Engine; configPath: string; dropInPath: string }[];
  /** The host's root as mounted here (`""`: this is the host). */
  hostRoot: string;
  /** Print JSON. */
  json: boolean;
}

/** Receives a warning as soon as validation finds it. */
export type Warn = (message: string) => void;

function text(values: FlagValues, name: string): string | undefined {
  return values[name] as string | undefined;
}

/** The host root a flag names: absolute, `""` for this machine's own. */
function hostRootOf(values: FlagValues): string {
  const hostRoot = text(values, "host-root") ?? "";
  if (hostRoot !== "" && !isAbsolute(hostRoot)) {
    throw usageError(`the host root "${hostRoot}" is not an absolute path`);
  }
  return hostRoot === "/" ? "" : hostRoot;
}

/**
 * Validates the hook flags.
 *
 * @param values The parsed flags of `rtconf hook` (or of configure in hook mode).
 * @param remove Remove the hook (`runtime unconfigure --config-mode=oci-hook`).
 * @returns The hook invocation.
 */
export function hookInvocation(values: FlagValues, remove = false): HookInvocation {
  const hookPath = text(values, "hook-path") ?? text(values, "nvidia-runtime-hook-path") ??
    DEFAULT_HOOK_PATH;
  if (!isAbsolute(hookPath)) {
    throw usageError(`the NVIDIA runtime hook path "${hookPath}" is not an absolute path`);
  }
  const output = text(values, "output") ?? text(values, "oci-hook-path") ?? "";
  const removing = remove || values.remove === true;
  if (removing && output === "") {
    throw usageError("removing a hook needs the file: give --output (--oci-hook-path)");
  }
  if (output !== "" && !isAbsolute(output) && hostRootOf(values) !== "") {
    throw usageError(`the hook file "${output}" is not an absolute path (--host-root)`);
  }
  return {
    kind: "hook",
    hookPath,
    output,
    remove: removing,
    dryRun: values["dry-run"] === true,
    hostRoot: hostRootOf(values),
  };
}

/** A flag's number of seconds, in milliseconds. */
function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0) {
    throw usageError(`invalid --${flag} "${value}": give a number of seconds`);
  }
  return number * 1000;
}

/** The NVIDIA runtimes the installer configures, by the suffix of their executable. */
const NVIDIA_MODES = [["nvidia-cdi", ".cdi"], ["nvidia-legacy", ".legacy"]] as const;

/** The runtimes asked for: `--runtime-name`s, else the NVIDIA runtime (and its modes). */
function runtimeList(values: FlagValues, engine: Engine): RuntimeSpec[] {
  const defaultPath = text(values, "nvidia-runtime-path") ?? DEFAULT_RUNTIME_PATH;
  const absolute = (path: string): string => {
    if (engine.supports.relativeRuntimePath) return path;
    const resolved = path === DEFAULT_RUNTIME_PATH ? engine.defaults.runtimePath : path;
    if (!isAbsolute(resolved)) {
      throw usageError(`the NVIDIA runtime path "${resolved}" is not an absolute path`);
    }
    return resolved;
  };
  const named = (values["runtime-name"] as string[] | undefined) ?? [];
  if (named.length > 0) {
    // --runtime-name names every runtime: the flags that name them otherwise would be ignored.
    for (const flag of ["nvidia-runtime-name", "all-nvidia-runtimes"]) {
      if (values[flag] !== undefined && values[flag] !== false) {
        throw usageError(`--runtime-name and --${flag} both name the runtimes: give one of them`);
      }
    }
    if (
      values["nvidia-runtime-path"] !== undefined && named.every((entry) => entry.includes("="))
    ) {
      throw usageError(
        "--nvidia-runtime-path is not used: every --runtime-name gives its own path",
      );
    }
  }
  const runtimes: RuntimeSpec[] = named.map((entry) => {
    const at = entry.indexOf("=");
    return at < 0
      ? { name: entry, path: absolute(defaultPath) }
      : { name: entry.slice(0, at), path: absolute(entry.slice(at + 1)) };
  });
  if (runtimes.length === 0) {
    const name = text(values, "nvidia-runtime-name") ?? "nvidia";
    const path = absolute(defaultPath);
    runtimes.push({ name, path });
    if (values["all-nvidia-runtimes"] === true) {
      for (const [mode, suffix] of NVIDIA_MODES) {
        if (mode !== name) runtimes.push({ name: mode, path: `${path}${suffix}` });
      }
    }
  }
  const seen = new Set<string>();
  for (const { name } of runtimes) {
    if (name === "") throw usageError("the runtime name must not be empty");
    const problem = engine.supports.runtimeNameProblem(name);
    if (problem) throw usageError(`invalid runtime name "${name}" for ${engine.name}: ${problem}`);
    if (seen.has(name)) throw usageError(`the runtime ${name} is named twice`);
    seen.add(name);
  }
  return runtimes;
}

function configSources(values: FlagValues, engine: Engine, warn: Warn): string[] {
  const given = text(values, "config-source") ?? "file";
  const sources = given.split(",").map((source) => source.trim());
  for (const source of sources) {
    const file = /^file\s*=\s*(.*)$/.exec(source)?.[1];
    if (file !== undefined && !isAbsolute(file)) {
      throw usageError(`the config source "${source}" does not name an absolute path`);
    }
    if (source !== "file" && source !== "command" && file === undefined) {
      throw usageError(`unrecognized Config Source: ${source}`);
    }
  }
  if (engine.configCommands("").length === 0 && sources.includes("command")) {
    warn(`A command Config Source is not supported for ${engine.name}; using file`);
    return ["file"];
  }
  return sources.map((source) => source.replace(/^file\s*=\s*/, "file="));
}

/** containerd's settings of nvidia-ctk-installer, for an engine that takes them. */
function engineSettings(values: FlagValues, engine: Engine, warn: Warn): EngineTarget["settings"] {
  const prefixes = ((values["cdi-annotation-prefixes"] as string[] | undefined) ?? [])
    .flatMap((entry) => entry.split(",")).map((prefix) => prefix.trim()).filter(Boolean);
  const given = {
    ...(values["runtime-type"] !== undefined ? { runtimeType: text(values, "runtime-type") } : {}),
    ...(prefixes.length > 0 ? { containerAnnotations: prefixes.map((p) => `${p}*`) } : {}),
    ...(values["use-legacy-config"] === true ? { legacyConfig: true } : {}),
  };
  if (engine.supports.runtimeOptions) return given;
  for (const flag of ["runtime-type", "cdi-annotation-prefixes", "use-legacy-config"]) {
    if (values[flag] !== undefined) warn(`Ignoring ${flag} flag for ${engine.name}`);
  }
  return {};
}

/**
 * Validates the flags of `runtime configure` / `runtime unconfigure` in
 * nvidia-ctk's order, with its messages, for each engine of `--runtime`.
 *
 * @param verb Which command.
 * @param values The parsed flags.
 * @param warn Receives each warning.
 * @returns What to do.
 * @throws {RtconfError} exit status 2 for invalid flags.
 */
export async function runtimeInvocation(
  verb: "configure" | "unconfigure",
  values: FlagValues,
  warn: Warn,
): Promise<RuntimeInvocation | HookInvocation> {
  const mode = text(values, "config-mode") ?? "";
  if (mode === "oci-hook" || mode === "hook") {
    warn(`The "${mode}" config-mode is deprecated; use 'rtconf hook'`);
    return hookInvocation(values, verb === "unconfigure");
  }
  const names = (text(values, "runtime") ?? "docker").split(",").map((name) => name.trim());
  const several = names.length > 1;
  if (several) {
    for (const flag of ["config", "executable-path", "restart-unit"]) {
      if (text(values, flag)) {
        throw usageError(
          `--${flag} names one engine's file or unit: give one --runtime, or use --host-root`,
        );
      }
    }
    if (text(values, "drop-in-config")) {
      throw usageError(
        '--drop-in-config names one engine\'s file: with several engines only "" is allowed',
      );
    }
  }
  const restart = text(values, "restart") ?? "none";
  if (restart !== "none" && restart !== "systemd" && restart !== "signal") {
    throw usageError(`invalid --restart "${restart}": use none, systemd or signal`);
  }
  const targets: EngineTarget[] = [];
  for (const runtime of names) {
    if (mode !== "" && mode !== "config-file" && mode !== "config") {
      warn(`Ignoring unsupported config mode for ${runtime}: "${mode}"`);
    }
    const engine = await loadEngine(runtime);
    const runtimes = runtimeList(values, engine);

    let enableCdi = values["cdi.enabled"] === true;
    if (!engine.supports.cdi && enableCdi) {
      warn(`Ignoring cdi.enabled flag for ${engine.name}`);
      enableCdi = false;
    }
    let executablePath = text(values, "executable-path") ?? "";
    if (executablePath !== "" && engine.configCommands("").length === 0) {
      warn(`Ignoring executable-path="${executablePath}" flag for ${engine.name}`);
      executablePath = "";
    }
    const sources = configSources(values, engine, warn);

    const configPath = text(values, "config") || engine.defaults.configPath;
    const dropInPath = text(values, "drop-in-config") ?? defaultDropIn(engine, configPath);
    if (dropInPath !== "" && !engine.supports.dropIn) {
      throw usageError(`runtime ${engine.name} does not support drop-in configs`);
    }
    if (dropInPath !== "" && !isAbsolute(dropInPath)) {
      throw usageError(`the drop-in-config path "${dropInPath}" is not an absolute path`);
    }
    if (restart === "signal" && !engine.supports.reload) {
      throw usageError(
        `--restart=signal: ${engine.name} does not reload its configuration on a signal; use --restart=systemd`,
      );
    }
    const defaultName = text(values, "default-runtime") ??
      (values["nvidia-set-as-default"] === true ? runtimes[0].name : undefined);
    if (defaultName !== undefined && !runtimes.some((r) => r.name === defaultName)) {
      throw usageError(`--default-runtime=${defaultName} is not one of the runtimes configured`);
    }
    targets.push({
      engine,
      configPath,
      dropInPath,
      configSources: sources,
      executablePath,
      runtimes,
      setAsDefault: defaultName,
      enableCdi,
      unit: text(values, "restart-unit") || engine.defaults.unit,
      settings: engineSettings(values, engine, warn),
    });
  }
  const k3sTemplate = values["k3s-template"] === true;
  if (k3sTemplate && targets.some((target) => target.setAsDefault || target.enableCdi)) {
    throw usageError(
      "--k3s-template adds runtimes only: set the default with k3s's --default-runtime",
    );
  }
  return {
    kind: "runtime",
    verb,
    targets,
    hostRoot: hostRootOf(values),
    dryRun: values["dry-run"] === true,
    check: values["check"] === true,
    diff: values["diff"] === true,
    backup: values["backup"] === true,
    lockTimeoutMs: seconds("lock-timeout", text(values, "lock-timeout"), LOCK_TIMEOUT_MS),
    commandTimeoutMs: seconds(
      "command-timeout",
      text(values, "command-timeout"),
      COMMAND_TIMEOUT_MS,
    ),
    restart,
    k3sTemplate,
  };
}

/**
 * Validates the flags of `runtime status`.
 *
 * @param values The parsed flags.
 * @returns What to show.
 */
export async function statusInvocation(values: FlagValues): Promise<StatusInvocation> {
  const names = (text(values, "runtime") ?? "docker").split(",").map((name) => name.trim());
  if (names.length > 1 && (text(values, "config") || text(values, "drop-in-config"))) {
    throw usageError("--config names one engine's file: give one --runtime, or use --host-root");
  }
  const targets: StatusInvocation["targets"] = [];
  for (const name of names) {
    const engine = await loadEngine(name);
    const configPath = text(values, "config") || engine.defaults.configPath;
    targets.push({
      engine,
      configPath,
      dropInPath: text(values, "drop-in-config") ?? defaultDropIn(engine, configPath),
    });
  }
  const hostRoot = text(values, "host-root") ?? "";
  return {
    kind: "status",
    targets,
    hostRoot: hostRoot === "/" ? "" : hostRoot,
    json: values["json"] === true,
  };
}
