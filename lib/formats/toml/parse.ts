/**
 * The strict TOML parser every TOML file goes through before rtconf edits it
 * and again before rtconf writes it.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { RtconfError } from "../../errors.ts";
import type { TomlTable, TomlValue } from "./values.ts";

/**
 * Parses TOML text strictly, integers as `bigint`. A byte order mark is
 * skipped.
 *
 * @example Usage
 * ```ts
 * import { parseToml } from "./parse.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 *
 * deepEqual(parseToml('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n', "/c.toml"), {
 *   version: 2n,
 *   plugins: { "io.containerd.grpc.v1.cri": {} },
 * });
 * throws(() => parseToml("a = \n", "/c.toml"), /\/c\.toml: invalid TOML at line 1, column 5: invalid value/);
 * ```
 *
 * @param text The text.
 * @param file The file it came from, for the error message.
 * @returns The root table.
 * @throws {RtconfError} one line naming the file, line and column.
 */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text.replace(/^\uFEFF/, ""), { integersAsBigInt: true }) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new RtconfError(
        `${file}: invalid TOML at line ${error.line}, column ${error.column}: ${reason}`,
      );
    }
    throw error;
  }
}

/**
 * Parses the text of one TOML value, such as `["a", "b"]` or `"runc"`.
 *
 * @example Usage
 * ```ts
 * import { parseValue } from "./parse.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * deepEqual(parseValue('["a", 1]'), ["a", 1n]);
 * equal(parseValue("[1,"), undefined);
 * ```
 *
 * @param text The value's text.
 * @returns The value, or `undefined` when the text is not one TOML value.
 */
export function parseValue(text: string): TomlValue | undefined {
  try {
    return parse(`x = ${text}`, { integersAsBigInt: true }).x as TomlValue;
  } catch {
    return undefined;
  }
}
