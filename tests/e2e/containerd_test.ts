/**
 * End to end: real containerd (1.6 from bookworm, 1.7 from trixie, 2.1 from sid), configured by
 * rtconf's CLI, runs Kubernetes pods, driven over CRI as kubelet drives it, through the runtime
 * rtconf registered; after `runtime unconfigure` and a restart it refuses the handler.
 *
 * The runtime is a stand-in `nvidia-container-runtime`, registered by absolute path
 * (`--runtime-path`): a shell script that logs its arguments and execs runc. A scenario holds
 * when the log names the very sandbox and container that ran, and a control pod is absent from
 * it. Pods use the host's network (no CNI); their images are a busybox root file system imported
 * with `ctr` (no registry). The base configs name that image as their sandbox (pause) image: a
 * pod can only start when the node's own CRI settings survived what rtconf wrote.
 *
 * Modes: `drop-in` (rtconf's default: the drop-in and an `imports` entry; run with
 * `--host-root`, and containerd reads /etc/containerd of that stand-in host root as on a node),
 * `in-place` (`--drop-in-config=""`), `v1` (a version 1 config, always edited in place, the
 * drop-in named anyway; containerd 1.x only: 2.x ignores a version 1 config's CRI runtimes) and
 * `missing` (no containerd config at all; `--host-root`).
 *
 * @module
 */
import { equal, fail, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { CriClient, ociArchive, type PodRun } from "./_cri.ts";
import {
  busyboxRootfs,
  exists,
  fakeRuntime,
  kit,
  mentioned,
  type NsProcess,
  readText,
  run,
  runcStandIn,
  scenario,
  shown,
  step,
  tail,
  waitFor,
  wentThrough,
  type Work,
} from "./_kit.ts";

const KIT = await kit();
console.error(
  KIT.summary.filter((line) => /containerd|runc|busybox|cri-api/.test(line)).join("\n"),
);

type Mode = "drop-in" | "in-place" | "v1" | "missing";
interface Case {
  series: string;
  mode: Mode;
  setAsDefault: boolean;
  /** Part of the subset `deno test` always runs. */
  ci: boolean;
}

const IMAGE = "localhost/rtconf-e2e/busybox:1";
/** The sandbox image the base configs name (a node's own CRI setting). */
const PAUSE = "localhost/rtconf-e2e/pause:1";

/**
 * The subset `deno test` always runs: each containerd in drop-in and in-place mode, each mode
 * once with and once without --set-as-default, the version 1 config on 1.6, and the node without
 * a config on 1.7. `RTCONF_E2E=all` runs every combination.
 */
const CI = new Set([
  "1.6 drop-in",
  "1.6 in-place --set-as-default",
  "1.6 v1 --set-as-default",
  "1.7 drop-in --set-as-default",
  "1.7 in-place",
  "1.7 missing",
  "2.1 drop-in",
  "2.1 in-place --set-as-default",
]);

const CASES: Case[] = [];
for (const series of ["1.6", "1.7", "2.1"]) {
  // containerd 2 ignores a version 1 config's CRI runtimes ("Ignoring unknown key in TOML").
  const modes: Mode[] = series.startsWith("1.")
    ? ["drop-in", "in-place", "v1"]
    : ["drop-in", "in-place"];
  for (const mode of modes) {
    for (const setAsDefault of [false, true]) CASES.push({ series, mode, setAsDefault, ci: false });
  }
}
CASES.push({ series: "1.7", mode: "missing", setAsDefault: false, ci: false });
for (const c of CASES) {
  c.ci = CI.has(`${c.series} ${c.mode}${c.setAsDefault ? " --set-as-default" : ""}`);
}

for (const c of CASES) {
  const engine = KIT.containerd[c.series];
  if (!engine) {
    throw new Error(`containerd ${c.series} is missing from the engine cache (fetch-engines.sh)`);
  }
  const name = `containerd ${engine.version}: ${c.mode}${
    c.setAsDefault ? ", --set-as-default" : ""
  }`;
  scenario(name, { ci: c.ci }, (work, t) => containerdCase(work, t, c, engine.bin));
}

/** The sandbox image a containerd config names. */
function sandboxImage(config: string): string {
  const found = /^\s*(?:sandbox_image|sandbox)\s*=\s*(["'])([^"']+)\1/m.exec(config);
  if (!found) fail("no sandbox image in containerd's default config");
  return found[2];
}

/** A version 1 config (no `version`): containerd 1.x reads its CRI plugin as `cri`. */
const V1_CONFIG = `# A version 1 config: no version key; the CRI plugin is "cri".
[plugins.cri]
  sandbox_image = "${PAUSE}"
  [plugins.cri.containerd]
    default_runtime_name = "runc"
    [plugins.cri.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
`;

async function containerdCase(work: Work, t: Deno.TestContext, c: Case, bin: string) {
  const binDir = dirname(bin);
  const node = work.path("node"); // the stand-in host's root
  await Deno.mkdir(join(node, "etc"), { recursive: true });
  const etc = join(node, "etc/containerd");
  const config = join(etc, "config.toml");
  const dropIn = join(etc, "conf.d/99-nvidia.toml");
  const hostRoot = c.mode === "drop-in" || c.mode === "missing";
  const log = work.path("runtime.log");
  await Deno.writeTextFile(log, "");
  const runc = await runcStandIn(work.path("bin/runc"), KIT.runc.bin!, KIT.noSysResource);
  const fake = await fakeRuntime(work.path("bin/nvidia-container-runtime"), runc, log);

  // The node's config before rtconf.
  const defaults = await run(bin, ["config", "default"]);
  equal(defaults.code, 0, `containerd config default failed: ${shown(defaults)}`);
  let before: string | undefined;
  if (c.mode === "v1") before = V1_CONFIG;
  else if (c.mode !== "missing") {
    before = defaults.stdout.replace(
      /^(\s*(?:sandbox_image|sandbox)\s*=\s*)(["'])[^"']+\2/m,
      `$1$2${PAUSE}$2`,
    );
  }
  if (before !== undefined) {
    await Deno.mkdir(etc, { recursive: true });
    await Deno.writeTextFile(config, before);
  }
  const flags = hostRoot
    ? ["--runtime=containerd", `--host-root=${node}`, `--runtime-path=${fake}`]
    : [
      // The config named explicitly, as containerd here is started with it; under the stand-in
      // host's root all the same, so that rtconf's locks and journal are that host's.
      "--runtime=containerd",
      `--host-root=${node}`,
      "--config=/etc/containerd/config.toml",
      `--drop-in-config=${c.mode === "in-place" ? "" : "/etc/containerd/conf.d/99-nvidia.toml"}`,
      `--runtime-path=${fake}`,
    ];
  if (c.setAsDefault) flags.push("--set-as-default");

  // The images: busybox, and the stand-in sandbox image under the name the base config gives
  // (only there: a config that lost the node's CRI settings cannot start a pod), or, without a
  // config, under containerd's own default name.
  const rootfs = await busyboxRootfs(work.path("rootfs"), KIT.busybox.file!);
  const archive = work.path("images.tar");
  const images = [
    { name: IMAGE, entrypoint: ["/bin/sh"] },
    {
      name: before === undefined ? sandboxImage(defaults.stdout) : PAUSE,
      entrypoint: ["/bin/sleep", "1000000"],
    },
  ];
  await ociArchive(archive, rootfs, images);

  const socket = work.path("c.sock");
  const ctr = (...args: string[]) => run(join(binDir, "ctr"), ["--address", socket, ...args]);
  let containerd: NsProcess | undefined;
  let cri: CriClient | undefined;
  const start = async () => {
    const args = ["--root", work.path("root"), "--state", work.path("state"), "--address", socket];
    // Unconfigure removes the /etc/containerd it created: containerd then starts without a config.
    if (hostRoot) await Deno.mkdir(etc, { recursive: true });
    containerd = await work.spawn(bin, hostRoot ? args : ["--config", config, ...args], {
      log: work.path("containerd.log"),
      env: { PATH: `${work.path("bin")}:${binDir}:/usr/sbin:/usr/bin:/sbin:/bin` },
      // On a node containerd reads /etc/containerd/config.toml; here that of the stand-in host.
      binds: hostRoot ? [[etc, "/etc/containerd"]] : [],
    });
    const up = await waitFor(60_000, async () => (await ctr("version")).code === 0);
    if (!up) fail(`containerd did not come up:\n${await tail(work.path("containerd.log"))}`);
    cri = new CriClient(socket, KIT.criApi.file!);
  };
  const stop = async () => {
    cri?.close();
    cri = undefined;
    await containerd?.stop();
    containerd = undefined;
  };
  work.defer(stop);

  let podCount = 0;
  const pod = async (handler: string): Promise<PodRun> => {
    const name = `pod${++podCount}`;
    const logDir = work.path("pods", name);
    await Deno.mkdir(logDir, { recursive: true });
    const result = await cri!.runPod({
      name,
      handler,
      image: IMAGE,
      command: ["/bin/sh", "-c", "echo ran-in-container"],
      cgroupParent: `/${work.tag}`,
      logDir,
    });
    equal(
      result.exitCode,
      0,
      `pod (handler "${handler}"): the container exited ${result.exitCode}`,
    );
    ok(
      result.log.includes("stdout F ran-in-container"),
      `pod (handler "${handler}"): the container's log is ${JSON.stringify(result.log)}`,
    );
    return result;
  };
  const through = async (handler: string) => {
    const p = await pod(handler);
    for (const [what, id] of [["sandbox", p.sandboxId], ["container", p.containerId]]) {
      ok(
        await wentThrough(log, id),
        `the pod with handler "${handler}": its ${what} ${id} was not created and started by ` +
          `the stand-in NVIDIA runtime ${fake};\nits log:\n${await readText(log) || "(empty)"}`,
      );
    }
  };
  const notThrough = async (handler: string) => {
    const p = await pod(handler);
    ok(
      !await mentioned(log, p.sandboxId) && !await mentioned(log, p.containerId),
      `the pod with handler "${handler}" went through the stand-in NVIDIA runtime`,
    );
  };
  const imagesSeen = async () => {
    for (const { name } of images) {
      ok(await waitFor(10_000, () => cri!.hasImage(name)), `CRI does not see the image ${name}`);
    }
  };
  const criPluginOk = async () => {
    const plugins = await ctr("plugins", "ls");
    equal(plugins.code, 0, `ctr plugins ls failed: ${shown(plugins)}`);
    const rows = plugins.stdout.split("\n").map((line) => line.trim().split(/\s+/))
      .filter(([type, id]) =>
        (type === "io.containerd.grpc.v1" && id === "cri") || type === "io.containerd.cri.v1"
      );
    ok(rows.length, `ctr plugins ls shows no CRI plugin:\n${plugins.stdout}`);
    const bad = rows.filter((row) => row.at(-1) !== "ok");
    if (bad.length) {
      const why = (await readText(work.path("containerd.log"))).split("\n")
        .filter((line) => /level=(error|fatal)|failed to load plugin/.test(line)).slice(-3);
      fail(
        `a CRI plugin did not load (${bad.map((row) => row.join(" ")).join("; ")}); ` +
          `containerd's log:\n${why.join("\n") || await tail(work.path("containerd.log"))}`,
      );
    }
  };

  await step(t, `runtime configure ${flags.join(" ").replaceAll(work.dir, "$W")}`, async () => {
    await work.rtconfOk("runtime", "configure", ...flags);
    const wroteDropIn = await exists(dropIn);
    if (c.mode === "drop-in" || c.mode === "missing") ok(wroteDropIn, "no drop-in was written");
    else ok(!wroteDropIn, `a drop-in was written in ${c.mode} mode`);
  });

  await step(t, "containerd starts; its CRI plugin loads", async () => {
    await start();
    await criPluginOk();
    const imported = await ctr("-n", "k8s.io", "images", "import", archive);
    equal(imported.code, 0, `ctr images import failed: ${shown(imported)}`);
    await imagesSeen();
    const status = await cri!.status();
    ok(status.conditions.includes("RuntimeReady=true"), `CRI: ${status.conditions.join(", ")}`);
  });

  await step(
    t,
    'a pod with handler "nvidia" goes through the nvidia runtime',
    () => through("nvidia"),
  );
  if (c.setAsDefault) {
    await step(t, "so does a pod with the default handler", () => through(""));
    await step(t, 'a pod with handler "runc" does not', () => notThrough("runc"));
  } else {
    await step(t, "a pod with the default handler does not (runc)", () => notThrough(""));
  }

  await step(t, "runtime unconfigure gives back the node's files", async () => {
    await stop();
    await work.rtconfOk("runtime", "unconfigure", ...flags);
    if (before === undefined) ok(!await exists(config), "unconfigure left a config.toml");
    else equal(await readText(config), before, "config.toml differs from before configure");
    ok(!await exists(dropIn), "unconfigure left the drop-in");
  });

  await step(t, 'after a restart: handler "nvidia" is refused, the default is runc', async () => {
    await start();
    await criPluginOk();
    await imagesSeen();
    const refused = await pod("nvidia").then(() => undefined, (error: Error) => error.message);
    ok(refused !== undefined, 'after unconfigure and a restart a pod with handler "nvidia" ran');
    ok(
      /no runtime for "?nvidia"? is configured/.test(refused),
      `the pod with handler "nvidia" failed, but not for its handler: ${refused}`,
    );
    await notThrough("");
  });
}
