import { deepEqual, equal, notEqual, ok, throws } from "node:assert/strict";
import { parse } from "smol-toml";
import { RtconfError } from "../../errors.ts";
import { parseToml, parseValue } from "./parse.ts";
import { sameValue, type TomlValue } from "./values.ts";

const FILE = "/etc/containerd/config.toml";

Deno.test("parseToml() gives integers as bigint and floats as number", () => {
  const data = parseToml(
    'version = 2\nratio = 0.5\nhuge = 9_223_372_036_854_775_807\nname = "x"\n',
    FILE,
  );
  deepEqual({ ...data }, { version: 2n, ratio: 0.5, huge: 9223372036854775807n, name: "x" });
});

Deno.test("parseToml() skips a byte order mark", () => {
  deepEqual({ ...parseToml("\uFEFFversion = 2\n", FILE) }, { version: 2n });
  deepEqual({ ...parseToml("\uFEFF", FILE) }, {});
});

Deno.test("parseToml() of empty and comment-only texts is an empty table", () => {
  for (const text of ["", "\n", "# only a comment", "\r\n# x\r\n"]) {
    deepEqual({ ...parseToml(text, FILE) }, {});
  }
});

Deno.test("parseToml() errors are one line naming the file, line and column", () => {
  const cases: [string, string][] = [
    ["version = \n", "line 1, column 11: invalid value"],
    ["a = 1\na = 2\n", "line 2, column 1: trying to redefine an already defined table or value"],
    ["[a]\nb = 1\n[a]\n", "line 3, column 2: trying to redefine an already defined table or value"],
    ['a = "x\n', "line 1, column 7: control characters are not allowed in strings"],
    ["a = 1\n\n  [b\n", "line 3, column 5: illegal character in key"],
    ["a = 1\r\nb = = 2\r\n", "line 2, column 5: invalid value"],
    ["x = [1,\n 2,\n oops]\n", "line 3, column 2: invalid value"],
    [
      "a = 1 b = 2\n",
      "line 1, column 7: each key-value declaration must be followed by an end-of-line",
    ],
    // The column does not count a byte order mark.
    ["\uFEFFversion = \n", "line 1, column 11: invalid value"],
  ];
  for (const [text, where] of cases) {
    throws(() => parseToml(text, FILE), new RtconfError(`${FILE}: invalid TOML at ${where}`), text);
  }
});

Deno.test("parseValue() parses the text of one value", () => {
  const cases: [string, TomlValue][] = [
    ['"runc"', "runc"],
    ["'C:\\path'", "C:\\path"],
    ['"""\nmulti\nline"""', "multi\nline"],
    ["2", 2n],
    ["0x10", 16n],
    ["0o755", 493n],
    ["1e3", 1000],
    ["inf", Infinity],
    ["true", true],
    ['["a", 1]', ["a", 1n]],
    ["[\n  1, # a comment\n  2,\n]", [1n, 2n]],
    ["{ a = { b = [] } }", { a: { b: [] } }],
    ["  1  ", 1n],
  ];
  for (const [text, value] of cases) ok(sameValue(parseValue(text), value), text);
  const date = parseValue("1979-05-27 07:32:00Z");
  ok(date instanceof Date);
  equal(date.toISOString(), "1979-05-27T07:32:00.000Z");
});

Deno.test("parseValue() is undefined for text that is not a value", () => {
  for (
    const text of [
      "",
      "runc",
      "-0x10",
      "[1,",
      '"a',
      "1 2",
      "a = 1",
      "{ a = 1",
      "[1] [2]",
      "=",
      "# c",
    ]
  ) {
    equal(parseValue(text), undefined, text);
  }
});

Deno.test("parseToml() gives the same read-only values for the same text", () => {
  const text = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\nsnapshotter = "x"\n';
  const data = parseToml(text, FILE);
  equal(parseToml(`${text}`, "/another/path.toml"), data);
  throws(() => {
    (data as Record<string, unknown>).version = 3n;
  }, TypeError);
  throws(() => {
    (data.plugins as Record<string, unknown>).x = 1n;
  }, TypeError);
});

Deno.test("parseToml() refuses every TOML 1.1 feature and integer beyond 64 bits", () => {
  // After a config's worth of TOML 1.0, which alone needs no closer look.
  const config = '[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "pause:3.9"\n';
  const cases: [string, string][] = [
    ["a = { b = 1,\n  c = 2 }\n", "a newline in an inline table (TOML 1.1)"],
    ["a = { b = 1, }\n", "a comma before the end of an inline table (TOML 1.1)"],
    ['a = "\\e[0m"\n', "the escape \\e (TOML 1.1)"],
    ['a = "\\x41"\n', "the escape \\x (TOML 1.1)"],
    ["a = 07:32\n", "a time without seconds (TOML 1.1)"],
    ["a = 1979-05-27T07:32Z\n", "a time without seconds (TOML 1.1)"],
    ["a = 9223372036854775808\n", "an integer beyond 64 bits"],
    ["a = -9_223_372_036_854_775_809\n", "an integer beyond 64 bits"],
    ["a = 0x8000000000000000\n", "an integer beyond 64 bits"],
    ["a = 0o1000000000000000000000\n", "an integer beyond 64 bits"],
    [`a = 0b1${"0".repeat(63)}\n`, "an integer beyond 64 bits"],
  ];
  for (const [line, reason] of cases) {
    throws(
      () => parseToml(line + config, FILE),
      new RegExp(`line 1, column \\d+: ${reason.replace(/[()\\]/g, "\\$&")}`),
      line,
    );
  }
  for (const line of ["a = 9223372036854775807\n", "a = 0x7fffffffffffffff\n", "a = 07:32:00\n"]) {
    equal(typeof parseToml(line + config, FILE).a, line.includes(":") ? "object" : "bigint", line);
  }
});

Deno.test("parseToml() with values to share gives them back where the text gives the same", () => {
  const text = 'a = [1, 2]\n[t.u]\nx = "y"\n[t.v]\nz = 1979-05-27\n[w]\nn = 1.5\n';
  const like = parseToml(text, FILE);
  const edited = text.replace("n = 1.5", "n = 2.5");
  const data = parseToml(edited, FILE, like);
  ok(sameValue(data, parse(edited, { integersAsBigInt: true }) as TomlValue));
  equal(data.a, like.a);
  equal(data.t, like.t);
  notEqual(data.w, like.w);
  equal((data.w as Record<string, unknown>).n, 2.5);
  throws(() => {
    (data.w as Record<string, unknown>).n = 1;
  }, TypeError);
  // A text that gives the same values gives back those values themselves.
  equal(parseToml(text.replace("x = ", "x   =  "), FILE, like), like);
});
