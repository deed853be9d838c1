import { equal } from "node:assert/strict";
import { NOTE_PREFIX, noteBody, noteValue } from "./notes.ts";
import { sameValue, type TomlValue } from "./values.ts";

Deno.test("NOTE_PREFIX is a TOML comment", () => {
  equal(NOTE_PREFIX, "# rtconf: ");
});

Deno.test("noteBody() is a word alone", () => {
  equal(noteBody("added"), "added");
  equal(noteBody("added # kept by hand"), "added");
  equal(noteBody("added "), "added");
  equal(noteBody(""), "");
});

Deno.test("noteBody() is a word and one value, without what follows", () => {
  const cases: [string, string][] = [
    ['was "runc"', 'was "runc"'],
    ['was "runc" # the site default', 'was "runc"'],
    ['was "runc" and more words', 'was "runc"'],
    ["was 'runc' # literal", "was 'runc'"],
    ['was "a # not a comment" # a comment', 'was "a # not a comment"'],
    ['was "say \\"hi\\"" # escaped quotes', 'was "say \\"hi\\""'],
    ["was 2", "was 2"],
    ["was -1.5e3 # float", "was -1.5e3"],
    ["was false", "was false"],
    ["was 1979-05-27 07:32:00Z # a date-time with a space", "was 1979-05-27 07:32:00Z"],
    ['was ["a", "b"] # an array', 'was ["a", "b"]'],
    ['was ["]", "#"] # brackets and hashes in strings', 'was ["]", "#"]'],
    ["was { a = 1, b = [2] } # an inline table", "was { a = 1, b = [2] }"],
    ['added "/etc/containerd/conf.d/*.toml"', 'added "/etc/containerd/conf.d/*.toml"'],
  ];
  for (const [body, note] of cases) equal(noteBody(body), note, body);
});

// A note is a comment: anyone may have written anything after `# rtconf: `.
// Before the fix, `scan()` looped forever on an unclosed `[` or `{` and
// overflowed the stack on an unclosed `'` inside an array. Such a note is
// taken whole, as an unclosed `"` always was, and holds no value.
Deno.test("noteBody() ends on comments that hold no whole value", () => {
  const cases: [string, string][] = [
    ["was [", "was ["],
    ["was [1, 2", "was [1, 2"],
    ["was [}", "was [}"],
    ["was [[[", "was [[["],
    ["was [1 2]", "was [1 2]"],
    ["was {", "was {"],
    ["was {{", "was {{"],
    ["was { a = ", "was { a = "],
    ["was { = }", "was { = }"],
    ["was ['a", "was ['a"],
    ["was 'a", "was 'a"],
    ['was "a', 'was "a'],
    ['was """a', 'was """a'],
    ["was ]", "was"],
  ];
  for (const [body, note] of cases) {
    equal(noteBody(body), note, body);
    equal(noteValue(noteBody(body)), undefined, body);
  }
});

Deno.test("noteValue() parses the value of a note", () => {
  const cases: [string, TomlValue | undefined][] = [
    ['was "runc"', "runc"],
    ["was 'C:\\path'", "C:\\path"],
    ["was 2", 2n],
    ["was 2.0", 2],
    ["was true", true],
    ['was ["a", 1]', ["a", 1n]],
    ["was { a = { b = 1 } }", { a: { b: 1n } }],
    ['added "/etc/containerd/conf.d/*.toml"', "/etc/containerd/conf.d/*.toml"],
    ["added", undefined],
    ["was", undefined],
    ["was [1,", undefined],
    ["was runc", undefined],
  ];
  for (const [note, value] of cases) {
    const parsed = noteValue(note);
    equal(sameValue(parsed, value), true, `${note}: ${Deno.inspect(parsed)}`);
  }
});

Deno.test("noteValue(noteBody()) gives back the value after any comment", () => {
  const values: TomlValue[] = ["runc", "a # b", 'q"uote', 7n, 0.5, false, ["x", ["y"]], { k: "v" }];
  for (const value of values) {
    const text = Deno.inspect(value); // only for the message
    for (const tail of ["", " # a comment", " #"]) {
      const literal = `was ${formatted(value)}${tail}`;
      equal(sameValue(noteValue(noteBody(literal)), value), true, `${text}${tail}`);
    }
  }
});

/** TOML text of a small value, without depending on values.ts's formatter. */
function formatted(value: TomlValue): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return value.toFixed(1);
  if (Array.isArray(value)) return `[${value.map(formatted).join(", ")}]`;
  if (typeof value === "object" && !(value instanceof Date)) {
    return `{ ${Object.entries(value).map(([k, v]) => `${k} = ${formatted(v)}`).join(", ")} }`;
  }
  return String(value);
}
