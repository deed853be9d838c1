/**
 * Turns parsed flags into what a command will do, with nvidia-ctk's
 * validation rules, messages and order (reference §1.3).
 *
 * @module
 */

import { isAbsolute } from "node:path";
import { usageError } from "../errors.ts";
import type { EngineName } from "../engine.ts";
import { ENGINE_NAMES } from "../engine.ts";
import type { RuntimeSpec } from "../rules.ts";
import type { FlagValues } from "./flags.ts";
import { LOCK_TIMEOUT_MS } from "../io/lock.ts";

/** The default config file of each engine. */
export const DEFAULT_CONFIG: Readonly<Record<EngineName, string>> = {
  containerd: "/etc/containerd/config.toml",
  crio: "/etc/crio/crio.conf",
  docker: "/etc/docker/daemon.json",
};

/** The default drop-in file of each engine; docker has none. */
export const DEFAULT_DROP_IN: Readonly<Record<EngineName, string>> = {
  containerd: "/etc/containerd/conf.d/99-nvidia.toml",
  crio: "/etc/crio/crio.conf.d/99-nvidia.toml",
  docker: "",
};

/** The runtime executable when none is given. */
export const DEFAULT_RUNTIME_PATH = "nvidia-container-runtime";
/** Where containerd and CRI-O find the runtime when none is given. */
export const DEFAULT_RUNTIME_ABSOLUTE_PATH = "/usr/bin/nvidia-container-runtime";
/** The OCI hook executable when none is given. */
export const DEFAULT_HOOK_PATH = "/usr/bin/nvidia-container-runtime-hook";

/** `runtime configure` or `runtime unconfigure` in config-file mode. */
export interface RuntimeInvocation {
  /** Which kind of invocation. */
  kind: "runtime";
  /** Configure or unconfigure. */
  verb: "configure" | "unconfigure";
  /** The engine. */
  engine: EngineName;
  /** The main config file. */
  configPath: string;
  /** The drop-in file; `""` edits the main config in place. */
  dropInPath: string;
  /** Where the current config is read from. */
  configSource: "file" | "command";
  /** The engine's executable for `configSource` `command`; `""` for the default. */
  executablePath: string;
  /** The runtimes to register or remove. */
  runtimes: RuntimeSpec[];
  /** The runtime to make the default. */
  setAsDefault?: string;
  /** Enable (or, for unconfigure, revert) CDI. */
  enableCdi: boolean;
  /** Print instead of writing. */
  dryRun: boolean;
  /** Print unified diffs. */
  diff: boolean;
  /** Keep each changed file's previous content beside it. */
  backup: boolean;
  /** How long to wait for the lock, in milliseconds. */
  lockTimeoutMs: number;
}

/** Writing an OCI hook file. */
export interface HookInvocation {
  /** Which kind of invocation. */
  kind: "hook";
  /** The hook executable. */
  hookPath: string;
  /** The hook file; `""` prints it on stdout. */
  output: string;
  /** Print instead of writing. */
  dryRun: boolean;
}

/** Receives a warning as soon as validation finds it. */
export type Warn = (message: string) => void;

function text(values: FlagValues, name: string): string | undefined {
  return values[name] as string | undefined;
}

/**
 * Validates the hook flags.
 *
 * @param values The parsed flags of `rtconf hook` (or of configure in hook mode).
 * @returns The hook invocation.
 */
export function hookInvocation(values: FlagValues): HookInvocation {
  const hookPath = text(values, "hook-path") ?? text(values, "nvidia-runtime-hook-path") ??
    DEFAULT_HOOK_PATH;
  if (!isAbsolute(hookPath)) {
    throw usageError(`the NVIDIA runtime hook path "${hookPath}" is not an absolute path`);
  }
  return {
    kind: "hook",
    hookPath,
    output: text(values, "output") ?? text(values, "oci-hook-path") ?? "",
    dryRun: values["dry-run"] === true,
  };
}

function lockTimeout(value: string | undefined): number {
  if (value === undefined) return LOCK_TIMEOUT_MS;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw usageError(`invalid --lock-timeout "${value}": give a number of seconds`);
  }
  return seconds * 1000;
}

/**
 * Validates the flags of `runtime configure` / `runtime unconfigure` in
 * nvidia-ctk's order, with its messages.
 *
 * @param verb Which command.
 * @param values The parsed flags.
 * @param warn Receives each warning.
 * @returns What to do.
 * @throws {RtconfError} exit status 2 for invalid flags.
 */
export function runtimeInvocation(
  verb: "configure" | "unconfigure",
  values: FlagValues,
  warn: Warn,
): RuntimeInvocation | HookInvocation {
  const mode = text(values, "config-mode") ?? "";
  if (mode === "oci-hook" || mode === "hook") {
    warn(`The "${mode}" config-mode is deprecated; use 'rtconf hook'`);
    return hookInvocation(values);
  }
  const runtime = text(values, "runtime") ?? "docker";
  if (mode !== "" && mode !== "config-file" && mode !== "config") {
    warn(`Ignoring unsupported config mode for ${runtime}: "${mode}"`);
  }
  if (!(ENGINE_NAMES as readonly string[]).includes(runtime)) {
    throw usageError(`unrecognized runtime '${runtime}'`);
  }
  const engine = runtime as EngineName;

  const name = text(values, "nvidia-runtime-name") ?? "nvidia";
  if (name === "") throw usageError("the runtime name must not be empty");
  let path = text(values, "nvidia-runtime-path") ?? DEFAULT_RUNTIME_PATH;
  if (engine !== "docker") {
    if (path === DEFAULT_RUNTIME_PATH) path = DEFAULT_RUNTIME_ABSOLUTE_PATH;
    if (!isAbsolute(path)) {
      throw usageError(`the NVIDIA runtime path "${path}" is not an absolute path`);
    }
  }

  let enableCdi = values["cdi.enabled"] === true;
  if (engine === "crio" && enableCdi) {
    warn(`Ignoring cdi.enabled flag for ${engine}`);
    enableCdi = false;
  }

  let executablePath = text(values, "executable-path") ?? "";
  if (executablePath !== "" && engine === "docker") {
    warn(`Ignoring executable-path="${executablePath}" flag for ${engine}`);
    executablePath = "";
  }

  let configSource = text(values, "config-source") ?? "file";
  if (configSource === "command" && engine === "docker") {
    warn(`A command Config Source is not supported for ${engine}; using file`);
    configSource = "file";
  } else if (configSource !== "file" && configSource !== "command") {
    throw usageError(`unrecognized Config Source: ${configSource}`);
  }

  const configPath = text(values, "config") || DEFAULT_CONFIG[engine];
  const dropInPath = text(values, "drop-in-config") ?? DEFAULT_DROP_IN[engine];
  if (dropInPath !== "" && engine === "docker") {
    throw usageError(`runtime ${engine} does not support drop-in configs`);
  }
  if (dropInPath !== "" && !isAbsolute(dropInPath)) {
    throw usageError(`the drop-in-config path "${dropInPath}" is not an absolute path`);
  }

  return {
    kind: "runtime",
    verb,
    engine,
    configPath,
    dropInPath,
    configSource: configSource as "file" | "command",
    executablePath,
    runtimes: [{ name, path }],
    setAsDefault: values["nvidia-set-as-default"] === true ? name : undefined,
    enableCdi,
    dryRun: values["dry-run"] === true,
    diff: values["diff"] === true,
    backup: values["backup"] === true,
    lockTimeoutMs: lockTimeout(text(values, "lock-timeout")),
  };
}
