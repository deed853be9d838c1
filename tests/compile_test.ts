/**
 * `deno task compile` (scripts/compile.ts) without DENORT_BIN: where Deno's base
 * runtime cannot be downloaded, one line naming DENORT_BIN and exit status 3;
 * where it can, both executables.
 *
 * @module
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("compile: exit 3 and one line naming DENORT_BIN, or both executables", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "rtconf-compile-" });
  try {
    const env = Deno.env.toObject();
    delete env.DENORT_BIN;
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/compile.ts", `--out-dir=${outDir}`],
      cwd: ROOT,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    if (result.code === 0) {
      // The runtime was cached or downloaded: the executables must be there.
      for (const target of ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]) {
        const info = await Deno.stat(join(outDir, `rtconf-${target}`));
        ok(info.isFile && info.size > 1_000_000, `rtconf-${target} is not an executable`);
      }
      return;
    }
    equal(result.code, 3, `compile failed with status ${result.code}:\n${stderr}`);
    const lines = stderr.split("\n").filter((line) => line !== "");
    equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
    match(lines[0], /^compile: .*DENORT_BIN/);
    match(lines[0], /denort-[a-z0-9_]+-unknown-linux-gnu\.zip/);
    equal(new TextDecoder().decode(result.stdout), "");
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
