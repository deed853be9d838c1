import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { RtconfError } from "../../errors.ts";
import { JsonDocument, type JsonValue } from "./document.ts";

const FILE = "/etc/docker/daemon.json";
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The fixtures, by name: dockerd's daemon.json files. They are stored as
 * `*.json.txt` so that `deno fmt` leaves their layout alone. A byte order
 * mark is taken off, as the Docker engine code does before it makes a
 * JsonDocument.
 */
const FIXTURES: [string, string][] = [...Deno.readDirSync(new URL("./testdata/", import.meta.url))]
  .map((item) => item.name)
  .filter((name) => name.endsWith(".json.txt"))
  .sort()
  .map((name) => {
    const text = decoder.decode(Deno.readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
    return [name, text.replace(/^\uFEFF/, "")];
  });

function fixture(name: string): string {
  return FIXTURES.find(([file]) => file === name)![1];
}

/** The keys of every object in a JSON value (the root is `[]`), outside arrays. */
function objectPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return [
    path,
    ...Object.entries(value).flatMap(([key, item]) => objectPaths(item, [...path, key])),
  ];
}

/** The keys of every member of every object, outside arrays. */
function memberPaths(value: unknown): string[][] {
  return objectPaths(value).flatMap((path) => {
    let object = value as Record<string, unknown>;
    for (const key of path) object = object[key] as Record<string, unknown>;
    return Object.keys(object).map((key) => [...path, key]);
  });
}

/** A copy of a JSON value with `value` at `keys` (`undefined`: without it). */
function withValue(root: unknown, keys: string[], value: JsonValue | undefined): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let at = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[keys[keys.length - 1]];
  else at[keys[keys.length - 1]] = value;
  return copy;
}

/**
 * Where `after` is `before` with one stretch of text inserted: the offsets in
 * `before` it may have gone to (more than one where the stretch starts as
 * the text after it does), and its length; `undefined` for any other change.
 */
function insertion(before: string, after: string) {
  const length = after.length - before.length;
  if (length < 0) return undefined;
  let head = 0;
  while (head < before.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length && before.at(-1 - tail) === after.at(-1 - tail)) tail++;
  if (head + tail < before.length) return undefined;
  return { from: before.length - tail, to: head, length, text: after.slice(head, head + length) };
}

// 1. Every edit gives back the original text when it is undone.

for (const [name, text] of FIXTURES) {
  const data = JSON.parse(text);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";

  Deno.test(`set() of a new member in each object of ${name} then delete() gives back the text`, () => {
    for (const path of objectPaths(data)) {
      const keys = [...path, "rtconf-new"];
      const where = `${name}: ${keys.join(".")}`;
      const object = new JsonDocument(text, FILE).get(path)!;
      const braces = text.slice(object.offset, object.offset + object.length);
      // An empty object with space inside gets its first member in place of the space.
      const spaced = braces !== "{}" && !object.children?.length;
      for (const value of [true, "nvidia", { path: "/usr/bin/nvidia-container-runtime" }]) {
        const doc = new JsonDocument(text, FILE);
        doc.set(keys, value);
        ok(doc.changed, where);
        deepEqual(JSON.parse(doc.text), withValue(data, keys, value), where);
        if (!spaced) {
          ok(insertion(text, doc.text)?.text.includes("rtconf-new"), `${where}: not one insertion`);
        }
        if (eol === "\r\n") equal(doc.text.replaceAll("\r\n", "").includes("\n"), false, where);
        doc.delete(keys);
        // The only member of an object leaves `{}`.
        const end = object.offset + object.length;
        equal(
          doc.text,
          spaced ? text.slice(0, object.offset) + "{}" + text.slice(end) : text,
          where,
        );
      }
    }
  });

  Deno.test(`set() of each member of ${name} replaces only its value and undoes`, () => {
    for (const keys of memberPaths(data)) {
      const where = `${name}: ${keys.join(".")}`;
      const doc = new JsonDocument(text, FILE);
      const tree = doc.get(keys)!;
      const raw = text.slice(tree.offset, tree.offset + tree.length);
      doc.set(keys, "rtconf");
      equal(
        doc.text,
        text.slice(0, tree.offset) + '"rtconf"' + text.slice(tree.offset + tree.length),
        where,
      );
      deepEqual(JSON.parse(doc.text), withValue(data, keys, "rtconf"), where);
      const value = JSON.parse(raw);
      doc.set(keys, value);
      deepEqual(JSON.parse(doc.text), data, where);
      // A value that is not an object, written as JSON.stringify writes it, comes back byte for byte.
      const object = typeof value === "object" && value !== null && !Array.isArray(value);
      if (!object && JSON.stringify(value) === raw) equal(doc.text, text, where);
    }
  });

  Deno.test(`delete() of each member of ${name} removes it and nothing else`, () => {
    for (const keys of memberPaths(data)) {
      const where = `${name}: ${keys.join(".")}`;
      const doc = new JsonDocument(text, FILE);
      const member = doc.get(keys)!.parent!;
      doc.delete(keys);
      deepEqual(JSON.parse(doc.text), withValue(data, keys, undefined), where);
      // What was removed is one stretch of the text that holds the whole member.
      const removed = insertion(doc.text, text);
      ok(removed, `${where}: not one stretch`);
      const start = Math.max(removed.from, member.offset + member.length - removed.length);
      ok(start <= Math.min(removed.to, member.offset), `${where}: not the member`);
    }
  });
}

// 2. New members are laid out like their siblings.

Deno.test("set() lays out new members like the members beside them", () => {
  const cases: [string, string[], JsonValue, string][] = [
    [
      "indent-2.json.txt",
      ["runtimes"],
      { nvidia: { path: "nvidia-container-runtime" } },
      '  "dns": ["10.0.0.2", "10.0.0.3"],\n  "runtimes": {\n    "nvidia": {\n' +
      '      "path": "nvidia-container-runtime"\n    }\n  }\n}\n',
    ],
    [
      "indent-4.json.txt",
      ["log-opts", "max-file"],
      "3",
      '        "max-size": "100m",\n        "max-file": "3"\n    },\n',
    ],
    [
      "tabs.json.txt",
      ["runtimes"],
      { nvidia: { path: "/usr/bin/nvidia" } },
      '\t"log-level": "warn",\n\t"runtimes": {\n\t\t"nvidia": {\n\t\t\t"path": "/usr/bin/nvidia"\n\t\t}\n\t}\n}\n',
    ],
    [
      "crlf.json.txt",
      ["runtimes", "nvidia"],
      { path: "/usr/bin/nvidia" },
      '            "path": "/usr/local/bin/runsc"\r\n        },\r\n        "nvidia": {\r\n' +
      '            "path": "/usr/bin/nvidia"\r\n        }\r\n    }\r\n}\r\n',
    ],
    [
      "features.json.txt",
      ["features", "cdi"],
      true,
      '    "containerd-snapshotter": true,\n    "cdi": true\n  },\n',
    ],
    [
      "one-line.json.txt",
      ["live-restore"],
      true,
      '{"default-runtime": "runc", "runtimes": {"runc": {"path": "runc"}}, "live-restore": true}\n',
    ],
    [
      "empty-object.json.txt",
      ["runtimes"],
      { nvidia: { path: "/usr/bin/nvidia" } },
      '{\n    "runtimes": {\n        "nvidia": {\n            "path": "/usr/bin/nvidia"\n        }\n    }\n}\n',
    ],
    [
      "empty-members.json.txt",
      ["features", "cdi"],
      true,
      '{\n  "features": {\n    "cdi": true\n  },\n',
    ],
  ];
  for (const [name, keys, value, expected] of cases) {
    const doc = new JsonDocument(fixture(name), FILE);
    doc.set(keys, value);
    ok(doc.text.includes(expected), `${name}:\n${doc.text}`);
  }
});

Deno.test("edits keep a file without a final newline without one", () => {
  const text = fixture("no-final-newline.json.txt");
  ok(!text.endsWith("\n"), "testdata/no-final-newline.json.txt gained a final newline");
  const doc = new JsonDocument(text, FILE);
  doc.set(["features", "cdi"], true);
  doc.set(["default-runtime"], "nvidia");
  ok(doc.text.endsWith('\n    "cdi": true\n  },\n  "default-runtime": "nvidia"\n}'));
  doc.delete(["default-runtime"]);
  doc.delete(["features", "cdi"]);
  equal(doc.text, text);
});

// 3. Reading: values, duplicate keys, types.

Deno.test("JsonDocument() takes blank text as {} with a final newline", () => {
  for (const text of ["", " ", "\n\t\n"]) {
    const doc = new JsonDocument(text, FILE);
    equal(doc.text, "{}\n");
    equal(doc.changed, false);
    doc.set(["default-runtime"], "nvidia");
    equal(doc.text, '{\n    "default-runtime": "nvidia"\n}\n');
  }
});

Deno.test("JsonDocument() rejects invalid JSON and top-level values that are not objects", () => {
  throws(
    () => new JsonDocument('{\n  "a": 1,\n}\n', FILE),
    new RtconfError(`${FILE}: invalid JSON at line 3, column 1: trailing comma before '}'`),
  );
  throws(
    () => new JsonDocument("[1]", FILE),
    new RtconfError(`${FILE}: the top-level value at line 1, column 1 is an array, not an object`),
  );
  throws(
    () => new JsonDocument('\n  "runc"\n', FILE),
    new RtconfError(`${FILE}: the top-level value at line 2, column 3 is a string, not an object`),
  );
  // The Docker engine takes the byte order mark off first; a document does not.
  throws(
    () => new JsonDocument('\uFEFF{"a": 1}', FILE),
    new RtconfError(`${FILE}: invalid JSON at line 1, column 1: unexpected character U+FEFF`),
  );
});

Deno.test("get() gives the value's tree, or undefined for a missing key", () => {
  const doc = new JsonDocument(fixture("log-runsc.json.txt"), FILE);
  equal(doc.get(["runtimes", "runsc", "path"])?.value, "/usr/local/bin/runsc");
  equal(doc.get(["runtimes", "runsc", "runtimeArgs"])?.type, "array");
  equal(doc.get(["runtimes", "nvidia"]), undefined);
  equal(doc.get(["runtimes", "nvidia", "path"]), undefined);
  equal(doc.get([])?.type, "object");
});

Deno.test("get() rejects duplicate keys on the way, naming where the second is", () => {
  const doc = new JsonDocument('{\n  "runtimes": {},\n  "runtimes": {"nvidia": {}}\n}\n', FILE);
  throws(
    () => doc.get(["runtimes", "nvidia"]),
    new RtconfError(`${FILE}: duplicate key runtimes at line 3, column 3`),
  );
  const nested = new JsonDocument('{"runtimes": {"nvidia.cdi": {}, "nvidia.cdi": {}}}', FILE);
  throws(
    () => nested.get(["runtimes", "nvidia.cdi"]),
    new RtconfError(`${FILE}: duplicate key runtimes."nvidia.cdi" at line 1, column 33`),
  );
  throws(() => nested.set(["runtimes", "nvidia.cdi", "path"], "x"), /duplicate key/);
  throws(() => nested.delete(["runtimes", "nvidia.cdi"]), /duplicate key/);
  // Keys that are not asked for may repeat: dockerd's concern, not this edit's.
  equal(new JsonDocument('{"a": 1, "a": 2, "b": 3}', FILE).get(["b"])?.value, 3);
});

Deno.test("get() rejects a value on the way that is not an object", () => {
  const doc = new JsonDocument('{\n  "runtimes": null,\n  "features": ["cdi"]\n}\n', FILE);
  throws(
    () => doc.get(["runtimes", "nvidia"]),
    new RtconfError(`${FILE}: runtimes at line 2, column 15 is null, not an object`),
  );
  throws(
    () => doc.get(["features", "cdi"]),
    new RtconfError(`${FILE}: features at line 3, column 15 is an array, not an object`),
  );
});

Deno.test("typeError() names the keys, the place and both types", () => {
  const doc = new JsonDocument('{"runtimes": {"nvidia.cdi": {"path": 1}}}', FILE);
  const keys = ["runtimes", "nvidia.cdi", "path"];
  const error = doc.typeError(keys, doc.get(keys)!, "a string");
  ok(error instanceof RtconfError);
  equal(
    error.message,
    `${FILE}: runtimes."nvidia.cdi".path at line 1, column 38 is a number, not a string`,
  );
  equal(
    doc.typeError(["runtimes"], doc.get(["runtimes"])!, "an array").message.includes(
      "is an object",
    ),
    true,
  );
});

// 4. Writing: what set() and delete() refuse or leave alone.

Deno.test("set() needs the object that holds the member", () => {
  const doc = new JsonDocument('{"runtimes": []}', FILE);
  throws(() => doc.set(["features", "cdi"], true), /internal error: no object features in/);
  throws(() => doc.set(["runtimes", "nvidia"], {}), /internal error: no object runtimes in/);
  equal(doc.changed, false);
});

Deno.test("delete() of a missing member changes nothing", () => {
  const text = fixture("indent-2.json.txt");
  const doc = new JsonDocument(text, FILE);
  doc.delete(["runtimes", "nvidia"]);
  doc.delete(["dns", "x"]);
  doc.delete(["missing"]);
  equal(doc.text, text);
  equal(doc.changed, false);
});

Deno.test("delete() of the only member leaves {}", () => {
  const doc = new JsonDocument('{\n  "runtimes": {\n    "nvidia": {"path": "x"}\n  }\n}\n', FILE);
  doc.delete(["runtimes", "nvidia"]);
  equal(doc.text, '{\n  "runtimes": {}\n}\n');
  doc.delete(["runtimes"]);
  equal(doc.text, "{}\n");
});

Deno.test("set() writes strings and keys as JSON escapes them", () => {
  const doc = new JsonDocument("{}\n", FILE);
  doc.set(['say "hi"'], "a\\b\n\u0001é");
  equal(doc.text, '{\n    "say \\"hi\\"": "a\\\\b\\n\\u0001é"\n}\n');
  deepEqual(JSON.parse(doc.text), { 'say "hi"': "a\\b\n\u0001é" });
});
