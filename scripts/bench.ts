/**
 * Whole-process benchmarks of the bundled CLI (`dist/rtconf.js`, built first
 * when missing or older than the sources): wall time and peak RSS, medians
 * over repeated runs, next to Deno's own floor and, when `NVIDIA_CTK` names
 * an nvidia-ctk executable, next to nvidia-ctk doing the same work. Each
 * budget is printed with its measured ratio and "met" or "not met", and a
 * summary of them ends the report.
 *
 * ```sh
 * deno run -A scripts/bench.ts [--runs=15] [--only=startup,second,installer,scaling,large,runtimes,breakdown]
 * NVIDIA_CTK=/path/to/nvidia-ctk deno task bench
 * ```
 *
 * 1. startup: `runtime configure --runtime=containerd --dry-run` on containerd
 *    1.7's default config, against `deno run --no-config` of an empty script.
 *    Budget: at most 1.3× the floor in wall time and in peak RSS.
 * 2. second: the same configure, written for real, on a host it configured
 *    already. Budget: nothing written, and at most 1.3× the floor.
 * 3. installer: three runtimes (nvidia, nvidia-cdi, nvidia-legacy) into
 *    containerd, CRI-O and Docker configs under a temp host root, written for
 *    real, in one rtconf process; nvidia-ctk's nine processes (and rtconf's)
 *    for comparison. Budget: at most 0.5× the time of nvidia-ctk's nine.
 * 4. scaling: in-place dry-run configure of generated containerd configs of
 *    2,500 and 25,000 lines. Budget: the cost of 1,000 more lines at most
 *    nvidia-ctk's on the same files.
 * 5. large: a 15 MiB config.toml configured for real, in place and with a
 *    drop-in. Budget: at most 2 s and 300 MiB each.
 * 6. runtimes: 1,000 `--runtime-name` in one call, configured and
 *    unconfigured for real, with a drop-in and in place. Budget: 1 s each.
 * 7. breakdown: what the start-up time is made of, and the levers tried (a
 *    smol-toml-only bundle, the engines' parsers alone, a minified bundle, V8
 *    flags, no code cache).
 *
 * Wall time is measured here around each spawn (`performance.now()`), peak
 * RSS by `/usr/bin/time -f %M`. The variants compared are interleaved, round
 * by round, after one unmeasured warm-up round (which also checks that each
 * variant did its work). Section 6 runs at most 5 rounds; section 5, whose
 * runs take minutes (the engines' parsers read the 15 MiB file), one round
 * without a warm-up.
 *
 * `deno bench` also loads this file (it matches `bench.ts`); it does nothing
 * then, as it is not the main module.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleCli } from "./bundle.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = join(ROOT, "dist", "rtconf.js");
const FIXTURES = join(ROOT, "tests", "fixtures");
const DENO = Deno.execPath();
const TIME = "/usr/bin/time";
const SECTIONS = ["startup", "second", "installer", "scaling", "large", "runtimes", "breakdown"];
/** Rounds of the sections whose runs take seconds. */
const HEAVY_RUNS = 5;
const MIB = 2 ** 20;
const decoder = new TextDecoder();

/** One process to spawn. */
interface Proc {
  args: string[];
}

/** One measured variant: its processes run one after the other and are timed as a whole. */
interface Variant {
  label: string;
  procs: Proc[];
  /** Runs before each round, untimed (e.g. to restore the files the processes change). */
  reset?: () => Promise<void>;
  /** Runs after the warm-up round: throws when the processes did not do their job. */
  verify?: () => Promise<void>;
}

/** A variant's medians over the measured rounds. */
interface Result {
  label: string;
  /** Median wall time of a round, ms. */
  wallMs: number;
  /** Median over the rounds of the largest peak RSS among a round's processes, KiB. */
  rssKiB: number;
}

/** Where a benchmark run works, how many rounds it measures, and what it found. */
interface Context {
  scratch: string;
  runs: number;
  /** nvidia-ctk, when `NVIDIA_CTK` names it. */
  nvidiaCtk?: string;
  /** Each budget's line for the summary. */
  budgets: string[][];
}

// ---------------------------------------------------------------------------
// Measuring

const childEnv = () => ({ ...Deno.env.toObject(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" });

/** Runs a command to its end, untimed; throws when it fails. */
async function run(args: string[], cwd?: string): Promise<string> {
  const result = await new Deno.Command(args[0], {
    args: args.slice(1),
    cwd,
    env: childEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`${args.join(" ")} failed (${result.code}):\n${decoder.decode(result.stderr)}`);
  }
  return decoder.decode(result.stdout);
}

/** Runs one process under /usr/bin/time, from the scratch dir: wall time (ms), peak RSS (KiB). */
async function spawn(ctx: Context, proc: Proc): Promise<{ wallMs: number; rssKiB: number }> {
  const rssFile = join(ctx.scratch, "rss");
  const command = new Deno.Command(TIME, {
    args: ["-o", rssFile, "-f", "%M", ...proc.args],
    cwd: ctx.scratch,
    env: childEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const start = performance.now();
  const result = await command.output();
  const wallMs = performance.now() - start;
  if (!result.success) {
    throw new Error(
      `${proc.args.join(" ").slice(0, 400)} failed (${result.code}):\n${
        decoder.decode(result.stderr)
      }`,
    );
  }
  const rss = (await Deno.readTextFile(rssFile)).trim().split("\n").at(-1) ?? "";
  return { wallMs, rssKiB: Number(rss) };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Measures the variants over `runs` interleaved rounds, after one warm-up
 * round (`warmUp` false: the first round is measured, and checked).
 */
async function measure(
  ctx: Context,
  variants: Variant[],
  runs = ctx.runs,
  warmUp = true,
): Promise<Result[]> {
  const walls = variants.map((): number[] => []);
  const rsses = variants.map((): number[] => []);
  for (let round = warmUp ? -1 : 0; round < runs; round++) {
    for (const [i, variant] of variants.entries()) {
      await variant.reset?.();
      let wall = 0, rss = 0;
      for (const proc of variant.procs) {
        const one = await spawn(ctx, proc);
        wall += one.wallMs;
        rss = Math.max(rss, one.rssKiB);
      }
      if (round === (warmUp ? -1 : 0)) await variant.verify?.();
      if (round >= 0) {
        walls[i].push(wall);
        rsses[i].push(rss);
      }
    }
  }
  return variants.map((variant, i) => ({
    label: variant.label,
    wallMs: median(walls[i]),
    rssKiB: median(rsses[i]),
  }));
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const times = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const verdict = (ok: boolean) => ok ? "met" : "not met";

/** Prints a budget's line, and keeps it for the summary. */
function budget(ctx: Context, what: string, measured: string, ok: boolean): void {
  console.log(`Budget: ${what}: ${verdict(ok)} (${measured})`);
  ctx.budgets.push([what, measured, verdict(ok)]);
}

/** Prints, and keeps for the summary, a budget that was not measured. */
function skipped(ctx: Context, what: string, why: string): void {
  console.log(`Budget: ${what}: not measured (${why})`);
  ctx.budgets.push([what, "—", `not measured: ${why}`]);
}

/** Prints a Markdown table. */
function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(headers));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const row of rows) console.log(line(row));
  console.log();
}

/** The usual table of results: wall and RSS, and their ratio to the first row. */
function resultTable(results: Result[]): void {
  const [first] = results;
  table(
    ["what", "wall (median)", "× first", "peak RSS (median)", "× first"],
    results.map((r) => [
      r.label,
      ms(r.wallMs),
      times(r.wallMs, first.wallMs),
      mib(r.rssKiB),
      times(r.rssKiB, first.rssKiB),
    ]),
  );
}

// ---------------------------------------------------------------------------
// The bundle

/** The newest modification time of the .ts and .json files under `path`. */
async function newestSource(path: string): Promise<number> {
  const info = await Deno.stat(path);
  if (info.isFile) return /\.(ts|json)$/.test(path) ? info.mtime?.getTime() ?? 0 : 0;
  let newest = 0;
  for await (const entry of Deno.readDir(path)) {
    newest = Math.max(newest, await newestSource(join(path, entry.name)));
  }
  return newest;
}

/** Builds dist/rtconf.js when it is missing or older than a source file. */
async function ensureBundle(): Promise<void> {
  const built = await Deno.stat(BUNDLE).then((i) => i.mtime?.getTime() ?? 0, () => -1);
  const sources = Math.max(
    ...await Promise.all(
      ["main.ts", "deno.json", "lib"].map((p) => newestSource(join(ROOT, p))),
    ),
  );
  if (built >= sources) return;
  console.log(built < 0 ? "Building dist/rtconf.js\n" : "Rebuilding dist/rtconf.js (stale)\n");
  await bundleCli(BUNDLE);
}

/** The bundled CLI with these arguments. */
const rtconf = (...args: string[]): Proc => ({
  args: [DENO, "run", "-A", "--no-config", BUNDLE, ...args],
});

// ---------------------------------------------------------------------------
// The workloads

const fixture = (path: string) => join(FIXTURES, path);

/** Deno's floor: `deno run --no-config` of an empty script. */
async function floorVariant(ctx: Context): Promise<Variant> {
  const script = join(ctx.scratch, "empty.js");
  await Deno.writeTextFile(script, "");
  return {
    label: "deno run --no-config empty.js (the floor)",
    procs: [{ args: [DENO, "run", "--no-config", script] }],
  };
}

/** A copy of containerd 1.7's default config in the scratch dir. */
async function containerdConfig(ctx: Context): Promise<string> {
  const path = join(ctx.scratch, "config.toml");
  await Deno.copyFile(fixture("containerd/default-1.7.toml"), path);
  return path;
}

const configureArgs = (config: string) => [
  "runtime",
  "configure",
  "--runtime=containerd",
  "--dry-run",
  `--config=${config}`,
];

/**
 * A containerd config of exactly `lines` lines: 1.7's default config with
 * filler plugin tables before `[proxy_plugins]` (below 291 lines, without its
 * plugins other than the CRI plugin).
 */
export function generatedConfig(base: string, lines: number): string {
  let all = base.replace(/\n$/, "").split("\n");
  const end = all.findIndex((l) => l.startsWith("[proxy_plugins]"));
  if (end < 0) throw new Error("the base config has no [proxy_plugins] table");
  if (all.length > lines) {
    const first = all.findIndex((l) => /^\s*\[plugins\."io\.containerd\.internal\./.test(l));
    all = [...all.slice(0, first), ...all.slice(end)];
  }
  if (all.length > lines) throw new Error(`cannot make a config of ${lines} lines`);
  const at = all.findIndex((l) => l.startsWith("[proxy_plugins]"));
  const filler: string[] = [];
  for (let i = 0; all.length + filler.length + 8 <= lines; i++) {
    const id = `p${String(i).padStart(5, "0")}`;
    filler.push(
      `  [plugins."io.containerd.bench.v1.${id}"]`,
      `    address = "/run/containerd/bench/${id}.sock"`,
      `    enabled = true`,
      `    level = ${i % 7}`,
      `    paths = ["/var/lib/bench/${id}", "/opt/bench/${id}"]`,
      `    timeout = "30s"`,
      `    weight = 0.5`,
      ``,
    );
  }
  while (all.length + filler.length < lines) filler.push("  # filler");
  return [...all.slice(0, at), ...filler, ...all.slice(at)].join("\n") + "\n";
}

/** A generated containerd config of at least `bytes` bytes (whole filler tables). */
function configOfSize(base: string, bytes: number): string {
  const sample = generatedConfig(base, 10_000);
  const lines = Math.ceil(10_000 * bytes / sample.length) + 8;
  return generatedConfig(base, lines);
}

/** The runtimes NVIDIA's installer registers. */
const INSTALLER_RUNTIMES = [
  ["nvidia", "/usr/bin/nvidia-container-runtime"],
  ["nvidia-cdi", "/usr/bin/nvidia-container-runtime.cdi"],
  ["nvidia-legacy", "/usr/bin/nvidia-container-runtime.legacy"],
] as const;

/** (Re)creates a host root holding the engines' configs at their default paths. */
async function hostRoot(root: string, engines = ["containerd", "crio", "docker"]): Promise<void> {
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const files: Record<string, [string, string]> = {
    containerd: ["etc/containerd/config.toml", "containerd/default-1.7.toml"],
    crio: ["etc/crio/crio.conf", "crio/crio.conf"],
    docker: ["etc/docker/daemon.json", "docker/indent-4.json"],
  };
  for (const engine of engines) {
    const [path, from] = files[engine];
    await Deno.mkdir(dirname(join(root, path)), { recursive: true });
    await Deno.copyFile(fixture(from), join(root, path));
  }
}

/** Every file under `dir` with its text, by relative path. */
async function snapshot(dir: string, under = dir): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(under)) {
    const path = join(under, entry.name);
    if (entry.isDirectory) Object.assign(files, await snapshot(dir, path));
    else files[relative(dir, path)] = await Deno.readTextFile(path);
  }
  return files;
}

/** Every file and directory under `dir` with what a write changes: size, mtime, inode. */
async function stamps(dir: string, under = dir): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for await (const entry of Deno.readDir(under)) {
    const path = join(under, entry.name);
    const info = await Deno.lstat(path);
    found[relative(dir, path)] = `${info.size} ${info.mtime?.getTime()} ${info.ino}`;
    if (entry.isDirectory) Object.assign(found, await stamps(dir, path));
  }
  return found;
}

/** Throws unless every runtime named landed in every engine's file under `root`. */
async function verifyInstall(
  root: string,
  names: readonly string[] = INSTALLER_RUNTIMES.map(([name]) => name),
): Promise<void> {
  const expect: [string, (name: string) => string][] = [
    ["etc/containerd/conf.d/99-nvidia.toml", (n) => `containerd.runtimes.${n}]`],
    ["etc/crio/crio.conf.d/99-nvidia.toml", (n) => `[crio.runtime.runtimes.${n}]`],
    ["etc/docker/daemon.json", (n) => `"${n}": {`],
  ];
  for (const [path, needle] of expect) {
    const text = await Deno.readTextFile(join(root, path));
    for (const name of names) {
      if (!text.includes(needle(name))) throw new Error(`${path} lacks the runtime ${name}`);
    }
  }
}

/**
 * The installer's work as nine processes of `command` (rtconf's or
 * nvidia-ctk's, which take the same flags): one per engine and runtime,
 * files given by flags. nvidia-ctk's drop-ins hold the runtime of their last
 * run only (`kept`).
 */
function installerNine(
  label: string,
  command: string[],
  root: string,
  after?: (files: Record<string, string>) => void,
  kept?: string[],
): Variant {
  const engines: [string, string[]][] = [
    ["containerd", [
      `--config=${root}/etc/containerd/config.toml`,
      `--drop-in-config=${root}/etc/containerd/conf.d/99-nvidia.toml`,
    ]],
    ["crio", [
      `--config=${root}/etc/crio/crio.conf`,
      `--drop-in-config=${root}/etc/crio/crio.conf.d/99-nvidia.toml`,
    ]],
    ["docker", [`--config=${root}/etc/docker/daemon.json`]],
  ];
  const procs = engines.flatMap(([engine, files]) =>
    INSTALLER_RUNTIMES.map(([name, path]) => ({
      args: [
        ...command,
        "runtime",
        "configure",
        `--runtime=${engine}`,
        ...files,
        `--nvidia-runtime-name=${name}`,
        `--nvidia-runtime-path=${path}`,
      ],
    }))
  );
  return {
    label,
    procs,
    reset: () => hostRoot(root),
    verify: async () => {
      await verifyInstall(root, kept);
      after?.(await snapshot(root));
    },
  };
}

/** The installer's work as one process: several engines and runtimes, files under a host root. */
function installerOne(root: string, after: (files: Record<string, string>) => void): Variant {
  return {
    label: "rtconf, 1 process (--runtime=containerd,crio,docker --runtime-name=… ×3 --host-root)",
    procs: [rtconf(
      "runtime",
      "configure",
      "--runtime=containerd,crio,docker",
      ...INSTALLER_RUNTIMES.map(([name, path]) => `--runtime-name=${name}=${path}`),
      `--host-root=${root}`,
    )],
    reset: () => hostRoot(root),
    verify: async () => {
      await verifyInstall(root);
      after(await snapshot(root));
    },
  };
}

// ---------------------------------------------------------------------------
// The sections of the report

async function startup(ctx: Context): Promise<void> {
  console.log(`## 1. Start-up: configure containerd 1.7's default config (291 lines), dry-run\n`);
  const configure: Variant = {
    label: "rtconf runtime configure --runtime=containerd --dry-run",
    procs: [rtconf(...configureArgs(await containerdConfig(ctx)))],
  };
  const [floor, result] = await measure(ctx, [await floorVariant(ctx), configure]);
  resultTable([floor, result]);
  const wall = result.wallMs / floor.wallMs;
  const rss = result.rssKiB / floor.rssKiB;
  budget(ctx, "start-up: wall time ≤ 1.3× the floor", `${wall.toFixed(2)}×`, wall <= 1.3);
  budget(ctx, "start-up: peak RSS ≤ 1.3× the floor", `${rss.toFixed(2)}×`, rss <= 1.3);
  console.log();
}

async function second(ctx: Context): Promise<void> {
  console.log(
    `## 2. A second run: configure containerd, written for real, on a host it configured\n`,
  );
  const root = join(ctx.scratch, "configured");
  await hostRoot(root, ["containerd"]);
  const args = ["runtime", "configure", "--runtime=containerd", `--host-root=${root}`];
  await run(rtconf(...args).args);
  const before = await stamps(root);
  const again: Variant = {
    label: "rtconf runtime configure --runtime=containerd --host-root=… (configured)",
    procs: [rtconf(...args)],
    verify: async () => {
      const after = await stamps(root);
      // The lock is taken and let go (its file comes and goes in /run/rtconf/locks).
      const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])]
        .filter((path) => before[path] !== after[path] && !path.startsWith("run/rtconf/locks"));
      if (changed.length > 0) throw new Error(`the second run wrote: ${changed.join(", ")}`);
    },
  };
  const [floor, result] = await measure(ctx, [await floorVariant(ctx), again]);
  resultTable([floor, result]);
  console.log(
    "Nothing was written: every file and directory kept its size, mtime and inode (but the " +
      "lock's own, which comes and goes).\n",
  );
  const wall = result.wallMs / floor.wallMs;
  const rss = result.rssKiB / floor.rssKiB;
  budget(
    ctx,
    "second run: no write, wall time ≤ 1.3× the floor",
    `${wall.toFixed(2)}×`,
    wall <= 1.3,
  );
  budget(ctx, "second run: peak RSS ≤ 1.3× the floor", `${rss.toFixed(2)}×`, rss <= 1.3);
  console.log();
}

async function installer(ctx: Context): Promise<void> {
  console.log(`## 3. The installer: 3 runtimes into containerd, CRI-O and Docker, written\n`);
  const root = join(ctx.scratch, "host");
  const ours: Record<string, string>[] = [];
  const variants: Variant[] = [];
  if (ctx.nvidiaCtk) {
    const last = INSTALLER_RUNTIMES.at(-1)![0];
    variants.push(
      installerNine("nvidia-ctk, 9 processes", [ctx.nvidiaCtk], root, undefined, [last]),
    );
  }
  variants.push(
    installerNine("rtconf, 9 processes", rtconf().args, root, (files) => ours.push(files)),
    installerOne(root, (files) => ours.push(files)),
  );
  const results = await measure(ctx, variants);
  resultTable(results);
  // The nine name the files by their paths here; the one, by their paths on the host.
  const [nine, single] = ours;
  const hostPaths = (text: string) => text.replaceAll(`${root}/`, "/");
  const differing = [...new Set([...Object.keys(nine), ...Object.keys(single)])]
    .filter((path) => hostPaths(nine[path] ?? "") !== single[path]);
  console.log(
    differing.length === 0
      ? `rtconf's one process writes the same ${Object.keys(nine).length} files as its nine ` +
        `(paths under the host root read as host paths).\n`
      : `rtconf's one process and its nine differ in: ${differing.join(", ")}.\n`,
  );
  const what = "installer: 1 rtconf process ≤ 0.5× nvidia-ctk's 9 processes";
  if (!ctx.nvidiaCtk) {
    skipped(ctx, what, "NVIDIA_CTK names no nvidia-ctk");
  } else {
    const ratio = results.at(-1)!.wallMs / results[0].wallMs;
    budget(ctx, what, `${ratio.toFixed(2)}×`, ratio <= 0.5);
  }
  console.log();
}

async function scaling(ctx: Context): Promise<void> {
  console.log(
    `## 4. Scaling: configure in place (--drop-in-config=), dry-run, generated configs\n`,
  );
  const sizes = [2_500, 25_000];
  const base = await Deno.readTextFile(fixture("containerd/default-1.7.toml"));
  const paths: string[] = [];
  for (const size of sizes) {
    const path = join(ctx.scratch, `config-${size}.toml`);
    await Deno.writeTextFile(path, generatedConfig(base, size));
    paths.push(path);
  }
  const tools: [string, (path: string) => Proc][] = [
    ["rtconf", (path) => rtconf(...configureArgs(path), "--drop-in-config=")],
  ];
  if (ctx.nvidiaCtk) {
    const nvidiaCtk = ctx.nvidiaCtk;
    tools.push(["nvidia-ctk", (path) => ({
      args: [nvidiaCtk, ...configureArgs(path), "--drop-in-config="],
    })]);
  }
  const variants = tools.flatMap(([tool, proc]) =>
    sizes.map((size, i): Variant => ({
      label: `${tool}, ${size.toLocaleString("en")} lines`,
      procs: [proc(paths[i])],
    }))
  );
  const results = await measure(ctx, [await floorVariant(ctx), ...variants]);
  resultTable(results);
  const perK = (tool: number) => {
    const [small, large] = results.slice(1 + tool * 2, 3 + tool * 2);
    return (large.wallMs - small.wallMs) / ((sizes[1] - sizes[0]) / 1000);
  };
  const ours = perK(0);
  console.log(
    `Cost of 1,000 more lines (2,500 → 25,000): rtconf ${ms(ours)}` +
      (ctx.nvidiaCtk ? `, nvidia-ctk ${ms(perK(1))}\n` : "\n"),
  );
  const what = "scaling: cost per 1,000 lines (2,500 → 25,000) ≤ nvidia-ctk's";
  if (!ctx.nvidiaCtk) skipped(ctx, what, `rtconf ${ms(ours)}; NVIDIA_CTK names no nvidia-ctk`);
  else budget(ctx, what, `${ms(ours)} vs ${ms(perK(1))}, ${times(ours, perK(1))}`, ours <= perK(1));
  console.log();
}

async function large(ctx: Context): Promise<void> {
  console.log(`## 5. A 15 MiB config.toml, configured (written)\n`);
  const base = await Deno.readTextFile(fixture("containerd/default-1.7.toml"));
  const text = configOfSize(base, 15 * MIB);
  const original = join(ctx.scratch, "large.toml");
  await Deno.writeTextFile(original, text);
  const dir = join(ctx.scratch, "large");
  const config = join(dir, "config.toml");
  const dropIn = join(dir, "conf.d", "99-nvidia.toml");
  const reset = async () => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir);
    await Deno.copyFile(original, config);
  };
  const holds = (path: string) => async () => {
    if (
      !(await Deno.readTextFile(path)).includes('BinaryName = "/usr/bin/nvidia-container-runtime"')
    ) {
      throw new Error(`${path} lacks the nvidia runtime`);
    }
  };
  const configure = ["runtime", "configure", "--runtime=containerd", `--config=${config}`];
  const lines = text.split("\n").length - 1;
  console.log(
    `The config: ${(text.length / MIB).toFixed(1)} MiB, ${lines.toLocaleString("en")} lines.\n`,
  );
  const results = await measure(
    ctx,
    [
      await floorVariant(ctx),
      {
        label: "rtconf, in place (--drop-in-config=)",
        procs: [rtconf(...configure, "--drop-in-config=")],
        reset,
        verify: holds(config),
      },
      {
        label: "rtconf, with a drop-in",
        procs: [rtconf(...configure, `--drop-in-config=${dropIn}`)],
        reset,
        verify: holds(dropIn),
      },
    ],
    1,
    false,
  );
  resultTable(results);
  for (const result of results.slice(1)) {
    const mode = result.label.replace(/^rtconf, /, "");
    const ok = result.wallMs <= 2000 && result.rssKiB <= 300 * 1024;
    budget(
      ctx,
      `15 MiB config, ${mode}: ≤ 2 s and ≤ 300 MiB`,
      `${ms(result.wallMs)}, ${mib(result.rssKiB)}`,
      ok,
    );
  }
  console.log();
}

async function runtimes(ctx: Context): Promise<void> {
  console.log(`## 6. 1,000 runtimes in one call, written (containerd 1.7's default config)\n`);
  const dir = join(ctx.scratch, "runtimes");
  const config = join(dir, "config.toml");
  const names = Array.from({ length: 1000 }, (_, i) => `rt${String(i).padStart(4, "0")}`);
  const flags = names.map((name) => `--runtime-name=${name}=/usr/bin/${name}`);
  const modes: [string, string][] = [
    ["with a drop-in", `--drop-in-config=${join(dir, "conf.d", "99-nvidia.toml")}`],
    ["in place", "--drop-in-config="],
  ];
  const call = (verb: string, mode: string) =>
    rtconf("runtime", verb, "--runtime=containerd", `--config=${config}`, mode, ...flags);
  const fresh = async () => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir);
    await Deno.copyFile(fixture("containerd/default-1.7.toml"), config);
  };
  const original = await Deno.readTextFile(fixture("containerd/default-1.7.toml"));
  const variants = modes.flatMap(([mode, flag]): Variant[] => [
    {
      label: `configure, ${mode}`,
      procs: [call("configure", flag)],
      reset: fresh,
      verify: async () => {
        const files = Object.values(await snapshot(dir)).join("\n");
        const missing = names.filter((name) => !files.includes(`BinaryName = "/usr/bin/${name}"`));
        if (missing.length > 0) {
          throw new Error(`not configured: ${missing.slice(0, 3).join(", ")}…`);
        }
      },
    },
    {
      label: `unconfigure, ${mode}`,
      procs: [call("unconfigure", flag)],
      reset: async () => {
        await fresh();
        await run(call("configure", flag).args);
      },
      verify: async () => {
        const files = await snapshot(dir);
        if (Object.keys(files).join() !== "config.toml" || files["config.toml"] !== original) {
          throw new Error(
            `unconfigure did not give back the original config: ${Object.keys(files)}`,
          );
        }
      },
    },
  ]);
  const results = await measure(ctx, variants, Math.min(ctx.runs, HEAVY_RUNS));
  table(
    ["what", "wall (median)", "peak RSS (median)"],
    results.map((r) => [r.label, ms(r.wallMs), mib(r.rssKiB)]),
  );
  for (const result of results) {
    budget(ctx, `1,000 runtimes, ${result.label}: ≤ 1 s`, ms(result.wallMs), result.wallMs <= 1000);
  }
  console.log();
}

async function breakdown(ctx: Context): Promise<void> {
  console.log(`## 7. Breakdown: what the start-up time is made of, and the levers tried\n`);
  const config = await containerdConfig(ctx);
  // smol-toml alone, bundled the same way: the parser's own start-up, and the two parses a
  // checked run cannot do without (the input, and the output it writes, strictly again).
  const bundleEntry = async (name: string, code: string) => {
    const entry = join(ctx.scratch, `${name}.ts`);
    const output = join(ctx.scratch, `${name}.js`);
    await Deno.writeTextFile(entry, code);
    await run([DENO, "bundle", "--config", join(ROOT, "deno.json"), "-o", output, entry], ROOT);
    return output;
  };
  const smol = (name: string, code: string) =>
    bundleEntry(name, `import { parse } from "smol-toml";\n${code}`);
  const once = await smol(
    "smol_once",
    `parse(Deno.readTextFileSync(Deno.args[0]), { integersAsBigInt: true });\n`,
  );
  const twice = await smol(
    "smol_twice",
    `const text = Deno.readTextFileSync(Deno.args[0]);\n` +
      `parse(text, { integersAsBigInt: true });\n` +
      `parse(text.replace("imports = []", 'imports = ["/etc/containerd/conf.d/99-nvidia.toml"]'),` +
      ` { integersAsBigInt: true });\n`,
  );
  // The engines' parsers alone: decompress, compile and start the WebAssembly module, then
  // read the config with containerd 1.x's and 2.x's parsers, as the check before writing does.
  const parsers = await bundleEntry(
    "parsers",
    `import { loadEngineParsers } from "${join(ROOT, "lib/formats/parsers/mod.ts")}";\n` +
      `const parsers = await loadEngineParsers();\nconst text = Deno.readTextFileSync(Deno.args[0]);\n` +
      `for (const parser of ["go-toml-v1", "go-toml-v2"] as const) {\n` +
      `  if ("error" in parsers.decode(parser, text)) throw new Error(parser);\n}\n`,
  );
  // A Node built-in: loading one starts Deno's Node compatibility layer.
  const nodeScript = join(ctx.scratch, "node_builtin.js");
  await Deno.writeTextFile(
    nodeScript,
    `import { parseArgs } from "node:util";\n` +
      `parseArgs({ args: ["--x"], options: { x: { type: "boolean" } } });\n`,
  );
  const minified = join(ctx.scratch, "rtconf.min.js");
  await bundleCli(minified, true);
  const deno = (...args: string[]): Proc => ({ args: [DENO, "run", ...args] });
  const configure = configureArgs(config);
  const results = await measure(ctx, [
    await floorVariant(ctx),
    {
      label: "smol-toml alone: parse the config once",
      procs: [deno("-A", "--no-config", once, config)],
    },
    {
      label: "smol-toml alone: parse it, and the edited text again",
      procs: [deno("-A", "--no-config", twice, config)],
    },
    {
      label: "the engines' parsers alone: load, read the config with go-toml v1 and v2",
      procs: [deno("-A", "--no-config", parsers, config)],
    },
    { label: "node:util parseArgs alone", procs: [deno("--no-config", nodeScript)] },
    { label: "rtconf --version (loads the whole bundle)", procs: [rtconf("--version")] },
    { label: "rtconf configure (as in 1.)", procs: [rtconf(...configure)] },
    {
      label: "configure, minified bundle",
      procs: [deno("-A", "--no-config", minified, ...configure)],
    },
    {
      // Not --lite-mode: it turns WebAssembly off, which the engines' parsers need.
      label: "configure, --v8-flags=--liftoff-only",
      procs: [deno("-A", "--no-config", "--v8-flags=--liftoff-only", BUNDLE, ...configure)],
    },
    {
      label: "configure, --v8-flags=--max-semi-space-size=1",
      procs: [
        deno("-A", "--no-config", "--v8-flags=--max-semi-space-size=1", BUNDLE, ...configure),
      ],
    },
    {
      label: "configure, --no-code-cache",
      procs: [deno("-A", "--no-config", "--no-code-cache", BUNDLE, ...configure)],
    },
  ]);
  resultTable(results);
  const kib = (path: string) => `${(Deno.statSync(path).size / 1024).toFixed(0)} KiB`;
  console.log(
    `Sizes: rtconf.js ${kib(BUNDLE)}, minified ${kib(minified)}, smol-toml bundle ${
      kib(once)
    }, parsers bundle ${kib(parsers)}\n`,
  );
}

const RUN: Record<string, (ctx: Context) => Promise<void>> = {
  startup,
  second,
  installer,
  scaling,
  large,
  runtimes,
  breakdown,
};

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "15" },
      only: { type: "string", default: SECTIONS.join(",") },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
  const only = values.only.split(",");
  const unknown = only.filter((section) => !SECTIONS.includes(section));
  if (unknown.length > 0) throw new Error(`--only: unknown sections ${unknown.join(", ")}`);

  await ensureBundle();
  const nvidiaCtk = Deno.env.get("NVIDIA_CTK") || undefined;
  const ctx: Context = {
    scratch: await Deno.makeTempDir({ prefix: "rtconf-bench-" }),
    runs,
    nvidiaCtk,
    budgets: [],
  };
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown CPU";
  const peer = nvidiaCtk
    ? `nvidia-ctk: ${(await run([nvidiaCtk, "--version"])).split("\n")[0]}`
    : "nvidia-ctk: none (set NVIDIA_CTK to compare)";
  console.log(
    `# rtconf whole-process benchmarks: dist/rtconf.js, Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores (${cpu}), ${runs} runs per variant (medians), ` +
      `${new Date().toISOString().slice(0, 10)}; ${peer}\n`,
  );
  try {
    for (const section of SECTIONS) if (only.includes(section)) await RUN[section](ctx);
  } finally {
    await Deno.remove(ctx.scratch, { recursive: true });
  }
  if (ctx.budgets.length > 0) {
    console.log("## Budgets\n");
    table(["budget", "measured", "verdict"], ctx.budgets);
  }
}

if (import.meta.main) await main(Deno.args);
