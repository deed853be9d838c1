import { deepEqual } from "node:assert/strict";
import { TextLayout } from "./layout.ts";
import { type Entry, type Header, scan } from "./scanner.ts";
import { testdata } from "./testdata/texts.ts";

const TEXTS = [
  ...testdata("containerd"),
  ...testdata("crio"),
  ...testdata("edge"),
  ...testdata("corpus").filter(([name]) => !name.endsWith("toml-1.1.toml")),
];

const headerShape = (
  h: Header,
) => [h.kind, h.names, h.lineStart, h.lineEnd, h.indent, h.commentStart];
const entryShape = (e: Entry) => [
  e.header?.lineStart,
  e.key.map((part) => part.raw),
  e.lineStart,
  e.valueStart,
  e.valueEnd,
  e.commentStart,
  e.contentEnd,
  e.lineEnd,
  e.indent,
];

/** Checks that a layout kept up to date is what a fresh scan of the text finds. */
function assertFresh(layout: TextLayout, text: string, message: string): void {
  const fresh = scan(text);
  deepEqual(layout.headers.map(headerShape), fresh.headers.map(headerShape), message);
  deepEqual(layout.entries.map(entryShape), fresh.entries.map(entryShape), message);
  for (const header of fresh.headers) {
    deepEqual(
      layout.headersAt(header.names).map(headerShape),
      fresh.headers.filter((h) => h.names.join("\0") === header.names.join("\0")).map(headerShape),
      message,
    );
  }
  const quotes = (c: string) => fresh.entries.filter((e) => text[e.valueStart] === c).length;
  deepEqual(layout.strings, { literal: quotes("'"), basic: quotes('"') }, message);
}

/** An edit: replace `text.slice(start, end)` with `insert`. */
type Edit = [what: string, start: number, end: number, insert: string];

/** Edits such as an editor makes: of values, lines, comments and whole tables. */
function edits(text: string): Edit[] {
  const { headers, entries } = scan(text);
  const list: Edit[] = [];
  for (const e of entries) {
    list.push([`value at ${e.valueStart}`, e.valueStart, e.valueEnd, '"rtconf"']);
    list.push([
      `value over lines at ${e.valueStart}`,
      e.valueStart,
      e.valueEnd,
      "[\n  1,\n  2,\n]",
    ]);
    list.push([`comment at ${e.contentEnd}`, e.contentEnd, e.contentEnd, " # rtconf: added"]);
    list.push([`line at ${e.lineStart} removed`, e.lineStart, e.lineEnd, ""]);
    const newline = text[e.lineEnd - 1] === "\n" ? "" : "\n";
    list.push([`line after ${e.lineStart}`, e.lineEnd, e.lineEnd, `${newline}rtconf_new = 1\n`]);
  }
  for (const h of headers) {
    list.push([
      `table before ${h.lineStart}`,
      h.lineStart,
      h.lineStart,
      '[rtconf."a.b"]\nx = 1\n\n',
    ]);
    list.push([`header at ${h.lineStart} removed`, h.lineStart, h.lineEnd, ""]);
    if (text.slice(h.lineEnd - 2, h.lineEnd) === "]\n") {
      list.push([`header comment at ${h.lineStart}`, h.lineEnd - 1, h.lineEnd - 1, " # note"]);
    }
  }
  list.push(["table at the end", text.length, text.length, "\n[rtconf_end]\ny = 'x'\n"]);
  return list;
}

/** Applies an edit to the text and the layout. */
function apply(layout: TextLayout, text: string, [, start, end, insert]: Edit): string {
  const next = text.slice(0, start) + insert + text.slice(end);
  layout.update(next, start, end, insert.length);
  return next;
}

for (const [name, text] of TEXTS) {
  Deno.test(`TextLayout.update() after each edit of ${name} is what a fresh scan finds`, () => {
    for (const edit of edits(text)) {
      // Edits on a layout scanned whole, scanned up to the first header, and not scanned.
      for (const before of ["whole", "root", "none"]) {
        const layout = new TextLayout(text);
        if (before === "whole") layout.entries;
        if (before === "root") layout.body(undefined);
        const next = apply(layout, text, edit);
        assertFresh(layout, next, `${name}: ${edit[0]}, scanned ${before} before`);
      }
    }
  });

  Deno.test(`TextLayout.update() after a series of edits of ${name} is a fresh scan`, () => {
    const layout = new TextLayout(text);
    layout.body(undefined);
    let current = text;
    // Each edit is found in the text as it is then: one value, one new line, one new table.
    for (let round = 0; round < 5; round++) {
      const list = edits(current).filter(([what]) => !what.includes("removed"));
      const edit = list[(round * 7919) % list.length];
      current = apply(layout, current, edit);
      assertFresh(layout, current, `${name}: round ${round}: ${edit[0]}`);
    }
  });
}

Deno.test("TextLayout.body() scans the root table's lines only up to the first header", () => {
  const text = "a = 1\n[t]\nb = 2\n[u]\nc = 3\n";
  const layout = new TextLayout(text);
  deepEqual(layout.body(undefined).map((e) => e.lineStart), [0]);
  const [t] = layout.headersAt(["t"]);
  deepEqual(layout.body(t).map((e) => text.slice(e.lineStart, e.lineEnd)), ["b = 2\n"]);
});
