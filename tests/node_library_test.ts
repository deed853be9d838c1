/**
 * What README says of Node: `deno task bundle`'s library bundle
 * (`dist/rtconf-lib.mjs`, built here by the same function) runs under Node
 * and plans containerd and Docker changes there, and never touches `Deno`;
 * the CLI bundle, run with Node, says in one line that it needs Deno.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { bundleCli, bundleLibrary } from "../scripts/bundle.ts";

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

Deno.test("library: dist/rtconf-lib.mjs (lib/mod.ts bundled) runs under Node, with no Deno API", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtconf-node-" });
  try {
    await bundleLibrary(join(dir, "rtconf-lib.mjs"));
    equal((await Deno.readTextFile(join(dir, "rtconf-lib.mjs"))).includes("npm:"), false);

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

Deno.test("the CLI bundle run with Node says that it needs Deno, in one line, and fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtconf-node-cli-" });
  try {
    await bundleCli(join(dir, "rtconf.js"));
    const run = await new Deno.Command(NODE, {
      args: [join(dir, "rtconf.js"), "--version"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(run.code, 1);
    equal(decoder.decode(run.stdout), "");
    equal(
      decoder.decode(run.stderr),
      "rtconf: dist/rtconf.js is the command line for Deno: deno run -A rtconf.js ARGS; " +
        "for Node, the library is dist/rtconf-lib.mjs\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
