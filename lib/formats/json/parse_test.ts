import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { parseTree } from "jsonc-parser";
import { RtconfError } from "../../errors.ts";
import { describeType, notAnObject, parseJsonConfig, parseJsonTree, where } from "./parse.ts";

const FILE = "/etc/docker/daemon.json";
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A fixture's text, byte order mark kept. */
function fixture(name: string): string {
  return decoder.decode(Deno.readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
}

/** The message of the error `fn` throws. */
function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    ok(error instanceof RtconfError, String(error));
    ok(!error.message.includes("\n"), `not one line: ${error.message}`);
    return error.message;
  }
  throw new Error("no error");
}

Deno.test("parseJsonTree() keeps every value's offset and length", () => {
  const text = '{\n  "a": [1, {"b": null}]\n}';
  const root = parseJsonTree(text, FILE)!;
  equal(root.type, "object");
  const value = root.children![0].children![1];
  equal(text.slice(value.offset, value.offset + value.length), '[1, {"b": null}]');
});

Deno.test("parseJsonTree() of blank text has no value", () => {
  for (const text of ["", " ", "\n\r\n\t"]) equal(parseJsonTree(text, FILE), undefined);
});

Deno.test("parseJsonTree() rejects comments, naming where they start", () => {
  equal(
    message(() => parseJsonTree('{\n  // the runtime\n  "a": 1\n}', FILE)),
    `${FILE}: invalid JSON at line 2, column 3: comments are not allowed in JSON`,
  );
  equal(
    message(() => parseJsonTree('{\n  "a": 1 /* one */\n}', FILE)),
    `${FILE}: invalid JSON at line 2, column 10: comments are not allowed in JSON`,
  );
  equal(
    message(() => parseJsonTree('{"a": 1}\n# a hash comment\n', FILE)),
    `${FILE}: invalid JSON at line 2, column 1: unexpected character '#'`,
  );
});

Deno.test("parseJsonTree() rejects trailing commas in objects and arrays", () => {
  equal(
    message(() => parseJsonTree('{\n  "a": 1,\n}\n', FILE)),
    `${FILE}: invalid JSON at line 3, column 1: trailing comma before '}'`,
  );
  equal(
    message(() => parseJsonTree('{"a": [1, 2,]}', FILE)),
    `${FILE}: invalid JSON at line 1, column 13: trailing comma before ']'`,
  );
  equal(
    message(() => parseJsonTree('{\r\n\t"a": {"b": 1,\r\n\t}\r\n}', FILE)),
    `${FILE}: invalid JSON at line 3, column 2: trailing comma before '}'`,
  );
});

Deno.test("parseJsonTree() errors name the line, the column and the reason", () => {
  const cases: [string, string][] = [
    ['{"a": 1} x', "line 1, column 10: unexpected character 'x'"],
    ['{"a": 01}', "line 1, column 8: expected ',' or a closing bracket, found '1'"],
    ['{"a": "\t"}', "line 1, column 7: control character in string"],
    ["{'a': 1}", "line 1, column 2: unexpected character '''"],
    ['{"a": NaN}', "line 1, column 7: unexpected character 'N'"],
    ['{"a": 1 "b": 2}', "line 1, column 9: expected ',' or a closing bracket, found '\"'"],
    ['{"a" 1}', "line 1, column 6: expected ':' after the property name, found '1'"],
    ['{"a": 1', "line 1, column 8: expected ',' or '}', found the end of the file"],
    ['{"a": "x', "line 1, column 7: unterminated string"],
    ['{"a": "\\q"}', "line 1, column 7: invalid escape in string"],
    ['{"a": "\\u12"}', "line 1, column 7: invalid \\u escape in string"],
    ['{"a": 1}\n{"b": 2}', "line 2, column 1: unexpected '{' after the top-level value"],
    ['{"a": 1.}', "line 1, column 7: invalid number"],
    // Columns count characters, not UTF-16 code units.
    ['{"😀": 1,}', "line 1, column 9: trailing comma before '}'"],
  ];
  for (const [text, expected] of cases) {
    equal(message(() => parseJsonTree(text, FILE)), `${FILE}: invalid JSON at ${expected}`, text);
  }
});

Deno.test("parseJsonTree() gives top-level values that are not objects", () => {
  equal(parseJsonTree("[]", FILE)?.type, "array");
  equal(parseJsonTree("null", FILE)?.type, "null");
});

Deno.test("parseJsonConfig() skips a byte order mark", () => {
  const text = fixture("bom.json.txt");
  ok(text.startsWith("\uFEFF"), "testdata/bom.json.txt lost its byte order mark");
  deepEqual(parseJsonConfig(text, FILE), { "log-level": "warn" });
  deepEqual(parseJsonConfig("\uFEFF", FILE), {});
  deepEqual(parseJsonConfig("\uFEFF \n", FILE), {});
  // Positions count from after the mark.
  equal(
    message(() => parseJsonConfig('\uFEFF{\n  "a": 1,\n}', FILE)),
    `${FILE}: invalid JSON at line 3, column 1: trailing comma before '}'`,
  );
  // Only one mark is skipped.
  equal(
    message(() => parseJsonConfig('\uFEFF\uFEFF{"a": 1}', FILE)),
    `${FILE}: invalid JSON at line 1, column 1: unexpected character U+FEFF`,
  );
});

Deno.test("parseJsonConfig() reads blank text as {}", () => {
  for (const text of ["", "  ", "\n", "\r\n"]) deepEqual(parseJsonConfig(text, FILE), {});
});

Deno.test("parseJsonConfig() rejects top-level values that are not objects", () => {
  const cases: [string, string][] = [
    ["[]", "line 1, column 1 is an array"],
    ["null", "line 1, column 1 is null"],
    ['\n  "runc"', "line 2, column 3 is a string"],
    ["42", "line 1, column 1 is a number"],
    ["true", "line 1, column 1 is a boolean"],
  ];
  for (const [text, expected] of cases) {
    equal(
      message(() => parseJsonConfig(text, FILE)),
      `${FILE}: the top-level value at ${expected}, not an object`,
      text,
    );
  }
});

Deno.test("parseJsonConfig() reads every fixture as JSON.parse does", () => {
  for (const item of Deno.readDirSync(new URL("./testdata/", import.meta.url))) {
    const text = fixture(item.name);
    deepEqual(parseJsonConfig(text, FILE), JSON.parse(text.replace(/^\uFEFF/, "")), item.name);
  }
});

Deno.test("where() counts lines and characters from 1", () => {
  const text = "a\nbc😀d\r\ne";
  equal(where(text, 0), "line 1, column 1");
  equal(where(text, 2), "line 2, column 1");
  equal(where(text, text.indexOf("d")), "line 2, column 4");
  equal(where(text, text.indexOf("e")), "line 3, column 1");
  equal(where(text, text.length), "line 3, column 2");
});

Deno.test("describeType() and notAnObject() phrase a value's type", () => {
  const types: [string, string][] = [
    ["{}", "an object"],
    ["[]", "an array"],
    ['"x"', "a string"],
    ["1.5", "a number"],
    ["false", "a boolean"],
    ["null", "null"],
  ];
  for (const [text, phrase] of types) equal(describeType(parseTree(text)!), phrase, text);
  const error = notAnObject(" [1]", parseTree(" [1]")!, FILE);
  ok(error instanceof RtconfError);
  equal(
    error.message,
    `${FILE}: the top-level value at line 1, column 2 is an array, not an object`,
  );
  throws(() => {
    throw error;
  }, RtconfError);
});
