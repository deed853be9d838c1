/**
 * The bundled CLI (`deno task bundle`, dist/rtconf.js) is one self-contained
 * file: built here with `deno bundle`, copied alone into an empty directory,
 * and run with `deno run -A --no-config` from a directory without deno.json, on
 * real configs.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleCli, foreignImports } from "../scripts/bundle.ts";
import { VERSION } from "../lib/version.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(ROOT, "tests", "fixtures");
const decoder = new TextDecoder();

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("bundle: one self-contained file runs the CLI on real configs", async (t) => {
  const build = await Deno.makeTempDir({ prefix: "rtconf-bundle-build-" });
  const home = await Deno.makeTempDir({ prefix: "rtconf-bundle-run-" });
  const work = await Deno.makeTempDir({ prefix: "rtconf-bundle-cwd-" });
  try {
    await bundleCli(join(build, "rtconf.js"));
    const bundle = join(home, "rtconf.js");
    await Deno.copyFile(join(build, "rtconf.js"), bundle);
    await Deno.remove(build, { recursive: true });
    deepEqual(
      [...Deno.readDirSync(home)].map((entry) => entry.name),
      ["rtconf.js"],
    );

    /** Runs the bundle from `work`, a directory with no deno.json. */
    const rtconf = async (...args: string[]): Promise<Run> => {
      const result = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-config", bundle, ...args],
        cwd: work,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        status: result.code,
        stdout: decoder.decode(result.stdout),
        stderr: decoder.decode(result.stderr),
      };
    };
    const ok0 = async (...args: string[]): Promise<Run> => {
      const run = await rtconf(...args);
      equal(run.status, 0, `rtconf ${args.join(" ")} failed:\n${run.stderr}`);
      return run;
    };

    await t.step("it imports nothing but node: built-ins, no npm:", async () => {
      const code = await Deno.readTextFile(bundle);
      deepEqual(foreignImports(code), []);
      equal(code.includes("npm:"), false);
      // The engines' parsers are about 1.8 MB of it (WebAssembly, gzip, base64).
      ok(code.length > 1_850_000 && code.length < 2_500_000, `odd size: ${code.length}`);
    });

    await t.step("--version", async () => {
      equal((await ok0("--version")).stdout, `rtconf ${VERSION}\n`);
    });

    await t.step("dry-run with no config: the README's first command", async () => {
      const config = join(work, "none", "etc", "containerd", "config.toml");
      const dropIn = join(work, "none", "etc", "containerd", "conf.d", "99-nvidia.toml");
      const run = await ok0(
        "runtime",
        "configure",
        "--runtime=containerd",
        "--dry-run",
        `--config=${config}`,
        `--drop-in-config=${dropIn}`,
      );
      match(run.stdout, /BinaryName = "\/usr\/bin\/nvidia-container-runtime"/);
      ok(run.stdout.includes(`imports = ["${dropIn}"]`), run.stdout);
      equal(await exists(join(work, "none")), false, "a dry run wrote files");
      // The literal README command, with the machine's own default paths.
      const literal = await ok0("runtime", "configure", "--runtime=containerd", "--dry-run");
      ok(literal.stdout.includes('imports = ["/etc/containerd/conf.d/99-nvidia.toml"]'));
    });

    await t.step("containerd: configure and unconfigure, drop-in mode", async () => {
      const original = await Deno.readTextFile(
        join(FIXTURES, "containerd", "default-1.7.toml"),
      );
      const config = join(work, "containerd", "config.toml");
      const dropIn = join(work, "containerd", "conf.d", "99-nvidia.toml");
      await Deno.mkdir(join(work, "containerd"));
      await Deno.writeTextFile(config, original);
      const flags = ["--runtime=containerd", `--config=${config}`, `--drop-in-config=${dropIn}`];
      await ok0("runtime", "configure", ...flags, "--set-as-default");
      const main = await Deno.readTextFile(config);
      ok(main.includes(`/containerd/conf.d/99-nvidia.toml"]`), main);
      const dropInText = await Deno.readTextFile(dropIn);
      ok(
        dropInText.includes(
          `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]`,
        ),
        dropInText,
      );
      ok(dropInText.includes(`BinaryName = "/usr/bin/nvidia-container-runtime"`));
      ok(dropInText.includes(`default_runtime_name = "nvidia"`));
      // A second run writes nothing.
      match((await ok0("runtime", "configure", ...flags, "--set-as-default")).stderr, /no changes/);
      await ok0("runtime", "unconfigure", ...flags, "--set-as-default");
      equal(await Deno.readTextFile(config), original);
      equal(await exists(dropIn), false);
    });

    await t.step("docker: configure and unconfigure", async () => {
      const original = await Deno.readTextFile(join(FIXTURES, "docker", "indent-4.json"));
      const config = join(work, "docker", "daemon.json");
      await Deno.mkdir(join(work, "docker"));
      await Deno.writeTextFile(config, original);
      const flags = ["--runtime=docker", `--config=${config}`, "--set-as-default"];
      await ok0("runtime", "configure", ...flags);
      const json = JSON.parse(await Deno.readTextFile(config));
      deepEqual(json.runtimes, { nvidia: { path: "nvidia-container-runtime" } });
      equal(json["default-runtime"], "nvidia");
      equal(json["storage-driver"], "overlay2");
      await ok0("runtime", "unconfigure", ...flags);
      equal(await Deno.readTextFile(config), original);
      deepEqual([...Deno.readDirSync(join(work, "docker"))].map((e) => e.name), ["daemon.json"]);
    });

    await t.step("crio: configure and unconfigure, drop-in mode", async () => {
      const original = await Deno.readTextFile(join(FIXTURES, "crio", "crio.conf"));
      const config = join(work, "crio", "crio.conf");
      const dropIn = join(work, "crio", "crio.conf.d", "99-nvidia.toml");
      await Deno.mkdir(join(work, "crio"));
      await Deno.writeTextFile(config, original);
      const flags = ["--runtime=crio", `--config=${config}`, `--drop-in-config=${dropIn}`];
      await ok0("runtime", "configure", ...flags);
      const dropInText = await Deno.readTextFile(dropIn);
      ok(dropInText.includes("[crio.runtime.runtimes.nvidia]"), dropInText);
      ok(dropInText.includes(`runtime_path = "/usr/bin/nvidia-container-runtime"`));
      equal(await Deno.readTextFile(config), original, "crio.conf changed");
      await ok0("runtime", "unconfigure", ...flags);
      equal(await exists(dropIn), false);
      equal(await Deno.readTextFile(config), original);
    });

    await t.step("hook: the OCI hook as JSON", async () => {
      const run = await ok0("hook", "--hook-path=/usr/local/bin/nvidia-container-runtime-hook");
      const hook = JSON.parse(run.stdout);
      equal(hook.version, "1.0.0");
      equal(hook.hook.path, "/usr/local/bin/nvidia-container-runtime-hook");
      deepEqual(hook.hook.args, ["nvidia-container-runtime-hook", "prestart"]);
      deepEqual(hook.stages, ["prestart"]);
    });
  } finally {
    await Deno.remove(build, { recursive: true }).catch(() => {});
    await Deno.remove(home, { recursive: true });
    await Deno.remove(work, { recursive: true });
  }
});
