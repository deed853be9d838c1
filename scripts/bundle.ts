/**
 * Builds `dist/rtconf.js`: the whole CLI as one self-contained JavaScript file
 * (`deno bundle`), which `deno run -A --no-config rtconf.js …` runs with no
 * network and no project files.
 *
 * ```sh
 * deno task bundle                              # dist/rtconf.js
 * deno run -A scripts/bundle.ts --output=FILE [--minify]
 * ```
 *
 * After bundling, this checks that the file imports nothing but Node's
 * built-in modules (no `npm:`, no relative or remote import) and that it runs
 * (`--version`) from an empty directory.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const decoder = new TextDecoder();

function fail(message: string, status = 1): never {
  console.error(`bundle: ${message}`);
  Deno.exit(status);
}

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

if (import.meta.main) {
  const { values } = (() => {
    try {
      return parseArgs({
        args: Deno.args,
        options: {
          output: { type: "string", default: "dist/rtconf.js" },
          minify: { type: "boolean", default: false },
        },
        strict: true,
      });
    } catch (error) {
      fail(`${(error as Error).message}; usage: bundle.ts [--output=FILE] [--minify]`, 2);
    }
  })();
  const output = resolve(values.output);
  await Deno.mkdir(dirname(output), { recursive: true });
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", ...(values.minify ? ["--minify"] : []), "-o", output, "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) fail(`deno bundle failed:\n${decoder.decode(result.stderr).trim()}`);

  const foreign = foreignImports(await Deno.readTextFile(output));
  if (foreign.length > 0) fail(`${output} is not self-contained: it imports ${foreign.join(", ")}`);

  const empty = await Deno.makeTempDir({ prefix: "rtconf-bundle-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", output, "--version"],
      cwd: empty,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const printed = decoder.decode(run.stdout);
    if (!run.success || !printed.startsWith("rtconf ")) {
      fail(`${output} --version failed:\n${decoder.decode(run.stderr).trim()}`);
    }
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
  const size = (await Deno.stat(output)).size;
  console.error(`bundle: wrote ${output} (${(size / 1024).toFixed(0)} KiB)`);
}
