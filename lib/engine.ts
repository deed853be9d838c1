/**
 * The engine interface: one implementation per container engine, each a pure
 * function from the files' current texts and the rules to a plan.
 *
 * @module
 */

import type { Plan } from "./plan.ts";
import type { Rule } from "./rules.ts";

/**
 * The container engines rtconf configures.
 *
 * @example Usage
 * ```ts
 * import type { EngineName } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const engine: EngineName = "crio";
 * equal(engine, "crio");
 * ```
 */
export type EngineName = "containerd" | "crio" | "docker";

/**
 * The engines, in the order `--help` lists them.
 *
 * @example Usage
 * ```ts
 * import { ENGINE_NAMES } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(ENGINE_NAMES.includes("docker"), true);
 * ```
 */
export const ENGINE_NAMES: readonly EngineName[] = ["containerd", "crio", "docker"];

/**
 * The default config file of each engine.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_CONFIG } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(DEFAULT_CONFIG.containerd, "/etc/containerd/config.toml");
 * ```
 */
export const DEFAULT_CONFIG: Readonly<Record<EngineName, string>> = {
  containerd: "/etc/containerd/config.toml",
  crio: "/etc/crio/crio.conf",
  docker: "/etc/docker/daemon.json",
};

/**
 * The default drop-in file of each engine; docker has none (`""`).
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_DROP_IN } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(DEFAULT_DROP_IN.crio, "/etc/crio/crio.conf.d/99-nvidia.toml");
 * ```
 */
export const DEFAULT_DROP_IN: Readonly<Record<EngineName, string>> = {
  containerd: "/etc/containerd/conf.d/99-nvidia.toml",
  crio: "/etc/crio/crio.conf.d/99-nvidia.toml",
  docker: "",
};

/**
 * The current text of each file an engine reads, by path; `undefined` for a
 * file that does not exist.
 *
 * @example Usage
 * ```ts
 * import type { FileTexts } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const texts: FileTexts = { "/etc/docker/daemon.json": "{}\n", "/etc/missing.toml": undefined };
 * equal(texts["/etc/missing.toml"], undefined);
 * ```
 */
export type FileTexts = Readonly<Record<string, string | undefined>>;

/**
 * A container engine's configuration handler.
 *
 * `files` names what must be loaded; `plan` turns those texts and the rules
 * into the new text of every file. `plan` does no I/O, so it runs anywhere.
 *
 * @example Usage
 * ```ts
 * import { type Engine, type ContainerdOptions, containerd } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const engine: Engine<ContainerdOptions> = containerd;
 * equal(engine.name, "containerd");
 * ```
 */
export interface Engine<Options> {
  /** The engine's name. */
  readonly name: EngineName;
  /**
   * The paths `plan` reads, for these options.
   *
   * @param options The engine's options.
   * @returns The paths to load.
   */
  files(options: Options): string[];
  /**
   * The new text of every file, after applying the rules.
   *
   * @param texts The current texts of the paths `files` named.
   * @param rules What to change.
   * @param options The engine's options.
   * @returns The plan.
   */
  plan(texts: FileTexts, rules: readonly Rule[], options: Options): Plan;
}
