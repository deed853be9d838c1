/**
 * NVIDIA's Kubernetes installer (`nvidia-ctk-installer`, the GPU Operator's
 * toolkit container) configures the runtime from environment variables. This
 * module reads the variables of that step, with the installer's names,
 * aliases, precedence and defaults (its `cmd/nvidia-ctk-installer`), and says
 * what they mean as an rtconf command line, which `rtconf installer` runs.
 *
 * Where the installer is wrong, rtconf is not: every path is the host's and
 * is read and written under the host's root (`HOST_ROOT_MOUNT`), an engine
 * is restarted only when a file it reads changed, containerd is restarted
 * with systemd (the installer's `signal` sends it SIGHUP, which it does not
 * handle), and the engine-specific variables (`CONTAINERD_*`, `DOCKER_*`,
 * `CRIO_*`) count for their own engine only (the installer reads
 * `DOCKER_CONFIG`, by Docker's convention the client's config directory, as
 * any engine's config file).
 *
 * @module
 */

import { usageError } from "../errors.ts";
import { isAbsolute, join, underRoot } from "../path.ts";
import { parseBool } from "./flags.ts";

/** Reads an environment variable (`undefined`: not set). */
export type Env = (name: string) => string | undefined;

/** One setting of the installer, and the variables it is read from, first set first. */
export interface InstallerVariable {
  /** The variables, in the installer's order of precedence. */
  names: string[];
  /** What it sets. */
  help: string;
  /** The default, in words. */
  default?: string;
}

/** What the installer does differently for each engine, and each engine's own variables. */
interface InstallerEngine {
  /** Its own variables for the main config, the default and the runtime's name. */
  config: string[];
  setAsDefault: string[];
  runtimeName: string[];
  /** The installer's restart mode when `RUNTIME_RESTART_MODE` is not set. */
  restart: "signal" | "systemd";
  /** It reloads its runtimes on a signal (else a `signal` restart is a systemd restart). */
  reloads: boolean;
  /** It has a drop-in file, a CDI switch, a command that prints its config. */
  dropIn: boolean;
  cdi: boolean;
  command: boolean;
  /** The installer's containerd settings apply (runtime type, annotations, legacy config). */
  runtimeOptions: boolean;
  /** `CRIO_CONFIG_MODE=hook` applies: an OCI hook instead of a runtime. */
  hookMode: boolean;
}

const INSTALLER_ENGINES: Record<string, InstallerEngine> = {
  containerd: {
    config: ["CONTAINERD_CONFIG"],
    setAsDefault: ["CONTAINERD_SET_AS_DEFAULT"],
    runtimeName: ["CONTAINERD_RUNTIME_CLASS"],
    restart: "signal",
    reloads: false,
    dropIn: true,
    cdi: true,
    command: true,
    runtimeOptions: true,
    hookMode: false,
  },
  crio: {
    config: ["CRIO_CONFIG"],
    setAsDefault: [],
    runtimeName: [],
    restart: "systemd",
    reloads: false,
    dropIn: true,
    cdi: false,
    command: true,
    runtimeOptions: false,
    hookMode: true,
  },
  docker: {
    config: ["DOCKER_CONFIG"],
    setAsDefault: ["DOCKER_SET_AS_DEFAULT"],
    runtimeName: ["DOCKER_RUNTIME_NAME"],
    restart: "signal",
    reloads: true,
    dropIn: false,
    cdi: true,
    command: false,
    runtimeOptions: false,
    hookMode: false,
  },
};

const DEFAULT_TOOLKIT_DIR = "/usr/local/nvidia";
const DEFAULT_HOST_ROOT = "/host";
const DEFAULT_HOOKS_DIR = "/usr/share/containers/oci/hooks.d";
const DEFAULT_HOOK_FILE = "oci-nvidia-hook.json";
/** The installer's modes of the NVIDIA runtime: a runtime each, by the suffix of its executable. */
const MODES = ["cdi", "legacy"];

/**
 * The variables `rtconf installer` reads, with their aliases and defaults:
 * those of nvidia-ctk-installer's runtime configuration.
 */
export const INSTALLER_VARIABLES: readonly InstallerVariable[] = [
  { names: ["RUNTIME"], help: "The engine: containerd, crio or docker.", default: "docker" },
  {
    names: ["RUNTIME_CONFIG", "CONTAINERD_CONFIG", "CRIO_CONFIG", "DOCKER_CONFIG"],
    help: "The engine's main config (an engine's own variable counts for it only).",
    default: "the engine's usual one",
  },
  {
    names: ["RUNTIME_DROP_IN_CONFIG_HOST_PATH", "RUNTIME_DROP_IN_CONFIG"],
    help: 'The drop-in; "" edits the main config in place.',
    default: "the engine's usual one",
  },
  {
    names: ["RUNTIME_EXECUTABLE_PATH"],
    help: "The engine's executable, for the command config source.",
  },
  {
    names: ["RUNTIME_CONFIG_SOURCES", "RUNTIME_CONFIG_SOURCE"],
    help: "Where the current config is read from: command, file, file=PATH, comma-separated.",
    default: "command,file",
  },
  {
    names: ["NVIDIA_RUNTIME_NAME", "CONTAINERD_RUNTIME_CLASS", "DOCKER_RUNTIME_NAME"],
    help: "The NVIDIA runtime's name; nvidia-cdi and nvidia-legacy are configured too.",
    default: "nvidia",
  },
  {
    names: ["NVIDIA_RUNTIME_SET_AS_DEFAULT", "CONTAINERD_SET_AS_DEFAULT", "DOCKER_SET_AS_DEFAULT"],
    help: "Make it the default runtime.",
    default: "true",
  },
  {
    names: ["TOOLKIT_INSTALL_DIR", "ROOT"],
    help: "Where the toolkit is installed: the runtimes are DIR/toolkit/" +
      "nvidia-container-runtime{,.cdi,.legacy}.",
    default: DEFAULT_TOOLKIT_DIR,
  },
  {
    names: ["RUNTIME_ENABLE_CDI", "CDI_ENABLED", "ENABLE_CDI"],
    help: "Enable CDI in the engine.",
    default: "false",
  },
  {
    names: ["RUNTIME_RESTART_MODE"],
    help: "none, systemd or signal (containerd: systemd; it does not reload on a signal).",
    default: "signal for docker, systemd for containerd and crio",
  },
  { names: ["HOST_ROOT_MOUNT"], help: "Where the host's root is mounted.", default: "/host" },
  {
    names: ["CONTAINERD_USE_LEGACY_CONFIG"],
    help: "containerd: a version 1 config where there is none.",
    default: "false",
  },
  {
    names: ["CONTAINERD_RUNTIME_TYPE"],
    help: "containerd: the runtime_type of a runtime that copies none.",
    default: "io.containerd.runc.v2",
  },
  {
    names: ["NVIDIA_CONTAINER_RUNTIME_MODES_CDI_ANNOTATION_PREFIXES"],
    help: "containerd: annotation prefixes passed to the runtimes, comma-separated.",
  },
  { names: ["CRIO_CONFIG_MODE"], help: "crio: config, or hook (an OCI hook).", default: "config" },
  {
    names: ["CRIO_HOOKS_DIR"],
    help: "crio, hook mode: the hooks directory.",
    default: DEFAULT_HOOKS_DIR,
  },
  {
    names: ["CRIO_HOOK_FILENAME"],
    help: "crio, hook mode: the hook file's name.",
    default: DEFAULT_HOOK_FILE,
  },
  { names: ["NO_DAEMON"], help: "Configure and exit: no undo on stop.", default: "false" },
  {
    names: ["NO_RUNTIME_CONFIG", "ENABLE_NRI_PLUGIN"],
    help: "Configure no runtime at all (the toolkit's NRI plugin needs none).",
    default: "false",
  },
];

/** Every variable `rtconf installer` may read (the executable's environment permission). */
export const INSTALLER_VARIABLE_NAMES: readonly string[] = INSTALLER_VARIABLES.flatMap((v) =>
  v.names
);

/** What the installer's environment asks for, as rtconf command lines. */
export interface InstallerSetup {
  /** The arguments of the command that configures (after `rtconf`); empty: nothing to do. */
  configure: string[];
  /** The arguments of the command that undoes it. */
  unconfigure: string[];
  /** Wait for a stop signal, then undo (the installer's daemon mode). */
  daemon: boolean;
  /** Why nothing is configured, when `configure` is empty. */
  skipped?: string;
  /** The host's root as mounted here (`""`: this is the host). */
  hostRoot: string;
}

/** The value of the first variable that is set (even to ""), and its name. */
function first(env: Env, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env(name);
    if (value !== undefined) return [name, value];
  }
  return undefined;
}

/** A boolean variable, read as the installer reads it ("" is false). */
function bool(env: Env, names: readonly string[], fallback: boolean): boolean {
  const found = first(env, names);
  if (!found) return fallback;
  const [name, value] = found;
  if (value === "") return false;
  const parsed = parseBool(value);
  if (parsed === undefined) {
    throw usageError(`${name}="${value}" is not a boolean: use true or false (or 1 or 0)`);
  }
  return parsed;
}

/** A comma-separated list variable; unset or "" gives the fallback. */
function list(env: Env, names: readonly string[], fallback: string[]): string[] {
  const value = first(env, names)?.[1];
  if (value === undefined || value === "") return fallback;
  return value.split(",");
}

/**
 * What nvidia-ctk-installer's environment asks for, as rtconf command lines:
 * `runtime configure` and `runtime unconfigure` (or `hook` and `hook
 * --remove` for CRI-O's hook mode) with the flags that say the same.
 *
 * @example Usage
 * ```ts
 * import { installerSetup } from "./installer_env.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const env: Record<string, string> = { RUNTIME: "docker", HOST_ROOT_MOUNT: "/host" };
 * const setup = installerSetup((name) => env[name], () => {});
 * deepEqual(setup.configure, [
 *   "runtime", "configure", "--runtime=docker", "--host-root=/host",
 *   "--runtime-name=nvidia=/usr/local/nvidia/toolkit/nvidia-container-runtime",
 *   "--runtime-name=nvidia-cdi=/usr/local/nvidia/toolkit/nvidia-container-runtime.cdi",
 *   "--runtime-name=nvidia-legacy=/usr/local/nvidia/toolkit/nvidia-container-runtime.legacy",
 *   "--default-runtime=nvidia", "--config-source=file", "--restart=signal",
 * ]);
 * ```
 *
 * @param env Reads a variable.
 * @param warn Receives each warning.
 * @returns The commands, and whether to wait for a stop signal.
 * @throws {RtconfError} exit status 2 for a variable with a value the installer refuses.
 */
export function installerSetup(env: Env, warn: (message: string) => void): InstallerSetup {
  const daemon = !bool(env, ["NO_DAEMON"], false);
  const hostRoot = first(env, ["HOST_ROOT_MOUNT"])?.[1] ?? DEFAULT_HOST_ROOT;
  if (hostRoot !== "" && !isAbsolute(hostRoot)) {
    throw usageError(`HOST_ROOT_MOUNT="${hostRoot}" is not an absolute path`);
  }
  const root = hostRoot === "/" ? "" : hostRoot;
  for (const names of [["NO_RUNTIME_CONFIG"], ["ENABLE_NRI_PLUGIN"]]) {
    if (bool(env, names, false)) {
      return {
        configure: [],
        unconfigure: [],
        daemon: false,
        hostRoot: root,
        skipped: `${names[0]} is set: no runtime is configured`,
      };
    }
  }
  const engine = first(env, ["RUNTIME"])?.[1] ?? "docker";
  if (!Object.hasOwn(INSTALLER_ENGINES, engine)) {
    throw usageError(`invalid RUNTIME "${engine}"; expected one of [containerd | crio | docker]`);
  }
  const own = INSTALLER_ENGINES[engine];
  // A path as the host sees it: one under the host root's mount point is taken back to the host's.
  const hostPath = (name: string, path: string): string => {
    if (root !== "" && (path === root || path.startsWith(`${root}/`))) {
      return underRoot(root, path);
    }
    if (!isAbsolute(path)) throw usageError(`${name}="${path}" is not an absolute path`);
    return path;
  };

  const toolkit = first(env, ["TOOLKIT_INSTALL_DIR", "ROOT"])?.[1] ?? DEFAULT_TOOLKIT_DIR;
  if (toolkit === "") throw usageError("TOOLKIT_INSTALL_DIR: the install root must be specified");
  const runtimeDir = join(hostPath("TOOLKIT_INSTALL_DIR", toolkit), "toolkit");
  const withRoot = root === "" ? [] : [`--host-root=${root}`];

  if (own.hookMode && (first(env, ["CRIO_CONFIG_MODE"])?.[1] ?? "config") !== "config") {
    const mode = first(env, ["CRIO_CONFIG_MODE"])![1];
    if (mode !== "hook") throw usageError(`invalid CRIO_CONFIG_MODE "${mode}": use config or hook`);
    warn(`The "hook" config for cri-o is deprecated`);
    const dir = hostPath(
      "CRIO_HOOKS_DIR",
      first(env, ["CRIO_HOOKS_DIR"])?.[1] || DEFAULT_HOOKS_DIR,
    );
    const file = first(env, ["CRIO_HOOK_FILENAME"])?.[1] || DEFAULT_HOOK_FILE;
    const hook = [
      "hook",
      ...withRoot,
      `--hook-path=${join(runtimeDir, "nvidia-container-runtime-hook")}`,
      `--output=${join(dir, file)}`,
    ];
    return { configure: hook, unconfigure: [...hook, "--remove"], daemon, hostRoot: root };
  }

  const flags = [`--runtime=${engine}`, ...withRoot];
  const config = first(env, ["RUNTIME_CONFIG", ...own.config]);
  if (config && config[1] !== "") flags.push(`--config=${hostPath(config[0], config[1])}`);
  const hostDropIn = env("RUNTIME_DROP_IN_CONFIG_HOST_PATH");
  const dropIn = hostDropIn
    ? ["RUNTIME_DROP_IN_CONFIG_HOST_PATH", hostDropIn] as const
    : first(env, ["RUNTIME_DROP_IN_CONFIG"]);
  if (dropIn !== undefined) {
    if (!own.dropIn) {
      // Docker has no drop-in: the installer ignores it, with this warning.
      warn(`Ignoring drop-in-config="${dropIn[1]}" flag for ${engine}`);
    } else {
      flags.push(`--drop-in-config=${dropIn[1] === "" ? "" : hostPath(dropIn[0], dropIn[1])}`);
    }
  }
  const executable = env("RUNTIME_EXECUTABLE_PATH");
  if (executable) flags.push(`--executable-path=${executable}`);

  // nvidia, nvidia-cdi and nvidia-legacy; a name of a mode's runtime names the default only.
  const name = first(env, ["NVIDIA_RUNTIME_NAME", ...own.runtimeName])?.[1] || "nvidia";
  const modes = MODES.map((mode) => `nvidia-${mode}`);
  const main = modes.includes(name) ? "nvidia" : name;
  const executableOf = (suffix: string) => join(runtimeDir, `nvidia-container-runtime${suffix}`);
  flags.push(`--runtime-name=${main}=${executableOf("")}`);
  for (const mode of MODES) flags.push(`--runtime-name=nvidia-${mode}=${executableOf(`.${mode}`)}`);
  if (bool(env, ["NVIDIA_RUNTIME_SET_AS_DEFAULT", ...own.setAsDefault], true)) {
    flags.push(`--default-runtime=${name}`);
  }
  const cdi = env("RUNTIME_ENABLE_CDI") !== undefined
    ? bool(env, ["RUNTIME_ENABLE_CDI"], false)
    : bool(env, ["CDI_ENABLED", "ENABLE_CDI"], false);
  // CRI-O always has CDI: the installer's EnableCDI does nothing there.
  if (cdi && own.cdi) flags.push("--enable-cdi");

  const sources = !own.command ? ["file"] : list(
    env,
    ["RUNTIME_CONFIG_SOURCES", "RUNTIME_CONFIG_SOURCE"],
    ["command", "file"],
  ).map((entry) => {
    const at = entry.indexOf("=");
    const kind = (at < 0 ? entry : entry.slice(0, at)).trim();
    const value = at < 0 ? undefined : entry.slice(at + 1).trim();
    if (kind === "command") {
      if (value !== undefined) warn(`Ignoring additional command argument "${value}"`);
      return "command";
    }
    if (kind === "file") {
      return value ? `file=${hostPath("RUNTIME_CONFIG_SOURCES", value)}` : "file";
    }
    throw usageError(`unsupported config source "${entry}" in RUNTIME_CONFIG_SOURCES`);
  });
  flags.push(`--config-source=${sources.join(",")}`);

  if (own.runtimeOptions) {
    if (bool(env, ["CONTAINERD_USE_LEGACY_CONFIG"], false)) flags.push("--use-legacy-config");
    const type = env("CONTAINERD_RUNTIME_TYPE");
    if (type !== undefined && type !== "io.containerd.runc.v2") {
      flags.push(`--runtime-type=${type}`);
    }
    const prefixes = list(env, ["NVIDIA_CONTAINER_RUNTIME_MODES_CDI_ANNOTATION_PREFIXES"], [])
      .map((prefix) => prefix.trim()).filter(Boolean);
    if (prefixes.length > 0) flags.push(`--cdi-annotation-prefixes=${prefixes.join(",")}`);
  }

  const restart = first(env, ["RUNTIME_RESTART_MODE"])?.[1] ?? own.restart;
  if (!["none", "signal", "systemd"].includes(restart)) {
    throw usageError(`invalid RUNTIME_RESTART_MODE "${restart}": use none, signal or systemd`);
  }
  if (restart === "signal" && !own.reloads) {
    if (env("RUNTIME_RESTART_MODE") !== undefined) {
      warn(
        `RUNTIME_RESTART_MODE=signal: ${engine} does not reload its configuration on a signal ` +
          "(nvidia-ctk-installer's SIGHUP stops it, for systemd to start it again); " +
          "restarting it with systemd instead",
      );
    }
    flags.push("--restart=systemd");
  } else {
    flags.push(`--restart=${restart}`);
  }
  return {
    configure: ["runtime", "configure", ...flags],
    unconfigure: ["runtime", "unconfigure", ...flags],
    daemon,
    hostRoot: root,
  };
}
