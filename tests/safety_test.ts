/**
 * Never lose a byte: atomic writes that keep mode, owner and symlinks,
 * writability checked before the first write, backups, the lock, leftovers.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { rtconf, rtconfOk, withFiles } from "./_helpers.ts";

const V2 =
  'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "runc"\n';

function containerd(dir: string, ...more: string[]): string[] {
  return [
    "runtime",
    "configure",
    "--runtime=containerd",
    `--config=${join(dir, "etc/containerd/config.toml")}`,
    `--drop-in-config=${join(dir, "etc/containerd/conf.d/99-nvidia.toml")}`,
    ...more,
  ];
}

/** Every file under `dir`, with its text. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (path: string) => {
    for await (const entry of Deno.readDir(path)) {
      const full = join(path, entry.name);
      if (entry.isDirectory) await walk(full);
      else {files[full.slice(dir.length)] = await Deno.readTextFile(full).catch(() =>
          "<unreadable>"
        );}
    }
  };
  await walk(dir);
  return files;
}

Deno.test("writes keep mode and owner; a new file is no more readable than its source", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (dir) => {
    const config = join(dir, "etc/containerd/config.toml");
    // The config holds registry credentials: 0600.
    await Deno.chmod(config, 0o600);
    await Deno.chown(config, 65534, 65534);
    await rtconfOk(...containerd(dir));
    const info = await Deno.stat(config);
    equal(info.mode! & 0o7777, 0o600);
    equal(info.uid, 65534);
    equal(info.gid, 65534);
    const dropIn = await Deno.stat(join(dir, "etc/containerd/conf.d/99-nvidia.toml"));
    equal(dropIn.mode! & 0o7777, 0o600, "the drop-in copies the config's CRI section");
    // No temporary file is left.
    deepEqual(Object.keys(await snapshot(dir)).sort(), [
      "/etc/containerd/conf.d/99-nvidia.toml",
      "/etc/containerd/config.toml",
    ]);
  });
});

Deno.test("new files are 0644 and new directories 0755, whatever the umask", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    const umask = Deno.umask(0o077);
    try {
      await rtconfOk("runtime", "configure", "--runtime=containerd", `--host-root=${root}`);
    } finally {
      Deno.umask(umask);
    }
    for (const dir of ["etc/containerd", "etc/containerd/conf.d"]) {
      equal((await Deno.stat(join(root, dir))).mode! & 0o7777, 0o755, dir);
    }
    for (const file of ["etc/containerd/config.toml", "etc/containerd/conf.d/99-nvidia.toml"]) {
      equal((await Deno.stat(join(root, file))).mode! & 0o7777, 0o644, file);
    }
  });
});

Deno.test("a symlinked config: the target is edited and the link kept", async () => {
  await withFiles({ "real/config.toml": V2 }, async (dir) => {
    await Deno.mkdir(join(dir, "etc/containerd"), { recursive: true });
    const link = join(dir, "etc/containerd/config.toml");
    await Deno.symlink("../../real/config.toml", link);
    await rtconfOk(...containerd(dir, "--drop-in-config="));
    ok((await Deno.lstat(link)).isSymlink);
    equal(await Deno.readLink(link), "../../real/config.toml");
    match(await Deno.readTextFile(join(dir, "real/config.toml")), /runtimes\.nvidia\]/);
  });
});

/** Runs `fn` with `dir` mounted read-only over itself (as root, like CI). */
async function readOnly(dir: string, fn: () => Promise<void>): Promise<void> {
  const mount = await new Deno.Command("mount", { args: ["--bind", "-o", "ro", dir, dir] })
    .output();
  ok(
    mount.success,
    `cannot make a read-only mount here: ${new TextDecoder().decode(mount.stderr)}`,
  );
  await new Deno.Command("mount", { args: ["-o", "remount,ro,bind", dir] }).output();
  try {
    await fn();
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
  }
}

Deno.test("a read-only file system: one line naming the file and the reason; nothing written", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (dir) => {
    const etc = join(dir, "etc/containerd");
    await readOnly(etc, async () => {
      const before = await snapshot(dir);
      const run = await rtconf(...containerd(dir, "--drop-in-config="));
      equal(run.status, 1);
      equal(
        run.stderr,
        `rtconf: ${etc}/config.toml: cannot write: read-only file system; nothing was written\n`,
      );
      deepEqual(await snapshot(dir), before);
    });
  });
});

Deno.test("a plan of several files is checked before the first write", async () => {
  await withFiles({
    "etc/containerd/config.toml": V2,
    "etc/containerd/conf.d/README": "drop-ins\n",
  }, async (dir) => {
    await readOnly(join(dir, "etc/containerd/conf.d"), async () => {
      const before = await snapshot(dir);
      const run = await rtconf(...containerd(dir));
      equal(run.status, 1);
      match(
        run.stderr,
        /^rtconf: .*99-nvidia\.toml: cannot write: read-only file system; nothing was written\n$/,
      );
      deepEqual(await snapshot(dir), before, "config.toml must not gain its import");
    });
  });
});

/** The backups under a host root: path under /var/backups/rtconf → text and mode. */
async function backups(root: string): Promise<Record<string, { text: string; mode: number }>> {
  const found: Record<string, { text: string; mode: number }> = {};
  const base = join(root, "var/backups/rtconf");
  for (const [path, text] of Object.entries(await snapshot(root))) {
    if (!path.startsWith("/var/backups/rtconf/")) continue;
    const mode = (await Deno.stat(join(root, path))).mode! & 0o7777;
    found[path.slice("/var/backups/rtconf".length)] = { text, mode };
  }
  if (Object.keys(found).length > 0) equal((await Deno.stat(base)).mode! & 0o7777, 0o700);
  return found;
}

Deno.test("--backup keeps the previous content outside the engine's files, only on a change", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (root) => {
    const config = join(root, "etc/containerd/config.toml");
    await Deno.chmod(config, 0o640);
    await Deno.chown(config, 65534, 65534);
    const args = ["runtime", "configure", "--runtime=containerd", `--host-root=${root}`];
    await rtconfOk(...args, "--backup");
    const [[path, backup], ...others] = Object.entries(await backups(root));
    deepEqual(others, [], "a created drop-in has no backup");
    match(path, /^\/etc\/containerd\/config\.toml\.\d{8}T\d{6}\.\d{3}Z$/);
    deepEqual(backup, { text: V2, mode: 0o640 });
    const info = await Deno.stat(join(root, "var/backups/rtconf", path));
    deepEqual([info.uid, info.gid], [65534, 65534], "the backup keeps the owner");
    await rtconfOk(...args, "--backup");
    equal(Object.keys(await backups(root)).length, 1, "no change, no backup");
  });
});

Deno.test("CRI-O --backup: crio.conf.d holds no backup, and status is not fooled by one", async () => {
  const site = '[crio.runtime]\ndefault_runtime = "crun"\n';
  await withFiles({ "etc/crio/crio.conf.d/10-site.conf": site }, async (root) => {
    const args = ["--runtime=crio", `--host-root=${root}`];
    await rtconfOk("runtime", "configure", ...args, "--set-as-default");
    const written = await Deno.readTextFile(join(root, "etc/crio/crio.conf.d/99-nvidia.toml"));
    await rtconfOk("runtime", "unconfigure", ...args, "--set-as-default", "--backup");
    deepEqual(
      (await Array.fromAsync(Deno.readDir(join(root, "etc/crio/crio.conf.d")))).map((e) => e.name),
      ["10-site.conf"],
    );
    deepEqual(Object.values(await backups(root)).map((b) => b.text), [written]);
    const status = await rtconfOk("runtime", "status", ...args, "--json");
    equal(JSON.parse(status.stdout).engines[0].defaultRuntime, "crun");
  });
});

Deno.test("a leftover temporary file of a killed rtconf is cleaned up", async () => {
  await withFiles({
    "etc/containerd/config.toml": V2,
    "etc/containerd/.config.toml.rtconf-12345.tmp": "partial",
    "etc/containerd/.config.toml.other.tmp": "not ours",
  }, async (dir) => {
    await rtconfOk(...containerd(dir));
    const files = Object.keys(await snapshot(dir));
    ok(!files.some((f) => f.includes("rtconf-12345")), files.join());
    ok(files.some((f) => f.includes("other.tmp")), "someone else's file is kept");
  });
});

Deno.test("two rtconf do not interleave: the second waits for the lock, then fails after the timeout", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (dir) => {
    const config = join(dir, "etc/containerd/config.toml");
    const lock = new URL("../lib/io/lock.ts", import.meta.url).href;
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { withLock } from ${JSON.stringify(lock)};
         await withLock([${JSON.stringify(config)}], async () => {
           console.log("locked");
           await new Promise((r) => setTimeout(r, 1500));
         });`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.getReader();
    equal(new TextDecoder().decode((await reader.read()).value).trim(), "locked");
    const failed = await rtconf(...containerd(dir, "--lock-timeout=0.2"));
    equal(failed.status, 1);
    equal(
      failed.stderr,
      `rtconf: ${config}: another rtconf is changing this configuration; gave up after 0.2 s\n`,
    );
    equal(await Deno.readTextFile(join(dir, "etc/containerd/config.toml")), V2);
    const started = Date.now();
    await rtconfOk(...containerd(dir));
    ok(Date.now() - started > 500, "the second run waited for the first");
    reader.releaseLock();
    await holder.stdout.cancel();
    await holder.status;
  });
});

Deno.test("--lock-timeout must be a number of seconds", async () => {
  const run = await rtconf("runtime", "configure", "--runtime=containerd", "--lock-timeout=soon");
  equal(run.status, 2);
  equal(run.stderr, 'rtconf: invalid --lock-timeout "soon": give a number of seconds\n');
});

Deno.test("the lock creates no directory: unconfigure on a host without the engine changes nothing", async () => {
  await withFiles({ "etc/.keep": "" }, async (dir) => {
    const run = await rtconfOk(
      "runtime",
      "unconfigure",
      "--runtime=crio",
      `--host-root=${dir}`,
    );
    match(run.stderr, /no changes/);
    deepEqual(Object.keys(await snapshot(dir)), ["/etc/.keep"]);
    equal(await Deno.stat(join(dir, "etc/crio")).then(() => true, () => false), false);
  });
});

Deno.test("two rtconf at once on the same config: both changes land, none is lost", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (dir) => {
    const main = new URL("./_slow_rtconf.ts", import.meta.url).pathname;
    const spawn = (name: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, ...containerd(dir, `--runtime-name=${name}=/usr/bin/${name}`)],
        env: { SLOW_WRITE_MS: "20", NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
    const results = await Promise.all(["gpu-a", "gpu-b"].map(spawn));
    for (const result of results) equal(result.code, 0, new TextDecoder().decode(result.stderr));
    const dropIn = await Deno.readTextFile(join(dir, "etc/containerd/conf.d/99-nvidia.toml"));
    match(dropIn, /runtimes\.gpu-a\]/);
    match(dropIn, /runtimes\.gpu-b\]/);
  });
});
