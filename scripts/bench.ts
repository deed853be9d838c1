/**
 * Whole-process benchmarks of the bundled CLI (`dist/rtconf.js`, built first
 * when missing or older than the sources): wall time and peak RSS, medians
 * over repeated runs, next to Deno's own floor measured in the same run.
 *
 * ```sh
 * deno run -A scripts/bench.ts [--runs=15] [--only=startup,installer,scaling,breakdown]
 * ```
 *
 * 1. startup: `runtime configure --runtime=containerd --dry-run` on containerd
 *    1.7's default config, against `deno run --no-config` of an empty script.
 *    Budget: at most 1.3× the floor in wall time and in peak RSS.
 * 2. installer: three runtimes (nvidia, nvidia-cdi, nvidia-legacy) into
 *    containerd, CRI-O and Docker configs under a temp host root, written for
 *    real: as nine processes, and as one process when the CLI has `--host-root`.
 * 3. scaling: in-place dry-run configure of generated containerd configs of
 *    250, 2,500 and 25,000 lines; the time must grow at most linearly.
 * 4. breakdown: what the start-up time is made of (a smol-toml-only bundle,
 *    the engines' parsers alone, Node built-ins, `--version`, a minified
 *    bundle, no code cache).
 *
 * Wall time is measured here around each spawn (`performance.now()`), peak RSS
 * by `/usr/bin/time -f %M`. The variants compared are interleaved, round by
 * round, after one unmeasured warm-up round.
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
/** The start-up budget: at most this many times Deno's floor, in wall time and peak RSS. */
const BUDGET = 1.3;
const SECTIONS = ["startup", "installer", "scaling", "breakdown"];
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

/** Where a benchmark run works, and how many rounds it measures. */
interface Context {
  scratch: string;
  runs: number;
}

// ---------------------------------------------------------------------------
// Measuring

const childEnv = () => ({ ...Deno.env.toObject(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" });

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
      `${proc.args.join(" ")} failed (${result.code}):\n${decoder.decode(result.stderr)}`,
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

/** Measures the variants over `ctx.runs` interleaved rounds, after one warm-up round. */
async function measure(ctx: Context, variants: Variant[]): Promise<Result[]> {
  const walls = variants.map((): number[] => []);
  const rsses = variants.map((): number[] => []);
  for (let round = -1; round < ctx.runs; round++) {
    for (const [i, variant] of variants.entries()) {
      await variant.reset?.();
      let wall = 0, rss = 0;
      for (const proc of variant.procs) {
        const one = await spawn(ctx, proc);
        wall += one.wallMs;
        rss = Math.max(rss, one.rssKiB);
      }
      if (round === -1) {
        await variant.verify?.();
      } else {
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

/** Prints a Markdown table. */
function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(headers));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const row of rows) console.log(line(row));
  console.log();
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

/** Bundles the CLI as scripts/bundle.ts does. */
function bundleTo(output: string, minify = false): Promise<void> {
  return bundleCli(output, minify);
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
  await bundleTo(BUNDLE);
}

/** The bundled CLI with these arguments. */
const rtconf = (...args: string[]): Proc => ({
  args: [DENO, "run", "-A", "--no-config", BUNDLE, ...args],
});

/** Whether the bundled CLI's `runtime configure` has a flag. */
async function hasFlag(flag: string): Promise<boolean> {
  const result = await new Deno.Command(DENO, {
    args: ["run", "-A", "--no-config", BUNDLE, "runtime", "configure", "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return decoder.decode(result.stdout).includes(flag);
}

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

/** The runtimes NVIDIA's installer registers. */
const INSTALLER_RUNTIMES = [
  ["nvidia", "/usr/bin/nvidia-container-runtime"],
  ["nvidia-cdi", "/usr/bin/nvidia-container-runtime.cdi"],
  ["nvidia-legacy", "/usr/bin/nvidia-container-runtime.legacy"],
] as const;

/** (Re)creates a host root holding the three engines' configs at their default paths. */
async function hostRoot(root: string): Promise<void> {
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const files: [string, string][] = [
    ["etc/containerd/config.toml", "containerd/default-1.7.toml"],
    ["etc/crio/crio.conf", "crio/crio.conf"],
    ["etc/docker/daemon.json", "docker/indent-4.json"],
  ];
  for (const [path, from] of files) {
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

/** Throws unless every runtime landed in every engine's file under `root`. */
async function verifyInstall(root: string): Promise<void> {
  const expect: [string, (name: string) => string][] = [
    ["etc/containerd/conf.d/99-nvidia.toml", (n) => `containerd.runtimes.${n}]`],
    ["etc/crio/crio.conf.d/99-nvidia.toml", (n) => `[crio.runtime.runtimes.${n}]`],
    ["etc/docker/daemon.json", (n) => `"${n}": {`],
  ];
  for (const [path, needle] of expect) {
    const text = await Deno.readTextFile(join(root, path));
    for (const [name] of INSTALLER_RUNTIMES) {
      if (!text.includes(needle(name))) throw new Error(`${path} lacks the runtime ${name}`);
    }
  }
}

/** The installer's work as nine processes: one per engine and runtime, files given by flags. */
function installerNine(root: string, after: (files: Record<string, string>) => void): Variant {
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
    INSTALLER_RUNTIMES.map(([name, path]) =>
      rtconf(
        "runtime",
        "configure",
        `--runtime=${engine}`,
        ...files,
        `--nvidia-runtime-name=${name}`,
        `--nvidia-runtime-path=${path}`,
      )
    )
  );
  return {
    label: "9 processes (3 engines × 3 runtimes)",
    procs,
    reset: () => hostRoot(root),
    verify: async () => {
      await verifyInstall(root);
      after(await snapshot(root));
    },
  };
}

/** The installer's work as one process: several engines and runtimes, files under a host root. */
function installerOne(root: string, after: (files: Record<string, string>) => void): Variant {
  return {
    label: "1 process (--runtime=containerd,crio,docker --runtime-name=… ×3 --host-root)",
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
  table(["what", "wall (median)", "peak RSS (median)"], [
    [floor.label, ms(floor.wallMs), mib(floor.rssKiB)],
    [result.label, ms(result.wallMs), mib(result.rssKiB)],
  ]);
  const wall = result.wallMs / floor.wallMs;
  const rss = result.rssKiB / floor.rssKiB;
  console.log(
    `Budget: wall time ≤ ${BUDGET}× the floor: ${verdict(wall <= BUDGET)} (${wall.toFixed(2)}×)`,
  );
  console.log(
    `Budget: peak RSS ≤ ${BUDGET}× the floor: ${verdict(rss <= BUDGET)} (${rss.toFixed(2)}×)\n`,
  );
}

async function installer(ctx: Context): Promise<void> {
  console.log(`## 2. The installer: 3 runtimes into containerd, CRI-O and Docker, written\n`);
  const root = join(ctx.scratch, "host");
  const results: Record<string, string>[] = [];
  const variants = [installerNine(root, (files) => results.push(files))];
  const one = await hasFlag("--host-root");
  if (one) variants.push(installerOne(root, (files) => results.push(files)));
  const measured = await measure(ctx, variants);
  table(
    ["what", "total wall (median)", "largest peak RSS (median)"],
    measured.map((r) => [r.label, ms(r.wallMs), mib(r.rssKiB)]),
  );
  if (!one) {
    console.log("The one-process variant is not measured: the CLI has no --host-root.\n");
    return;
  }
  // The nine name the files by their paths here; the one, by their paths on the host.
  const [nine, single] = results;
  const hostPaths = (text: string) => text.replaceAll(`${root}/`, "/");
  const differing = [...new Set([...Object.keys(nine), ...Object.keys(single)])]
    .filter((path) => hostPaths(nine[path] ?? "") !== single[path]);
  console.log(
    differing.length === 0
      ? `The one process writes the same ${Object.keys(nine).length} files as the nine ` +
        `(paths under the host root read as host paths).\n`
      : `The one process and the nine differ in: ${differing.join(", ")}.\n`,
  );
}

async function scaling(ctx: Context): Promise<void> {
  console.log(
    `## 3. Scaling: configure in place (--drop-in-config=), dry-run, generated configs\n`,
  );
  const sizes = [250, 2_500, 25_000];
  const base = await Deno.readTextFile(fixture("containerd/default-1.7.toml"));
  const variants: Variant[] = [await floorVariant(ctx)];
  for (const size of sizes) {
    const path = join(ctx.scratch, `config-${size}.toml`);
    await Deno.writeTextFile(path, generatedConfig(base, size));
    variants.push({
      label: `${size.toLocaleString("en")} lines`,
      procs: [rtconf(...configureArgs(path), "--drop-in-config=")],
    });
  }
  const [floor, ...results] = await measure(ctx, variants);
  const perK = results.map((r, i) => (r.wallMs - floor.wallMs) / (sizes[i] / 1000));
  table(["config", "wall (median)", "peak RSS (median)", "(wall − floor) per 1,000 lines"], [
    [floor.label, ms(floor.wallMs), mib(floor.rssKiB), ""],
    ...results.map((r, i) => [r.label, ms(r.wallMs), mib(r.rssKiB), ms(perK[i])]),
  ]);
  const slope = (i: number, j: number) =>
    (results[j].wallMs - results[i].wallMs) / ((sizes[j] - sizes[i]) / 1000);
  console.log(
    `Marginal cost per 1,000 lines: 250 → 2,500: ${ms(slope(0, 1))}; 2,500 → 25,000: ${
      ms(slope(1, 2))
    }`,
  );
  const growth = perK[2] / perK[1];
  console.log(
    `Linear growth (cost per 1,000 lines at 25,000 ≤ 2× that at 2,500): ${verdict(growth <= 2)} (${
      growth.toFixed(2)
    }×)\n`,
  );
}

/** Bundles a script (`deno bundle`, with the project's imports) into the scratch dir. */
async function bundleEntry(ctx: Context, name: string, code: string): Promise<string> {
  const entry = join(ctx.scratch, `${name}_entry.ts`);
  const bundle = join(ctx.scratch, `${name}.js`);
  await Deno.writeTextFile(entry, code);
  const bundled = await new Deno.Command(DENO, {
    args: ["bundle", "--config", join(ROOT, "deno.json"), "-o", bundle, entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!bundled.success) throw new Error(decoder.decode(bundled.stderr));
  return bundle;
}

async function breakdown(ctx: Context): Promise<void> {
  console.log(`## 4. Breakdown: what the start-up time is made of\n`);
  const config = await containerdConfig(ctx);
  // smol-toml alone, bundled the same way: the parser's own start-up and one parse.
  const smolBundle = await bundleEntry(
    ctx,
    "smol",
    `import { parse } from "smol-toml";\n` +
      `parse(Deno.readTextFileSync(Deno.args[0]), { integersAsBigInt: true });\n`,
  );
  // The engines' parsers alone: decompress, compile and start the WebAssembly module, then
  // read the config with containerd 1.x's and 2.x's parsers, as the check before writing does.
  const parsersBundle = await bundleEntry(
    ctx,
    "parsers",
    `import { loadEngineParsers } from "${join(ROOT, "lib/formats/parsers/mod.ts")}";\n` +
      `const parsers = await loadEngineParsers();\nconst text = Deno.readTextFileSync(Deno.args[0]);\n` +
      `for (const parser of ["go-toml-v1", "go-toml-v2"] as const) {\n` +
      `  if ("error" in parsers.decode(parser, text)) throw new Error(parser);\n}\n`,
  );
  // The Node built-ins the CLI imports: loading them starts Deno's Node compatibility layer.
  const nodeScript = join(ctx.scratch, "node_builtins.js");
  await Deno.writeTextFile(
    nodeScript,
    `import { parseArgs } from "node:util";\nimport { dirname } from "node:path";\n` +
      `parseArgs({ args: ["--x"], options: { x: { type: "boolean" } } });\ndirname("/a/b");\n`,
  );
  const minified = join(ctx.scratch, "rtconf.min.js");
  await bundleTo(minified, true);
  const run = (...args: string[]): Proc => ({ args: [DENO, "run", ...args] });
  const variants: Variant[] = [
    await floorVariant(ctx),
    {
      label: "smol-toml alone: parse the config (bundle)",
      procs: [run("-A", "--no-config", smolBundle, config)],
    },
    {
      label: "the engines' parsers alone: load, read the config with go-toml v1 and v2 (bundle)",
      procs: [run("-A", "--no-config", parsersBundle, config)],
    },
    {
      label: "node:util parseArgs + node:path alone",
      procs: [run("--no-config", nodeScript)],
    },
    { label: "rtconf --version (loads the whole bundle)", procs: [rtconf("--version")] },
    { label: "rtconf configure (as in 1.)", procs: [rtconf(...configureArgs(config))] },
    {
      label: "configure, minified bundle",
      procs: [run("-A", "--no-config", minified, ...configureArgs(config))],
    },
    {
      label: "configure, --no-code-cache",
      procs: [run("-A", "--no-config", "--no-code-cache", BUNDLE, ...configureArgs(config))],
    },
  ];
  const results = await measure(ctx, variants);
  const [floor] = results;
  table(
    ["what", "wall (median)", "× floor", "peak RSS (median)", "× floor"],
    results.map((r) => [
      r.label,
      ms(r.wallMs),
      times(r.wallMs, floor.wallMs),
      mib(r.rssKiB),
      times(r.rssKiB, floor.rssKiB),
    ]),
  );
  const kib = (path: string) => `${(Deno.statSync(path).size / 1024).toFixed(0)} KiB`;
  console.log(
    `Sizes: rtconf.js ${kib(BUNDLE)}, minified ${kib(minified)}, smol-toml bundle ${
      kib(smolBundle)
    }, parsers bundle ${kib(parsersBundle)}\n`,
  );
}

const RUN: Record<string, (ctx: Context) => Promise<void>> = {
  startup,
  installer,
  scaling,
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
  const ctx: Context = {
    scratch: await Deno.makeTempDir({ prefix: "rtconf-bench-" }),
    runs,
  };
  console.log(
    `# rtconf whole-process benchmarks: dist/rtconf.js, Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores, ${runs} runs per variant (medians), ` +
      `${new Date().toISOString().slice(0, 10)}\n`,
  );
  try {
    for (const section of SECTIONS) if (only.includes(section)) await RUN[section](ctx);
  } finally {
    await Deno.remove(ctx.scratch, { recursive: true });
  }
}

if (import.meta.main) await main(Deno.args);
