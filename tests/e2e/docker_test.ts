/**
 * End to end: a real dockerd (28, from Debian sid, with its containerd), configured by rtconf's
 * CLI, runs containers through the runtime rtconf registered in daemon.json.
 *
 * dockerd runs in a private mount namespace where /etc/docker is the stand-in host's
 * `etc/docker`, and its pid file is the stand-in host's `var/run/docker.pid`, so rtconf runs as
 * on a node: `--host-root`, and `--restart=signal` signals this dockerd. rtconf writes the
 * runtime by its default, relative name `nvidia-container-runtime`, which dockerd finds on its
 * PATH: a stand-in that logs its arguments and execs runc. A container went through it when the
 * log names that container's id; a control container must not appear there.
 *
 * What dockerd does on SIGHUP matters for `unconfigure --restart=signal`: dockerd 28 replaces
 * `runtimes` only when daemon.json has the key, changes `default-runtime` only when that key is
 * there, and rejects the whole reload when the live default is no longer defined. rtconf must
 * either make the undo take effect or say that dockerd has to be restarted; reporting a reload
 * that changed nothing fails here.
 *
 * @module
 */
import { deepEqual, equal, fail, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import {
  busyboxRootfs,
  exists,
  fakeRuntime,
  kit,
  mentioned,
  type NsProcess,
  type Output,
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
const CONTAINERD = KIT.containerd["2.1"] ?? Object.values(KIT.containerd).at(-1);
if (!CONTAINERD) throw new Error("no containerd in the engine cache (fetch-engines.sh)");
console.error(
  KIT.summary.filter((line) => /dockerd|docker-cli|runc|busybox/.test(line)).join("\n") +
    `\ne2e: dockerd's containerd: ${CONTAINERD.version}`,
);

const IMAGE = "rtconf-e2e/busybox:1";
/** A node's daemon.json before rtconf: a setting of the user's own that must survive. */
const SEED = `{
  "log-driver": "local",
  "log-opts": {
    "max-size": "10m"
  }
}
`;

/** What `docker info` says about runtimes. */
interface Info {
  Runtimes: Record<string, { path?: string }>;
  DefaultRuntime: string;
  LoggingDriver: string;
}

/** A dockerd of the stand-in host `host`, and the docker CLI talking to it. */
class Docker {
  readonly work: Work;
  readonly host: string;
  readonly log: string;
  readonly socket: string;
  proc?: NsProcess;

  constructor(work: Work, host: string) {
    this.work = work;
    this.host = host;
    this.log = work.path("dockerd.log");
    this.socket = work.path("d.sock");
  }

  get env(): Record<string, string> {
    return {
      PATH: `${this.work.path("bin")}:/usr/sbin:/usr/bin:/sbin:/bin`,
      DOCKER_HOST: `unix://${this.socket}`,
      DOCKER_CONFIG: this.work.path("docker-cli"),
    };
  }

  /** Starts dockerd as a node's unit does, plus `flags`; waits until it answers. */
  async start(...flags: string[]): Promise<void> {
    await Deno.mkdir(join(this.host, "etc/docker"), { recursive: true });
    await Deno.mkdir(join(this.host, "var/run"), { recursive: true });
    // The stand-in host shares rtconf's process namespace: its /proc is this machine's.
    await Deno.symlink("/proc", join(this.host, "proc")).catch(() => {});
    this.proc = await this.work.spawn(this.work.path("bin/dockerd"), [
      "--data-root",
      this.work.path("data"),
      "--exec-root",
      this.work.path("x"),
      "--pidfile",
      join(this.host, "var/run/docker.pid"),
      "-H",
      `unix://${this.socket}`,
      "--iptables=false",
      "--ip6tables=false",
      "--bridge=none",
      "--cgroup-parent",
      `/${this.work.tag}`,
      ...flags,
    ], {
      log: this.log,
      env: this.env,
      binds: [[join(this.host, "etc/docker"), "/etc/docker"]],
    });
    const up = await waitFor(60_000, async () => {
      if (!await this.proc!.running()) return "exited";
      return (await this.docker("version")).code === 0 && "up";
    });
    if (up !== "up") fail(`dockerd did not come up (${up ?? "timeout"}):\n${await tail(this.log)}`);
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }

  docker(...args: string[]): Promise<Output> {
    return run(KIT.dockerCli.bin!, args, { env: this.env, timeoutMs: 60_000 });
  }

  async info(): Promise<Info> {
    const out = await this.docker("info", "--format", "{{json .}}");
    equal(out.code, 0, `docker info failed: ${shown(out)}`);
    return JSON.parse(out.stdout);
  }

  /** `docker run` of the busybox image; it must print its line. Returns the container's id. */
  async run(...flags: string[]): Promise<string> {
    const cidfile = this.work.path(`cid-${crypto.randomUUID()}`);
    const out = await this.docker(
      "run",
      "--rm",
      "--cidfile",
      cidfile,
      ...flags,
      IMAGE,
      "/bin/sh",
      "-c",
      "echo ran-in-container",
    );
    equal(out.code, 0, `docker run ${flags.join(" ")} failed: ${shown(out)}`);
    equal(out.stdout.trim(), "ran-in-container", `docker run ${flags.join(" ")} printed`);
    return (await Deno.readTextFile(cidfile)).trim();
  }

  /** How many reloads dockerd finished, well or not. */
  async reloads(): Promise<string[]> {
    return (await readText(this.log)).split("\n")
      .filter((line) => /Reloaded configuration|Error reconfiguring|Error reloading/.test(line));
  }
}

/** Binaries on dockerd's PATH and the stand-in runtime; returns the runtime's log. */
async function setup(work: Work): Promise<string> {
  const bin = work.path("bin");
  await Deno.mkdir(bin, { recursive: true });
  const dockerdDir = dirname(KIT.dockerd.bin);
  await Deno.symlink(KIT.dockerd.bin, join(bin, "dockerd"));
  // dockerd --validate and the userland proxy want docker-proxy beside dockerd.
  if (await exists(join(dockerdDir, "docker-proxy"))) {
    await Deno.symlink(join(dockerdDir, "docker-proxy"), join(bin, "docker-proxy"));
  }
  for (const name of ["containerd", "containerd-shim-runc-v2", "ctr"]) {
    await Deno.symlink(join(dirname(CONTAINERD!.bin), name), join(bin, name));
  }
  const runc = await runcStandIn(join(bin, "runc"), KIT.runc.bin!, KIT.noSysResource);
  const log = work.path("runtime.log");
  await Deno.writeTextFile(log, "");
  await fakeRuntime(join(bin, "nvidia-container-runtime"), runc, log);
  return log;
}

async function importImage(work: Work, docker: Docker): Promise<void> {
  const rootfs = await busyboxRootfs(work.path("rootfs"), KIT.busybox.file!);
  const tar = await run("tar", ["-C", rootfs, "-cf", work.path("rootfs.tar"), "."]);
  equal(tar.code, 0, `tar failed: ${shown(tar)}`);
  const out = await docker.docker("import", work.path("rootfs.tar"), IMAGE);
  equal(out.code, 0, `docker import failed: ${shown(out)}`);
}

/** The pid rtconf says it signalled, if it says so. */
function signalled(out: Output): number | undefined {
  const found = /signalled dockerd \((\d+)\)/.exec(out.stderr + out.stdout);
  return found ? Number(found[1]) : undefined;
}

/**
 * Whether rtconf said that dockerd has to be restarted: a line about a restart, other than one
 * naming a --restart flag or saying that nothing was restarted.
 */
function saysRestart(out: Output): boolean {
  return (out.stderr + out.stdout).split("\n").some((line) =>
    /restart/i.test(line.replaceAll(/--restart[=\w-]*/g, "")) && !/not restarted/i.test(line)
  );
}

/** A reload's log line without dockerd's whole config: its message and error. */
function reloadSummary(line: string): string {
  const msg = /msg="([^"]*)"/.exec(line)?.[1] ?? line;
  const error = /error="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
  return error ? `${msg}: ${error}` : msg;
}

/** Waits for dockerd's next reload after `before` (the reloads it had); returns its log line. */
async function nextReload(docker: Docker, before: number): Promise<string> {
  const line = await waitFor(15_000, async () => (await docker.reloads())[before]);
  if (!line) fail(`dockerd did not reload after rtconf's SIGHUP:\n${await tail(docker.log)}`);
  return line;
}

scenario(
  `docker ${KIT.dockerd.version}: configure, --set-as-default --restart=signal, unconfigure`,
  { ci: true },
  async (work, t) => {
    const log = await setup(work);
    const host = work.path("host");
    const daemonJson = join(host, "etc/docker/daemon.json");
    await Deno.mkdir(dirname(daemonJson), { recursive: true });
    await Deno.writeTextFile(daemonJson, SEED);
    const docker = new Docker(work, host);
    work.defer(() => docker.stop());
    const flags = ["--runtime=docker", `--host-root=${host}`];

    await step(t, "runtime configure --runtime=docker --host-root=$W/host", async () => {
      await work.rtconfOk("runtime", "configure", ...flags);
      const validate = await run(KIT.dockerd.bin, ["--validate", "--config-file", daemonJson], {
        env: docker.env,
      });
      equal(validate.code, 0, `dockerd --validate rejects daemon.json: ${shown(validate)}`);
    });

    await step(t, "dockerd lists the runtime; the default stays runc", async () => {
      await docker.start();
      await importImage(work, docker);
      const info = await docker.info();
      ok(info.Runtimes.nvidia, `dockerd has no nvidia runtime: ${JSON.stringify(info.Runtimes)}`);
      equal(info.DefaultRuntime, "runc");
      equal(info.LoggingDriver, "local", "the node's own log-driver was lost");
    });

    await step(
      t,
      "docker run --runtime=nvidia goes through the runtime; a plain run does not",
      async () => {
        const id = await docker.run("--runtime=nvidia");
        ok(
          await wentThrough(log, id),
          `container ${id} was not created and started by nvidia-container-runtime;\n` +
            `its log:\n${await readText(log) || "(empty)"}`,
        );
        const plain = await docker.run();
        ok(!await mentioned(log, plain), `a plain docker run (${plain}) went through nvidia`);
      },
    );

    await step(
      t,
      "configure --set-as-default --restart=signal: a plain run goes through it",
      async () => {
        const reloads = (await docker.reloads()).length;
        const out = await work.rtconfOk(
          "runtime",
          "configure",
          ...flags,
          "--set-as-default",
          "--restart=signal",
        );
        equal(signalled(out), docker.proc!.pid, `rtconf did not signal dockerd:\n${shown(out)}`);
        const reload = await nextReload(docker, reloads);
        ok(!/Error/.test(reload), `dockerd's reload failed: ${reloadSummary(reload)}`);
        equal((await docker.info()).DefaultRuntime, "nvidia", "the default after the reload");
        const id = await docker.run();
        ok(await wentThrough(log, id), `a plain docker run (${id}) did not go through nvidia`);
      },
    );

    // Not a step that stops the test when it fails: the restart below checks the files anyway.
    const truthful = await t.step(
      "unconfigure --set-as-default --restart=signal: the undo takes effect, or rtconf says a restart is needed",
      async () => {
        const reloads = (await docker.reloads()).length;
        const out = await work.rtconf(
          "runtime",
          "unconfigure",
          ...flags,
          "--set-as-default",
          "--restart=signal",
        );
        const restart = saysRestart(out);
        if (out.code !== 0) {
          ok(restart, `rtconf unconfigure exited ${out.code}:\n${shown(out)}`);
          await work.rtconfOk("runtime", "unconfigure", ...flags, "--set-as-default");
        }
        const pid = signalled(out);
        if (pid === undefined) {
          ok(
            restart,
            `rtconf neither signalled dockerd nor said that it must be restarted:\n${shown(out)}`,
          );
          return;
        }
        const reload = await nextReload(docker, reloads);
        const info = await docker.info();
        const live = `live runtimes: ${Object.keys(info.Runtimes).sort().join(", ")}; ` +
          `default: ${info.DefaultRuntime}; dockerd's log: ${reloadSummary(reload)}`;
        const nvidia = await docker.docker("run", "--rm", "--runtime=nvidia", IMAGE, "/bin/true");
        const plain = await docker.run();
        const wrong = [
          ...(nvidia.code === 0 ? ["docker run --runtime=nvidia still runs"] : []),
          ...(await mentioned(log, plain) ? ["a plain docker run still goes through nvidia"] : []),
          ...(info.DefaultRuntime !== "runc" ? [`the default is ${info.DefaultRuntime}`] : []),
        ];
        if (wrong.length && !restart) {
          fail(
            `rtconf said "${
              (out.stderr + out.stdout).split("\n").find((l) => /signalled/.test(l))?.trim()
            }", but the reload changed nothing: ${wrong.join("; ")} (${live})`,
          );
        }
      },
    );

    await step(t, "daemon.json holds no nvidia runtime, and the node's own settings", async () => {
      const now = JSON.parse(await readText(daemonJson) || "{}");
      equal(now.runtimes?.nvidia, undefined, "unconfigure left runtimes.nvidia");
      ok([undefined, "runc"].includes(now["default-runtime"]), "unconfigure left the default");
      deepEqual(
        [now["log-driver"], now["log-opts"]],
        [JSON.parse(SEED)["log-driver"], JSON.parse(SEED)["log-opts"]],
        "unconfigure lost the node's own settings",
      );
    });

    await step(t, "after a restart: --runtime=nvidia fails, the default is runc", async () => {
      await docker.stop();
      await docker.start();
      const info = await docker.info();
      equal(info.Runtimes.nvidia, undefined, "dockerd still lists nvidia after a restart");
      equal(info.DefaultRuntime, "runc");
      const nvidia = await docker.docker("run", "--rm", "--runtime=nvidia", IMAGE, "/bin/true");
      ok(
        nvidia.code !== 0,
        "docker run --runtime=nvidia still works after unconfigure and a restart",
      );
      ok(
        /unknown or invalid runtime name: nvidia/.test(nvidia.stderr),
        `docker run --runtime=nvidia failed, but not for its runtime: ${shown(nvidia)}`,
      );
      const plain = await docker.run();
      ok(!await mentioned(log, plain), "a plain docker run still goes through nvidia");
    });
    ok(truthful, "unconfigure --restart=signal reported a reload that did not undo the runtime");
  },
);

scenario(
  `docker ${KIT.dockerd.version}: dockerd --config-file, configure then unconfigure`,
  { ci: true },
  async (work, t) => {
    const log = await setup(work);
    const host = work.path("host");
    const daemonJson = join(host, "etc/docker/daemon.json");
    await Deno.mkdir(join(host, "etc"), { recursive: true });
    const docker = new Docker(work, host);
    work.defer(() => docker.stop());
    const flags = ["--runtime=docker", `--host-root=${host}`];
    // As snap's docker and some units start it: dockerd refuses to start, and to reload, when
    // an explicit --config-file is missing (without the flag a missing file counts as {}).
    const configFile = ["--config-file", "/etc/docker/daemon.json"];

    await step(
      t,
      "configure from no daemon.json; dockerd --config-file runs --runtime=nvidia",
      async () => {
        await work.rtconfOk("runtime", "configure", ...flags);
        ok(await exists(daemonJson), "configure wrote no daemon.json");
        await docker.start(...configFile);
        await importImage(work, docker);
        const id = await docker.run("--runtime=nvidia");
        ok(
          await wentThrough(log, id),
          `container ${id} did not go through nvidia-container-runtime`,
        );
      },
    );

    const reloaded = await t.step(
      "unconfigure --restart=signal: dockerd's reload does not fail",
      async () => {
        const reloads = (await docker.reloads()).length;
        const out = await work.rtconf("runtime", "unconfigure", ...flags, "--restart=signal");
        if (signalled(out) === undefined) {
          // Not signalled: then rtconf must say that dockerd has to be restarted.
          ok(saysRestart(out), `rtconf neither signalled dockerd nor said why:\n${shown(out)}`);
          return;
        }
        equal(out.code, 0, shown(out));
        const reload = await nextReload(docker, reloads);
        ok(!/Error/.test(reload), `dockerd's reload failed: ${reloadSummary(reload)}`);
      },
    );

    await step(t, "dockerd --config-file starts again after unconfigure", async () => {
      await docker.stop();
      const kept = await exists(daemonJson);
      await docker.start(...configFile).catch((error: Error) => {
        const last = error.message.trim().split("\n").at(-1);
        fail(
          `dockerd --config-file no longer starts after unconfigure ` +
            `(${kept ? "daemon.json is there" : "unconfigure removed daemon.json"}): ${last}`,
        );
      });
      equal((await docker.info()).Runtimes.nvidia, undefined, "dockerd still lists nvidia");
    });
    ok(reloaded, "dockerd's reload after unconfigure failed");
  },
);
