/**
 * `runtime status` reads files as strictly as configure does, and says what
 * the engine does where no file sets a value — judged by the real engines.
 *
 * @module
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { rtconf, rtconfOk, withFiles } from "./_helpers.ts";
import { containerdDump, loadEngines } from "./_engines.ts";

const engines = await loadEngines();

async function status(root: string, engine: string) {
  const run = await rtconfOk(
    "runtime",
    "status",
    `--runtime=${engine}`,
    `--host-root=${root}`,
    "--json",
  );
  return JSON.parse(run.stdout).engines[0];
}

Deno.test("status reads a daemon.json with a byte order mark, as configure and dockerd do", async () => {
  const text = '\uFEFF{\n  "runtimes": { "nvidia": { "path": "nvidia-container-runtime" } }\n}\n';
  await withFiles({ "etc/docker/daemon.json": text }, async (root) => {
    const docker = await status(root, "docker");
    deepEqual(docker.runtimes.map((r: { name: string }) => r.name), ["runc", "nvidia"]);
    // configure reads the same file the same way.
    await rtconfOk("runtime", "configure", "--runtime=docker", `--host-root=${root}`, "--dry-run");
  });
});

Deno.test("status and configure give the same one-line error for invalid JSON", async () => {
  await withFiles({ "etc/docker/daemon.json": '{\n  "debug": true,\n}\n' }, async (root) => {
    const shown = await rtconf("runtime", "status", "--runtime=docker", `--host-root=${root}`);
    const configured = await rtconf(
      "runtime",
      "configure",
      "--runtime=docker",
      `--host-root=${root}`,
    );
    equal(shown.status, 1);
    equal(configured.status, 1);
    // The same message; status names the file where it read it, configure by its host path.
    const reason = (stderr: string) => stderr.slice(stderr.indexOf("daemon.json: "));
    equal(reason(shown.stderr), reason(configured.stderr));
    match(
      shown.stderr,
      /^rtconf: \S+daemon\.json: invalid JSON at line 3, column 1: trailing comma before '\}'\n$/,
    );
  });
});

Deno.test("status: CDI where no file sets it is what real containerd uses", async () => {
  const { containerd } = engines;
  const cases: [string, string, boolean | null, string[]][] = [
    // config, what status says, the containerd series whose dump must agree
    ['version = 3\n[plugins."io.containerd.cri.v1.runtime"]\n', "containerd 2.x default", true, [
      "2.1",
    ]],
    [
      'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n',
      "on in containerd 2.x, off in 1.x",
      null,
      ["1.7", "2.1"],
    ],
    ["[plugins.cri]\n", "containerd 1.x default", false, ["1.7"]],
  ];
  for (const [text, engineDefault, enabled, series] of cases) {
    await withFiles({ "etc/containerd/config.toml": text }, async (root) => {
      const shown = await status(root, "containerd");
      deepEqual(
        shown.cdi,
        enabled === undefined ? { enabled, file: "", engineDefault } : {
          enabled,
          file: "",
          engineDefault,
        },
      );
      const dumped: Record<string, unknown> = {};
      for (const version of series) {
        const dump = await containerdDump(
          containerd[version].bin,
          join(root, "etc/containerd/config.toml"),
        );
        const plugins = dump.plugins as Record<string, Record<string, unknown>>;
        const cri = plugins["io.containerd.cri.v1.runtime"] ?? plugins["io.containerd.grpc.v1.cri"];
        dumped[version] = cri.enable_cdi;
      }
      if (enabled === null) {
        deepEqual(
          dumped,
          { "1.7": false, "2.1": true },
          "the versions disagree, so status cannot say",
        );
      } else {
        for (const version of series) equal(dumped[version], enabled, `containerd ${version}`);
      }
    });
  }
});

Deno.test("status: Docker's and CRI-O's CDI defaults are named", async () => {
  await withFiles({ "etc/docker/daemon.json": "{}\n" }, async (root) => {
    deepEqual((await status(root, "docker")).cdi, {
      enabled: null,
      file: "",
      engineDefault: "on since Docker 28.2, off before",
    });
    deepEqual((await status(root, "crio")).cdi, {
      enabled: true,
      file: "",
      engineDefault: "always on",
    });
  });
});
