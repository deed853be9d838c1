import { deepEqual, equal, notEqual, ok } from "node:assert/strict";
import { parseValue } from "./parse.ts";
import {
  copyValue,
  formatKey,
  formatString,
  formatValue,
  isTable,
  mergeTables,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "./values.ts";

Deno.test("isTable() is true for tables only", () => {
  ok(isTable({}));
  ok(isTable(Object.create(null)));
  for (const value of [[], new Date(0), null, undefined, "x", 1n, 1, true]) {
    equal(isTable(value), false);
  }
});

Deno.test("valueAt() follows keys through tables only", () => {
  const table: TomlTable = { a: { b: [{ c: 1n }], "d.e": "x" } };
  equal(valueAt(table, ["a", "d.e"]), "x");
  deepEqual(valueAt(table, []), table);
  equal(valueAt(table, ["a", "b", "0"]), undefined, "not into arrays");
  equal(valueAt(table, ["a", "toString"]), undefined, "own keys only");
  equal(valueAt(undefined, ["a"]), undefined);
});

Deno.test("copyValue() copies deeply", () => {
  const table: TomlTable = { a: { b: [1n, { c: "x" }] } };
  const copy = copyValue(table);
  ok(sameValue(copy, table));
  notEqual(copy.a, table.a);
  notEqual((copy.a as TomlTable).b, (table.a as TomlTable).b);
});

Deno.test("mergeTables() merges tables and lets the upper values and arrays win", () => {
  const base: TomlTable = { a: { b: 1n, c: [1n], d: { e: true } }, f: "x" };
  const over: TomlTable = { a: { c: [2n], d: { g: false } }, f: { h: 1n } };
  deepEqual(mergeTables(base, over), {
    a: { b: 1n, c: [2n], d: { e: true, g: false } },
    f: { h: 1n },
  });
  deepEqual(base, { a: { b: 1n, c: [1n], d: { e: true } }, f: "x" }, "base is not changed");
});

Deno.test("sameValue() compares type for type", () => {
  ok(sameValue({ a: [1n, "x"], b: { c: true } }, { b: { c: true }, a: [1n, "x"] }), "key order");
  ok(sameValue(NaN, NaN));
  ok(sameValue(parseValue("1979-05-27"), parseValue("1979-05-27")));
  equal(sameValue(1n, 1), false);
  equal(sameValue(0, -0), false);
  equal(sameValue("1", 1n), false);
  equal(sameValue([1n], [1n, 2n]), false);
  equal(sameValue({ a: 1n }, { a: 1n, b: 2n }), false);
  equal(sameValue({}, []), false);
  equal(sameValue(parseValue("1979-05-27"), "1979-05-27"), false);
  equal(sameValue(undefined, undefined), true);
  equal(sameValue(undefined, {}), false);
});

Deno.test("formatString() escapes what TOML must", () => {
  equal(formatString('a "b" \\ c'), '"a \\"b\\" \\\\ c"');
  equal(formatString("\b\t\n\f\r"), '"\\b\\t\\n\\f\\r"');
  equal(formatString("\u0000\u001b\u007f"), '"\\u0000\\u001B\\u007F"');
  equal(formatString("é 😀 #[]"), '"é 😀 #[]"');
});

Deno.test("formatKey() writes bare keys bare and quotes the rest", () => {
  equal(formatKey("runc"), "runc");
  equal(formatKey("Binary_Name-2"), "Binary_Name-2");
  equal(formatKey("io.containerd.grpc.v1.cri"), '"io.containerd.grpc.v1.cri"');
  equal(formatKey(""), '""');
  equal(formatKey("a b"), '"a b"');
});

Deno.test("formatValue() writes TOML 1.0 on one line", () => {
  equal(formatValue(2n), "2");
  equal(formatValue(2), "2.0");
  equal(formatValue(1e21), "1e+21");
  equal(formatValue(NaN), "nan");
  equal(formatValue(-Infinity), "-inf");
  equal(formatValue(-0), "-0.0");
  equal(formatValue([]), "[]");
  equal(formatValue({}), "{}");
  equal(formatValue({ "a.b": [true, { c: "d" }] }), '{ "a.b" = [true, { c = "d" }] }');
  equal(formatValue("it's", { literal: true }), '"it\'s"', "a literal string cannot hold '");
  equal(formatValue("a\nb", { literal: true }), '"a\\nb"');
});

Deno.test("parseValue(formatValue(v)) is v, in both quoting styles", () => {
  const values: TomlValue[] = [
    "",
    "it's",
    'say "hi"',
    "\\",
    "\u0000\u001f\u007f",
    "é😀",
    "line\nbreak",
    1n,
    -1n,
    9223372036854775807n,
    0,
    -0,
    1.5,
    -2.5e-10,
    1e21,
    5e-324,
    NaN,
    Infinity,
    -Infinity,
    true,
    false,
    [],
    [[]],
    {},
    { "a.b": { c: [1n, "x"] } },
    { "": 1n },
    [{ a: 1n }],
    parseValue("1979-05-27T07:32:00Z")!,
    parseValue("1979-05-27T07:32:00-07:00")!,
    parseValue("1979-05-27T07:32:00")!,
    parseValue("1979-05-27")!,
    parseValue("07:32:00")!,
  ];
  for (const value of values) {
    for (const literal of [false, true]) {
      const text = formatValue(value, { literal });
      ok(!text.includes("\n"), text);
      ok(sameValue(parseValue(text), value), `${Deno.inspect(value)} as ${text}`);
    }
  }
});
