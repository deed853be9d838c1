/**
 * The engine interface: one implementation per container engine, each a pure
 * function from the files' current texts and the rules to a plan.
 *
 * @module
 */

import type { Plan } from "./plan.ts";
import type { Rule } from "./rules.ts";

/** The container engines rtconf configures. */
export type EngineName = "containerd" | "crio" | "docker";

/** The engines, in the order `--help` lists them. */
export const ENGINE_NAMES: readonly EngineName[] = ["containerd", "crio", "docker"];

/**
 * The current text of each file an engine reads, by path; `undefined` for a
 * file that does not exist.
 */
export type FileTexts = Readonly<Record<string, string | undefined>>;

/**
 * A container engine's configuration handler.
 *
 * `files` names what must be loaded; `plan` turns those texts and the rules
 * into the new text of every file. `plan` does no I/O, so it runs anywhere.
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
