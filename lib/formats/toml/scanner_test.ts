import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { parse } from "smol-toml";
import { parseValue } from "./parse.ts";
import { decodeBasicString, type Entry, type Header, type Layout, scan } from "./scanner.ts";
import { isTable, sameValue, type TomlTable, type TomlValue } from "./values.ts";
import { testdata } from "./testdata/texts.ts";

/** The valid TOML texts the agreement test runs on: corpus, edge cases and engines' configs. */
const CORPUS = [
  ...testdata("corpus"),
  ...testdata("edge"),
  ...testdata("containerd"),
  ...testdata("crio"),
];

/** A step of a concrete path: a key, or an index into an array of tables. */
type Step = string | number;

function valueAtPath(root: TomlTable, path: readonly Step[]): TomlValue | undefined {
  let value: TomlValue | undefined = root;
  for (const step of path) {
    if (typeof step === "number") {
      value = Array.isArray(value) ? value[step] : undefined;
    } else {
      value = isTable(value) && Object.hasOwn(value, step) ? value[step] : undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}

const pathKey = (path: readonly Step[]): string => JSON.stringify(path);

/**
 * The concrete paths of the scanner's headers and entries: the key names of
 * a header, with the index of the current element of each array of tables on
 * the way (`[[a]]` twice, then `[a.b]`, is `a[1].b`), as a TOML reader
 * resolves them.
 */
function resolve(headers: readonly Header[], entries: readonly Entry[]) {
  const arrays = new Map<string, number>(); // concrete path of an array of tables → its length
  const concrete = (names: readonly string[]): Step[] => {
    const path: Step[] = [];
    for (const name of names) {
      path.push(name);
      const length = arrays.get(pathKey(path));
      if (length !== undefined) path.push(length - 1);
    }
    return path;
  };
  const headerPaths = new Map<Header, Step[]>();
  for (const header of headers) {
    const names = header.key.map((part) => part.name);
    if (header.kind === "array") {
      const path = [...concrete(names.slice(0, -1)), names[names.length - 1]];
      const length = arrays.get(pathKey(path)) ?? 0;
      arrays.set(pathKey(path), length + 1);
      headerPaths.set(header, [...path, length]);
    } else {
      headerPaths.set(header, concrete(names));
    }
  }
  const entryPaths = entries.map((entry) => [
    ...(entry.header ? headerPaths.get(entry.header)! : []),
    ...entry.key.map((part) => part.name),
  ]);
  return { headerPaths, entryPaths, arrays };
}

/** The lines of a text that no header or entry covers. */
function uncovered(text: string, ranges: [number, number][]): string[] {
  let rest = "";
  let at = text.startsWith("\uFEFF") ? 1 : 0;
  for (const [start, end] of ranges) {
    ok(start >= at, `ranges overlap or are out of order at offset ${start}`);
    rest += text.slice(at, start);
    at = end;
  }
  rest += text.slice(at);
  return rest.split("\n").map((line) => line.replace(/\r$/, ""));
}

/** A value as a message shows it. */
function show(value: unknown): string {
  return Deno.inspect(value, { depth: 10, compact: true, breakLength: Infinity });
}

/**
 * Checks that the scanner's layout of `text` agrees with the strict parser:
 * - each entry's key, under its header, names a value the parser has, and
 *   the value's text, parsed alone, is that value;
 * - each entry's and header's line range, parsed alone, is exactly that
 *   key/value or that header, and the ranges are ordered and disjoint;
 * - each header names a table (or an element of an array of tables) the
 *   parser has, and no two headers name the same one;
 * - nothing is missed: every leaf of the parsed tree (a value that is not a
 *   table, or an empty table) lies under exactly one entry or is a table
 *   some header declares; every element of an array of tables has its
 *   header; and the text outside all the ranges is blank and comment lines.
 */
function assertAgreement(name: string, text: string, layout: Layout = scan(text)): void {
  // smol-toml itself, not parseToml: the scanner also reads the TOML 1.1 corpus file.
  const data = parse(text.replace(/^\uFEFF/, ""), { integersAsBigInt: true }) as TomlTable;
  const { headers, entries } = layout;
  const { headerPaths, entryPaths, arrays } = resolve(headers, entries);
  const at = (offset: number) => {
    const before = text.slice(0, offset);
    return `${name}:${before.split("\n").length}`;
  };

  // Each entry: its key, its value's text, its line range.
  entries.forEach((entry, i) => {
    const path = entryPaths[i];
    const where = `${at(entry.lineStart)} (${path.join(".")})`;
    const expected = valueAtPath(data, path);
    ok(expected !== undefined, `${where}: the parser has no value at the scanner's key`);
    const raw = text.slice(entry.valueStart, entry.valueEnd);
    const parsed = parseValue(raw);
    ok(parsed !== undefined, `${where}: ${show(raw)} is not one TOML value`);
    ok(
      sameValue(parsed, expected),
      `${where}: ${show(raw)} is ${show(parsed)}, not ${show(expected)}`,
    );
    // The line range holds this key/value and nothing else.
    let alone: TomlValue = parseValue(raw)!;
    for (const part of [...entry.key].reverse()) alone = { [part.name]: alone };
    ok(
      sameValue(
        parse(text.slice(entry.lineStart, entry.lineEnd), { integersAsBigInt: true }) as TomlTable,
        alone as TomlTable,
      ),
      `${where}: the entry's lines are not exactly the entry`,
    );
    // Each key part's raw text is the key part: quoted, literal or bare.
    for (const part of entry.key) {
      deepEqual(Object.keys(parse(`${part.raw} = 1`)), [part.name], where);
    }
    ok(
      text.slice(entry.lineStart, entry.valueStart).trimStart().startsWith(entry.key[0].raw),
      where,
    );
    ok(/^[ \t]*$/.test(entry.indent), where);
    equal(text.slice(entry.lineStart, entry.lineStart + entry.indent.length), entry.indent, where);
    ok(entry.lineStart === 0 || text[entry.lineStart - 1] === "\n" || entry.lineStart === 1, where);
    ok(entry.valueEnd <= entry.contentEnd && entry.contentEnd <= entry.lineEnd, where);
    equal(text.slice(entry.valueEnd, entry.commentStart ?? entry.contentEnd).trim(), "", where);
    if (entry.commentStart !== undefined) equal(text[entry.commentStart], "#", where);
    ok(/^(\r?\n)?$/.test(text.slice(entry.contentEnd, entry.lineEnd)), where);
    ok(entry.lineEnd === text.length || text[entry.lineEnd - 1] === "\n", where);
  });

  // Each header: a table the parser has, named once, on lines of its own.
  const declared = new Set<string>();
  for (const header of headers) {
    const path = headerPaths.get(header)!;
    const where = `${at(header.lineStart)} ([${path.join(".")}])`;
    ok(isTable(valueAtPath(data, path)), `${where}: the parser has no table there`);
    ok(!declared.has(pathKey(path)), `${where}: declared twice`);
    declared.add(pathKey(path));
    const names = header.key.map((part) => part.name);
    const alone = parse(text.slice(header.lineStart, header.lineEnd)) as TomlTable;
    let expected: TomlValue = header.kind === "array" ? [{}] : {};
    for (const key of [...names].reverse()) expected = { [key]: expected };
    ok(sameValue(alone, expected as TomlTable), `${where}: the header's line is not the header`);
    equal(text.slice(header.lineStart, header.lineStart + header.indent.length), header.indent);
    ok(header.lineEnd === text.length || text[header.lineEnd - 1] === "\n", where);
  }

  // Nothing is missed: walk the parsed tree.
  const covered = new Map(entryPaths.map((path, i) => [pathKey(path), i]));
  const seen = new Set<number>();
  const walk = (value: TomlValue, path: Step[]): boolean => {
    const key = pathKey(path);
    const entry = covered.get(key);
    if (entry !== undefined) {
      ok(!seen.has(entry), `${name}: ${path.join(".")} is covered twice`);
      seen.add(entry);
      return true;
    }
    if (Array.isArray(value)) {
      ok(arrays.has(key), `${name}: the scanner missed the value at ${path.join(".")}`);
      equal(arrays.get(key), value.length, `${name}: ${path.join(".")} has elements unscanned`);
      value.forEach((item, i) => walk(item, [...path, i]));
      return true;
    }
    ok(isTable(value), `${name}: the scanner missed the value at ${path.join(".")}`);
    let any = declared.has(key);
    for (const [child, item] of Object.entries(value)) any = walk(item, [...path, child]) || any;
    ok(any || path.length === 0, `${name}: the scanner missed the table at ${path.join(".")}`);
    return any;
  };
  walk(data, []);
  equal(seen.size, entries.length, `${name}: entries that name no value of their own`);

  // The text outside the ranges is only blank lines and comments.
  const ranges: [number, number][] = [
    ...headers.map((h): [number, number] => [h.lineStart, h.lineEnd]),
    ...entries.map((e): [number, number] => [e.lineStart, e.lineEnd]),
  ].sort((a, b) => a[0] - b[0]);
  for (const line of uncovered(text, ranges)) {
    ok(/^[ \t]*(#.*)?$/.test(line), `${name}: the scanner missed the line ${show(line)}`);
  }
}

for (const [name, text] of CORPUS) {
  Deno.test(`scan() agrees with the strict parser on ${name}`, () => {
    assertAgreement(name, text);
  });
}

Deno.test("scan() corpus covers the syntax it must", () => {
  const all = CORPUS.map(([, text]) => text).join("\n");
  const features: [string, RegExp][] = [
    ["table headers", /^\[[a-z]/m],
    ["headers with quoted key parts", /^\[plugins\."io/m],
    ["headers with literal key parts", /^\[plugins\.'io/m],
    ["arrays of tables", /^\[\[/m],
    ["dotted keys", /^[a-z]+\.[a-z]+ =/m],
    ["quoted keys with dots and brackets", /^"key with \[brackets\]" =/m],
    ["literal keys with brackets", /^'key with \]\] brackets' =/m],
    ["inline tables", /= \{ /],
    ["arrays over lines with comments", /= \[\n.*# /],
    ["multi-line basic strings holding header lines", /"""\n\[looks\.like\.a\.header\]/],
    ["multi-line literal strings holding entry lines", /'''\n\[not\.a\.header\]\nx = /],
    ["escaped quotes", /\\"/],
    ["comments with brackets and quotes", /# .*\[.*".*/],
    ["date-times with a space", /= \d{4}-\d\d-\d\d \d\d:/],
    ["hexadecimal, octal and binary integers", /0x[\s\S]*0o[\s\S]*0b/],
    ["special floats", /= -nan/],
    ["CRLF line ends", /\r\n/],
    ["a byte order mark", /\uFEFF/],
    ["multi-line inline tables (TOML 1.1)", /= \{\n/],
  ];
  for (const [feature, pattern] of features) ok(pattern.test(all), `no ${feature} in the corpus`);
});

// The agreement check must itself catch a layout that is wrong in any way.
Deno.test("assertAgreement() rejects layouts that disagree with the parser", () => {
  const text = 'a = 1\n[t]\nb = "x" # c\n[u]\n';
  const layout = scan(text);
  assertAgreement("ok.toml", text, layout);
  const [a, b] = layout.entries;
  const [t, u] = layout.headers;
  const broken: [string, Layout][] = [
    ["a missed entry", { headers: [t, u], entries: [b] }],
    ["a missed empty table", { headers: [t], entries: [a, b] }],
    ["a missed header", { headers: [u], entries: [a, { ...b, header: undefined }] }],
    ["a short value", { headers: [t, u], entries: [a, { ...b, valueEnd: b.valueEnd - 1 }] }],
    ["a wrong key", { headers: [t, u], entries: [a, { ...b, key: [{ name: "c", raw: "c" }] }] }],
    ["a wrong header", { headers: [t, u], entries: [a, { ...b, header: u }] }],
    ["a short line", { headers: [t, u], entries: [a, { ...b, lineEnd: b.contentEnd }] }],
    ["a lost comment", { headers: [t, u], entries: [a, { ...b, commentStart: undefined }] }],
    ["an entry twice", { headers: [t, u], entries: [a, b, b] }],
  ];
  for (const [what, layout] of broken) {
    throws(() => assertAgreement("broken.toml", text, layout), Error, what);
  }
});

Deno.test("scan() reports byte ranges of headers and entries", () => {
  const text = 'a = 1 # one\r\n  [t . "u.v"]\r\n  b.c = [\r\n    2,\r\n  ]\r\nd = "x"';
  const { headers, entries } = scan(text);
  equal(headers.length, 1);
  const [header] = headers;
  equal(header.kind, "table");
  deepEqual(header.key, [{ name: "t", raw: "t" }, { name: "u.v", raw: '"u.v"' }]);
  equal(header.indent, "  ");
  equal(text.slice(header.lineStart, header.lineEnd), '  [t . "u.v"]\r\n');
  const [a, bc, d] = entries;
  equal(a.header, undefined);
  equal(text.slice(a.valueStart, a.valueEnd), "1");
  equal(text.slice(a.commentStart!, a.contentEnd), "# one");
  equal(text.slice(a.contentEnd, a.lineEnd), "\r\n");
  equal(bc.header, header);
  deepEqual(bc.key.map((part) => part.name), ["b", "c"]);
  equal(bc.indent, "  ");
  equal(text.slice(bc.valueStart, bc.valueEnd), "[\r\n    2,\r\n  ]");
  equal(bc.commentStart, undefined);
  equal(text.slice(bc.lineStart, bc.lineEnd), "  b.c = [\r\n    2,\r\n  ]\r\n");
  // The last line has no newline: the entry ends with the text.
  equal(text.slice(d.valueStart, d.valueEnd), '"x"');
  equal(d.contentEnd, text.length);
  equal(d.lineEnd, text.length);
});

Deno.test("scan() leaves a byte order mark out of the first line", () => {
  const { entries } = scan("\uFEFFa = 1\n");
  equal(entries[0].lineStart, 1);
  equal(entries[0].indent, "");
});

Deno.test("scan() of empty and comment-only texts finds nothing", () => {
  for (const text of ["", "\n", "# x", "  # [x]\r\n\t\n", "\uFEFF"]) {
    deepEqual(scan(text), { headers: [], entries: [] });
  }
});

Deno.test("decodeBasicString() decodes every escape", () => {
  equal(decodeBasicString(String.raw`a\tb\nc\"d\\e`), 'a\tb\nc"d\\e');
  equal(decodeBasicString(String.raw`\b\f\r\e`), "\b\f\r\x1b");
  equal(decodeBasicString(String.raw`\u00e9\U0001F600`), "é😀");
  equal(decodeBasicString(String.raw`\x41\x7e`), "A~");
});
