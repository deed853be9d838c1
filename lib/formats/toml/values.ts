/**
 * TOML values as the parser gives them, and their TOML 1.0 text.
 *
 * @module
 */

/**
 * A TOML table: keys in file order. Integers are `bigint`, floats `number`.
 */
export type TomlTable = { [key: string]: TomlValue };
/**
 * Any TOML value; dates and times are the parser's `Date` subclass.
 */
export type TomlValue = string | bigint | number | boolean | Date | TomlValue[] | TomlTable;

/**
 * Whether a value is a table (not an array, not a date).
 *
 * @example Usage
 * ```ts
 * import { isTable } from "./values.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isTable({}), true);
 * equal(isTable([]), false);
 * ```
 *
 * @param value The value.
 * @returns `true` for a table.
 */
export function isTable(value: unknown): value is TomlTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/**
 * The value under a list of keys, one per level of nested tables.
 *
 * @example Usage
 * ```ts
 * import { valueAt } from "./values.ts";
 * import { equal } from "node:assert/strict";
 *
 * const config = { plugins: { cri: { enable_cdi: true } } };
 * equal(valueAt(config, ["plugins", "cri", "enable_cdi"]), true);
 * equal(valueAt(config, ["plugins", "cri", "enable_cdi", "x"]), undefined);
 * ```
 *
 * @param table The root table.
 * @param keys The keys.
 * @returns The value, or `undefined` where the keys do not lead to one.
 */
export function valueAt(
  table: TomlTable | undefined,
  keys: readonly string[],
): TomlValue | undefined {
  let value: TomlValue | undefined = table;
  for (const key of keys) {
    if (!isTable(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * A deep copy of a value.
 *
 * @example Usage
 * ```ts
 * import { copyValue } from "./values.ts";
 * import { notEqual } from "node:assert/strict";
 *
 * const table = { options: { SystemdCgroup: true } };
 * notEqual(copyValue(table).options, table.options);
 * ```
 *
 * @param value The value.
 * @returns The copy.
 */
export function copyValue<T extends TomlValue>(value: T): T {
  if (Array.isArray(value)) return value.map(copyValue) as T;
  if (isTable(value)) {
    const copy: TomlTable = {};
    for (const [key, item] of Object.entries(value)) copy[key] = copyValue(item);
    return copy as T;
  }
  return value;
}

/**
 * Merges `over` into a copy of `base`, table by table (values and arrays of
 * `over` win), as containerd 2.1 merges imported files.
 *
 * @example Usage
 * ```ts
 * import { mergeTables } from "./values.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(mergeTables({ a: { b: 1n, c: [1n] } }, { a: { c: [2n] } }), { a: { b: 1n, c: [2n] } });
 * ```
 *
 * @param base The lower table.
 * @param over The upper table.
 * @returns The merged copy.
 */
export function mergeTables(base: TomlTable, over: TomlTable): TomlTable {
  const merged = copyValue(base);
  for (const [key, value] of Object.entries(over)) {
    const under = merged[key];
    merged[key] = isTable(under) && isTable(value) ? mergeTables(under, value) : copyValue(value);
  }
  return merged;
}

/**
 * `over` laid over `base`, table by table (values and arrays of `over` win),
 * as {@linkcode mergeTables} merges them, without copying: the result shares
 * every table and value it does not change with `base` and `over`, so all
 * three are to be read only.
 *
 * @example Usage
 * ```ts
 * import { overlayTables } from "./values.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const base = { a: { b: 1n }, d: { e: true } };
 * const merged = overlayTables(base, { a: { c: [2n] } });
 * deepEqual(merged, { a: { b: 1n, c: [2n] }, d: { e: true } });
 * equal(merged.d, base.d);
 * ```
 *
 * @param base The lower table.
 * @param over The upper table.
 * @returns The merged table.
 */
export function overlayTables(base: TomlTable, over: TomlTable): TomlTable {
  const merged: TomlTable = { ...base };
  for (const key of Object.keys(over)) {
    const under = Object.hasOwn(base, key) ? base[key] : undefined;
    const value = over[key];
    setKey(merged, key, isTable(under) && isTable(value) ? overlayTables(under, value) : value);
  }
  return merged;
}

/**
 * Sets a key of a table as an own value, whatever its name (`__proto__` too).
 *
 * @example Usage
 * ```ts
 * import { setKey } from "./values.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const table = {};
 * setKey(table, "__proto__", 1n);
 * deepEqual(Object.keys(table), ["__proto__"]);
 * ```
 *
 * @param table The table.
 * @param key The key.
 * @param value The value.
 */
export function setKey(table: TomlTable, key: string, value: TomlValue): void {
  if (key === "__proto__") {
    Object.defineProperty(table, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    table[key] = value;
  }
}

/**
 * Whether two values are equal, type for type (`1` the integer is not `1.0`).
 *
 * @example Usage
 * ```ts
 * import { sameValue } from "./values.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(sameValue({ a: [1n] }, { a: [1n] }), true);
 * equal(sameValue(1n, 1), false);
 * ```
 *
 * @param a A value.
 * @param b Another.
 * @returns `true` when equal.
 */
export function sameValue(a: TomlValue | undefined, b: TomlValue | undefined): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.toISOString() === b.toISOString();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]));
  }
  if (isTable(a) || isTable(b)) {
    if (!isTable(a) || !isTable(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]));
  }
  return Object.is(a, b);
}

const ESCAPES: Record<string, string> = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
  '"': '\\"',
  "\\": "\\\\",
};

/**
 * A basic (double-quoted) TOML string.
 *
 * @example Usage
 * ```ts
 * import { formatString } from "./values.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(formatString('a "b"\n'), '"a \\"b\\"\\n"');
 * ```
 *
 * @param value The string.
 * @returns Its TOML text.
 */
export function formatString(value: string): string {
  return `"${
    value.replace(
      // deno-lint-ignore no-control-regex -- TOML escapes control characters
      /[\u0000-\u001f"\\\u007f]/g,
      (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`,
    )
  }"`;
}

/**
 * A key part: bare where TOML allows it, else a basic string.
 *
 * @example Usage
 * ```ts
 * import { formatKey } from "./values.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(formatKey("runc"), "runc");
 * equal(formatKey("io.containerd.grpc.v1.cri"), '"io.containerd.grpc.v1.cri"');
 * ```
 *
 * @param key The key.
 * @returns Its TOML text.
 */
export function formatKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : formatString(key);
}

/** How new values are written: `literal` prefers single-quoted strings. */
export interface ValueStyle {
  /** Write strings as `'literal'` where they can be. */
  literal?: boolean;
}

/**
 * A value's TOML 1.0 text, on one line (tables inline).
 *
 * @example Usage
 * ```ts
 * import { formatValue } from "./values.ts";
 * import { parse } from "smol-toml";
 * import { equal } from "node:assert/strict";
 *
 * equal(formatValue(["a", 2n, 1, { x: true }]), '["a", 2, 1.0, { x = true }]');
 * equal(formatValue(parse("d = 1979-05-27").d as Date), "1979-05-27 ");
 * equal(formatValue("/usr/bin", { literal: true }), "'/usr/bin'");
 * ```
 *
 * @param value The value.
 * @param style Quoting preferences.
 * @returns Its TOML text.
 */
export function formatValue(value: TomlValue, style: ValueStyle = {}): string {
  switch (typeof value) {
    case "string":
      // deno-lint-ignore no-control-regex -- literal strings cannot hold control characters
      return style.literal && !/['\u0000-\u001f\u007f]/.test(value)
        ? `'${value}'`
        : formatString(value);
    case "bigint":
    case "boolean":
      return String(value);
    case "number":
      if (Number.isNaN(value)) return "nan";
      if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
      if (Object.is(value, -0)) return "-0.0";
      return Number.isInteger(value) && !/e/.test(String(value)) ? `${value}.0` : String(value);
  }
  if (value instanceof Date) {
    // containerd 1.x's parser (go-toml v1) reads a local date only when a space follows it.
    const text = value.toISOString();
    return /^\d{4}-\d\d-\d\d$/.test(text) ? `${text} ` : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => formatValue(item, style)).join(", ")}]`;
  const items = Object.entries(value).map(([k, v]) => `${formatKey(k)} = ${formatValue(v, style)}`);
  return items.length ? `{ ${items.join(", ")} }` : "{}";
}
