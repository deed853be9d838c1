/**
 * A restart that was needed and did not succeed stays pending on the host
 * (`/run/rtconf/restart-pending`) until a run that asks for restarts does
 * it; `--check` and `runtime status` report it.
 */
import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { kit } from "./e2e/_kit.ts";
import {
  readOrUndefined,
  rtconf,
  type StandInDockerd,
  standInDockerd,
  withFiles,
} from "./_helpers.ts";

/** Gives the host root a shell and a `systemctl` that logs its calls (run through chroot). */
async function installSystemctl(root: string): Promise<() => Promise<string[]>> {
  const { busybox } = await kit();
  await Deno.mkdir(join(root, "bin"), { recursive: true });
  await Deno.mkdir(join(root, "usr/bin"), { recursive: true });
  await Deno.copyFile(busybox.file!, join(root, "bin/busybox"));
  await Deno.chmod(join(root, "bin/busybox"), 0o755);
  await Deno.symlink("busybox", join(root, "bin/sh"));
  await Deno.writeTextFile(
    join(root, "usr/bin/systemctl"),
    '#!/bin/sh\necho "$@" >> /systemctl.log\n',
  );
  await Deno.chmod(join(root, "usr/bin/systemctl"), 0o755);
  return async () =>
    ((await readOrUndefined(join(root, "systemctl.log"))) ?? "").split("\n").filter(Boolean);
}

/** The pending-restart records under a host root. */
async function records(root: string): Promise<Record<string, unknown>[]> {
  const dir = join(root, "run/rtconf/restart-pending");
  const found: Record<string, unknown>[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      found.push(JSON.parse(await Deno.readTextFile(join(dir, entry.name))));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found;
}

Deno.test("a failed restart stays pending: reported, retried by the next run, forgotten when done", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    const args = ["--runtime=containerd", `--host-root=${root}`];
    const configure = (...more: string[]) => rtconf("runtime", "configure", ...args, ...more);

    // No systemctl on the host: the files are written, the restart fails.
    let run = await configure("--restart=systemd");
    equal(run.status, 1, run.stderr);
    match(
      run.stderr,
      /^rtconf: containerd: restarting containerd failed: .*; the restart stays pending$/m,
    );
    ok(await readOrUndefined(join(root, "etc/containerd/conf.d/99-nvidia.toml")));
    const [record] = await records(root);
    equal(record.engine, "containerd");
    equal(record.configPath, "/etc/containerd/config.toml");
    const dir = await Deno.stat(join(root, "run/rtconf/restart-pending"));
    equal(dir.mode! & 0o777, 0o700, "the records are root's only");

    // Nothing changes, but the engine has not loaded its configuration: --check says so.
    run = await configure("--check");
    equal(run.status, 3, run.stderr);
    match(
      run.stderr,
      /^rtconf: warning: containerd has not loaded its configuration: a restart is pending since /m,
    );
    const status = await rtconf("runtime", "status", ...args, "--json");
    const shown = JSON.parse(status.stdout).engines[0];
    equal(shown.restartPending.since, record.since);
    match(shown.restartPending.reason, /restarting containerd failed/);
    match((await rtconf("runtime", "status", ...args)).stdout, /^ {2}restart pending since /m);
    run = await configure();
    equal(run.status, 0, "without --restart a pending restart is only reported");
    match(run.stderr, /restart is pending/);

    // A run that asks for restarts retries it, still failing: the first time is kept.
    run = await configure("--restart=systemd");
    equal(run.status, 1);
    match(run.stderr, /^rtconf: restarting: containerd has not loaded its configuration/m);
    equal((await records(root))[0].since, record.since);

    // Now the host can restart containerd: the next run does, once.
    const calls = await installSystemctl(root);
    run = await configure("--restart=systemd");
    equal(run.status, 0, run.stderr);
    deepEqual(await calls(), ["restart containerd"]);
    deepEqual(await records(root), []);
    equal((await configure("--check")).status, 0);
    equal(
      JSON.parse((await rtconf("runtime", "status", ...args, "--json")).stdout).engines[0]
        .restartPending,
      undefined,
    );
    run = await configure("--restart=systemd");
    match(run.stderr, /containerd: nothing changed, not restarted/);
    deepEqual(await calls(), ["restart containerd"]);
  });
});

Deno.test("pending restarts are kept per engine: one failing engine does not hold up the other", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    const calls = await installSystemctl(root);
    // crio's unit fails; containerd's works.
    await Deno.writeTextFile(
      join(root, "usr/bin/systemctl"),
      '#!/bin/sh\necho "$@" >> /systemctl.log\n[ "$2" != crio ]\n',
    );
    const args = ["--runtime=containerd,crio", `--host-root=${root}`, "--restart=systemd"];
    let run = await rtconf("runtime", "configure", ...args);
    equal(run.status, 1);
    deepEqual(await calls(), ["restart containerd", "restart crio"]);
    deepEqual((await records(root)).map((r) => r.engine), ["crio"]);
    run = await rtconf("runtime", "configure", ...args);
    deepEqual(await calls(), ["restart containerd", "restart crio", "restart crio"]);
    match(run.stderr, /containerd: nothing changed, not restarted/);
    notEqual((await records(root)).length, 0);
  });
});

Deno.test("--restart=signal: a pending reload is done later, or not at all for a dockerd started since", async (t) => {
  for (const startedAfter of [false, true]) {
    const name = startedAfter ? "dockerd started after the change" : "the same dockerd";
    await t.step(name, async () => {
      await withFiles({ "etc/hostname": "node\n" }, async (root) => {
        const early = startedAfter ? undefined : await standInDockerd(root);
        const pidFile = join(root, "var/run/docker.pid");
        await Deno.remove(pidFile).catch(() => {});
        const args = ["--runtime=docker", `--host-root=${root}`, "--restart=signal"];
        let later: StandInDockerd | undefined;
        try {
          // No pid file: nothing to signal, the reload stays pending.
          let run = await rtconf("runtime", "configure", ...args);
          equal(run.status, 1, run.stderr);
          match(run.stderr, /no dockerd process id to signal.*; the restart stays pending$/m);
          equal((await records(root)).length, 1);
          // /proc tells start times to within a second (the boot time's): one more.
          if (startedAfter) await new Promise((done) => setTimeout(done, 1100));
          later = early ? undefined : await standInDockerd(root);
          const dockerd = (early ?? later)!;
          await Deno.writeTextFile(pidFile, `${dockerd.pid}\n`);
          run = await rtconf("runtime", "configure", ...args);
          equal(run.status, 0, run.stderr);
          match(
            run.stderr,
            startedAfter
              ? /dockerd \(\d+\) started at .*, after the change: it runs with it/
              : /signalled dockerd/,
          );
          await new Promise((done) => setTimeout(done, 200));
          equal(await dockerd.hups(), startedAfter ? 0 : 1);
          deepEqual(await records(root), []);
        } finally {
          await early?.stop();
          await later?.stop();
        }
      });
    });
  }
});

Deno.test("a pending restart is no longer due once unconfigure gives back what the engine loaded", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    const args = ["--runtime=containerd", `--host-root=${root}`];
    equal((await rtconf("runtime", "configure", ...args, "--restart=systemd")).status, 1);
    equal((await records(root)).length, 1);
    const undo = await rtconf("runtime", "unconfigure", ...args);
    equal(undo.status, 0, undo.stderr);
    match(undo.stderr, /containerd: its files are as it loaded them: no restart is due/);
    deepEqual(await records(root), []);
    equal((await rtconf("runtime", "configure", ...args, "--check")).status, 3, "not configured");
    equal((await rtconf("runtime", "unconfigure", ...args, "--check")).status, 0);
  });
});
