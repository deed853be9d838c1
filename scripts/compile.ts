/**
 * Builds the rtconf executables with `deno compile`, one per target:
 * `dist/rtconf-x86_64-unknown-linux-gnu` and `dist/rtconf-aarch64-unknown-linux-gnu`.
 *
 * ```sh
 * deno task compile                          # into dist/
 * deno run -A scripts/compile.ts --out-dir=DIR
 * ```
 *
 * `deno compile` needs Deno's base runtime (denort) of this Deno version for
 * each target. It takes it from `DENORT_BIN` (a denort binary for the host
 * target), from Deno's cache (`$DENO_DIR/dl/release/v<version>/denort-<target>.zip`),
 * or downloads it from Deno's download server. Where none of these works, this stops with
 * one line on stderr saying how to provide it, and exit status 3, which CI
 * treats as "skipped". Any other failure is exit status 1; a bad flag, 2.
 *
 * The executables get only the permissions the CLI needs: read and write
 * config files, run the engines' commands (`containerd config dump`,
 * `crio status config`, `systemctl`, `chroot`), and read the environment
 * variables it knows: nvidia-ctk's `NVIDIA_CTK_DEBUG` and `NVIDIA_CTK_QUIET`,
 * those of `rtconf installer`, and the test hook that slows writes down. Everything is embedded: the
 * executable reads no file of the project at run time.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INSTALLER_VARIABLE_NAMES } from "../lib/cli/installer_env.ts";

const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] as const;
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  // The C library's xattr calls: a rewritten config keeps its ACLs and extended attributes.
  "--allow-ffi",
  `--allow-env=${
    [
      "NVIDIA_CTK_DEBUG",
      "NVIDIA_CTK_QUIET",
      ...INSTALLER_VARIABLE_NAMES,
    ].join(",")
  }`,
];
/** Exit status when the base runtime cannot be had: expected offline, not a failure. */
const EXIT_NO_RUNTIME = 3;
const ENTRY = fileURLToPath(new URL("../main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const VERSION = Deno.version.deno;

/** Deno's cache directory, as Deno itself finds it. */
function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return join(xdg || join(Deno.env.get("HOME") ?? "~", ".cache"), "deno");
}

/** Where `deno compile` looks for a target's runtime before downloading it. */
function cachedRuntime(target: string): string {
  return join(denoDir(), "dl", "release", `v${VERSION}`, `denort-${target}.zip`);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function fail(message: string, status = 1): never {
  console.error(`compile: ${message}`);
  Deno.exit(status);
}

const { values } = (() => {
  try {
    return parseArgs({
      args: Deno.args,
      options: { "out-dir": { type: "string", default: "dist" } },
      strict: true,
    });
  } catch (error) {
    fail(`${(error as Error).message}; usage: compile.ts [--out-dir=DIR]`, 2);
  }
})();
const outDir = values["out-dir"];
const hostTarget = Deno.build.target;
const denortBin = Deno.env.get("DENORT_BIN") || undefined;
if (denortBin && !await isFile(denortBin)) {
  fail(`DENORT_BIN=${denortBin} is not a file; it must be a denort ${VERSION} binary`);
}

await Deno.mkdir(outDir, { recursive: true });
const decoder = new TextDecoder();

for (const target of TARGETS) {
  const output = join(outDir, `rtconf-${target}`);
  // DENORT_BIN is one binary, for the machine it runs on: never embed it into another target.
  const useDenortBin = denortBin !== undefined && target === hostTarget;
  const env: Record<string, string> = { ...Deno.env.toObject() };
  delete env.DENORT_BIN;
  if (useDenortBin) env.DENORT_BIN = denortBin;
  const source = useDenortBin
    ? `DENORT_BIN=${denortBin}`
    : await isFile(cachedRuntime(target))
    ? cachedRuntime(target)
    : "a download from Deno's download server";
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...PERMISSIONS,
      "--exclude-unused-npm",
      "--target",
      target,
      "-o",
      output,
      ENTRY,
    ],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const stderr = decoder.decode(result.stderr);
    const setUp = /Setting up base binary|denort|download/i.test(stderr);
    const offline = /error sending request|dns error|failed to lookup|connect|timed out/i.test(
      stderr,
    );
    if (setUp && offline && !useDenortBin) {
      fail(
        `Deno's base runtime (denort ${VERSION}, ${target}) cannot be had: the download from Deno's download server failed; set DENORT_BIN to a denort ${VERSION} binary (for ${hostTarget}) or put denort-${target}.zip into ${
          join(denoDir(), "dl", "release", `v${VERSION}`)
        }/`,
        EXIT_NO_RUNTIME,
      );
    }
    fail(
      `deno compile --target ${target} failed (base runtime from ${source}):\n${stderr.trim()}`,
    );
  }
  if (target === hostTarget) {
    // The full deno binary given as DENORT_BIN builds a file that runs the deno CLI instead.
    const check = await new Deno.Command(output, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const printed = decoder.decode(check.stdout).split("\n")[0];
    if (!check.success || !printed.startsWith("rtconf ")) {
      await Deno.remove(output);
      fail(
        `${output} --version printed ${
          JSON.stringify(printed)
        }, not "rtconf …": the base runtime from ${source} is not a denort ${VERSION} binary`,
      );
    }
  }
  const size = (await Deno.stat(output)).size;
  console.error(
    `compile: wrote ${output} (${(size / 2 ** 20).toFixed(1)} MiB, base runtime from ${source})`,
  );
}
