/**
 * The strict TOML parser every TOML file goes through before rtconf edits it
 * and again before rtconf writes it.
 *
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { RtconfError } from "../../errors.ts";
import { toml11Feature } from "./toml10.ts";
import { isTable, sameValue, setKey, type TomlTable, type TomlValue } from "./values.ts";

/** How many parsed texts {@linkcode parseToml} keeps, the most recently used. */
const KEPT = 8;
/** The texts parsed last, by text, with their values. */
const parsed = new Map<string, TomlTable>();

/** Makes a parsed value and everything in it read-only. */
function freeze(value: TomlValue): void {
  if (typeof value !== "object" || value instanceof Date) return;
  if (Array.isArray(value)) {
    for (const item of value) freeze(item);
  } else {
    for (const key in value) freeze(value[key]);
  }
  Object.freeze(value);
}

/**
 * A parsed value made read-only, with every table, array and value that is
 * equal to the one at the same place in `like` replaced by that one: the
 * result is `like` itself when the two are equal.
 */
function adopt(value: TomlValue, like: TomlValue | undefined): TomlValue {
  if (Array.isArray(value)) {
    const items = Array.isArray(like) ? like : undefined;
    let copy: TomlValue[] | undefined = items?.length === value.length ? undefined : [];
    for (let i = 0; i < value.length; i++) {
      const item = adopt(value[i], items?.[i]);
      if (copy === undefined && item !== items![i]) copy = items!.slice(0, i);
      copy?.push(item);
    }
    return copy === undefined ? like! : Object.freeze(copy) as TomlValue[];
  }
  if (isTable(value)) {
    const table = isTable(like) ? like : undefined;
    const keys = Object.keys(value);
    let copy: TomlTable | undefined = table && Object.keys(table).length === keys.length
      ? undefined
      : Object.create(null);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const before = table && Object.hasOwn(table, key) ? table[key] : undefined;
      const item = adopt(value[key], before);
      if (copy === undefined && item !== before) {
        copy = Object.create(null) as TomlTable;
        for (const earlier of keys.slice(0, i)) setKey(copy, earlier, table![earlier]);
      }
      if (copy !== undefined) setKey(copy, key, item);
    }
    return copy === undefined ? like! : Object.freeze(copy);
  }
  return like !== undefined && sameValue(value, like) ? like : value;
}

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
 * The values are read-only, and shared: the last few texts parsed are kept,
 * so that each file is parsed once however many steps of a plan read it
 * (the edited text of a file is another text, parsed afresh). A text parsed
 * afresh can share what it has in common with values read before (`like`,
 * e.g. what an edited file's text is to give): then the result is `like`
 * itself when the text gives just that.
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
 * @param like Values that the result shares what it has in common with.
 * @returns The root table.
 * @throws {RtconfError} one line naming the file, line and column.
 */
export function parseToml(text: string, file: string, like?: TomlTable): TomlTable {
  const known = parsed.get(text);
  if (known !== undefined) {
    parsed.delete(text);
    parsed.set(text, known);
    return known;
  }
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
  if (like === undefined) freeze(data);
  else data = adopt(data, like) as TomlTable;
  parsed.set(text, data);
  if (parsed.size > KEPT) parsed.delete(parsed.keys().next().value!);
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
