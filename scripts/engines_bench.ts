/**
 * The in-process hot paths: each engine's plan (parse, apply the rules,
 * serialize, verify) on its fixture, for configure and for unconfigure of what
 * configure wrote.
 *
 * `deno bench -A scripts/engines_bench.ts` (part of `deno task bench`)
 *
 * @module
 */

import type { FileTexts } from "../lib/engines/engine.ts";
import { containerd } from "../lib/engines/containerd/mod.ts";
import { crio } from "../lib/engines/crio/mod.ts";
import { docker } from "../lib/engines/docker/mod.ts";
import { planEngine } from "../lib/engines/mod.ts";
import { changes } from "../lib/plan.ts";
import type { Plan } from "../lib/plan.ts";
import { configureRules, unconfigureRules } from "../lib/rules.ts";

const fixture = (path: string) =>
  Deno.readTextFile(new URL(`../tests/fixtures/${path}`, import.meta.url));

/**
 * The texts with a comment of their own added to each TOML file: a run parses
 * each text once, and rtconf keeps the values of the texts it parsed last, so
 * a text repeated run after run would not be parsed again.
 */
let round = 0;
function fresh(texts: FileTexts): FileTexts {
  round++;
  return Object.fromEntries(
    Object.entries(texts).map(([path, text]) => [
      path,
      text === undefined || path.endsWith(".json") ? text : `${text}# round ${round}\n`,
    ]),
  );
}

const request = {
  runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
  setAsDefault: "nvidia",
};
const configure = configureRules(request);
const unconfigure = unconfigureRules(request);

/** The files after a plan: `texts` with the plan's changes applied. */
function after(texts: FileTexts, plan: Plan): FileTexts {
  const result: Record<string, string | undefined> = { ...texts };
  for (const change of changes(plan)) result[change.path] = change.after;
  return result;
}

// containerd 1.7's default config (291 lines).
const CONTAINERD = {
  configPath: "/etc/containerd/config.toml",
  dropInPath: "/etc/containerd/conf.d/99-nvidia.toml",
};
const CONTAINERD_IN_PLACE = { ...CONTAINERD, dropInPath: "" };
const containerdTexts = {
  [CONTAINERD.configPath]: await fixture("containerd/default-1.7.toml"),
};
const containerdConfigured = after(
  containerdTexts,
  await planEngine(containerd, fresh(containerdTexts), configure, CONTAINERD),
);

Deno.bench("containerd: configure, drop-in", { group: "containerd", baseline: true }, async () => {
  await planEngine(containerd, fresh(containerdTexts), configure, CONTAINERD);
});
Deno.bench("containerd: configure, in place", { group: "containerd" }, async () => {
  await planEngine(containerd, fresh(containerdTexts), configure, CONTAINERD_IN_PLACE);
});
Deno.bench("containerd: unconfigure, drop-in", { group: "containerd" }, async () => {
  await planEngine(containerd, fresh(containerdConfigured), unconfigure, CONTAINERD);
});

// CRI-O's crio.conf.
const CRIO = {
  configPath: "/etc/crio/crio.conf",
  dropInPath: "/etc/crio/crio.conf.d/99-nvidia.toml",
};
const CRIO_IN_PLACE = { ...CRIO, dropInPath: "" };
const crioTexts = { [CRIO.configPath]: await fixture("crio/crio.conf") };
const crioConfigured = after(crioTexts, await planEngine(crio, fresh(crioTexts), configure, CRIO));

Deno.bench("crio: configure, drop-in", { group: "crio", baseline: true }, async () => {
  await planEngine(crio, fresh(crioTexts), configure, CRIO);
});
Deno.bench("crio: configure, in place", { group: "crio" }, async () => {
  await planEngine(crio, fresh(crioTexts), configure, CRIO_IN_PLACE);
});
Deno.bench("crio: unconfigure, drop-in", { group: "crio" }, async () => {
  await planEngine(crio, fresh(crioConfigured), unconfigure, CRIO);
});

// Docker's daemon.json.
const DOCKER = { configPath: "/etc/docker/daemon.json", dropInPath: "" };
const dockerTexts = { [DOCKER.configPath]: await fixture("docker/indent-4.json") };
const dockerConfigured = after(
  dockerTexts,
  await planEngine(docker, fresh(dockerTexts), configure, DOCKER),
);

Deno.bench("docker: configure", { group: "docker", baseline: true }, async () => {
  await planEngine(docker, fresh(dockerTexts), configure, DOCKER);
});
Deno.bench("docker: configure, no file", { group: "docker" }, async () => {
  await planEngine(docker, {}, configure, DOCKER);
});
Deno.bench("docker: unconfigure", { group: "docker" }, async () => {
  await planEngine(docker, fresh(dockerConfigured), unconfigure, DOCKER);
});
