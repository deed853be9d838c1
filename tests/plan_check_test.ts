/**
 * The safety net proves itself: a planner that loses the runtime, changes a
 * value nobody asked for, or adds a key is stopped by the check before any
 * file is written — in the library (planEngine) and on the CLI's write path.
 *
 * @module
 */

import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { CONFIGURE } from "../lib/cli/commands.ts";
import { runRuntime } from "../lib/cli/configure.ts";
import { parseFlags } from "../lib/cli/flags.ts";
import { HostRoot } from "../lib/cli/host_root.ts";
import { runtimeInvocation } from "../lib/cli/invocation.ts";
import { Reporter } from "../lib/cli/output.ts";
import type { Engine, EngineOptions, FileTexts } from "../lib/engines/engine.ts";
import { loadEngine, planEngine } from "../lib/engines/mod.ts";
import { RtconfError } from "../lib/errors.ts";
import type { Plan } from "../lib/plan.ts";
import { configureRules, unconfigureRules } from "../lib/rules.ts";
import { fixture, withFiles } from "./_helpers.ts";

const NVIDIA = { name: "nvidia", path: "/usr/bin/nvidia-container-runtime" };

/** An engine whose plans are the real engine's, then spoiled by `spoil`. */
function spoiled(engine: Engine, spoil: (plan: Plan) => Plan): Engine {
  return { ...engine, plan: (texts, rules, options) => spoil(engine.plan(texts, rules, options)) };
}

/** Replaces text in the one changing file of a plan whose path ends with `suffix`. */
function edit(suffix: string, from: string | RegExp, to: string): (plan: Plan) => Plan {
  return (plan) =>
    plan.map((change) =>
      change.path.endsWith(suffix) && change.after !== undefined
        ? { ...change, after: change.after.replace(from, to) }
        : change
    );
}

/** The files after a real configure of NVIDIA's runtime into containerd. */
async function configuredTexts(options: EngineOptions, texts: FileTexts): Promise<FileTexts> {
  const engine = await loadEngine("containerd");
  const plan = await planEngine(engine, texts, configureRules({ runtimes: [NVIDIA] }), options);
  return { ...texts, ...Object.fromEntries(plan.map((change) => [change.path, change.after])) };
}

interface Case {
  engine: string;
  what: string;
  texts: FileTexts;
  options: EngineOptions;
  spoil: (plan: Plan) => Plan;
  refused: RegExp;
  verb?: "unconfigure";
}

const CONTAINERD_1_7 = await fixture("containerd/default-1.7.toml");
const CRIO = await fixture("crio/crio.conf");
const DAEMON = '{\n  "log-driver": "journald",\n  "features": { "buildkit": true }\n}\n';
const containerdFiles = {
  configPath: "/etc/containerd/config.toml",
  dropInPath: "/etc/containerd/conf.d/99-nvidia.toml",
};
const crioFiles = { configPath: "/etc/crio/crio.conf", dropInPath: "" };
const dockerFiles = { configPath: "/etc/docker/daemon.json", dropInPath: "" };
const podmanFiles = {
  configPath: "/etc/containers/containers.conf",
  dropInPath: "/etc/containers/containers.conf.d/99-nvidia.conf",
};
const CONTAINERS_CONF = '[engine]\ncgroup_manager = "cgroupfs"\n\n[engine.runtimes]\n' +
  'runc = ["/usr/local/sbin/runc", "/usr/bin/runc"]\n';

const CASES: Case[] = [
  {
    engine: "containerd",
    what: "the drop-in loses the runtime's executable",
    texts: { [containerdFiles.configPath]: CONTAINERD_1_7 },
    options: containerdFiles,
    spoil: edit("99-nvidia.toml", /BinaryName = "\/usr\/bin\/nvidia-container-runtime"/, ""),
    refused: /would not hold runtime nvidia at \/usr\/bin\/nvidia-container-runtime/,
  },
  {
    engine: "containerd",
    what: "the drop-in's copy of the CRI section changes runc's cgroup driver",
    texts: { [containerdFiles.configPath]: CONTAINERD_1_7 },
    options: containerdFiles,
    spoil: (plan) => edit("99-nvidia.toml", "SystemdCgroup = false", "SystemdCgroup = true")(plan),
    refused:
      /would also change plugins\.io\.containerd\.grpc\.v1\.cri\.containerd\.runtimes\.runc\.options\.SystemdCgroup/,
  },
  {
    engine: "containerd",
    what: "the main config gains a key",
    texts: { [containerdFiles.configPath]: CONTAINERD_1_7 },
    options: containerdFiles,
    spoil: edit("config.toml", /^version = 2$/m, "version = 2\nsubreaper = true"),
    refused: /would also change subreaper/,
  },
  {
    engine: "containerd",
    what: "unconfigure leaves the runtime in rtconf's drop-in",
    verb: "unconfigure",
    texts: await configuredTexts(containerdFiles, { [containerdFiles.configPath]: CONTAINERD_1_7 }),
    options: containerdFiles,
    spoil: (plan) => plan.map((change) => ({ ...change, after: change.before })),
    refused: /would still hold runtime nvidia/,
  },
  {
    engine: "crio",
    what: "crio.conf loses the runtime",
    texts: { [crioFiles.configPath]: CRIO },
    options: crioFiles,
    spoil: (plan) => plan.map((change) => ({ ...change, after: change.before })),
    refused: /would not hold runtime nvidia/,
  },
  {
    engine: "crio",
    what: "crun's runtime root changes on the way",
    texts: { [crioFiles.configPath]: CRIO },
    options: crioFiles,
    spoil: edit("crio.conf", 'runtime_root = "/run/crun"', 'runtime_root = "/run/other"'),
    refused: /would also change crio\.runtime\.runtimes\.crun\.runtime_root/,
  },
  {
    engine: "docker",
    what: "daemon.json loses a feature flag",
    texts: { [dockerFiles.configPath]: DAEMON },
    options: dockerFiles,
    spoil: edit("daemon.json", '"buildkit": true', '"buildkit": false'),
    refused: /would also change features\.buildkit/,
  },
  {
    engine: "docker",
    what: "daemon.json makes the runtime the default, unasked",
    texts: { [dockerFiles.configPath]: DAEMON },
    options: dockerFiles,
    spoil: edit("daemon.json", '"log-driver"', '"default-runtime": "nvidia",\n  "log-driver"'),
    refused: /would also change default-runtime/,
  },
  {
    engine: "podman",
    what: "the drop-in loses the runtime",
    texts: { [podmanFiles.configPath]: CONTAINERS_CONF },
    options: podmanFiles,
    spoil: edit("99-nvidia.conf", /^nvidia = .*$/m, ""),
    refused: /would not hold runtime nvidia at \/usr\/bin\/nvidia-container-runtime for podman 4/,
  },
  {
    engine: "podman",
    what: "in place, runc's first executable changes on the way",
    texts: { [podmanFiles.configPath]: CONTAINERS_CONF },
    options: { ...podmanFiles, dropInPath: "" },
    spoil: edit("containers.conf", '"/usr/local/sbin/runc", ', ""),
    refused: /would also change engine\.runtimes\.runc\.path/,
  },
  {
    engine: "podman",
    what: "in place, the runtime becomes the default, unasked",
    texts: { [podmanFiles.configPath]: CONTAINERS_CONF },
    options: { ...podmanFiles, dropInPath: "" },
    spoil: edit(
      "containers.conf",
      'cgroup_manager = "cgroupfs"',
      'runtime = "nvidia"\ncgroup_manager = "cgroupfs"',
    ),
    refused: /would also change engine\.runtime for podman 4/,
  },
];

for (const c of CASES) {
  Deno.test(`the check refuses a plan: ${c.engine}: ${c.what}`, async () => {
    const engine = await loadEngine(c.engine);
    const request = { runtimes: [NVIDIA] };
    const rules = c.verb === "unconfigure" ? unconfigureRules(request) : configureRules(request);
    // The real engine's plan passes; the spoiled one is refused.
    await planEngine(engine, c.texts, rules, c.options);
    await rejects(
      planEngine(spoiled(engine, c.spoil), c.texts, rules, c.options),
      (error: unknown) => {
        equal(error instanceof RtconfError, true);
        match((error as Error).message, /^internal error: the planned /);
        match((error as Error).message, c.refused);
        match((error as Error).message, /nothing was written; please report this bug$/);
        return true;
      },
    );
  });
}

Deno.test("the CLI's write path writes nothing when the check refuses the plan", async () => {
  await withFiles({
    "etc/containerd/config.toml": CONTAINERD_1_7,
    "etc/docker/daemon.json": DAEMON,
  }, async (root) => {
    const snapshot = async () => {
      const files: Record<string, string> = {};
      for (const dir of ["etc/containerd", "etc/docker"]) {
        for await (const entry of Deno.readDir(join(root, dir))) {
          const path = join(root, dir, entry.name);
          files[path] = `${await Deno.readTextFile(path)}@${(await Deno.stat(path)).mtime}`;
        }
      }
      return files;
    };
    const before = await snapshot();
    const args = ["--runtime=docker,containerd", `--host-root=${root}`, "--set-as-default"];
    const invocation = await runtimeInvocation(
      "configure",
      parseFlags(CONFIGURE, args).values,
      () => {},
    );
    if (invocation.kind !== "runtime") throw new Error("not a runtime invocation");
    // Docker's plan is fine; containerd's loses the default: neither is written.
    const [docker, containerd] = invocation.targets;
    containerd.engine = spoiled(
      containerd.engine,
      edit("99-nvidia.toml", /default_runtime_name = "nvidia"/, ""),
    );
    const quiet = new Reporter({ stdout: () => {}, stderr: () => {} });
    await rejects(
      runRuntime(invocation, new HostRoot(root), quiet),
      /would not hold nvidia as the default runtime for containerd 1\.6 and 1\.7; nothing was written/,
    );
    deepEqual(await snapshot(), before);
    equal(docker.engine.name, "docker");
  });
});
