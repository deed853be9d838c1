/**
 * Never act outside the host you were given: with `--host-root=H` every path
 * resolves as if H were `/` (an absolute link is a path on the host, a `..`
 * never climbs above H), a host root must look like one, and a config
 * command that hangs is bounded.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { rtconf, rtconfOk, withFiles } from "./_helpers.ts";

const V2 =
  'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "runc"\n';

/** Two temp dirs: a host root and "outside", a directory of this machine beside it. */
async function withHostAndOutside(
  fn: (host: string, outside: string) => Promise<void>,
): Promise<void> {
  await withFiles({ "host/etc/hostname": "node\n", "outside/.keep": "" }, async (dir) => {
    await fn(join(dir, "host"), join(dir, "outside"));
  });
}

/** Every file under `dir` with its text. */
async function files(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = join(at, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) found[path.slice(dir.length + 1)] = await Deno.readTextFile(path);
    }
  };
  await walk(dir);
  return found;
}

Deno.test("an absolute symlink under the host root is a path on the host", async () => {
  await withHostAndOutside(async (host, outside) => {
    // The machine rtconf runs on has a file at the link's target; the host has its own.
    await Deno.mkdir(join(outside, "cfg"), { recursive: true });
    await Deno.writeTextFile(join(outside, "cfg/config.toml"), "# the machine's own\n");
    await Deno.mkdir(join(host, outside, "cfg"), { recursive: true });
    await Deno.writeTextFile(join(host, outside, "cfg/config.toml"), V2);
    await Deno.mkdir(join(host, "etc/containerd"), { recursive: true });
    await Deno.symlink(join(outside, "cfg/config.toml"), join(host, "etc/containerd/config.toml"));
    const args = ["--runtime=containerd", `--host-root=${host}`, "--drop-in-config="];
    await rtconfOk("runtime", "configure", ...args);
    equal(await Deno.readTextFile(join(outside, "cfg/config.toml")), "# the machine's own\n");
    match(await Deno.readTextFile(join(host, outside, "cfg/config.toml")), /runtimes\.nvidia\]/);
    const status = JSON.parse((await rtconfOk("runtime", "status", ...args, "--json")).stdout);
    ok(status.engines[0].runtimes.some((r: { name: string }) => r.name === "nvidia"));
  });
});

Deno.test("a linked directory under the host root stays under it", async () => {
  await withHostAndOutside(async (host, outside) => {
    await Deno.mkdir(join(host, "srv/containerd"), { recursive: true });
    await Deno.symlink("/srv/containerd", join(host, "etc/containerd"));
    await rtconfOk("runtime", "configure", "--runtime=containerd", `--host-root=${host}`);
    deepEqual(Object.keys(await files(join(host, "srv/containerd"))).sort(), [
      "conf.d/99-nvidia.toml",
      "config.toml",
    ]);
    deepEqual(await files(outside), { ".keep": "" });
  });
});

Deno.test("a link or a path that climbs out of the host root is refused; nothing is written", async (t) => {
  const cases: [string, (host: string) => Promise<string[]>][] = [
    ["a relative link above the root", async (host) => {
      await Deno.mkdir(join(host, "etc/docker"), { recursive: true });
      await Deno.symlink("../../../outside/daemon.json", join(host, "etc/docker/daemon.json"));
      return ["--runtime=docker"];
    }],
    ["a linked conf.d above the root", async (host) => {
      await Deno.mkdir(join(host, "etc/containerd"), { recursive: true });
      await Deno.writeTextFile(join(host, "etc/containerd/config.toml"), V2);
      await Deno.symlink("../../../outside", join(host, "etc/containerd/conf.d"));
      return ["--runtime=containerd"];
    }],
    [
      "a --config with ..",
      () => Promise.resolve(["--runtime=docker", "--config=/../../outside/d.json"]),
    ],
  ];
  for (const [name, setUp] of cases) {
    await t.step(name, async () => {
      await withHostAndOutside(async (host, outside) => {
        const flags = await setUp(host);
        const run = await rtconf("runtime", "configure", ...flags, `--host-root=${host}`);
        equal(run.status, 1, run.stderr);
        match(
          run.stderr,
          /^rtconf: .*: a symbolic link leads out of the host root\n$|^rtconf: .*leads out of the host root/,
        );
        deepEqual(await files(outside), { ".keep": "" });
      });
    });
  }
});

Deno.test("--host-root must be a host's root: an existing directory with etc", async (t) => {
  const cases: [string, (dir: string) => Promise<string>, RegExp][] = [
    ["missing", (dir) => Promise.resolve(join(dir, "nope")), /no such directory/],
    ["a file", async (dir) => {
      await Deno.writeTextFile(join(dir, "file"), "");
      return join(dir, "file");
    }, /not a directory/],
    ["no etc", async (dir) => {
      await Deno.mkdir(join(dir, "empty"));
      return join(dir, "empty");
    }, /it has no etc directory/],
  ];
  for (const [name, make, reason] of cases) {
    await t.step(name, async () => {
      await withFiles({}, async (dir) => {
        const root = await make(dir);
        const before = await files(dir);
        for (const command of [["configure"], ["unconfigure"], ["status"]]) {
          const run = await rtconf(
            "runtime",
            ...command,
            "--runtime=containerd",
            `--host-root=${root}`,
          );
          equal(run.status, 1, `${command}: ${run.stderr}`);
          match(run.stderr, /^rtconf: --host-root=.*: not a host's root \(/);
          match(run.stderr, reason);
        }
        deepEqual(await files(dir), before, "nothing was created");
      });
    });
  }
});

Deno.test("--config-source=command with a command that hangs: bounded, then the next source", async () => {
  await withFiles({ "etc/containerd/config.toml": V2, "bin/containerd": "" }, async (dir) => {
    const hang = join(dir, "bin/containerd");
    await Deno.writeTextFile(hang, "#!/bin/sh\nexec sleep 60\n");
    await Deno.chmod(hang, 0o755);
    const args = [
      "runtime",
      "configure",
      "--runtime=containerd",
      `--config=${join(dir, "etc/containerd/config.toml")}`,
      `--drop-in-config=${join(dir, "etc/containerd/conf.d/99-nvidia.toml")}`,
      `--executable-path=${hang}`,
      "--command-timeout=0.5",
      "--dry-run",
    ];
    const started = Date.now();
    const fallback = await rtconfOk(...args, "--config-source=command,file");
    ok(Date.now() - started < 10_000, "it did not wait for the command");
    match(fallback.stderr, /no answer in 0\.5 s; trying the next config source/);
    match(fallback.stdout, /runtimes\.nvidia\]/);
    const only = await rtconf(...args, "--config-source=command");
    equal(only.status, 1);
    match(
      only.stderr,
      /^rtconf: failed to run command .*containerd config dump: no answer in 0\.5 s\n$/,
    );
  });
});

Deno.test("a .. after a missing directory does not climb out of the host root", async (t) => {
  const cases: [string, (host: string) => Promise<string[]>][] = [
    ["in --config", () => Promise.resolve(["--config=/etc/missing/../../../out/daemon.json"])],
    ["in a link", async (host) => {
      await Deno.mkdir(join(host, "etc/docker"), { recursive: true });
      await Deno.symlink("nope/../../../../out/daemon.json", join(host, "etc/docker/daemon.json"));
      return [];
    }],
  ];
  for (const [name, setUp] of cases) {
    await t.step(name, async () => {
      await withHostAndOutside(async (host, outside) => {
        const flags = await setUp(host);
        const run = await rtconf(
          "runtime",
          "configure",
          "--runtime=docker",
          `--host-root=${host}`,
          ...flags,
        );
        equal(run.status, 1, run.stderr);
        match(run.stderr, /no such directory/);
        deepEqual(await files(outside), { ".keep": "" });
        deepEqual(await files(join(outside, "..")), {
          "host/etc/hostname": "node\n",
          "outside/.keep": "",
        });
      });
    });
  }
});

Deno.test("backups, locks and journals stay under the host root through its own links", async () => {
  await withHostAndOutside(async (host, outside) => {
    await Deno.mkdir(join(host, "etc/docker"), { recursive: true });
    await Deno.writeTextFile(join(host, "etc/docker/daemon.json"), "{}\n");
    // The host's /var/backups and /run are links to absolute paths: host paths.
    await Deno.mkdir(join(host, "var"));
    await Deno.symlink(outside, join(host, "var/backups"));
    await Deno.symlink(join(outside, "run"), join(host, "run"));
    await rtconfOk("runtime", "configure", "--runtime=docker", `--host-root=${host}`, "--backup");
    deepEqual(await files(outside), { ".keep": "" }, "nothing outside the host root");
    const kept = Object.keys(await files(join(host, outside)));
    ok(kept.some((path) => path.startsWith("rtconf/etc/docker/daemon.json.")), kept.join());
  });
});

Deno.test("--command-timeout ends a command that left a child holding its output", async () => {
  await withFiles({ "etc/containerd/config.toml": V2, "bin/containerd": "" }, async (dir) => {
    const hang = join(dir, "bin/containerd");
    await Deno.writeTextFile(hang, "#!/bin/sh\nsleep 60\n"); // sleep is sh's child, not exec'd
    await Deno.chmod(hang, 0o755);
    const started = Date.now();
    const run = await rtconf(
      "runtime",
      "configure",
      "--runtime=containerd",
      `--config=${join(dir, "etc/containerd/config.toml")}`,
      `--executable-path=${hang}`,
      "--config-source=command",
      "--command-timeout=0.5",
      "--dry-run",
    );
    equal(run.status, 1);
    match(run.stderr, /no answer in 0\.5 s/);
    ok(Date.now() - started < 10_000, `it returned after ${Date.now() - started} ms`);
  });
});
