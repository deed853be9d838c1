/**
 * One lock per configuration, all or nothing per plan, special files and
 * permissions: rtconf run as a hostile operator would run it. The CLI runs
 * in child processes where runs race, in-process elsewhere.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { readOrUndefined, rtconf, rtconfOk, withFiles } from "./_helpers.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const SLOW = new URL("./_slow_rtconf.ts", import.meta.url).pathname;
const V2 =
  'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "runc"\n';

/** The CLI in a child process. */
function child(args: string[], env: Record<string, string> = {}, main = MAIN): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits for a child; its status and stderr. */
async function finished(process: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const out = await process.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** The names under `dir` that are rtconf's temporary files. */
async function leftovers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      if (entry.isDirectory) await walk(join(at, entry.name));
      else if (entry.name.includes(".rtconf-")) found.push(join(at, entry.name));
    }
  };
  await walk(dir);
  return found;
}

/** Runs a shell command; fails the test unless it succeeds. */
async function sh(command: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", command], stderr: "piped" }).output();
  ok(out.success, `${command}: ${new TextDecoder().decode(out.stderr)}`);
}

// ---------------------------------------------------------------------------------------------
// One lock per configuration

/** `count` concurrent Docker configures, run `i` adding runtime `gpuI`, at `where(i)`; all succeed. */
async function concurrentDocker(count: number, where: (i: number) => string): Promise<void> {
  const runs = Array.from({ length: count }, (_, i) =>
    child([
      "runtime",
      "configure",
      "--runtime=docker",
      where(i),
      `--runtime-name=gpu${i}=/usr/bin/gpu${i}`,
      "--lock-timeout=60",
    ]));
  for (const run of runs) {
    const { code, stderr } = await finished(run);
    equal(code, 0, stderr);
  }
}

Deno.test("twenty concurrent configures of a daemon.json whose directory does not exist: none is lost", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    await concurrentDocker(20, () => `--host-root=${root}`);
    const daemon = JSON.parse(await Deno.readTextFile(join(root, "etc/docker/daemon.json")));
    deepEqual(
      Object.keys(daemon.runtimes).sort(),
      Array.from({ length: 20 }, (_, i) => `gpu${i}`).sort(),
    );
  });
});

Deno.test("the same config through a linked directory and its real path: one lock, nothing lost", async () => {
  await withFiles({ "real/daemon.json": "{}\n" }, async (dir) => {
    await Deno.symlink(join(dir, "real"), join(dir, "link"));
    await concurrentDocker(
      10,
      (i) => `--config=${join(dir, i % 2 ? "link" : "real", "daemon.json")}`,
    );
    const daemon = JSON.parse(await Deno.readTextFile(join(dir, "real/daemon.json")));
    equal(Object.keys(daemon.runtimes).length, 10);
  });
});

Deno.test("several engines in one run on an empty host root: no deadlock on rtconf's own locks", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    for (const engines of ["crio,docker", "containerd,docker", "containerd,crio,docker"]) {
      const run = await rtconf(
        "runtime",
        "configure",
        `--runtime=${engines}`,
        `--host-root=${root}`,
        "--lock-timeout=2",
      );
      equal(run.status, 0, `${engines}: ${run.stderr}`);
    }
  });
});

Deno.test("the lock is rtconf's own: a flock on the config's directory does not stop it", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (root) => {
    // Anyone who can read /etc/containerd could take this lock.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${JSON.stringify(join(root, "etc/containerd"))});
         await f.lock(true); console.log("locked"); await new Promise((r) => setTimeout(r, 5000));`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.getReader();
    await reader.read();
    try {
      await rtconfOk(
        "runtime",
        "configure",
        "--runtime=containerd",
        `--host-root=${root}`,
        "--lock-timeout=0.5",
      );
      const locks = join(root, "run/rtconf/locks");
      equal((await Deno.stat(locks)).mode! & 0o777, 0o700, "only root enters the lock directory");
      deepEqual(await Array.fromAsync(Deno.readDir(locks)), [], "no lock file is left");
    } finally {
      reader.releaseLock();
      holder.kill();
      await holder.status;
      await holder.stdout.cancel().catch(() => {});
    }
  });
});

Deno.test("rtconf hook --output run ten times at once: all succeed, no temporary file is left", async () => {
  await withFiles({ "hooks.d/.keep": "" }, async (dir) => {
    const output = join(dir, "hooks.d/oci-nvidia-hook.json");
    const runs = Array.from({ length: 10 }, (_, i) =>
      child(
        [
          "hook",
          `--hook-path=/usr/bin/nvidia-container-runtime-hook${i % 2 ? "" : "-x"}`,
          `--output=${output}`,
        ],
        { SLOW_WRITE_MS: "5" },
        SLOW,
      ));
    for (const run of runs) {
      const { code, stderr } = await finished(run);
      equal(code, 0, stderr);
    }
    JSON.parse(await Deno.readTextFile(output));
    deepEqual(await leftovers(dir), []);
  });
});

Deno.test("another program's edit between rtconf's read and its rename is not overwritten", async () => {
  let text = V2;
  for (let i = 0; i < 2000; i++) {
    text += `\n[plugins."example.v1.p${i}"]\n  setting = "${"x".repeat(80)}"\n`;
  }
  await withFiles({ "etc/containerd/config.toml": text }, async (root) => {
    const config = join(root, "etc/containerd/config.toml");
    const run = child(
      ["runtime", "configure", "--runtime=containerd", `--host-root=${root}`, "--drop-in-config="],
      { SLOW_WRITE_MS: "20" },
      SLOW,
    );
    // While rtconf writes its new file (slowly), another tool edits the config.
    for (let waited = 0; (await leftovers(root)).length === 0 && waited < 10_000; waited += 20) {
      await new Promise((done) => setTimeout(done, 20));
    }
    ok((await leftovers(root)).length > 0, "rtconf began writing");
    await Deno.writeTextFile(config, "# the other tool\n", { append: true });
    const { code, stderr } = await finished(run);
    equal(code, 1, stderr);
    match(
      stderr,
      /config\.toml: changed while rtconf was working \(another program wrote it\); nothing was written: run rtconf again/,
    );
    equal(await Deno.readTextFile(config), `${text}# the other tool\n`);
    deepEqual(await leftovers(root), []);
  });
});

// ---------------------------------------------------------------------------------------------
// All or nothing, per plan

/** A containerd host root where configure must write config.toml and the drop-in. */
function twoFiles(fn: (root: string, config: string, dropIn: string) => Promise<void>) {
  return withFiles({
    "etc/containerd/config.toml": V2,
    "etc/containerd/conf.d/99-nvidia.toml": "",
  }, (root) =>
    fn(
      root,
      join(root, "etc/containerd/config.toml"),
      join(root, "etc/containerd/conf.d/99-nvidia.toml"),
    ));
}

/** Runs configure, which must fail with `reason`, and checks that nothing changed. */
async function refused(root: string, reason: RegExp, ...more: string[]): Promise<void> {
  const before = await Deno.readTextFile(join(root, "etc/containerd/config.toml"));
  const run = await rtconf(
    "runtime",
    "configure",
    "--runtime=containerd",
    `--host-root=${root}`,
    ...more,
  );
  equal(run.status, 1, run.stderr);
  equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
  match(run.stderr, reason);
  equal(
    await Deno.readTextFile(join(root, "etc/containerd/config.toml")),
    before,
    "config.toml must not gain its import",
  );
  deepEqual(await leftovers(root), []);
}

Deno.test("a bind-mounted drop-in: refused before anything is written", async () => {
  await twoFiles(async (root, _config, dropIn) => {
    await Deno.writeTextFile(join(root, "mounted.toml"), "");
    await sh(`mount --bind ${join(root, "mounted.toml")} ${dropIn}`);
    try {
      await refused(root, /99-nvidia\.toml: a mount point \(a file mounted over another\)/);
    } finally {
      await sh(`umount ${dropIn}`);
    }
  });
});

Deno.test("an immutable drop-in: refused, saying immutable; nothing written", async () => {
  await twoFiles(async (root, _config, dropIn) => {
    await sh(`chattr +i ${dropIn}`);
    try {
      await refused(root, /99-nvidia\.toml: cannot write: immutable or append-only/);
    } finally {
      await sh(`chattr -i ${dropIn}`);
    }
  });
});

Deno.test("a full disk: nothing written", async () => {
  await twoFiles(async (root) => {
    const conf = join(root, "etc/containerd/conf.d");
    await sh(`mount -t tmpfs -o size=16k tmpfs ${conf}`);
    try {
      await sh(`dd if=/dev/zero of=${conf}/filler bs=4k count=64 2>/dev/null || true`);
      await refused(
        root,
        /99-nvidia\.toml: cannot write: no space left on device; nothing was written/,
      );
    } finally {
      await sh(`umount ${conf}`);
    }
  });
});

Deno.test("a backup that cannot be written: nothing written", async () => {
  await twoFiles(async (root) => {
    await Deno.mkdir(join(root, "var"), { recursive: true });
    await Deno.writeTextFile(join(root, "var/backups"), "a file where the directory should be\n");
    await refused(
      root,
      /backups.*: cannot write the backup of .*; nothing was written/,
      "--backup",
    );
  });
});

Deno.test("a 0444 config, run without CAP_DAC_OVERRIDE: not replaced", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (root) => {
    const config = join(root, "etc/containerd/config.toml");
    await Deno.chmod(config, 0o444);
    const out = await new Deno.Command("setpriv", {
      args: [
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
        Deno.execPath(),
        "run",
        "-A",
        MAIN,
        "runtime",
        "configure",
        "--runtime=containerd",
        `--host-root=${root}`,
        "--drop-in-config=",
      ],
      env: { NO_COLOR: "1" },
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 1, stderr);
    match(stderr, /config\.toml: cannot write: permission denied; nothing was written/);
    equal(await Deno.readTextFile(config), V2);
  });
});

// ---------------------------------------------------------------------------------------------
// Special files and permissions

Deno.test("a daemon.json masked with /dev/null, or a FIFO config: one line, /dev/null untouched", async () => {
  await withFiles({ "etc/docker/.keep": "", "etc/containerd/.keep": "" }, async (root) => {
    await Deno.symlink("/dev/null", join(root, "etc/docker/daemon.json"));
    // On a host, and on this machine through an explicit path.
    await Deno.mkdir(join(root, "dev"));
    await sh(`mknod ${join(root, "dev/null")} c 1 3`);
    for (
      const where of [`--host-root=${root}`, `--config=${join(root, "etc/docker/daemon.json")}`]
    ) {
      const docker = await rtconf("runtime", "configure", "--runtime=docker", where);
      equal(docker.status, 1, docker.stderr);
      match(
        docker.stderr,
        /: (a character device, not a regular file|leads to \/dev\/null \(a masked file\?\), not a config file); nothing was written\n$/,
      );
    }
    ok((await Deno.stat("/dev/null")).isCharDevice, "/dev/null is still a device");
    ok((await Deno.stat(join(root, "dev/null"))).isCharDevice, "the host's too");

    await sh(`mkfifo ${join(root, "etc/containerd/config.toml")}`);
    const containerd = await rtconf(
      "runtime",
      "configure",
      "--runtime=containerd",
      `--host-root=${root}`,
      "--lock-timeout=1",
    );
    equal(containerd.status, 1);
    match(containerd.stderr, /config\.toml: a FIFO, not a regular file/);
  });
});

/** Sets an extended attribute and a POSIX ACL granting user 65534 read (with python3). */
async function setAttributes(file: string): Promise<void> {
  await sh(`python3 - <<'EOF'
import os, struct
os.setxattr(${JSON.stringify(file)}, "user.site", b"keep-me")
entries = [(1, 6, 0xffffffff), (2, 4, 65534), (4, 4, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff)]
acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", t, p, i) for t, p, i in entries)
os.setxattr(${JSON.stringify(file)}, "system.posix_acl_access", acl)
EOF`);
}

/** A file's extended attribute names and values (with python3). */
async function attributes(file: string): Promise<Record<string, string>> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      `import os, json, sys; f = sys.argv[1]; print(json.dumps({n: os.getxattr(f, n).hex() for n in os.listxattr(f)}))`,
      file,
    ],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("a rewrite keeps extended attributes and POSIX ACLs; so does the backup, with mode and group", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (root) => {
    const config = join(root, "etc/containerd/config.toml");
    await Deno.chmod(config, 0o640);
    await Deno.chown(config, 0, 65534);
    await setAttributes(config);
    const before = await attributes(config);
    equal(Object.keys(before).length, 2);
    await rtconfOk(
      "runtime",
      "configure",
      "--runtime=containerd",
      `--host-root=${root}`,
      "--drop-in-config=",
      "--backup",
    );
    match(await Deno.readTextFile(config), /runtimes\.nvidia\]/);
    deepEqual(await attributes(config), before);
    const [backup] = (await Array.fromAsync(
      Deno.readDir(join(root, "var/backups/rtconf/etc/containerd")),
    )).map((entry) => join(root, "var/backups/rtconf/etc/containerd", entry.name));
    equal(await Deno.readTextFile(backup), V2);
    const info = await Deno.stat(backup);
    deepEqual([info.mode! & 0o777, info.uid, info.gid], [0o640, 0, 65534]);
    deepEqual(await attributes(backup), before);
    equal(await readOrUndefined(`${config}.rtconf.bak`), undefined);
  });
});

Deno.test("two spellings of one host root take one lock: nothing is lost", async () => {
  await withFiles({ "host/etc/docker/daemon.json": "{}\n" }, async (dir) => {
    await Deno.symlink(join(dir, "host"), join(dir, "link"));
    await concurrentDocker(12, (i) => `--host-root=${join(dir, i % 2 ? "link" : "host")}`);
    const daemon = JSON.parse(await Deno.readTextFile(join(dir, "host/etc/docker/daemon.json")));
    equal(Object.keys(daemon.runtimes).length, 12);
  });
});

Deno.test("a lock file made a link to another file: the other file is untouched", async () => {
  await withFiles({ "etc/docker/daemon.json": "{}\n", "victim": "keep me\n" }, async (root) => {
    await rtconfOk("runtime", "configure", "--runtime=docker", `--host-root=${root}`);
    const locks = join(root, "run/rtconf/locks");
    // Whatever name the lock takes: make every candidate a link (the directory is empty now).
    const key = "/etc/docker/daemon.json";
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
    const name = [...new Uint8Array(digest)].slice(0, 16)
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    await Deno.symlink(join(root, "victim"), join(locks, `${name}.lock`));
    await rtconfOk("runtime", "unconfigure", "--runtime=docker", `--host-root=${root}`);
    equal(await Deno.readTextFile(join(root, "victim")), "keep me\n");
  });
});

Deno.test("rtconf hook --output does not write over a file that is not a hook of rtconf's", async () => {
  await withFiles({ "etc/docker/daemon.json": '{"debug": true}\n' }, async (root) => {
    const run = await rtconf(
      "hook",
      `--host-root=${root}`,
      "--hook-path=/usr/bin/nvidia-container-runtime-hook",
      "--output=/etc/docker/daemon.json",
    );
    equal(run.status, 1);
    match(run.stderr, /not a hook file that rtconf or nvidia-ctk wrote; nothing was written/);
    equal(await Deno.readTextFile(join(root, "etc/docker/daemon.json")), '{"debug": true}\n');
  });
});

Deno.test("setuid and setgid bits survive a rewrite", async () => {
  await withFiles({ "etc/containerd/config.toml": V2 }, async (root) => {
    const config = join(root, "etc/containerd/config.toml");
    await Deno.chown(config, 0, 65534);
    await Deno.chmod(config, 0o6640);
    await rtconfOk(
      "runtime",
      "configure",
      "--runtime=containerd",
      `--host-root=${root}`,
      "--drop-in-config=",
    );
    equal((await Deno.stat(config)).mode! & 0o7777, 0o6640);
  });
});
