import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { diffArrays } from "diff";
import { RtconfError } from "../../errors.ts";
import { TomlDocument } from "./document.ts";
import { parseToml, parseValue } from "./parse.ts";
import { type Entry, type Header, scan } from "./scanner.ts";
import { copyValue, isTable, sameValue, type TomlTable, type TomlValue } from "./values.ts";
import { testdata } from "./testdata/texts.ts";

/** The engines' configs and the edge cases: what the editor edits. */
const FIXTURES = [...testdata("containerd"), ...testdata("crio"), ...testdata("edge")];
/** Every TOML 1.0 text of the tests, the scanner's corpus too (the editor refuses TOML 1.1). */
const ALL = [
  ...FIXTURES,
  ...testdata("corpus").filter(([name]) => !name.endsWith("toml-1.1.toml")),
];

const FILE = "/etc/containerd/config.toml";

function fixture(name: string): string {
  return FIXTURES.find(([file]) => file === name)![1];
}

/** A text's lines, each with its line end; a byte order mark is not part of the first. */
function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, "").match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * The lines edits removed and added, by a line diff. Lines are compared
 * without their line ends, so that the newline an edit must add to a last
 * line that has none does not count as a change of that line.
 */
function hunk(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [], added: string[] = [];
  const comparator = (x: string, y: string) => x.replace(/\r?\n$/, "") === y.replace(/\r?\n$/, "");
  for (const part of diffArrays(lines(before), lines(after), { comparator })) {
    if (part.removed) removed.push(...part.value);
    if (part.added) added.push(...part.value);
  }
  return { removed, added };
}

/** The whole lines an entry stands on (a byte order mark included). */
function entryLines(text: string, entry: { lineStart: number; lineEnd: number }): string[] {
  return lines(text.slice(text.lastIndexOf("\n", entry.lineStart - 1) + 1, entry.lineEnd));
}

/** A copy of `table` with `value` at `keys` (`undefined`: without it). */
function withValue(table: TomlTable, keys: readonly string[], value: TomlValue | undefined) {
  const copy = copyValue(table);
  let at: TomlTable = copy;
  for (const key of keys.slice(0, -1)) {
    if (!isTable(at[key])) at[key] = {};
    at = at[key] as TomlTable;
  }
  if (value === undefined) delete at[keys[keys.length - 1]];
  else at[keys[keys.length - 1]] = value;
  return copy;
}

/**
 * Checks what an edit of `text` gave: the values `expected`, and, in a file
 * whose lines all end in CRLF, no line that ends in a bare LF.
 */
function assertData(doc: TomlDocument, text: string, expected: TomlTable, message: string): void {
  ok(sameValue(doc.data, expected), `${message}: the values are not what the edit should give`);
  // What the document holds is what a fresh parse of its text gives.
  ok(sameValue(parseToml(doc.text, FILE), expected), message);
  if (/\r\n/.test(text) && !/(^|[^\r])\n/.test(text)) {
    ok(!/(^|[^\r])\n/.test(doc.text), `${message}: a bare LF in a CRLF file`);
  }
}

/** A value of the same type that differs, or `undefined` where the test leaves the value be. */
function another(value: TomlValue): TomlValue | undefined {
  switch (typeof value) {
    case "string":
      return value === "rtconf" ? "rtconf 2" : "rtconf";
    case "bigint":
      return value > 0n ? value - 1n : value + 1n; // stays within 64 bits
    case "number":
      return value === 1.5 ? 2.5 : 1.5;
    case "boolean":
      return !value;
  }
  if (Array.isArray(value)) return ["rtconf"];
  return undefined; // dates and inline tables
}

interface Editable {
  entry: Entry;
  keys: string[];
  value: TomlValue;
}

/**
 * The entries an edit by keys can name: outside arrays of tables (whose
 * elements share keys), each with its full keys and value.
 */
function editables(text: string): Editable[] {
  const data = parseToml(text, FILE);
  const { headers, entries } = scan(text);
  const names = (h: Header) => h.key.map((part) => part.name);
  const arrays = headers.filter((h) => h.kind === "array").map(names);
  const result: Editable[] = [];
  for (const entry of entries) {
    const keys = [...(entry.header ? names(entry.header) : []), ...entry.key.map((p) => p.name)];
    if (arrays.some((array) => array.every((name, i) => keys[i] === name))) continue;
    let value: TomlValue | undefined = data;
    for (const key of keys) value = isTable(value) ? value[key] : undefined;
    result.push({ entry, keys, value: value! });
  }
  return result;
}

/** The tables written as `[headers]` outside arrays of tables. */
function headerTables(text: string): string[][] {
  const { headers } = scan(text);
  const names = (h: Header) => h.key.map((part) => part.name);
  const arrays = headers.filter((h) => h.kind === "array").map(names);
  return headers
    .filter((h) => h.kind === "table")
    .map(names)
    .filter((keys) => !arrays.some((array) => array.every((name, i) => keys[i] === name)));
}

// 1. Every edit gives back the original text when it is undone.

for (const [name, text] of ALL) {
  Deno.test(`set() then setRaw() of each value of ${name} changes only that value and undoes`, () => {
    const data = parseToml(text, FILE);
    for (const { entry, keys, value } of editables(text)) {
      const next = another(value);
      if (next === undefined) continue;
      const doc = new TomlDocument(text, FILE);
      const raw = doc.raw(keys)!;
      equal(raw, text.slice(entry.valueStart, entry.valueEnd));
      doc.set(keys, next);
      const where = `${name}: ${keys.join(".")}`;
      // Byte for byte, only the value's text changed, in the value's own quoting.
      const written = doc.raw(keys)!;
      equal(
        doc.text,
        text.slice(0, entry.valueStart) + written + text.slice(entry.valueEnd),
        where,
      );
      ok(sameValue(parseValue(written), next), where);
      if (typeof next === "string" && raw.startsWith("'")) ok(written.startsWith("'"), where);
      const { removed } = hunk(text, doc.text);
      ok(removed.every((line) => entryLines(text, entry).includes(line)), where);
      assertData(doc, text, withValue(data, keys, next), where);
      doc.setRaw(keys, raw);
      equal(doc.text, text, where);
    }
  });

  Deno.test(`change() then restore() of each value of ${name} gives back the text`, () => {
    const data = parseToml(text, FILE);
    for (const { entry, keys, value } of editables(text)) {
      const next = another(value);
      if (next === undefined) continue;
      const where = `${name}: ${keys.join(".")}`;
      const doc = new TomlDocument(text, FILE);
      const raw = doc.raw(keys)!;
      const hadNote = doc.note(keys) !== undefined;
      doc.change(keys, next);
      assertData(doc, text, withValue(data, keys, next), where);
      if (!hadNote && !raw.includes("\n")) equal(doc.note(keys), `was ${raw}`, where);
      if (!hadNote) ok(sameValue(parseValue(doc.note(keys)!.slice(4)), value), where);
      const { removed } = hunk(text, doc.text);
      deepEqual(removed.filter((line) => !entryLines(text, entry).includes(line)), [], where);
      // A second change keeps the note of the original value.
      const noted = doc.note(keys);
      doc.change(keys, another(next)!);
      equal(doc.note(keys), noted, where);
      doc.restore(keys);
      if (raw.includes("\n")) {
        // A value over several lines is noted on one line: its value comes back, not its layout.
        assertData(doc, text, data, where);
      } else {
        equal(doc.text, text, where);
      }
    }
  });

  Deno.test(`addNote() then removeNote() on each value of ${name} gives back the text`, () => {
    for (const { entry, keys } of editables(text)) {
      const where = `${name}: ${keys.join(".")}`;
      for (const note of ["added", 'added "/etc/containerd/conf.d/*.toml"', "was [1, 2]"]) {
        const doc = new TomlDocument(text, FILE);
        if (doc.note(keys) !== undefined) continue;
        doc.addNote(keys, note);
        equal(doc.note(keys), note, where);
        const { removed, added } = hunk(text, doc.text);
        deepEqual(removed, [entryLines(text, entry).at(-1)], where);
        equal(added.length, 1, where);
        ok(added[0].includes(`# rtconf: ${note}`), where);
        assertData(doc, text, parseToml(text, FILE), where);
        doc.removeNote(keys);
        equal(doc.note(keys), undefined, where);
        equal(doc.text, text, where);
      }
    }
  });

  Deno.test(`appendItem() then removeItem() on each array of ${name} gives back the text`, () => {
    const data = parseToml(text, FILE);
    for (const { entry, keys, value } of editables(text)) {
      if (!Array.isArray(value)) continue;
      const where = `${name}: ${keys.join(".")}`;
      const doc = new TomlDocument(text, FILE);
      doc.appendItem(keys, "/etc/containerd/conf.d/*.toml");
      assertData(
        doc,
        text,
        withValue(data, keys, [...value, "/etc/containerd/conf.d/*.toml"]),
        where,
      );
      equal(doc.text.slice(0, entry.valueStart), text.slice(0, entry.valueStart), where);
      ok(doc.text.endsWith(text.slice(entry.valueEnd)), where);
      ok(doc.removeItem(keys, "/etc/containerd/conf.d/*.toml"), where);
      const raw = text.slice(entry.valueStart, entry.valueEnd);
      if (/^\[\s+\]$/.test(raw)) {
        // An empty array gets its item in place of its white space and gives back `[]`.
        equal(doc.text, text.slice(0, entry.valueStart) + "[]" + text.slice(entry.valueEnd), where);
        continue;
      }
      equal(doc.text, text, where);
      const again = doc.removeItem(keys, "/etc/containerd/conf.d/*.toml");
      equal(again, value.includes("/etc/containerd/conf.d/*.toml"), where);
    }
  });

  Deno.test(`set() of a new key beside each value of ${name} then delete() gives back the text`, () => {
    const data = parseToml(text, FILE);
    const tables = new Set<string>();
    for (const { keys } of editables(text)) {
      const table = keys.slice(0, -1);
      if (tables.has(JSON.stringify(table))) continue;
      tables.add(JSON.stringify(table));
      const where = `${name}: ${table.join(".")}`;
      const doc = new TomlDocument(text, FILE);
      const key = [...table, "rtconf_new"];
      doc.set(key, "/usr/bin/nvidia-container-runtime");
      assertData(doc, text, withValue(data, key, "/usr/bin/nvidia-container-runtime"), where);
      const { removed, added } = hunk(text, doc.text);
      deepEqual(removed, [], where);
      equal(added.length, 1, where);
      ok(doc.delete(key), where);
      equal(doc.text, text, where);
      equal(doc.delete(key), false, where);
    }
  });

  Deno.test(`addTable() under each table of ${name} then removeTable() gives back the text`, () => {
    const data = parseToml(text, FILE);
    const table = { runtime_type: "io.containerd.runc.v2", options: { BinaryName: "/usr/bin/x" } };
    for (const parent of [[], ...headerTables(text)]) {
      const where = `${name}: ${parent.join(".")}`;
      const doc = new TomlDocument(text, FILE);
      const keys = [...parent, "rtconf_new"];
      doc.addTable(keys, table);
      assertData(doc, text, withValue(data, keys, table), where);
      deepEqual(hunk(text, doc.text).removed, [], where);
      ok(doc.removeTable(keys), where);
      equal(doc.text, text, where);
      equal(doc.removeTable(keys), false, where);
    }
  });

  Deno.test(`set() of a key in a new table of ${name} then delete() gives back the text`, () => {
    const data = parseToml(text, FILE);
    for (const parent of [[], ...headerTables(text)]) {
      const where = `${name}: ${parent.join(".")}`;
      const doc = new TomlDocument(text, FILE);
      const keys = [...parent, "rtconf_table", "rtconf_key"];
      doc.set(keys, true);
      assertData(doc, text, withValue(data, keys, true), where);
      deepEqual(hunk(text, doc.text).removed, [], where);
      ok(doc.delete(keys), where);
      equal(doc.text, text, where);
    }
  });

  Deno.test(`delete() of each value of ${name} removes its lines and nothing else`, () => {
    const data = parseToml(text, FILE);
    const declared = new Set(headerTables(text).map((keys) => JSON.stringify(keys)));
    for (const { entry, keys } of editables(text)) {
      const where = `${name}: ${keys.join(".")}`;
      const doc = new TomlDocument(text, FILE);
      ok(doc.delete(keys), where);
      // A table that only dotted keys made goes with its last key.
      let expected = withValue(data, keys, undefined);
      for (let i = keys.length - 1; i > 0; i--) {
        const table = keys.slice(0, i);
        const value = table.reduce((at: TomlValue, key) => (at as TomlTable)[key], expected);
        if (Object.keys(value).length > 0 || declared.has(JSON.stringify(table))) break;
        expected = withValue(expected, table, undefined);
      }
      assertData(doc, text, expected, where);
      const { removed, added } = hunk(text, doc.text);
      deepEqual(added, [], where);
      deepEqual(removed, entryLines(text, entry), where);
    }
  });
}

// 2. The edits keep the file's own style.

const CRI = ["plugins", "io.containerd.grpc.v1.cri"];
const RUNTIMES = [...CRI, "containerd", "runtimes"];
const NVIDIA = {
  runtime_type: "io.containerd.runc.v2",
  options: { BinaryName: "/usr/bin/nvidia" },
};

Deno.test("edits of a CRLF file write CRLF line ends", () => {
  const text = fixture("edge/crlf.toml");
  ok(text.includes("\r\n"), "testdata/edge/crlf.toml lost its CRLF line ends");
  const doc = new TomlDocument(text, FILE);
  doc.addTable([...RUNTIMES, "nvidia"], { runtime_type: "io.containerd.runc.v2" });
  doc.set([...CRI, "enable_cdi"], true);
  doc.change([...CRI, "containerd", "default_runtime_name"], "nvidia");
  doc.appendItem(["imports"], "/etc/containerd/conf.d/*.toml");
  equal(doc.text.replaceAll("\r\n", "").includes("\n"), false, "a bare LF was written");
  equal(
    doc.text,
    [
      "version = 2",
      'imports = ["/etc/containerd/site.d/*.toml", "/etc/containerd/conf.d/*.toml"]',
      "",
      '[plugins."io.containerd.grpc.v1.cri"] # rtconf: added',
      "  enable_cdi = true",
      "",
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      '  default_runtime_name = "nvidia" # rtconf: was "runc" # the default',
      "",
      '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '    runtime_type = "io.containerd.runc.v2"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      "      SystemdCgroup = true",
      "",
      '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]',
      '    runtime_type = "io.containerd.runc.v2"',
      "",
    ].join("\r\n"),
  );
  doc.removeItem(["imports"], "/etc/containerd/conf.d/*.toml");
  doc.restore([...CRI, "containerd", "default_runtime_name"]);
  doc.delete([...CRI, "enable_cdi"]);
  doc.removeTable([...RUNTIMES, "nvidia"]);
  equal(doc.text, text);
});

Deno.test("edits at the end of a file without a final newline add none", () => {
  const text = fixture("edge/no-final-newline.toml");
  ok(!text.endsWith("\n"), "testdata/edge/no-final-newline.toml gained a final newline");
  const runc = [...RUNTIMES, "runc"];
  const doc = new TomlDocument(text, FILE);
  doc.set([...runc, "privileged_without_host_devices"], false);
  ok(doc.text.endsWith('"io.containerd.runc.v2"\n  privileged_without_host_devices = false'));
  doc.addTable([...runc, "options"], { SystemdCgroup: true });
  ok(doc.text.endsWith(
    '= false\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n' +
      "  SystemdCgroup = true",
  ));
  ok(doc.removeTable([...runc, "options"]));
  ok(doc.delete([...runc, "privileged_without_host_devices"]));
  equal(doc.text, text);
  // Deleting the last line takes the newline before it instead.
  ok(doc.delete([...runc, "runtime_type"]));
  equal(doc.text, text.slice(0, text.lastIndexOf("\n")));
});

Deno.test("new lines copy a file's tab indentation", () => {
  const text = fixture("edge/tabs.toml");
  const doc = new TomlDocument(text, FILE);
  doc.set([...CRI, "containerd", "snapshotter"], "overlayfs");
  doc.addTable([...RUNTIMES, "nvidia"], NVIDIA);
  deepEqual(hunk(text, doc.text), {
    removed: [],
    added: [
      '\t\t\tsnapshotter = "overlayfs"\n',
      "\n",
      '\t\t\t[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n',
      '\t\t\t\truntime_type = "io.containerd.runc.v2"\n',
      "\n",
      '\t\t\t\t[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]\n',
      '\t\t\t\t\tBinaryName = "/usr/bin/nvidia"\n',
    ],
  });
  ok(
    doc.text.endsWith(
      '\t\t\t\t\tSystemdCgroup = true\n\n\t\t\t[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n' +
        '\t\t\t\truntime_type = "io.containerd.runc.v2"\n\n' +
        '\t\t\t\t[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]\n' +
        '\t\t\t\t\tBinaryName = "/usr/bin/nvidia"\n',
    ),
  );
  doc.removeTable([...RUNTIMES, "nvidia"]);
  doc.delete([...CRI, "containerd", "snapshotter"]);
  equal(doc.text, text);
});

Deno.test("new keys and values copy a file's single quotes", () => {
  const text = fixture("edge/single-quoted.toml");
  const runtime = ["plugins", "io.containerd.cri.v1.runtime"];
  const doc = new TomlDocument(text, FILE);
  doc.change([...runtime, "containerd", "default_runtime_name"], "nvidia");
  doc.addTable([...runtime, "containerd", "runtimes", "nvidia"], NVIDIA);
  doc.set([...runtime, "enable_cdi"], true);
  equal(
    doc.text,
    `version = 3

[plugins.'io.containerd.cri.v1.runtime'] # rtconf: added
  enable_cdi = true

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'nvidia' # rtconf: was 'runc'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    BinaryName = '/usr/bin/runc'
    SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia]
  runtime_type = 'io.containerd.runc.v2'

  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia.options]
    BinaryName = '/usr/bin/nvidia'
`,
  );
  doc.restore([...runtime, "containerd", "default_runtime_name"]);
  doc.removeTable([...runtime, "containerd", "runtimes", "nvidia"]);
  doc.delete([...runtime, "enable_cdi"]);
  equal(doc.text, text);
});

Deno.test("new keys of tables written with dotted keys are dotted keys too", () => {
  const text = fixture("edge/dotted.toml");
  const doc = new TomlDocument(text, FILE);
  doc.set([...CRI, "cdi_spec_dirs"], ["/etc/cdi"]);
  doc.set([...RUNTIMES, "runc", "options", "Root"], "/run/runc");
  deepEqual(hunk(text, doc.text), {
    removed: [],
    added: [
      'plugins."io.containerd.grpc.v1.cri".cdi_spec_dirs = ["/etc/cdi"]\n',
      '  options.Root = "/run/runc"\n',
    ],
  });
  ok(doc.text.includes(
    '.default_runtime_name = "runc"\nplugins."io.containerd.grpc.v1.cri".cdi_spec_dirs = ["/etc/cdi"]\n',
  ));
  ok(doc.text.includes('  options.BinaryName = "/usr/bin/runc"\n  options.Root = "/run/runc"\n'));
  doc.change([...CRI, "containerd", "default_runtime_name"], "nvidia");
  ok(doc.text.includes('.default_runtime_name = "nvidia" # rtconf: was "runc"\n'));
  doc.restore([...CRI, "containerd", "default_runtime_name"]);
  doc.delete([...RUNTIMES, "runc", "options", "Root"]);
  doc.delete([...CRI, "cdi_spec_dirs"]);
  equal(doc.text, text);
});

Deno.test("tables written inline are read but not edited inside", () => {
  const text = fixture("edge/inline.toml");
  const doc = new TomlDocument(text, FILE);
  equal(doc.get([...RUNTIMES, "runc", "options", "SystemdCgroup"]), true);
  equal(doc.note([...RUNTIMES, "runc", "runtime_type"]), undefined);
  throws(
    () => doc.set([...RUNTIMES, "runc", "runtime_type"], "x"),
    new RtconfError(
      `${FILE}: line 4: plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc is written as ` +
        "an inline value; rtconf edits tables written as [sections]",
    ),
  );
  throws(() => doc.set([...RUNTIMES, "runc", "options", "Root"], "x"), /line 4: .* inline value/);
  throws(() => doc.raw([...CRI, "registry", "mirrors", "docker.io"]), /line 8: .* inline value/);
  throws(() => doc.addTable([...RUNTIMES, "runc", "options"], {}), /exists already/);
  throws(() => doc.addTable([...CRI, "registry", "mirrors", "quay.io"], {}), /inline value/);
  equal(doc.text, text);
  // The inline table as a whole is one value: it can be replaced, noted and removed.
  equal(doc.raw([...RUNTIMES, "crun"]), '{ runtime_type = "io.containerd.runc.v2" }');
  doc.change([...RUNTIMES, "crun"], { runtime_type: "io.containerd.runsc.v1" });
  equal(doc.note([...RUNTIMES, "crun"]), 'was { runtime_type = "io.containerd.runc.v2" }');
  doc.restore([...RUNTIMES, "crun"]);
  equal(doc.text, text);
  ok(doc.removeTable([...RUNTIMES, "crun"]));
  deepEqual(hunk(text, doc.text), {
    removed: ['  crun = { runtime_type = "io.containerd.runc.v2" } # inline, with a comment\n'],
    added: [],
  });
});

Deno.test("comments that hold brackets are neither headers nor values", () => {
  const text = fixture("edge/brackets-in-comments.toml");
  const doc = new TomlDocument(text, FILE);
  equal(doc.raw([...CRI, "enable_cdi"]), "false");
  equal(doc.note([...CRI, "enable_cdi"]), undefined);
  doc.change([...CRI, "enable_cdi"], true);
  ok(doc.text.includes(
    "  enable_cdi = true # rtconf: was false # see [docs] and \"quotes\" and 'quotes'\n",
  ));
  doc.addTable([...RUNTIMES, "nvidia"], NVIDIA);
  // After the table's last value, before the comment lines that follow it.
  ok(doc.text.includes(
    '    default_runtime_name = "runc" # ["not", "an", "array"]\n\n' +
      '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]\n' +
      '        runtime_type = "io.containerd.runc.v2"\n\n' +
      '        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]\n' +
      '          BinaryName = "/usr/bin/nvidia"\n' +
      '    # runtimes = { nvidia = "[x]" }\n',
  ));
  doc.removeTable([...RUNTIMES, "nvidia"]);
  doc.restore([...CRI, "enable_cdi"]);
  equal(doc.text, text);
});

Deno.test("a byte order mark stays first, before any line an edit adds", () => {
  const text = fixture("edge/bom.toml");
  ok(text.startsWith("\uFEFFversion = 2\n"), "testdata/edge/bom.toml lost its byte order mark");
  const doc = new TomlDocument(text, FILE);
  doc.set(["root"], "/var/lib/containerd");
  doc.addTable(["grpc"], { address: "/run/containerd/containerd.sock" });
  ok(doc.text.startsWith('\uFEFFversion = 2\nroot = "/var/lib/containerd"\n\n[plugins.'));
  ok(doc.delete(["version"]));
  ok(doc.text.startsWith('\uFEFFroot = "/var/lib/containerd"\n\n[plugins.'));
});

// Before the fix, a line inserted right after the byte order mark was taken
// for the end of a file without a final newline: `version = 2` was glued to
// the header after it, which is invalid TOML.
Deno.test("a root key goes after the byte order mark of a file that starts with a header", () => {
  const doc = new TomlDocument("\uFEFF[grpc]\naddress = '/run/x.sock'\n", FILE);
  doc.set(["version"], 2n);
  equal(doc.text, "\uFEFFversion = 2\n[grpc]\naddress = '/run/x.sock'\n");
  equal(doc.get(["version"]), 2n);
  ok(doc.delete(["version"]));
  equal(doc.text, "\uFEFF[grpc]\naddress = '/run/x.sock'\n");
  // A file of only a byte order mark is empty: new lines end with a newline.
  const empty = new TomlDocument("\uFEFF", FILE);
  empty.addTable(["grpc"], { address: "/run/x.sock" });
  equal(empty.text, '\uFEFF[grpc]\naddress = "/run/x.sock"\n');
});

// 3. What each method does, case by case.

Deno.test("TomlDocument() rejects invalid TOML in one line with the file, line and column", () => {
  throws(
    () => new TomlDocument('version = 2\n[plugins]\n  x = "a\n', FILE),
    new RtconfError(
      `${FILE}: invalid TOML at line 3, column 9: control characters are not allowed in strings`,
    ),
  );
});

Deno.test("get() and raw() read values by keys", () => {
  const doc = new TomlDocument(fixture("containerd/commented-v2.toml"), FILE);
  equal(doc.get(["version"]), 2n);
  equal(doc.get([...CRI, "sandbox_image"]), "registry.k8s.io/pause:3.9");
  equal(doc.raw([...CRI, "sandbox_image"]), '"registry.k8s.io/pause:3.9"');
  equal(doc.get([...CRI, "missing"]), undefined);
  equal(doc.raw([...CRI, "missing"]), undefined);
  equal(doc.get(["version", "x"]), undefined);
  ok(isTable(doc.get([...RUNTIMES, "runc"])));
  equal(doc.raw([...RUNTIMES, "runc"]), undefined, "a [table] has no value text");
});

Deno.test("setRaw() writes the text given, and only when it differs", () => {
  const text = fixture("containerd/commented-v2.toml");
  const doc = new TomlDocument(text, FILE);
  doc.setRaw(["root"], '"/var/lib/containerd"');
  equal(doc.text, text);
  doc.setRaw(["root"], "'/data/containerd'");
  equal(doc.get(["root"]), "/data/containerd");
  deepEqual(hunk(text, doc.text), {
    removed: ['root = "/var/lib/containerd"   # keep images on the data disk\n'],
    added: ["root = '/data/containerd'   # keep images on the data disk\n"],
  });
  throws(() => doc.setRaw(["missing"], "1"), /internal error: no missing in /);
  // Text that is not TOML is caught when the values are next read, before any write.
  doc.setRaw(["root"], "[1,");
  throws(
    () => doc.data,
    /internal error: an edit of .* made invalid TOML .*please report this bug/,
  );
});

Deno.test("set() writes new values in the file's quoting, beside their siblings", () => {
  const text = fixture("containerd/commented-v2.toml");
  const doc = new TomlDocument(text, FILE);
  doc.set([...CRI, "enable_cdi"], true);
  doc.set([...CRI, "cdi_spec_dirs"], ["/etc/cdi", "/var/run/cdi"]);
  doc.set([...RUNTIMES, "runc", "options", "BinaryName"], "/usr/bin/runc");
  doc.set(["oom_score"], -999n);
  deepEqual(hunk(text, doc.text).removed, [
    "  enable_cdi = false  # turned on by the GPU rollout\n",
  ]);
  ok(doc.text.includes('state = "/run/containerd"\noom_score = -999\n\n[grpc]'));
  ok(doc.text.includes(
    '  enable_cdi = true  # turned on by the GPU rollout\n  cdi_spec_dirs = ["/etc/cdi", "/var/run/cdi"]\n',
  ));
  ok(doc.text.includes(
    '        SystemdCgroup = true   # kubelet uses the systemd cgroup driver\n        BinaryName = "/usr/bin/runc"\n',
  ));
});

Deno.test("delete() takes a table that set() added with its last value, and the blank line", () => {
  const text = fixture("containerd/imports-v2.toml");
  const doc = new TomlDocument(text, FILE);
  doc.set([...CRI, "cni", "bin_dir"], "/opt/cni/bin");
  doc.set([...CRI, "cni", "conf_dir"], "/etc/cni/net.d");
  ok(doc.text.includes(
    '[plugins."io.containerd.grpc.v1.cri".cni] # rtconf: added\n  bin_dir = "/opt/cni/bin"\n' +
      '  conf_dir = "/etc/cni/net.d"\n',
  ));
  ok(doc.delete([...CRI, "cni", "bin_dir"]));
  ok(doc.text.includes("# rtconf: added"), "the header stays while it holds a value");
  ok(doc.delete([...CRI, "cni", "conf_dir"]));
  equal(doc.text, text);
  equal(doc.delete([...CRI, "cni", "conf_dir"]), false);
});

Deno.test("removeTable() removes a table, its sub-tables and the blank lines before them", () => {
  const text = fixture("containerd/commented-v2.toml");
  const doc = new TomlDocument(text, FILE);
  ok(doc.removeTable([...RUNTIMES, "runc"]));
  equal(doc.get([...RUNTIMES, "runc"]), undefined);
  // The comment line above the header is not the table's: it stays.
  const start = text.indexOf('    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]');
  const end = text.indexOf("\n  # Registry mirrors");
  equal(doc.text, text.slice(0, start) + text.slice(end));
  deepEqual(hunk(text, doc.text).added, []);
  equal(doc.removeTable([...RUNTIMES, "runc"]), false);
  equal(doc.removeTable(["version"]), false, "not a table");
});

Deno.test("change() notes the value it replaces once, and restore() puts it back", () => {
  const text = fixture("containerd/commented-v2.toml");
  const keys = [...CRI, "containerd", "default_runtime_name"];
  const doc = new TomlDocument(text, FILE);
  doc.change(keys, "runc");
  equal(doc.text, text, "no change, no note");
  doc.change(keys, "nvidia");
  equal(doc.note(keys), 'was "runc"');
  ok(doc.text.includes(
    '    default_runtime_name = "nvidia"  # rtconf: was "runc" # the default, written out\n',
  ));
  doc.change(keys, "nvidia-cdi");
  equal(doc.note(keys), 'was "runc"', "the note keeps the original");
  doc.restore(keys);
  equal(doc.text, text);
  // A value change() added has the note `added`; restore() removes it.
  doc.change([...CRI, "containerd", "discard_unpacked_layers"], true);
  equal(doc.note([...CRI, "containerd", "discard_unpacked_layers"]), "added");
  doc.restore([...CRI, "containerd", "discard_unpacked_layers"]);
  equal(doc.text, text);
});

Deno.test("restore() without a `was` note with a value removes the value", () => {
  const doc = new TomlDocument("a = 1 # rtconf: was [\nb = 2 # rtconf: was\nc = 3\n", FILE);
  equal(doc.note(["a"]), "was [");
  doc.restore(["a"]);
  doc.restore(["b"]);
  doc.restore(["c"]);
  equal(doc.text, "");
});

// Before the fix, change() of a value written over several lines put the
// whole value in the note, newlines and all: the lines after the first became
// TOML lines again, and the edit failed as invalid TOML.
Deno.test("change() notes a value written over several lines on one line", () => {
  const text = fixture("crio/crio.conf");
  const keys = ["crio", "runtime", "default_capabilities"];
  const before = new TomlDocument(text, FILE).get(keys);
  ok(new TomlDocument(text, FILE).raw(keys)!.includes("\n"));
  const doc = new TomlDocument(text, FILE);
  doc.change(keys, ["CHOWN"]);
  equal(
    doc.note(keys),
    `was ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"]`,
  );
  doc.restore(keys);
  ok(sameValue(doc.get(keys), before));
  equal(
    doc.raw(keys),
    '["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"]',
  );
  // A multi-line literal string is noted as a literal string.
  const literal = new TomlDocument("motd = '''\nhello'''\n", FILE);
  literal.change(["motd"], "bye");
  equal(literal.text, "motd = 'bye' # rtconf: was 'hello'\n");
});

Deno.test("addNote() goes before a comment the line has; removeNote() takes back only the note", () => {
  const text = 'a = "x" # mine\nb = [\n  1,\n] # after an array\nc = 1\n';
  const doc = new TomlDocument(text, FILE);
  doc.addNote(["a"], "added");
  doc.addNote(["b"], "was [2]");
  doc.addNote(["c"], 'was "y"');
  equal(
    doc.text,
    'a = "x" # rtconf: added # mine\nb = [\n  1,\n] # rtconf: was [2] # after an array\n' +
      'c = 1 # rtconf: was "y"\n',
  );
  equal(doc.note(["b"]), "was [2]");
  for (const key of ["a", "b", "c"]) doc.removeNote([key]);
  equal(doc.text, text);
  doc.removeNote(["a"]);
  equal(doc.text, text, "no note, nothing to remove");
  equal(doc.note(["a"]), undefined, "a comment that is not a note");
  throws(() => doc.addNote(["missing"], "added"), /internal error: no missing to note/);
});

Deno.test("appendItem() follows the array's layout, removeItem() takes the item back", () => {
  const cases: [string, string][] = [
    ["a = []\n", 'a = ["/x"]\n'],
    ['a = ["b"]\n', 'a = ["b", "/x"]\n'],
    ["a = ['b']\n", "a = ['b', '/x']\n"],
    ['a = ["b",]\n', 'a = ["b", "/x",]\n'],
    ['a = [ "b" ]\n', 'a = [ "b", "/x" ]\n'],
    ['a = [\n  "b",\n]\n', 'a = [\n  "b",\n  "/x",\n]\n'],
    ['a = [\n  "b"\n]\n', 'a = [\n  "b",\n  "/x"\n]\n'],
    ['a = [\n\t"b", # c\n]\n', 'a = [\n\t"b", # c\n\t"/x",\n]\n'],
  ];
  for (const [text, appended] of cases) {
    const doc = new TomlDocument(text, FILE);
    doc.appendItem(["a"], "/x");
    equal(doc.text, appended, text);
    ok(doc.removeItem(["a"], "/x"), text);
    equal(doc.text, text, text);
    equal(doc.removeItem(["a"], "/x"), false, text);
  }
  throws(() => new TomlDocument("", FILE).appendItem(["a"], "/x"), /internal error: no a in/);
  equal(new TomlDocument("a = 1\n", FILE).removeItem(["a"], "/x"), false, "not an array");
});

// Before the fix, removeItem() of an item the array held before appendItem()
// added it again looked for an array without either, and failed.
Deno.test("removeItem() of an item that is there twice removes the last one", () => {
  const text = 'imports = ["/x", "/etc/containerd/conf.d/*.toml"]\n';
  const doc = new TomlDocument(text, FILE);
  doc.appendItem(["imports"], "/etc/containerd/conf.d/*.toml");
  equal(
    doc.text,
    'imports = ["/x", "/etc/containerd/conf.d/*.toml", "/etc/containerd/conf.d/*.toml"]\n',
  );
  ok(doc.removeItem(["imports"], "/etc/containerd/conf.d/*.toml"));
  equal(doc.text, text);
  ok(doc.removeItem(["imports"], "/etc/containerd/conf.d/*.toml"));
  equal(doc.text, 'imports = ["/x"]\n');
});

Deno.test("addTable() refuses a table that exists and indents a new table as its sibling", () => {
  const text = fixture("containerd/v1.toml");
  const doc = new TomlDocument(text, FILE);
  throws(() => doc.addTable(["plugins", "cri"], {}), /internal error: plugins\.cri exists already/);
  doc.addTable(["plugins", "cri", "containerd", "runtimes", "nvidia"], NVIDIA);
  equal(
    doc.text.slice(text.length),
    "\n      [plugins.cri.containerd.runtimes.nvidia]\n" +
      '        runtime_type = "io.containerd.runc.v2"\n\n' +
      "        [plugins.cri.containerd.runtimes.nvidia.options]\n" +
      '          BinaryName = "/usr/bin/nvidia"\n',
  );
  equal(doc.text.slice(0, text.length), text);
});

// Before the fix, appendItem() put the comma after the last item's comment:
// inside the comment. Without a trailing comma the new item then followed the
// last one with no comma between them, which is invalid TOML (an internal
// error: "an edit made invalid TOML"), and the new line had a bare LF in a
// CRLF file.
Deno.test("appendItem() puts the comma before the last item's comment", () => {
  const cases: [string, string][] = [
    [
      'imports = [\n  "/etc/containerd/site.d/*.toml" # site files\n]\n',
      'imports = [\n  "/etc/containerd/site.d/*.toml", # site files\n  "/x"\n]\n',
    ],
    [
      'imports = [\n  "/etc/containerd/site.d/*.toml", # site files\n]\n',
      'imports = [\n  "/etc/containerd/site.d/*.toml", # site files\n  "/x",\n]\n',
    ],
    [
      'imports = [\n  "/a#b" # a hash in a string, then a # comment\n]\n',
      'imports = [\n  "/a#b", # a hash in a string, then a # comment\n  "/x"\n]\n',
    ],
    [
      'imports = [\n  "/a"\n  # one\n  # two\n]\n',
      'imports = [\n  "/a",\n  # one\n  # two\n  "/x"\n]\n',
    ],
    [
      'imports = [\r\n  "/a" # c\r\n]\r\n',
      'imports = [\r\n  "/a", # c\r\n  "/x"\r\n]\r\n',
    ],
    [
      'imports = [\r\n  "/a",\r\n]\r\n',
      'imports = [\r\n  "/a",\r\n  "/x",\r\n]\r\n',
    ],
  ];
  for (const [text, appended] of cases) {
    const doc = new TomlDocument(text, FILE);
    doc.appendItem(["imports"], "/x");
    equal(doc.text, appended, text);
    ok(doc.removeItem(["imports"], "/x"), text);
    equal(doc.text, text, text);
  }
});

Deno.test("a TOML 1.1 text is refused with its line and column, as the engines would", () => {
  const [, text] = testdata("corpus").find(([name]) => name.endsWith("toml-1.1.toml"))!;
  throws(
    () => new TomlDocument(text, FILE),
    (error: unknown) =>
      error instanceof RtconfError &&
      error.message ===
        `${FILE}: invalid TOML at line 2, column 21: a newline in an inline table (TOML 1.1); ` +
          "containerd, CRI-O and podman read TOML 1.0",
  );
});
