/**
 * The record beside `daemon.json` of what configure changed in it and
 * unconfigure puts back. dockerd refuses unknown keys in `daemon.json`, so
 * the record cannot live in the file itself.
 *
 * @module
 */

import { RtconfError } from "../../errors.ts";

/**
 * What configure changed in `daemon.json` and unconfigure puts back: the
 * previous `default-runtime` and `features.cdi` (`null`: there was none),
 * kept in a file beside the config because dockerd refuses unknown keys in
 * daemon.json.
 */
export type DockerRestore = {
  /** The `default-runtime` before configure changed it. */
  "default-runtime"?: string;
  /** `features.cdi` before configure set it; `null`: there was none. */
  "features.cdi"?: string | number | boolean | null;
  /** Present when configure created the `features` object. */
  features?: null;
  /** The file's text when configure found it empty (`null`: there was no file). */
  text?: string | null;
};

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

/**
 * The restore file's record, or an empty one when there is no file.
 *
 * @example Usage
 * ```ts
 * import { readRestore } from "./restore.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * deepEqual(readRestore('{"default-runtime": "runc"}', "/r.json"), { "default-runtime": "runc" });
 * deepEqual(readRestore(undefined, "/r.json"), {});
 * throws(() => readRestore("[]", "/r.json"), /not rtconf's restore record/);
 * ```
 *
 * @param text The file's text (`undefined`: no file).
 * @param path The file, for the message.
 * @returns The record.
 * @throws {RtconfError} when the file is not a JSON object.
 */
export function readRestore(text: string | undefined, path: string): DockerRestore {
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new RtconfError(
    `${path}: not rtconf's restore record (a JSON object); remove it or fix it`,
  );
}
