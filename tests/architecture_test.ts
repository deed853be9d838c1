/**
 * The shape the code keeps: a runtime-independent core (no `Deno.*`, no
 * `node:` outside lib/io/ and lib/cli/), each engine's knowledge in its own
 * folder (no branches on engine names elsewhere), and no import cycle.
 *
 * @module
 */

import { deepEqual, equal } from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every module of lib/ and main.ts (tests excluded), by path relative to the root. */
async function modules(): Promise<Map<string, string>> {
  const found = new Map<string, string>([[
    "main.ts",
    await Deno.readTextFile(join(ROOT, "main.ts")),
  ]]);
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(join(ROOT, dir))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory && entry.name !== "testdata") await walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
        found.set(path, await Deno.readTextFile(join(ROOT, path)));
      }
    }
  };
  await walk("lib");
  return found;
}

/** The lines of a module that are code: comment lines (JSDoc, `//`) left out. */
function codeLines(text: string): [number, string][] {
  return text.split("\n").map((line, i): [number, string] => [i + 1, line])
    .filter(([, line]) => !/^\s*(\*|\/\*\*|\/\/)/.test(line));
}

/** The modules a module imports (static, dynamic and type-only), as paths from the root. */
function imports(path: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.[^"]+)"/gms),
    ...text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
  ].map((match) => match[1]);
  return specifiers.map((specifier) => relative(ROOT, join(ROOT, dirname(path), specifier)));
}

const MODULES = await modules();

Deno.test("the core uses no Deno API and no node: module; only lib/io/ and lib/cli/ do", () => {
  const found: string[] = [];
  for (const [path, text] of MODULES) {
    if (path === "main.ts" || path.startsWith("lib/io/") || path.startsWith("lib/cli/")) continue;
    for (const [line, code] of codeLines(text)) {
      if (/\bDeno\.|["']node:/.test(code)) found.push(`${path}:${line}: ${code.trim()}`);
    }
  }
  deepEqual(found, []);
});

Deno.test("no branch on an engine's name outside lib/engines/", () => {
  const found: string[] = [];
  const names = "containerd|crio|docker|podman";
  const branch = new RegExp(
    `[!=]==?\\s*"(?:${names})"|"(?:${names})"\\s*[!=]==?|case "(?:${names})"`,
  );
  for (const [path, text] of MODULES) {
    if (path.startsWith("lib/engines/")) continue;
    for (const [line, code] of codeLines(text)) {
      if (branch.test(code)) found.push(`${path}:${line}: ${code.trim()}`);
    }
  }
  deepEqual(found, []);
});

Deno.test("no import cycle among the modules", () => {
  const graph = new Map([...MODULES].map(([path, text]) => [path, imports(path, text)]));
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (path: string, trail: string[]) => {
    if (state.get(path) === "done") return;
    if (state.get(path) === "visiting") {
      cycles.push([...trail.slice(trail.indexOf(path)), path].join(" -> "));
      return;
    }
    state.set(path, "visiting");
    for (const next of graph.get(path) ?? []) visit(next, [...trail, path]);
    state.set(path, "done");
  };
  for (const path of graph.keys()) visit(path, []);
  deepEqual(cycles, []);
});

Deno.test("the library entry reaches neither lib/io/ nor lib/cli/", () => {
  const reached = new Set<string>();
  const visit = (path: string) => {
    if (reached.has(path)) return;
    reached.add(path);
    for (const next of imports(path, MODULES.get(path) ?? "")) visit(next);
  };
  visit("lib/mod.ts");
  visit("lib/hooks/mod.ts");
  equal(reached.has("lib/engines/docker/mod.ts"), true, "the walk follows dynamic imports");
  deepEqual([...reached].filter((path) => /^lib\/(io|cli)\//.test(path)), []);
});
