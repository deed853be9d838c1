/**
 * The record beside `daemon.json` of what configure changed in it, which
 * unconfigure puts back. dockerd refuses unknown keys in `daemon.json`, so
 * the record cannot live in the file itself. Each entry says what rtconf
 * wrote and what was there before; an entry whose value the file no longer
 * holds is no longer true and is dropped.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";

/** A JSON value that a record keeps of what was there before. */
export type Previous = string | number | boolean | null;

/**
 * What configure changed in `daemon.json`.
 */
export interface DockerRestore {
  /**
   * The runtimes rtconf added (no `was`) or whose path it changed (`was`:
   * the path before), with the path it wrote.
   */
  runtimes?: Record<string, { set: string; was?: string }>;
  /** Present when rtconf created the `runtimes` object. */
  runtimesAdded?: true;
  /** The default rtconf set, and the one before (`null`: none). */
  "default-runtime"?: { set: string; was: string | null };
  /** `features.cdi` before rtconf turned it on (`null`: none), and whether it created `features`. */
  cdi?: { was: Previous; featuresAdded?: true };
  /** The file's text when configure found it empty (`null`: there was no file). */
  text?: string | null;
}

/**
 * Where rtconf keeps what unconfigure puts back into a `daemon.json`.
 *
 * @example Usage
 * ```ts
 * import { restorePath } from "./restore.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(restorePath("/etc/docker/daemon.json"), "/etc/docker/daemon.json.rtconf-restore.json");
 * ```
 *
 * @param configPath The daemon.json.
 * @returns The restore file beside it.
 */
export function restorePath(configPath: string): string {
  return `${configPath}.rtconf-restore.json`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The restore file's record, or an empty one when there is no file.
 *
 * @example Usage
 * ```ts
 * import { readRestore } from "./restore.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * const text = '{"default-runtime": {"set": "nvidia", "was": "runc"}}';
 * deepEqual(readRestore(text, "/r.json"), { "default-runtime": { set: "nvidia", was: "runc" } });
 * deepEqual(readRestore(undefined, "/r.json"), {});
 * throws(() => readRestore("[]", "/r.json"), /not rtconf's restore record/);
 * ```
 *
 * @param text The file's text (`undefined`: no file).
 * @param path The file, for the message.
 * @returns The record.
 * @throws {RtconfError} when the file is not a record rtconf wrote.
 */
export function readRestore(text: string | undefined, path: string): DockerRestore {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const entries = isObject(value) ? value : undefined;
  const valid = entries !== undefined &&
    (entries.runtimes === undefined || isObject(entries.runtimes)) &&
    (entries["default-runtime"] === undefined || isObject(entries["default-runtime"])) &&
    (entries.cdi === undefined || isObject(entries.cdi));
  if (!valid) {
    throw new RtconfError(
      `${path}: not rtconf's restore record (a JSON object of what it changed); remove it or fix it`,
    );
  }
  return entries as DockerRestore;
}
