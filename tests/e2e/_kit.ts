/**
 * The end-to-end kit: real engines from Debian (unpacked by scripts/fetch-engines.sh and
 * scripts/fetch-e2e.sh, never installed), started in private mount namespaces with all their
 * state in a temporary work dir, and rtconf run as a user runs it: the CLI, as a subprocess.
 *
 * Which scenarios run is chosen by `RTCONF_E2E`: `ci` (the default: the subset that
 * `deno test` over the repository, and so `deno task test` and CI, always runs) or `all` (every
 * scenario: `deno task e2e`). Other knobs:
 *
 * - `RTCONF_E2E_RTCONF`: the rtconf command, split on blanks (default: this Deno running
 *   `main.ts` of this repository, `deno run -A main.ts`, from the repository's root). Point it at
 *   a bundle (`deno run -A --no-config dist/rtconf.js`), an executable, or a modified copy.
 * - `RTCONF_E2E_KEEP=1`: keep the work dirs of passing scenarios too (those of failing ones are
 *   always kept; their path is printed).
 *
 * @module
 */
import { fail, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type EngineBinary, loadEngines } from "../_engines.ts";

/** The repository's root (where `main.ts` is). */
export const REPO: string = fileURLToPath(new URL("../../", import.meta.url));
const NS_SCRIPT = fileURLToPath(new URL("./_ns.sh", import.meta.url));

/** Which scenarios run: `ci` (the default) or `all`. */
export const MODE: "ci" | "all" = (() => {
  const value = Deno.env.get("RTCONF_E2E") ?? "ci";
  if (value !== "ci" && value !== "all") {
    throw new Error(`RTCONF_E2E=${value}: use ci (the default) or all`);
  }
  return value;
})();

// ---------------------------------------------------------------------------------------------
// What the fetch scripts unpacked
// ---------------------------------------------------------------------------------------------

/** One package of scripts/fetch-e2e.sh's manifest. */
export interface Package {
  version: string;
  suite: string;
  /** An executable (it runs `--version`). */
  bin?: string;
  /** A plain file (busybox, the CRI proto). */
  file?: string;
}

/** Every binary and file the scenarios use. */
export interface Kit {
  containerd: Record<string, EngineBinary>;
  dockerd: EngineBinary;
  dockerCli: Package;
  runc: Package;
  busybox: Package;
  criApi: Package;
  conmon: Package;
  netavark: Package;
  podman: Record<string, Package>;
  /** One line per package: `engines: containerd 1.7.24~ds1-6+deb13u1 (trixie)`. */
  summary: string[];
  /** The machine lacks CAP_SYS_RESOURCE (see `runcStandIn`). */
  noSysResource: boolean;
}

function cacheDir(): string {
  const explicit = Deno.env.get("RTCONF_ENGINE_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  return xdg
    ? join(xdg, "rtconf-engines")
    : join(Deno.env.get("HOME") ?? "", ".cache", "rtconf-engines");
}

let kitPromise: Promise<Kit> | undefined;

/**
 * Runs scripts/fetch-e2e.sh (which runs scripts/fetch-engines.sh first; with a complete cache
 * both only check it) and reads what they unpacked. Throws, so that the scenarios fail rather
 * than skip, when something is missing.
 */
export function kit(): Promise<Kit> {
  return kitPromise ??= loadKit();
}

async function loadKit(): Promise<Kit> {
  if (Deno.uid() !== 0) {
    throw new Error("the end-to-end tests need root (mount namespaces, overlayfs, cgroups, runc)");
  }
  for (const tool of ["unshare", "mount", "tar", "sh", "bash"]) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output();
    if (!found.success) throw new Error(`the end-to-end tests need ${tool} on PATH`);
  }
  const fetch = await new Deno.Command("bash", {
    args: [join(REPO, "scripts/fetch-e2e.sh")],
    stdin: "null",
  }).output();
  const said = new TextDecoder().decode(fetch.stderr).trim();
  if (!fetch.success) {
    throw new Error(`bash scripts/fetch-e2e.sh failed (exit ${fetch.code}):\n${said}`);
  }
  sweepLeftovers();
  const engines = await loadEngines();
  const e2e = JSON.parse(await Deno.readTextFile(join(cacheDir(), "e2e", "e2e.json")));
  const dockerd = Object.values(engines.dockerd)[0];
  ok(dockerd, "no dockerd in the engine cache: run bash scripts/fetch-engines.sh");
  const status = await Deno.readTextFile("/proc/self/status");
  const bounding = BigInt("0x" + (/^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? "0"));
  return {
    containerd: engines.containerd,
    dockerd,
    ...e2e,
    summary: said.split("\n").filter((line) => /^(engines|e2e): /.test(line)),
    noSysResource: (bounding & (1n << 24n)) === 0n,
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/**
 * Registers a scenario: a `Deno.test` named `e2e <name>` that runs in every mode when `ci` is
 * true and only with `RTCONF_E2E=all` otherwise (it is reported as ignored then). `fn` gets a
 * fresh work dir; whatever it started is stopped afterwards, also when it fails.
 */
export function scenario(
  name: string,
  options: { ci: boolean },
  fn: (work: Work, t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test({
    name: `e2e ${name}`,
    ignore: !options.ci && MODE !== "all",
    sanitizeOps: false,
    sanitizeResources: false,
    sanitizeExit: false,
    fn: async (t) => {
      const work = await Work.create(name);
      let passed = false;
      try {
        await fn(work, t);
        passed = true;
      } finally {
        await work.close(passed);
      }
    },
  });
}

/** Runs `fn` as a step of `t` and throws when it failed (the later steps depend on it). */
export async function step(
  t: Deno.TestContext,
  name: string,
  fn: () => Promise<void>,
): Promise<void> {
  if (!await t.step(name, fn)) throw new Error(`step failed: ${name}`);
}

/** What a command printed and returned. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** stdout and stderr of `out`, for failure messages. */
export function shown(out: Output): string {
  return [out.stdout.trim(), out.stderr.trim()].filter(Boolean).join("\n") || "(no output)";
}

/** Runs a command to its end (killed after `timeoutMs`) and returns what it printed. */
export async function run(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<Output> {
  const out = await new Deno.Command(cmd, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.signal ? 128 + signalNumber(out.signal) : out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGTERM: 15, SIGKILL: 9, SIGINT: 2 } as Record<string, number>)[signal] ?? 1;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms until it returns a truthy value or `timeoutMs` passed. */
export async function waitFor<T>(
  timeoutMs: number,
  check: () => Promise<T | undefined | false> | T | undefined | false,
): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (true) {
    try {
      const value = await check();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > end) return undefined;
    await sleep(100);
  }
}

/** The file's text, `""` when it does not exist. */
export async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Writes an executable shell script. */
export async function script(path: string, text: string): Promise<string> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
  return path;
}

/** The last `lines` lines of a log file, for failure messages. */
export async function tail(path: string, lines = 8): Promise<string> {
  return (await readText(path)).trim().split("\n").slice(-lines).join("\n");
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

// ---------------------------------------------------------------------------------------------
// The machine: what must not change
// ---------------------------------------------------------------------------------------------

const WATCHED = ["/etc", "/opt", "/run", "/var/lib"];

/**
 * rtconf's own state on this machine (locks, journal), which a run without --host-root keeps
 * there by design: the unit tests that run beside the scenarios make it come and go. Every
 * scenario runs rtconf under a stand-in host's root (`Work.rtconf` makes sure).
 */
const RTCONF_STATE = new Set(["/run/rtconf", "/var/lib/rtconf"]);

async function entries(dir: string, onlyDirs = false): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!onlyDirs || entry.isDirectory) names.push(`${dir}/${entry.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
}

/**
 * Where the engines' cgroups go: the root of the unified hierarchy (cgroup v2), or the root of
 * each hierarchy (cgroup v1 and hybrid: /sys/fs/cgroup/cpu, ..., /sys/fs/cgroup/unified).
 */
function cgroupRoots(): string[] {
  try {
    Deno.statSync("/sys/fs/cgroup/cgroup.controllers");
    return ["/sys/fs/cgroup"];
  } catch {
    return [...Deno.readDirSync("/sys/fs/cgroup")].filter((entry) => entry.isDirectory)
      .map((entry) => `/sys/fs/cgroup/${entry.name}`);
  }
}

/** The machine's entries where engines write by default, and its top-level cgroups. */
async function machineEntries(): Promise<Set<string>> {
  const all = (await Promise.all(WATCHED.map((dir) => entries(dir)))).flat()
    .filter((entry) => !RTCONF_STATE.has(entry));
  for (const root of cgroupRoots()) {
    // Other scenarios' own cgroups come and go while this one runs.
    all.push(...(await entries(root, true)).filter((dir) => !dir.includes("/rtconf-e2e-")));
  }
  return new Set(all);
}

// ---------------------------------------------------------------------------------------------
// The work dir of one scenario
// ---------------------------------------------------------------------------------------------

/** Engines running now, and the scenarios that run: stopped on SIGINT and SIGTERM too. */
const live = new Set<NsProcess>();
const openWorks = new Set<Work>();
let signalHandler: (() => void) | undefined;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * On SIGINT or SIGTERM (Ctrl-C, a CI timeout): kill every engine and what is left in its
 * namespace, by pid; remove the scenarios' cgroups; exit 130. The work dirs are kept. (The test
 * runner may end the process first; then the next run's `sweepLeftovers` finishes the job.)
 */
function watchSignals(): void {
  if (signalHandler) return;
  signalHandler = () => {
    const namespaces = [...live].map((engine) => engine.ns);
    for (let round = 0; round < 10; round++) {
      const pids = [...live].map((engine) => engine.pid)
        .concat(namespaces.flatMap(pidsInNamespaceSync));
      if (!pids.length) break;
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      sleepSync(100);
    }
    for (const work of openWorks) {
      for (const error of removeCgroupsSync(work.tag)) console.error(`e2e: ${error}`);
      console.error(`e2e ${work.name}: interrupted; work dir kept: ${work.dir}`);
    }
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", signalHandler);
  Deno.addSignalListener("SIGTERM", signalHandler);
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * What an earlier run left when it was killed (SIGKILL, or a test runner that exited before
 * the cleanups): processes whose mount namespace holds the overlays of a work dir
 * `rtconf-e2e-<pid>-...` and cgroups `rtconf-e2e-<pid>-...`, where that pid is gone. Killed by
 * pid and removed.
 */
function sweepLeftovers(): void {
  const overlay = /upperdir=[^,]*\/rtconf-e2e-(\d+)-[^/,]*\/ovl\//;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    let owner: RegExpExecArray | null = null;
    try {
      owner = overlay.exec(Deno.readTextFileSync(`/proc/${entry.name}/mountinfo`));
    } catch {
      continue; // gone
    }
    if (owner && !alive(Number(owner[1]))) {
      console.error(`e2e: killing ${entry.name}, left by the interrupted run ${owner[1]}`);
      try {
        Deno.kill(Number(entry.name), "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  const tags = new Set<string>();
  for (const root of cgroupRoots()) {
    for (const entry of Deno.readDirSync(root)) {
      const owner = /^rtconf-e2e-(\d+)-/.exec(entry.name);
      if (entry.isDirectory && owner && !alive(Number(owner[1]))) tags.add(entry.name);
    }
  }
  for (const tag of tags) {
    console.error(`e2e: removing the cgroups ${tag} of an interrupted run`);
    for (const error of removeCgroupsSync(tag)) console.error(`e2e: ${error}`);
  }
}

function unwatchSignals(): void {
  if (!signalHandler || live.size) return;
  Deno.removeSignalListener("SIGINT", signalHandler);
  Deno.removeSignalListener("SIGTERM", signalHandler);
  signalHandler = undefined;
}

/**
 * A scenario's temporary work dir: engines' state, logs, configs and the stand-in host's root;
 * a unique tag names the cgroups its containers go under. `close` runs the cleanups in reverse
 * order, removes the cgroups, checks that the machine did not change, and removes the dir after
 * a passing scenario.
 */
export class Work {
  /** The work dir. */
  readonly dir: string;
  /** The scenario's name. */
  readonly name: string;
  /** A unique name for what lives outside the work dir: the containers' cgroup parent. */
  readonly tag: string;
  #cleanups: (() => Promise<void> | void)[] = [];
  #before: Set<string>;
  #mountsBefore: string;
  #spawned = 0;

  private constructor(dir: string, name: string, before: Set<string>, mounts: string) {
    this.dir = dir;
    this.name = name;
    this.tag = `rtconf-e2e-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.#before = before;
    this.#mountsBefore = mounts;
  }

  /** A new work dir for the scenario `name`. */
  static async create(name: string): Promise<Work> {
    const before = await machineEntries();
    const mounts = await Deno.readTextFile("/proc/self/mountinfo");
    const slug = name.replace(/[^A-Za-z0-9.]+/g, "-").slice(0, 24);
    // The pid in the name tells a later run whether the run that made the dir is still alive.
    const dir = await Deno.makeTempDir({ prefix: `rtconf-e2e-${Deno.pid}-${slug}-` });
    const work = new Work(await Deno.realPath(dir), name, before, mounts);
    openWorks.add(work);
    return work;
  }

  /** `join(dir, ...parts)`. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Registers a cleanup, run at the end (last registered first), errors collected. */
  defer(fn: () => Promise<void> | void): void {
    this.#cleanups.push(fn);
  }

  /** Stops everything, checks the machine, and removes the dir after a pass. */
  async close(passed: boolean): Promise<void> {
    const errors: string[] = [];
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(`cleanup: ${(error as Error).message}`);
      }
    }
    this.#cleanups = [];
    errors.push(...removeCgroupsSync(this.tag));
    openWorks.delete(this);
    const mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
      .filter((line) => line.includes(this.dir) || line.includes("rtconf-e2e "));
    const stray = mounts.filter((line) => !this.#mountsBefore.includes(line));
    if (stray.length) errors.push(`mounts left in the machine's namespace: ${stray.join("; ")}`);
    const appeared = [...await machineEntries()].filter((entry) => !this.#before.has(entry));
    if (appeared.length) {
      errors.push(
        `appeared on the machine (by this scenario or another process): ${appeared.join(", ")}`,
      );
    }
    if (passed && !errors.length && Deno.env.get("RTCONF_E2E_KEEP") !== "1") {
      await Deno.remove(this.dir, { recursive: true });
    } else {
      console.error(`e2e ${this.name}: work dir kept: ${this.dir}`);
    }
    if (errors.length && passed) fail(`e2e ${this.name}: ${errors.join("; ")}`);
    if (errors.length) console.error(`e2e ${this.name}: ${errors.join("; ")}`);
  }

  /**
   * Runs rtconf as a user does: the CLI in a subprocess (`RTCONF_E2E_RTCONF`, else
   * `deno run -A main.ts` of this repository), from the repository's root. Its output goes into
   * `rtconf.log` too.
   */
  async rtconf(...args: string[]): Promise<Output> {
    // rtconf's own state (see RTCONF_STATE) stays under the scenario's stand-in host.
    ok(
      args.some((arg) => arg.startsWith(`--host-root=${this.dir}/`)),
      `a scenario runs rtconf under its stand-in host's root: rtconf ${args.join(" ")}`,
    );
    const command = Deno.env.get("RTCONF_E2E_RTCONF")?.trim().split(/\s+/) ??
      [Deno.execPath(), "run", "-A", "--quiet", join(REPO, "main.ts")];
    const out = await run(command[0], [...command.slice(1), ...args], {
      cwd: REPO,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    const shownArgs = args.map((arg) => arg.replaceAll(this.dir, "$W")).join(" ");
    await Deno.writeTextFile(
      this.path("rtconf.log"),
      `$ rtconf ${shownArgs}\n${shown(out)}\n(exit ${out.code})\n\n`,
      { append: true },
    );
    return out;
  }

  /** Runs rtconf and fails unless it exits 0. */
  async rtconfOk(...args: string[]): Promise<Output> {
    const out = await this.rtconf(...args);
    if (out.code !== 0) fail(`rtconf ${args.join(" ")} exited ${out.code}:\n${shown(out)}`);
    return out;
  }

  /**
   * Starts `cmd` in a private mount namespace (see _ns.sh): a fresh tmpfs on /run, overlays on
   * /etc, /opt and /var/lib whose upper dirs are in this work dir, then the binds. Its output goes
   * to `log`.
   */
  async spawn(
    cmd: string,
    args: string[],
    options: { log: string; env?: Record<string, string>; binds?: [string, string][] },
  ): Promise<NsProcess> {
    const binds = (options.binds ?? []).flatMap(([src, dst]) => ["--bind", src, dst]);
    const nsFile = this.path(`.ns-${++this.#spawned}`);
    const child = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        NS_SCRIPT,
        this.path("ovl"),
        nsFile,
        "--log",
        options.log,
        ...binds,
        "--",
        cmd,
        ...args,
      ],
      env: options.env,
      clearEnv: options.env !== undefined,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const ns = await waitFor(10_000, async () => (await Deno.readTextFile(nsFile)).trim());
    const proc = new NsProcess(cmd, child, ns ?? "", this);
    live.add(proc);
    watchSignals();
    this.defer(() => proc.stop());
    if (!ns) {
      await proc.stop(1000);
      fail(`${cmd} did not start in a private mount namespace: ${await tail(options.log)}`);
    }
    return proc;
  }

  /**
   * Runs `cmd` to its end in a private mount namespace (as `spawn`); stops what it left there.
   */
  async runInNamespace(
    cmd: string,
    args: string[],
    options: {
      log: string;
      env?: Record<string, string>;
      binds?: [string, string][];
      timeoutMs?: number;
    },
  ): Promise<number> {
    const proc = await this.spawn(cmd, args, options);
    const status = await Promise.race([
      proc.child.status,
      sleep(options.timeoutMs ?? 120_000).then(() => undefined),
    ]);
    await proc.stop(5000);
    if (!status) fail(`${cmd} ${args.join(" ")} did not end in time (log: ${options.log})`);
    return status.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes in their private mount namespaces
// ---------------------------------------------------------------------------------------------

function pidsInNamespaceSync(ns: string): number[] {
  const pids: number[] = [];
  if (!ns) return pids;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${entry.name}/ns/mnt`) === ns) pids.push(Number(entry.name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** An engine (or one command) in its own mount namespace. */
export class NsProcess {
  readonly name: string;
  readonly child: Deno.ChildProcess;
  /** Its mount namespace, e.g. `mnt:[4026532400]`. */
  readonly ns: string;
  readonly #work: Work;
  #stopped = false;

  constructor(name: string, child: Deno.ChildProcess, ns: string, work: Work) {
    this.name = name;
    this.child = child;
    this.ns = ns;
    this.#work = work;
  }

  /** The engine's pid (unshare and the shell exec'd it). */
  get pid(): number {
    return this.child.pid;
  }

  /** Whether the process still runs. */
  async running(): Promise<boolean> {
    return await Promise.race([this.child.status.then(() => false), sleep(10).then(() => true)]);
  }

  /**
   * Stops the engine (SIGTERM, SIGKILL after `graceMs`), then, after 3 s, kills by pid whatever
   * is left in its namespace (only while the namespace still shows this work dir's overlays: its
   * id may be reused once it is gone). Idempotent.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      if (await this.running()) {
        try {
          Deno.kill(this.pid, "SIGTERM");
        } catch {
          // gone
        }
        const ended = await Promise.race([
          this.child.status.then(() => true),
          sleep(graceMs).then(() => false),
        ]);
        if (!ended) {
          console.error(
            `e2e: ${this.name} (${this.pid}) did not stop in ${graceMs} ms; killing it`,
          );
          Deno.kill(this.pid, "SIGKILL");
        }
      }
      await this.child.status;
      const left = await waitFor(3000, () => pidsInNamespaceSync(this.ns).length === 0);
      if (!left) {
        const pids = pidsInNamespaceSync(this.ns).filter((pid) => {
          try {
            return Deno.readTextFileSync(`/proc/${pid}/mountinfo`).includes(this.#work.dir);
          } catch {
            return false;
          }
        });
        for (const pid of pids) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
        await waitFor(5000, () => pidsInNamespaceSync(this.ns).length === 0);
      }
    } finally {
      live.delete(this);
      unwatchSignals();
    }
  }
}

/** Removes the (empty) cgroups named `tag` under every cgroup root, deepest first. */
function removeCgroupsSync(tag: string): string[] {
  const errors: string[] = [];
  for (const top of cgroupRoots().map((root) => `${root}/${tag}`)) {
    const dirs: string[] = [];
    const walk = (dir: string) => {
      dirs.push(dir);
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.isDirectory) walk(`${dir}/${entry.name}`);
      }
    };
    try {
      walk(top);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    for (const dir of dirs.reverse()) {
      // A cgroup is busy for a moment after its last process exited.
      for (let attempt = 0;; attempt++) {
        try {
          Deno.removeSync(dir);
          break;
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) break;
          if (attempt === 50) {
            errors.push(`could not remove cgroup ${dir}: ${(error as Error).message}`);
            break;
          }
          sleepSync(100);
        }
      }
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Stand-ins
// ---------------------------------------------------------------------------------------------

/**
 * The stand-in NVIDIA runtime at `path`: appends `<its name> <args>` to `log`, then execs `runc`
 * with the same arguments, as nvidia-container-runtime does.
 */
export function fakeRuntime(path: string, runc: string, log: string): Promise<string> {
  return script(
    path,
    `#!/bin/sh
# Stand-in for the NVIDIA runtime (rtconf's end-to-end tests): log, then run runc.
printf '%s\\n' "\${0##*/} $*" >>${quote(log)}
exec ${quote(runc)} "$@"
`,
  );
}

/**
 * The stand-in NVIDIA runtime hook at `path`: appends `<its name> args=<args> state=<the
 * container state JSON on stdin>` to `log`.
 */
export function fakeHook(path: string, log: string): Promise<string> {
  return script(
    path,
    `#!/bin/sh
# Stand-in for the NVIDIA runtime hook (rtconf's end-to-end tests): log the call and the state.
state=$(cat)
printf '%s args=%s state=%s\\n' "\${0##*/}" "$*" "$state" >>${quote(log)}
`,
  );
}

/**
 * The `runc` the engines call, at `path`. Where the machine lacks CAP_SYS_RESOURCE (some VMs and
 * containers, even as root), runc cannot lower a process's oom_score_adj, and containerd's CRI
 * asks for -998 for every pod sandbox (runc fails: "can't get final child's PID from pipe: EOF").
 * There the stand-in raises a negative `oomScoreAdj` in the bundle's config.json to its own
 * value before it execs runc: an adaptation of the test machine, not of what rtconf writes
 * (a config setting such as restrict_oom_score_adj would not do: the scenario without any
 * config must run as it is). Elsewhere `path` is a symlink to runc.
 */
export async function runcStandIn(path: string, runc: string, adapt: boolean): Promise<string> {
  if (!adapt) {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.symlink(runc, path);
    return path;
  }
  return await script(
    path,
    `#!/bin/sh
# runc for rtconf's end-to-end tests on a machine without CAP_SYS_RESOURCE: a negative
# oomScoreAdj cannot be set here, so it becomes this process's own value.
bundle= prev=
for arg in "$@"; do
  case $prev in --bundle | -b) bundle=$arg ;; esac
  case $arg in --bundle=*) bundle=\${arg#--bundle=} ;; esac
  prev=$arg
done
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then
  own=$(cat /proc/self/oom_score_adj)
  sed -i "s/\\"oomScoreAdj\\":-[0-9][0-9]*/\\"oomScoreAdj\\":$own/" "$bundle/config.json"
fi
exec ${quote(runc)} "$@"
`,
  );
}

/** A minimal root file system of busybox: sh, echo, true, cat, sleep, hostname. */
export async function busyboxRootfs(dir: string, busybox: string): Promise<string> {
  for (const sub of ["bin", "proc", "sys", "dev", "etc", "tmp"]) {
    await Deno.mkdir(join(dir, sub), { recursive: true });
  }
  await Deno.copyFile(busybox, join(dir, "bin/busybox"));
  await Deno.chmod(join(dir, "bin/busybox"), 0o755);
  for (const applet of ["sh", "echo", "true", "cat", "sleep", "hostname"]) {
    await Deno.symlink("busybox", join(dir, "bin", applet));
  }
  await Deno.writeTextFile(join(dir, "etc/hosts"), "");
  await Deno.writeTextFile(join(dir, "etc/resolv.conf"), "");
  return dir;
}

/** The lines of the stand-in's `log` that name `id` as the last argument of `verb`. */
export async function runtimeCalls(log: string, verb: "create" | "start", id: string) {
  return (await readText(log)).split("\n").filter((line) =>
    line.includes(` ${verb} `) && line.endsWith(` ${id}`)
  );
}

/** Whether the stand-in runtime's `log` shows that it created and started the container `id`. */
export async function wentThrough(log: string, id: string): Promise<boolean> {
  return (await runtimeCalls(log, "create", id)).length > 0 &&
    (await runtimeCalls(log, "start", id)).length > 0;
}

/** Whether the stand-in runtime's `log` names `id` at all. */
export async function mentioned(log: string, id: string): Promise<boolean> {
  return (await readText(log)).includes(id);
}
