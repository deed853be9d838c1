/**
 * End to end: podman (4.3 from bookworm; 5.4 from trixie and 5.8 from sid where they run, see
 * scripts/fetch-e2e.sh) runs the OCI hook that `rtconf hook` wrote, at prestart, for the
 * container it starts; with an empty hooks dir it does not.
 *
 * The hook is a stand-in `nvidia-container-runtime-hook`: a shell script that logs its arguments
 * and the container state it reads on stdin. Each podman command runs in a private mount
 * namespace of its own, with its storage in the work dir, its run root on that namespace's
 * /run, cgroupfs, events to a file (where the container's id is read), and the container's
 * cgroup under the scenario's own parent.
 *
 * @module
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  busyboxRootfs,
  exists,
  fakeHook,
  kit,
  type Package,
  readText,
  scenario,
  step,
  type Work,
} from "./_kit.ts";

const KIT = await kit();
console.error(
  KIT.summary.filter((line) => /podman|conmon|netavark|runc|busybox/.test(line)).join("\n"),
);

for (const [series, podman] of Object.entries(KIT.podman)) {
  scenario(
    `podman ${podman.version} (${podman.suite}): the hook of rtconf hook runs at prestart`,
    { ci: series === "4.3" },
    (work, t) => podmanCase(work, t, podman),
  );
}

/** One line of the stand-in hook's log. */
interface HookCall {
  args: string;
  state: { id?: string; status?: string };
}

async function hookCalls(log: string): Promise<HookCall[]> {
  return (await readText(log)).split("\n").filter(Boolean).map((line) => {
    const found = /^\S+ args=(.*?) state=(.*)$/.exec(line);
    return { args: found?.[1] ?? "", state: found ? JSON.parse(found[2]) : {} };
  });
}

async function podmanCase(work: Work, t: Deno.TestContext, podman: Package) {
  const hookLog = work.path("hook.log");
  const events = work.path("events.log");
  const hook = await fakeHook(work.path("bin/nvidia-container-runtime-hook"), hookLog);
  const hooksDir = work.path("hooks.d");
  const emptyHooks = work.path("empty-hooks.d");
  await Deno.mkdir(emptyHooks, { recursive: true });
  const rootfs = await busyboxRootfs(work.path("rootfs"), KIT.busybox.file!);

  // The run root is on the namespace's own /run: short (podman 4 refuses one over 50
  // characters) and gone with the namespace.
  await Deno.writeTextFile(
    work.path("storage.conf"),
    `[storage]\ndriver = "overlay"\ngraphroot = "${work.path("storage")}"\n` +
      `runroot = "/run/rtconf-e2e-podman"\n`,
  );
  await Deno.writeTextFile(work.path("registries.conf"), "");
  await Deno.writeTextFile(
    work.path("containers.conf"),
    `[containers]
${
      // Without CAP_SYS_RESOURCE runc cannot raise the hard limits podman asks for as root
      // (1048576 open files and processes): "error setting rlimit type 7: operation not permitted".
      KIT.noSysResource ? 'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' : ""}
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${events}"
tmp_dir = "/run/rtconf-e2e-podman-tmp"
conmon_path = ["${KIT.conmon.bin}"]
# podman 5 looks for netavark even with --network=none.
helper_binaries_dir = ["${dirname(KIT.netavark.bin!)}"]
runtime = "runc"

[engine.runtimes]
runc = ["${KIT.runc.bin}"]
`,
  );
  const env = {
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: work.path("home"),
    CONTAINERS_CONF: work.path("containers.conf"),
    CONTAINERS_STORAGE_CONF: work.path("storage.conf"),
    CONTAINERS_REGISTRIES_CONF: work.path("registries.conf"),
    PODMAN_IGNORE_CGROUPSV1_WARNING: "1",
  };

  let runs = 0;
  /** `podman --hooks-dir DIR run` of the busybox root file system; returns the container's id. */
  const podmanRun = async (hooks: string): Promise<string> => {
    const name = `rtconf-e2e-${++runs}`;
    const log = work.path(`podman-${runs}.log`);
    const code = await work.runInNamespace(podman.bin!, [
      "--hooks-dir",
      hooks,
      "run",
      "--rm",
      "--name",
      name,
      "--network=none",
      `--cgroup-parent=/${work.tag}`,
      "--rootfs",
      rootfs,
      "/bin/sh",
      "-c",
      "echo ran-in-container",
    ], { log, env });
    const output = await readText(log);
    equal(code, 0, `podman run failed (exit ${code}):\n${output.trim()}`);
    ok(output.split("\n").includes("ran-in-container"), `podman run printed:\n${output.trim()}`);
    // The id from podman's event log (podman 5 removes a --cidfile on --rm).
    const ids = (await readText(events)).split("\n").filter(Boolean).map((line) => JSON.parse(line))
      .filter((event) => event.Name === name && event.ID).map((event) => event.ID as string);
    ok(ids.length, `no event names the container ${name} (${events})`);
    return ids[0];
  };

  await step(
    t,
    "rtconf hook --hook-path=$W/bin/... --output=$W/hooks.d/oci-nvidia-hook.json",
    async () => {
      await work.rtconfOk(
        "hook",
        `--hook-path=${hook}`,
        `--output=${join(hooksDir, "oci-nvidia-hook.json")}`,
      );
      ok(await exists(join(hooksDir, "oci-nvidia-hook.json")), "rtconf hook wrote no file");
    },
  );

  await step(
    t,
    "podman --hooks-dir: the hook runs once, at prestart, for the container",
    async () => {
      const id = await podmanRun(hooksDir);
      const calls = (await hookCalls(hookLog)).filter((call) => call.state.id === id);
      deepEqual(
        calls.map((call) => [call.args, call.state.status]),
        [["prestart", "creating"]],
        `the hook's calls for container ${id} (log: ${await readText(hookLog) || "empty"})`,
      );
    },
  );

  await step(t, "with an empty hooks dir the hook does not run", async () => {
    const before = (await hookCalls(hookLog)).length;
    const id = await podmanRun(emptyHooks);
    const after = await hookCalls(hookLog);
    equal(after.length, before, `the hook ran without a hook file (container ${id})`);
  });
}
