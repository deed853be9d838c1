/**
 * The library entry (`lib/mod.ts`, `@rtconf/rtconf`) is runtime-independent:
 * bundled to one ESM file, it runs under Node and plans containerd and Docker
 * changes there; the bundle never touches `Deno`.
 *
 * @module
 */

import { deepEqual, equal, fail, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NODE = "/usr/bin/node";
const decoder = new TextDecoder();

const SCRIPT = `
import { configure, engineStatus, renderDiff } from "./rtconf-lib.mjs";

const containerd = await configure({
  engine: "containerd",
  files: {},
  runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
});
const docker = await configure({
  engine: "docker",
  files: { "/etc/docker/daemon.json": '{\\n  "log-driver": "json-file"\\n}\\n' },
  runtimes: [{ name: "nvidia", path: "nvidia-container-runtime" }],
  setAsDefault: "nvidia",
});
const daemon = docker.find((change) => change.path === "/etc/docker/daemon.json");
const status = await engineStatus("docker", [{ path: daemon.path, text: daemon.after }]);
const diff = renderDiff(docker);
console.log(JSON.stringify({ runtime: typeof Deno, containerd, docker, status, diff }));
`;

Deno.test("library: lib/mod.ts bundled runs under Node, with no Deno API", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtconf-node-" });
  try {
    const bundle = join(dir, "rtconf-lib.mjs");
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform=browser", "-o", bundle, "lib/mod.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    ok(built.success, `deno bundle lib/mod.ts failed:\n${decoder.decode(built.stderr)}`);

    const code = await Deno.readTextFile(bundle);
    const uses = code.split("\n").flatMap((line, i) =>
      /\bDeno\.[A-Za-z]/.test(line) ? [`  line ${i + 1}: ${line.trim().slice(0, 120)}`] : []
    );
    if (uses.length > 0) {
      fail(
        `the library entry lib/mod.ts must not use Deno APIs (it is meant for Node and browsers ` +
          `too), but its bundle references Deno:\n${uses.join("\n")}`,
      );
    }
    equal(code.includes("npm:"), false, "the library bundle still imports npm: packages");

    await Deno.writeTextFile(join(dir, "main.mjs"), SCRIPT);
    const run = await new Deno.Command(NODE, {
      args: ["main.mjs"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = decoder.decode(run.stderr);
    equal(run.code, 0, `node failed:\n${stderr}`);
    const out = JSON.parse(decoder.decode(run.stdout));
    equal(out.runtime, "undefined", "the script ran with Deno, not Node");

    // The drop-in first: it exists before the import that names it.
    deepEqual(
      out.containerd.map((change: { path: string }) => change.path),
      ["/etc/containerd/conf.d/99-nvidia.toml", "/etc/containerd/config.toml"],
    );
    const [dropIn, main] = out.containerd as { before?: string; after: string }[];
    equal(main.before, undefined);
    ok(main.after.includes(`version = 2\n`), main.after);
    ok(main.after.includes(`imports = ["/etc/containerd/conf.d/99-nvidia.toml"]`), main.after);
    ok(
      dropIn.after.includes(`[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]`),
      dropIn.after,
    );
    ok(dropIn.after.includes(`BinaryName = "/usr/bin/nvidia-container-runtime"`), dropIn.after);

    const daemon = (out.docker as { path: string; after: string }[]).find((change) =>
      change.path === "/etc/docker/daemon.json"
    );
    ok(daemon, `no change to daemon.json in ${JSON.stringify(out.docker)}`);
    deepEqual(JSON.parse(daemon.after), {
      "log-driver": "json-file",
      "default-runtime": "nvidia",
      runtimes: { nvidia: { path: "nvidia-container-runtime" } },
    });
    ok(daemon.after.startsWith(`{\n  "log-driver"`), "the indentation was not kept");
    equal(out.status.defaultRuntime, "nvidia");
    ok(out.diff.includes('+  "default-runtime": "nvidia"'), out.diff);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
