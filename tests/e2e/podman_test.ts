/**
 * End to end: podman (4.3 from bookworm; 5.4 from trixie and 5.8 from sid where they run, see
 * scripts/fetch-e2e.sh) with what rtconf wrote:
 *
 * - the OCI hook of `rtconf hook` runs at prestart, for the container podman starts; with an
 *   empty hooks dir it does not;
 * - `runtime configure --runtime=podman` registers the stand-in NVIDIA runtime in the stand-in
 *   host's containers.conf files (its drop-in, or in place as the default): `podman --runtime
 *   nvidia run` (or a plain run) goes through it, a control container does not; after
 *   `runtime unconfigure` the files are as they were and `--runtime nvidia` is unknown again;
 * - podman reads the files rtconf reads: the runtime and the default that `runtime status`
 *   shows are the ones `podman info` reports.
 *
 * The hook is a stand-in `nvidia-container-runtime-hook` that logs its arguments and the
 * container state it reads on stdin; the runtime a stand-in that logs its arguments and execs
 * runc. Each podman command runs in a private mount namespace of its own, with its storage in the
 * work dir, its run root on that namespace's /run, cgroupfs, events to a file (where the
 * container's id is read), and the container's cgroup under the scenario's own parent. With a
 * stand-in host, /etc/containers is the host's (a bind mount) and $HOME its /root, as on a node
 * where rtconf runs with --host-root.
 *
 * @module
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import {
  busyboxRootfs,
  exists,
  fakeHook,
  fakeRuntime,
  kit,
  mentioned,
  type Package,
  readText,
  scenario,
  step,
  wentThrough,
  type Work,
} from "./_kit.ts";

const KIT = await kit();
console.error(
  KIT.summary.filter((line) => /podman|conmon|netavark|runc|busybox/.test(line)).join("\n"),
);

for (const [series, podman] of Object.entries(KIT.podman)) {
  const name = `podman ${podman.version} (${podman.suite})`;
  scenario(
    `${name}: the hook of rtconf hook runs at prestart`,
    { ci: series === "4.3" },
    (work, t) => hookCase(work, t, podman),
  );
  scenario(
    `${name}: --runtime nvidia runs through rtconf's drop-in; unconfigure`,
    { ci: series === "4.3" },
    (work, t) => runtimeCase(work, t, podman, false),
  );
  scenario(
    `${name}: in place, --set-as-default: a plain run goes through it; unconfigure`,
    { ci: series === "5.8" },
    (work, t) => runtimeCase(work, t, podman, true),
  );
  scenario(
    `${name}: reads the containers.conf files rtconf reads`,
    { ci: series === "4.3" || series === "5.8" },
    (work, t) => readsCase(work, t, podman),
  );
}

/** The settings every scenario's podman needs here, as containers.conf text. */
function baseConfig(events: string): string {
  return `[containers]
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
`;
}

/** What a podman command printed and returned. */
interface PodmanOutput {
  code: number;
  output: string;
}

/**
 * A podman to run, each command in a private mount namespace of its own. Its containers.conf is
 * `CONTAINERS_CONF`, or, with a stand-in host, the host's /etc/containers (bound there) with the
 * host's /root as $HOME.
 */
class Podman {
  readonly events: string;
  #runs = 0;

  private constructor(
    readonly work: Work,
    readonly podman: Package,
    readonly rootfs: string,
    readonly env: Record<string, string>,
    readonly binds: [string, string][],
  ) {
    this.events = work.path("events.log");
  }

  static async create(
    work: Work,
    podman: Package,
    config: { containersConf: string } | { host: string },
  ): Promise<Podman> {
    const rootfs = await busyboxRootfs(work.path("rootfs"), KIT.busybox.file!);
    // The run root is on the namespace's own /run: short (podman 4 refuses one over 50
    // characters) and gone with the namespace.
    await Deno.writeTextFile(
      work.path("storage.conf"),
      `[storage]\ndriver = "overlay"\ngraphroot = "${work.path("storage")}"\n` +
        `runroot = "/run/rtconf-e2e-podman"\n`,
    );
    await Deno.writeTextFile(work.path("registries.conf"), "");
    const env: Record<string, string> = {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      CONTAINERS_STORAGE_CONF: work.path("storage.conf"),
      CONTAINERS_REGISTRIES_CONF: work.path("registries.conf"),
      PODMAN_IGNORE_CGROUPSV1_WARNING: "1",
    };
    const binds: [string, string][] = [];
    if ("host" in config) {
      const etc = join(config.host, "etc/containers");
      await Deno.mkdir(etc, { recursive: true });
      await Deno.mkdir(join(config.host, "root"), { recursive: true });
      binds.push([etc, "/etc/containers"]);
      env.HOME = join(config.host, "root");
    } else {
      env.CONTAINERS_CONF = config.containersConf;
      env.HOME = work.path("home");
    }
    return new Podman(work, podman, rootfs, env, binds);
  }

  /** `podman ARGS...` in a namespace of its own. */
  async podmanCommand(args: string[]): Promise<PodmanOutput> {
    const log = this.work.path(`podman-${++this.#runs}.log`);
    const code = await this.work.runInNamespace(this.podman.bin!, args, {
      log,
      env: this.env,
      binds: this.binds,
    });
    return { code, output: (await readText(log)).trim() };
  }

  /**
   * `podman GLOBAL... run` of the busybox root file system; it must print its line. Returns the
   * container's id.
   */
  async run(global: string[]): Promise<string> {
    const name = `rtconf-e2e-${this.#runs + 1}`;
    const out = await this.tryRun(global, name);
    equal(out.code, 0, `podman ${global.join(" ")} run failed (exit ${out.code}):\n${out.output}`);
    ok(out.output.split("\n").includes("ran-in-container"), `podman run printed:\n${out.output}`);
    // The id from podman's event log (podman 5 removes a --cidfile on --rm).
    const ids = (await readText(this.events)).split("\n").filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((event) => event.Name === name && event.ID).map((event) => event.ID as string);
    ok(ids.length, `no event names the container ${name} (${this.events})`);
    return ids[0];
  }

  /** `podman GLOBAL... run`, whatever comes of it. */
  tryRun(global: string[], name = `rtconf-e2e-${this.#runs + 1}`): Promise<PodmanOutput> {
    return this.podmanCommand([
      ...global,
      "run",
      "--rm",
      "--name",
      name,
      "--network=none",
      `--cgroup-parent=/${this.work.tag}`,
      "--rootfs",
      this.rootfs,
      "/bin/sh",
      "-c",
      "echo ran-in-container",
    ]);
  }

  /** The runtime `podman GLOBAL... info` says it would use: its name and executable. */
  async ociRuntime(global: string[]): Promise<{ name: string; path: string }> {
    const out = await this.podmanCommand([
      ...global,
      "info",
      "--format",
      "{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}",
    ]);
    equal(out.code, 0, `podman ${global.join(" ")} info failed (exit ${out.code}):\n${out.output}`);
    const [name, path] = out.output.split("\n").at(-1)!.split(" ");
    return { name, path };
  }
}

// ---------------------------------------------------------------------------------------------
// The OCI hook

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

async function hookCase(work: Work, t: Deno.TestContext, podman: Package) {
  const hookLog = work.path("hook.log");
  const hook = await fakeHook(work.path("bin/nvidia-container-runtime-hook"), hookLog);
  // A stand-in host's root: rtconf's lock for the hook file is that host's.
  const host = work.path("host");
  await Deno.mkdir(join(host, "etc"), { recursive: true });
  const hooksDir = join(host, "hooks.d");
  const emptyHooks = work.path("empty-hooks.d");
  await Deno.mkdir(emptyHooks, { recursive: true });
  const containersConf = work.path("containers.conf");
  const p = await Podman.create(work, podman, { containersConf });
  await Deno.writeTextFile(containersConf, baseConfig(p.events));

  await step(
    t,
    "rtconf hook --host-root=$W/host --hook-path=$W/bin/... --output=/hooks.d/oci-nvidia-hook.json",
    async () => {
      await work.rtconfOk(
        "hook",
        `--host-root=${host}`,
        `--hook-path=${hook}`,
        "--output=/hooks.d/oci-nvidia-hook.json",
      );
      ok(await exists(join(hooksDir, "oci-nvidia-hook.json")), "rtconf hook wrote no file");
    },
  );

  await step(
    t,
    "podman --hooks-dir: the hook runs once, at prestart, for the container",
    async () => {
      const id = await p.run(["--hooks-dir", hooksDir]);
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
    const id = await p.run(["--hooks-dir", emptyHooks]);
    const after = await hookCalls(hookLog);
    equal(after.length, before, `the hook ran without a hook file (container ${id})`);
  });
}

// ---------------------------------------------------------------------------------------------
// Runtimes in containers.conf

/**
 * Every file under `dir` and its text, by relative path, but podman's own state
 * (`etc/containers/networks`).
 */
async function files(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = join(at, entry.name);
      if (path === join(dir, "etc/containers/networks")) continue;
      if (entry.isDirectory) await walk(path);
      else found[relative(dir, path)] = await Deno.readTextFile(path);
    }
  };
  await walk(dir);
  return found;
}

/** The paths whose texts differ. */
function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((path) => before[path] !== after[path]).sort();
}

/** The default runtime and each runtime's executable, as `runtime status --json` shows them. */
async function rtconfStatus(
  work: Work,
  host: string,
): Promise<{ default: string; paths: Record<string, string> }> {
  const out = await work.rtconfOk(
    "runtime",
    "status",
    "--runtime=podman",
    `--host-root=${host}`,
    "--json",
  );
  const status = JSON.parse(out.stdout).engines[0];
  return {
    default: status.defaultRuntime,
    paths: Object.fromEntries(
      status.runtimes.map((
        runtime: { name: string; path: string },
      ) => [runtime.name, runtime.path]),
    ),
  };
}

/** podman's error for a runtime it does not know, as `--runtime NAME` gives it. */
const UNKNOWN = /default OCI runtime "nvidia" not found/;

async function runtimeCase(work: Work, t: Deno.TestContext, podman: Package, inPlace: boolean) {
  const host = work.path("host");
  const log = work.path("runtime.log");
  await Deno.writeTextFile(log, "");
  const standIn = await fakeRuntime(work.path("bin/nvidia-container-runtime"), KIT.runc.bin!, log);
  const p = await Podman.create(work, podman, { host });
  await Deno.writeTextFile(join(host, "etc/containers/containers.conf"), baseConfig(p.events));
  const original = await files(host);
  const flags = [
    "--runtime=podman",
    `--host-root=${host}`,
    `--runtime-path=${standIn}`,
    ...(inPlace ? ["--drop-in-config=", "--set-as-default"] : []),
  ];
  const written = inPlace
    ? "etc/containers/containers.conf"
    : "etc/containers/containers.conf.d/99-nvidia.conf";

  await step(t, "before configure, podman --runtime nvidia is unknown", async () => {
    const out = await p.tryRun(["--runtime", "nvidia"]);
    ok(out.code !== 0 && UNKNOWN.test(out.output), `podman --runtime nvidia run: ${out.output}`);
  });

  const shownFlags = flags.map((flag) => flag.replaceAll(work.dir, "$W")).join(" ");
  await step(t, `runtime configure ${shownFlags}`, async () => {
    await work.rtconfOk("runtime", "configure", ...flags);
    deepEqual(changed(original, await files(host)), [written], "the files rtconf wrote");
    const shown = await rtconfStatus(work, host);
    equal(shown.paths.nvidia, standIn);
    equal(shown.default, inPlace ? "nvidia" : "runc");
  });

  await step(
    t,
    inPlace
      ? "a plain podman run goes through the runtime; --runtime runc does not"
      : "podman --runtime nvidia run goes through the runtime; a plain run does not",
    async () => {
      const id = await p.run(inPlace ? [] : ["--runtime", "nvidia"]);
      ok(
        await wentThrough(log, id),
        `container ${id} was not created and started by the stand-in runtime;\n` +
          `its log:\n${await readText(log) || "(empty)"}`,
      );
      const control = await p.run(inPlace ? ["--runtime", "runc"] : []);
      ok(!await mentioned(log, control), `the control container (${control}) went through it`);
    },
  );

  await step(
    t,
    "runtime unconfigure: the files as they were; --runtime nvidia is unknown again",
    async () => {
      await work.rtconfOk("runtime", "unconfigure", ...flags);
      deepEqual(await files(host), original, "the files after unconfigure");
      const out = await p.tryRun(["--runtime", "nvidia"]);
      ok(out.code !== 0 && UNKNOWN.test(out.output), `podman --runtime nvidia run: ${out.output}`);
      const plain = await p.run([]);
      ok(!await mentioned(log, plain), `a plain run (${plain}) still went through the runtime`);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Which files podman reads

async function readsCase(work: Work, t: Deno.TestContext, podman: Package) {
  const host = work.path("host");
  const log = work.path("runtime.log");
  const [first, second, own] = await Promise.all(
    ["first", "second", "own"].map((name) =>
      fakeRuntime(work.path(`bin/${name}/nvidia-container-runtime`), KIT.runc.bin!, log)
    ),
  );
  const p = await Podman.create(work, podman, { host });
  const write = async (path: string, text: string) => {
    await Deno.mkdir(dirname(join(host, path)), { recursive: true });
    await Deno.writeTextFile(join(host, path), text);
  };
  const dropIns = "etc/containers/containers.conf.d";
  await write("etc/containers/containers.conf", baseConfig(p.events));
  await write(`${dropIns}/10-first.conf`, `[engine.runtimes]\nnvidia = ["${first}"]\n`);
  await write(
    `${dropIns}/20-second.conf`,
    `[engine]\nruntime = "nvidia"\n\n[engine.runtimes]\nnvidia = ["${second}", "${first}"]\n`,
  );
  // Neither a file without .conf nor a subdirectory's is read.
  await write(`${dropIns}/README`, `[engine]\nruntime = "from-readme"\n`);
  await write(`${dropIns}/sub/30-deep.conf`, `[engine]\nruntime = "from-subdirectory"\n`);

  /** What rtconf's status says, and what podman says, of the default and of each runtime. */
  const compare = async (names: string[]) => {
    const shown = await rtconfStatus(work, host);
    const rtconf = {
      default: shown.default,
      paths: Object.fromEntries(names.map((name) => [name, shown.paths[name]])),
    };
    // One podman at a time: they share the storage and its database.
    const podmanSays = {
      default: (await p.ociRuntime([])).name,
      paths: {} as Record<string, string>,
    };
    for (const name of names) {
      podmanSays.paths[name] = (await p.ociRuntime(["--runtime", name])).path;
    }
    return { rtconf, podman: podmanSays };
  };

  await step(
    t,
    "the drop-ins by name, a later one's list whole; not README, not sub/",
    async () => {
      const { rtconf, podman: says } = await compare(["nvidia", "runc"]);
      deepEqual(says, rtconf, "podman and rtconf runtime status");
      deepEqual(rtconf, { default: "nvidia", paths: { nvidia: second, runc: KIT.runc.bin } });
    },
  );

  await step(
    t,
    "root's own containers.conf: podman 5 reads it as root, podman 4 does not",
    async () => {
      await write(
        "root/.config/containers/containers.conf",
        `[engine]\nruntime = "own"\n\n[engine.runtimes]\nown = ["${own}"]\n`,
      );
      if (podman.version.startsWith("4.")) {
        equal((await p.ociRuntime([])).name, "nvidia", "podman 4 read root's own containers.conf");
        const out = await p.tryRun(["--runtime", "own"]);
        match(out.output, /default OCI runtime "own" not found/);
      } else {
        const { rtconf, podman: says } = await compare(["own"]);
        // runtime status shows what podman 5 reads.
        deepEqual(rtconf, { default: "own", paths: { own } });
        deepEqual(says, rtconf, "podman and rtconf runtime status");
      }
      // A default set in rtconf's drop-in would not hold for podman 5: refused, for every podman.
      const before = await files(host);
      const out = await work.rtconf(
        "runtime",
        "configure",
        "--runtime=podman",
        `--host-root=${host}`,
        "--set-as-default",
      );
      equal(out.code, 1, `configure --set-as-default: ${out.stderr}`);
      match(out.stderr, /podman 5\.0 to 5\.6, podman 5\.7 and later 5\.x would not use nvidia/);
      match(out.stderr, /\/root\/\.config\/containers\/containers\.conf, read after it/);
      deepEqual(await files(host), before, "files written by a refused configure");
    },
  );

  await step(
    t,
    "a drop-in beside root's own containers.conf: podman 5 runs it, podman 4 does not (as said)",
    async () => {
      const before = await files(host);
      const flags = [
        "--runtime=podman",
        `--host-root=${host}`,
        "--config=/root/.config/containers/containers.conf",
        `--runtime-name=gpu=${first}`,
        "--set-as-default",
      ];
      const out = await work.rtconfOk("runtime", "configure", ...flags);
      deepEqual(changed(before, await files(host)), [
        "root/.config/containers/containers.conf.d/99-nvidia.conf",
      ]);
      const info = await p.ociRuntime([]);
      if (podman.version.startsWith("4.")) {
        match(out.stderr, /99-nvidia\.conf: podman 4 as root does not read it/);
        equal(info.name, "nvidia", "podman 4 read root's own drop-in");
      } else {
        deepEqual(info, { name: "gpu", path: first });
      }
      await work.rtconfOk("runtime", "unconfigure", ...flags);
      deepEqual(await files(host), before, "the files after unconfigure");
    },
  );
}
