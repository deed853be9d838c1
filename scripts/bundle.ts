/**
 * Builds two self-contained JavaScript files (`deno bundle`):
 *
 * - `dist/rtconf.js`: the whole CLI, which `deno run -A --no-config rtconf.js …`
 *   runs with no network and no project files. Run with Node, it says in one
 *   line that it needs Deno and exits 1.
 * - `dist/rtconf-lib.mjs`: the library's planning core (`lib/mod.ts`) as one
 *   ES module for Node (and browsers): no Deno API, nothing to install.
 *
 * ```sh
 * deno task bundle                  # dist/rtconf.js and dist/rtconf-lib.mjs
 * deno run -A scripts/bundle.ts --out-dir=DIR [--minify]
 * ```
 *
 * After bundling, this checks that the files import nothing but Node's
 * built-in modules (no `npm:`, no relative or remote import), that the CLI
 * runs (`--version`) from an empty directory, and that the library uses no
 * Deno API.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const decoder = new TextDecoder();

/** The first line of the CLI bundle: under Node it stops with one line instead of doing nothing. */
export const NODE_GUARD = 'if (typeof Deno === "undefined") { console.error("rtconf: ' +
  "dist/rtconf.js is the command line for Deno: deno run -A rtconf.js ARGS; " +
  'for Node, the library is dist/rtconf-lib.mjs"); globalThis.process?.exit(1); }\n';

/** The imports of a bundle that are not `node:` built-ins; empty when it is self-contained. */
export function foreignImports(code: string): string[] {
  const specifiers = [
    ...code.matchAll(/^\s*(?:import|export)\b[^;"']*?\bfrom\s*["']([^"']+)["']/gm),
    ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((match) => match[1]);
  const npm = code.includes("npm:") ? ["npm: (somewhere in the file)"] : [];
  return [...specifiers.filter((s) => !s.startsWith("node:")), ...npm];
}

/** The lines of a bundle that use a Deno API. */
export function denoUses(code: string): string[] {
  return code.split("\n").flatMap((line, i) =>
    /\bDeno\.[A-Za-z]/.test(line) ? [`line ${i + 1}: ${line.trim().slice(0, 120)}`] : []
  );
}

/**
 * Bundles `entry` (relative to the repository) into `output`.
 *
 * @param entry The module, e.g. `main.ts`.
 * @param output The file to write.
 * @param options `platform`: `browser` for code that must not use Deno or Node
 * APIs; `minify`.
 * @throws {Error} when `deno bundle` fails or the file imports something.
 */
export async function bundle(
  entry: string,
  output: string,
  options: { platform?: "deno" | "browser"; minify?: boolean } = {},
): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      ...(options.platform ? [`--platform=${options.platform}`] : []),
      ...(options.minify ? ["--minify"] : []),
      "-o",
      output,
      entry,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`deno bundle ${entry} failed:\n${decoder.decode(result.stderr).trim()}`);
  }
  const foreign = foreignImports(await Deno.readTextFile(output));
  if (foreign.length > 0) {
    throw new Error(`${output} is not self-contained: it imports ${foreign.join(", ")}`);
  }
}

/**
 * Builds the CLI bundle: `main.ts`, with the Node guard as its first line.
 *
 * @param output The file to write.
 * @param minify Minify it.
 */
export async function bundleCli(output: string, minify = false): Promise<void> {
  await bundle("main.ts", output, { minify });
  await Deno.writeTextFile(output, NODE_GUARD + await Deno.readTextFile(output));
}

/**
 * Builds the library bundle for Node: `lib/mod.ts`, with no Deno API in it.
 *
 * @param output The file to write.
 * @param minify Minify it.
 * @throws {Error} when the library uses a Deno API.
 */
export async function bundleLibrary(output: string, minify = false): Promise<void> {
  await bundle("lib/mod.ts", output, { platform: "browser", minify });
  const uses = denoUses(await Deno.readTextFile(output));
  if (uses.length > 0) {
    throw new Error(
      `the library entry lib/mod.ts must not use Deno APIs (it is for Node and browsers too), ` +
        `but its bundle does:\n  ${uses.join("\n  ")}`,
    );
  }
}

if (import.meta.main) {
  const fail = (message: string, status = 1): never => {
    console.error(`bundle: ${message}`);
    Deno.exit(status);
  };
  const { values } = (() => {
    try {
      return parseArgs({
        args: Deno.args,
        options: {
          "out-dir": { type: "string", default: "dist" },
          minify: { type: "boolean", default: false },
        },
        strict: true,
      });
    } catch (error) {
      return fail(`${(error as Error).message}; usage: bundle.ts [--out-dir=DIR] [--minify]`, 2);
    }
  })();
  const dir = resolve(values["out-dir"]);
  await Deno.mkdir(dir, { recursive: true });
  const cli = join(dir, "rtconf.js");
  const library = join(dir, "rtconf-lib.mjs");
  try {
    await bundleCli(cli, values.minify);
    await bundleLibrary(library, values.minify);
  } catch (error) {
    fail((error as Error).message);
  }

  const empty = await Deno.makeTempDir({ prefix: "rtconf-bundle-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", cli, "--version"],
      cwd: empty,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const printed = decoder.decode(run.stdout);
    if (!run.success || !printed.startsWith("rtconf ")) {
      fail(`${cli} --version failed:\n${decoder.decode(run.stderr).trim()}`);
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
  for (const file of [cli, library]) {
    const size = (await Deno.stat(file)).size;
    console.error(`bundle: wrote ${file} (${(size / 1024).toFixed(0)} KiB)`);
  }
}
