/**
 * The engine interface: everything rtconf knows about one container engine —
 * its default files and unit, what it supports, which files it loads, the
 * commands that print its effective config, how to plan a change and how to
 * read its state — in one object per engine. The parts that plan and read are
 * pure functions of file texts, so they run anywhere; the CLI does the I/O.
 *
 * @module
 */

import type { EngineParser } from "../formats/parsers/mod.ts";
import type { TomlTable } from "../formats/toml/values.ts";
import type { Plan } from "../plan.ts";
import type { Rule } from "../rules.ts";

/**
 * The container engines rtconf configures.
 */
export type EngineName = "containerd" | "crio" | "docker" | "podman";

/**
 * The current text of each file an engine reads, by path; `undefined` for a
 * file that does not exist.
 *
 * @example Usage
 * ```ts
 * import { configure, type FileTexts } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const files: FileTexts = { "/etc/docker/daemon.json": undefined };
 * const [daemonJson] = await configure({ engine: "docker", files, runtimes: [{ name: "nvidia", path: "nvidia-container-runtime" }] });
 * equal(daemonJson.before, undefined);
 * ```
 */
export type FileTexts = Readonly<Record<string, string | undefined>>;

/**
 * Where an engine's configuration is, for one plan.
 */
export interface EngineOptions {
  /** The main config, e.g. `/etc/containerd/config.toml`. */
  configPath: string;
  /**
   * The drop-in file rtconf writes, e.g. `/etc/containerd/conf.d/99-nvidia.toml`;
   * `""` edits the main config in place (always for an engine without drop-ins).
   */
  dropInPath: string;
  /** The engine's own report of its config (e.g. `containerd config dump`), when read from it. */
  source?: string;
  /**
   * Directories of the main config and the drop-in that do not exist,
   * outermost first: a file rtconf creates in them notes that rtconf created
   * them, and unconfigure removes them with it where they are empty.
   */
  missingDirectories?: readonly string[];
  /**
   * The `runtime_type` of a new runtime that copies no existing one
   * (containerd; default `io.containerd.runc.v2`).
   */
  runtimeType?: string;
  /**
   * Annotations (patterns such as `cdi.k8s.io/*`) that the engine passes on
   * to the new runtimes (containerd's `container_annotations`).
   */
  containerAnnotations?: string[];
  /** Read a main config with nothing in it as version 1, and write it so (containerd). */
  legacyConfig?: boolean;
}

/** The defaults of an engine, as it is packaged on Linux distributions. */
export interface EngineDefaults {
  /** The main config. */
  readonly configPath: string;
  /** The drop-in rtconf writes (`""`: the engine has none, the main config is edited). */
  readonly dropInPath: string;
  /** The systemd unit that runs it. */
  readonly unit: string;
  /** The NVIDIA runtime's executable when none is given. */
  readonly runtimePath: string;
}

/** How an engine reloads its configuration without a restart. */
export interface ReloadSignal {
  /** The signal, e.g. `SIGHUP`. */
  readonly signal: "SIGHUP";
  /** The file holding the running engine's process id, as the host sees it. */
  readonly pidFile: string;
  /** The engine's process name (`/proc/PID/comm`), checked before signalling. */
  readonly process: string;
  /**
   * Why a reload would not make an engine that runs with `before` run with
   * `after` (it keeps some settings until it restarts), or `undefined`.
   *
   * @param before The main config's text the engine runs with (`undefined`: none).
   * @param after Its new text (`undefined`: none).
   * @param path The main config, for the message.
   * @returns The reason, in words.
   */
  gap(before: string | undefined, after: string | undefined, path: string): string | undefined;
}

/** What an engine supports. */
export interface EngineSupport {
  /** A drop-in file that rtconf writes instead of editing the main config. */
  readonly dropIn: boolean;
  /** A CDI switch (an engine without one either always has CDI or has none). */
  readonly cdi: boolean;
  /** Runtime executables by name, found on the engine's `PATH` (else they must be absolute). */
  readonly relativeRuntimePath: boolean;
  /** Reloading its runtimes on a signal; `undefined`: only a restart loads them. */
  readonly reload?: ReloadSignal;
  /**
   * The options `runtimeType`, `containerAnnotations` and `legacyConfig`
   * (nvidia-ctk-installer's containerd settings).
   */
  readonly runtimeOptions?: boolean;
  /**
   * What is wrong with a runtime name for this engine, if anything
   * (Kubernetes runtime handlers are DNS labels; containerd 1.x cannot read
   * a table key holding `"` or `]`).
   *
   * @param name A runtime name.
   * @returns The problem, in words, or `undefined`.
   */
  runtimeNameProblem(name: string): string | undefined;
}

/** A command and its arguments. */
export type CommandLine = readonly [command: string, args: readonly string[]];

/**
 * Files in a directory: the names in `dir` that match `pattern` (`*`, `?`
 * and `[…]` within one name), in lexical order; with `recursive`, the files
 * of its subdirectories too, each directory's entries in lexical order.
 */
export interface FileGlob {
  /** The directory. */
  readonly dir: string;
  /** The pattern of names. */
  readonly pattern: string;
  /** Whether subdirectories are walked too. */
  readonly recursive?: boolean;
}

/**
 * Where an engine keeps what the rules change, as lists of keys into its
 * effective configuration.
 */
export interface SettingKeys {
  /** The keys of a runtime's table. */
  runtime(name: string): string[];
  /** The keys of a runtime's executable. */
  runtimeExecutable(name: string): string[];
  /** The keys of the default runtime's name. */
  defaultRuntime: string[];
  /** The keys of the CDI switch, where the engine has one. */
  cdi?: string[];
  /** Settings rtconf keeps for itself (containerd's `version` and `imports`). */
  bookkeeping?: string[][];
}

/**
 * An engine's effective configuration, as one family of its releases reads
 * a set of files (containerd 1.x and 2.x merge imports differently), and
 * where the settings rtconf changes are in it.
 */
export interface EffectiveView {
  /** Who reads the files this way, for messages (`containerd 1.x`). */
  readonly reader: string;
  /** The parser that reader reads the files with. */
  readonly parser: EngineParser;
  /** The files it reads, in order (existing ones only). */
  readonly files: readonly string[];
  /** The configuration that reader uses. */
  readonly config: TomlTable;
  /** Where the settings rtconf changes are in `config`. */
  readonly keys: SettingKeys;
}

/**
 * A tool that generates the engine's main config from a template of its own
 * (k3s and rke2 for containerd): rtconf's edits of the generated file are
 * lost at its next start.
 */
export interface ConfigTemplate {
  /** Who generates the config, for messages. */
  readonly tool: string;
  /**
   * The templates the tool would read for this config, the one it reads first
   * first, and whether the config says it was generated.
   *
   * @param configPath The main config.
   * @param text Its text (`undefined`: missing).
   * @returns The candidate templates and whether the text was generated.
   */
  candidates(configPath: string, text: string | undefined): {
    templates: string[];
    generated: boolean;
  };
  /**
   * Plans the template instead of the config.
   *
   * @param texts The config's and the template's texts.
   * @param rules The rules.
   * @param options The config and the template.
   * @returns The plan: the template.
   */
  plan(
    texts: FileTexts,
    rules: readonly Rule[],
    options: { configPath: string; templatePath: string },
  ): Plan;
}

/**
 * One runtime an engine knows.
 */
export interface RuntimeStatus {
  /** Its name. */
  name: string;
  /** Its executable (`""` when the engine finds it by name). */
  path: string;
  /** The file that defines it (`""`: built into the engine). */
  file: string;
}

/**
 * Whether CDI is on, and why.
 */
export interface CdiStatus {
  /** On or off; `null` where it depends on the engine's version. */
  enabled: boolean | null;
  /** The file that sets it (`""`: the engine's own default). */
  file: string;
  /** The engine's default, in words, when no file sets it (e.g. `on in containerd 2.x, off in 1.x`). */
  engineDefault?: string;
}

/**
 * What an engine's configuration holds.
 *
 * @example Usage
 * ```ts
 * import { type EngineStatus, engineStatus } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const status: EngineStatus = await engineStatus("crio", []);
 * equal(status.defaultRuntime, "crun");
 * equal(status.defaultFile, "");
 * ```
 */
export interface EngineStatus {
  /** The engine. */
  engine: EngineName;
  /** The files read, in the order the engine reads them (existing ones only). */
  files: string[];
  /** The runtimes. */
  runtimes: RuntimeStatus[];
  /** The default runtime. */
  defaultRuntime: string;
  /** The file that sets it (`""`: the engine's built-in default). */
  defaultFile: string;
  /**
   * How the engine chooses its default, in words, when no file sets it and
   * the choice depends on the machine (podman: the first runtime installed).
   */
  engineDefault?: string;
  /** CDI. */
  cdi: CdiStatus;
  /**
   * A restart the engine still needs to load its configuration (the CLI
   * reads it from the host): since when (ISO 8601), and why it did not happen.
   */
  restartPending?: { since: string; reason: string };
}

/**
 * A file's path and text.
 *
 * @example Usage
 * ```ts
 * import { engineStatus, type FileText } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const file: FileText = { path: "/etc/crio/crio.conf", text: '[crio.runtime]\ndefault_runtime = "runc"\n' };
 * equal((await engineStatus("crio", [file])).defaultRuntime, "runc");
 * ```
 */
export interface FileText {
  /** The path. */
  path: string;
  /** The text. */
  text: string;
}

/**
 * A container engine's configuration handler.
 *
 * @example Usage
 * ```ts
 * import { loadEngine } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const crio = await loadEngine("crio");
 * equal(crio.defaults.dropInPath, "/etc/crio/crio.conf.d/99-nvidia.toml");
 * equal(crio.supports.cdi, false);
 * const [dropIn] = crio.plan({}, [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }], {
 *   configPath: crio.defaults.configPath,
 *   dropInPath: crio.defaults.dropInPath,
 * });
 * equal(dropIn.path, "/etc/crio/crio.conf.d/99-nvidia.toml");
 * ```
 */
export interface Engine<Options extends EngineOptions = EngineOptions> {
  /** The engine's name, as `--runtime` takes it. */
  readonly name: EngineName;
  /** The engine's name as people write it (`CRI-O`). */
  readonly title: string;
  /** Default paths, unit and runtime executable. */
  readonly defaults: EngineDefaults;
  /** What it supports. */
  readonly supports: EngineSupport;
  /** The tool that may generate its config from a template, if any. */
  readonly template?: ConfigTemplate;
  /**
   * The drop-in rtconf writes for a main config when none is given, where
   * that depends on the main config (podman: beside a rootless user's
   * `containers.conf`); without it, `defaults.dropInPath`.
   *
   * @param configPath The main config.
   * @returns The drop-in.
   */
  dropInFor?(configPath: string): string;
  /**
   * The commands that print the engine's effective config, tried in order;
   * none for an engine that has no such command.
   *
   * @param executable The engine's executable (`""`: found on `PATH`).
   * @returns The commands.
   */
  configCommands(executable: string): CommandLine[];
  /**
   * The files `plan`, `views` and `status` read, for these options: fixed
   * paths, and directories to list.
   *
   * @param options Where the configuration is.
   * @returns The paths and the globs.
   */
  files(options: Options): { paths: string[]; globs: FileGlob[] };
  /**
   * The files that a file the engine loads pulls in (containerd's
   * `imports`); they are read too, and what they pull in, and so on.
   *
   * @param path A file that was read.
   * @param text Its text.
   * @returns The globs to expand.
   */
  loads(path: string, text: string): FileGlob[];
  /**
   * The new text of every file, after applying the rules.
   *
   * @param texts The current texts of the paths `files` named.
   * @param rules What to change.
   * @param options Where the configuration is.
   * @returns The plan.
   * @throws {RtconfError} for a file rtconf cannot read or edit.
   */
  plan(texts: FileTexts, rules: readonly Rule[], options: Options): Plan;
  /**
   * Files rtconf keeps beside the configuration for itself, which the
   * engine does not read (Docker's restore record).
   *
   * @param options Where the configuration is.
   * @returns The paths.
   */
  records(options: Options): string[];
  /**
   * The engine's effective configuration of these files, once for each
   * family of releases that reads them differently: what the check before
   * writing compares.
   *
   * @param texts The files' texts (`undefined`: missing).
   * @param options Where the configuration is.
   * @returns The views.
   * @throws {RtconfError} for a file that does not parse.
   */
  views(texts: FileTexts, options: Options): EffectiveView[];
  /**
   * What the engine's configuration holds, from the files it loads.
   *
   * @param texts The files' texts (`undefined`: missing), as `files` and `loads` name them.
   * @param options Where the configuration is.
   * @returns The runtimes, the default and CDI, and which file sets each.
   * @throws {RtconfError} for a file that does not parse.
   */
  status(texts: FileTexts, options: Options): EngineStatus;
}
