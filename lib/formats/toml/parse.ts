/**
 * The strict TOML parser every TOML file goes through before rtconf edits it
 * and again before rtconf writes it.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { RtconfError } from "../../errors.ts";
import { toml11Feature } from "./toml10.ts";
import type { TomlTable, TomlValue } from "./values.ts";

/** `line L, column C` of an offset (columns count characters, a byte order mark not). */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).replace(/^\uFEFF/, "");
  const line = before.split("\n").length;
  return `line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}

/**
 * Parses TOML text strictly, as TOML 1.0 (what containerd's and CRI-O's
 * parsers read), integers as `bigint`. A byte order mark is skipped.
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
 * throws(() => parseToml('a = 1\nb = "\\x41"\n', "/c.toml"), /line 2, column 6: the escape \\x \(TOML 1\.1\)/);
 * ```
 *
 * @param text The text.
 * @param file The file it came from, for the error message.
 * @returns The root table.
 * @throws {RtconfError} one line naming the file, line and column.
 */
export function parseToml(text: string, file: string): TomlTable {
  let data: TomlTable;
  try {
    data = parse(text.replace(/^\uFEFF/, ""), { integersAsBigInt: true }) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new RtconfError(
        `${file}: invalid TOML at line ${error.line}, column ${error.column}: ${reason}`,
      );
    }
    throw error;
  }
  const feature = toml11Feature(text);
  if (feature) {
    throw new RtconfError(
      `${file}: invalid TOML at ${
        position(text, feature.offset)
      }: ${feature.reason}; containerd, CRI-O and podman read TOML 1.0`,
    );
  }
  return data;
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
