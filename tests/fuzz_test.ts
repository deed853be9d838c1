/**
 * Property test: generated containerd configs through configure and
 * unconfigure, each plan checked by the engines' own parsers. Valid inputs
 * round-trip byte for byte and hold what was asked; invalid inputs give an
 * RtconfError. Seeded: a failure names its
 * seed, and `RTCONF_FUZZ_SEED=<seed> RTCONF_FUZZ_RUNS=1` replays it.
 * `RTCONF_FUZZ_RUNS` sets how many configs (default 1500).
 */
import { fail, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import { containerd } from "../lib/engines/containerd/mod.ts";
import { planEngine } from "../lib/engines/mod.ts";
import { criPluginId } from "../lib/engines/containerd/version.ts";
import { RtconfError } from "../lib/errors.ts";
import { unifiedDiff } from "../lib/diff.ts";
import { configureRules, unconfigureRules } from "../lib/rules.ts";

/** mulberry32: a small seeded generator. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }

  comment(): string {
    return this.pick([
      "# a comment",
      "#",
      "# key = 'value' [table]",
      "# ünïcödé ✓",
      '# "quoted" # twice',
    ]);
  }

  string(): string {
    const body = this.pick([
      "",
      "runc",
      "/usr/bin/x",
      "a b",
      "tab\there",
      "ünï",
      'q"uote',
      "back\\slash",
      "#not comment",
    ]);
    switch (this.int(5)) {
      case 0:
        return `'${body.replace(/['\t\\]/g, "")}'`;
      case 1:
        return `"""\n${body.replace(/[\\"]/g, "")}\nline two"""`;
      case 2:
        return `'''${body.replace(/'/g, "")}\n'''`;
      default:
        return JSON.stringify(body);
    }
  }

  scalar(): string {
    switch (this.int(9)) {
      case 0:
        return String(this.int(100000) - 500);
      case 1:
        return this.pick([
          "9223372036854775807",
          "-9223372036854775808",
          "0x7fff",
          "1_000_000",
          "0o755",
          "0b1010",
        ]);
      case 2:
        return this.pick(["1.0", "-0.5", "6.02e23", "inf", "-inf", "nan", "3.0e-2"]);
      case 3:
        return this.pick(["true", "false"]);
      case 4:
        return this.pick([
          "1979-05-27T07:32:00Z",
          "1979-05-27",
          "07:32:00",
          "1979-05-27 07:32:00.999",
        ]);
      default:
        return this.string();
    }
  }

  value(depth = 0): string {
    const kind = depth > 1 ? 0 : this.int(8);
    if (kind === 6) {
      const items = Array.from({ length: this.int(4) }, () => this.scalar());
      if (this.chance(0.5)) {
        return `[${items.join(", ")}${items.length && this.chance(0.3) ? "," : ""}]`;
      }
      return `[\n${
        items.map((item) => `  ${item},${this.chance(0.3) ? " " + this.comment() : ""}\n`).join("")
      }]`;
    }
    if (kind === 7) {
      const keys = ["a", "b-c", '"d.e"', "f_g"].slice(0, this.int(4));
      return `{ ${keys.map((key) => `${key} = ${this.value(depth + 1)}`).join(", ")} }`;
    }
    return this.scalar();
  }

  key(used: Set<string>): string {
    for (;;) {
      const key = this.pick([
        "root",
        "state",
        "x",
        "y-z",
        "under_score",
        "Capital",
        "1234",
        '"quoted key"',
        "'lit.key'",
        '""',
      ]);
      if (!used.has(key)) {
        used.add(key);
        return key;
      }
    }
  }

  lines(used: Set<string>, indent: string): string {
    let text = "";
    for (let i = this.int(4); i > 0; i--) {
      if (this.chance(0.2)) text += `${indent}${this.comment()}\n`;
      if (this.chance(0.15)) text += "\n";
      const trailing = this.chance(0.25) ? `  ${this.comment()}` : "";
      text += `${indent}${this.key(used)} = ${this.value()}${trailing}\n`;
    }
    return text;
  }

  /** A config: root keys, then plugin tables in a random style. */
  config(): { text: string; version: number } {
    const version = this.pick([1, 2, 2, 2, 3]);
    const plugin = criPluginId(version);
    const quote = (id: string) =>
      id.includes(".") ? (this.chance(0.5) ? `"${id}"` : `'${id}'`) : id;
    const step = this.pick(["", "  ", "\t"]);
    let text = this.chance(0.3) ? `${this.comment()}\n` : "";
    const rootKeys = new Set<string>(["version", "imports", "plugins"]);
    if (version !== 1) text += `version = ${version}${this.chance(0.2) ? " # the version" : ""}\n`;
    if (this.chance(0.3)) {
      text += `imports = [${this.pick(['"/etc/containerd/site.d/*.toml"', "", "'/a/*.toml',"])}]\n`;
    }
    text += this.lines(rootKeys, "");
    if (
      version === 1 && !text.trim().split("\n").some((l) => /^\w/.test(l) && !l.startsWith("#"))
    ) {
      text += 'root = "/var/lib/containerd"\n';
    }
    const tables: string[][] = [];
    const runtimes = this.pick([[], ["runc"], ["runc", "crun"], ["custom"]]);
    const cri = ["plugins", plugin];
    if (this.chance(0.7)) tables.push(cri);
    if (this.chance(0.6)) tables.push([...cri, "containerd"]);
    if (this.chance(0.3)) tables.push([...cri, "containerd", "runtimes"]);
    for (const name of runtimes) {
      tables.push([...cri, "containerd", "runtimes", name]);
      if (this.chance(0.6)) tables.push([...cri, "containerd", "runtimes", name, "options"]);
    }
    if (this.chance(0.4)) tables.push([...cri, "cni"]);
    if (this.chance(0.4)) tables.push(["plugins", "io.containerd.internal.v1.opt"]);
    if (this.chance(0.3)) tables.push(["grpc"]);
    if (this.chance(0.5)) tables.reverse(); // sub-tables before their parents are valid TOML too
    for (const path of tables) {
      if (this.chance(0.3)) text += "\n";
      if (this.chance(0.2)) text += `${this.comment()}\n`;
      const indent = step.repeat(path.length - 1);
      text += `${indent}[${
        path.map((part) => part.startsWith("io.") ? quote(part) : part).join(".")
      }]${this.chance(0.2) ? " " + this.comment() : ""}\n`;
      const used = new Set<string>([
        "containerd",
        "runtimes",
        "options",
        "cni",
        "runc",
        "crun",
        "custom",
      ]);
      const body = indent + step;
      if (path.at(-1) === "containerd" && this.chance(0.5)) {
        used.add("default_runtime_name");
        text += `${body}default_runtime_name = ${
          this.pick(['"runc"', "'crun'", '"custom"', '""'])
        }\n`;
      }
      if (path.length === 2 && path[1] === plugin && this.chance(0.4)) {
        used.add("enable_cdi");
        text += `${body}enable_cdi = ${this.pick(["false", "true"])}\n`;
      }
      if (
        path.length === 2 && path[1] === plugin && !tables.some((t) => t.length > 2) &&
        this.chance(0.3)
      ) {
        // The containerd table written with dotted keys, or a runtime as an inline table.
        used.add("containerd");
        text += this.chance(0.5)
          ? `${body}containerd.default_runtime_name = "runc"\n${body}containerd.snapshotter = "overlayfs"\n`
          : `${body}containerd = { runtimes = { runc = { runtime_type = "io.containerd.runc.v2" } } }\n`;
      }
      if (path.at(-2) === "runtimes" && this.chance(0.7)) {
        used.add("runtime_type");
        text += `${body}runtime_type = "io.containerd.runc.v2"\n`;
      }
      text += this.lines(used, body);
    }
    if (this.chance(0.2)) text = text.replace(/\n$/, "");
    if (this.chance(0.1)) text = text.replaceAll("\n", "\r\n");
    return { text, version };
  }
}

const CONFIG = "/etc/containerd/config.toml";
const DROP_IN = "/etc/containerd/conf.d/99-nvidia.toml";
const RUNS = Number(Deno.env.get("RTCONF_FUZZ_RUNS") ?? 1500);
const FIRST_SEED = Number(Deno.env.get("RTCONF_FUZZ_SEED") ?? 1);

Deno.test(`fuzz: ${RUNS} generated configs round-trip; their mutations fail cleanly`, async () => {
  let valid = 0, refused = 0, invalid = 0;
  for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
    const gen = new Gen(random(seed));
    const { text } = gen.config();
    try {
      parse(text, { integersAsBigInt: true });
    } catch (error) {
      fail(
        `seed ${seed}: the generator made invalid TOML (${
          (error as Error).message.split("\n")[0]
        }):\n${text}`,
      );
    }
    const name = gen.pick(["nvidia", "nvidia-cdi", "gpu-runtime", "runc2"]);
    const request = {
      runtimes: [{ name, path: gen.pick(["/usr/bin/nvidia-container-runtime", "/opt/a b/'x'"]) }],
      setAsDefault: gen.chance(0.5) ? name : undefined,
      enableCdi: gen.chance(0.5),
    };
    const options = { configPath: CONFIG, dropInPath: gen.chance(0.5) ? DROP_IN : "" };
    const context = () => `seed ${seed}, ${JSON.stringify({ request, options })}, input:\n${text}`;

    let configured;
    try {
      configured = await planEngine(
        containerd,
        { [CONFIG]: text },
        configureRules(request),
        options,
      );
    } catch (error) {
      if (!(error instanceof RtconfError) || error.message.startsWith("internal error")) {
        fail(`${context()}\n${(error as Error).stack}`);
      }
      // What rtconf refuses: a table written inline, and a local date with no space after
      // it, which containerd 1.x's parser cannot read (the engines' parsers read every input).
      ok(
        /written as an inline value|containerd 1\.6 and 1\.7 cannot read it \(go-toml v1\.9\.5 at line \d+, column \d+: /
          .test(error.message),
        `${context()}\n${error.message}`,
      );
      refused++;
      continue;
    }
    valid++;
    try {
      await checkConfigured(configured, text, request, options, context);
    } catch (error) {
      if (error instanceof RtconfError) fail(`${context()}\n${error.stack}`);
      throw error;
    }
    if (await mutate(gen, text, request, options, seed)) invalid++;
  }
  console.log(
    `fuzz: ${valid} configured and round-tripped, ${refused} refused with an error, ${invalid} invalid mutations rejected`,
  );
  ok(valid > RUNS / 2, "most generated configs must be editable");
});

type Request = Parameters<typeof configureRules>[0];
type Options = Parameters<typeof containerd.plan>[2];

/** Idempotence and the round trip of one configured input. */
async function checkConfigured(
  configured: ReturnType<typeof containerd.plan>,
  text: string,
  request: Request,
  options: Options,
  context: () => string,
): Promise<void> {
  const texts = Object.fromEntries(configured.map((change) => [change.path, change.after]));
  for (const change of configured) {
    if (change.after !== undefined) parse(change.after, { integersAsBigInt: true });
  }
  const again = await planEngine(containerd, texts, configureRules(request), options);
  for (const change of again) {
    if (change.after !== change.before) {
      fail(
        `not idempotent: ${context()}\n${unifiedDiff(change.before, change.after, change.path)}`,
      );
    }
  }
  const undone = await planEngine(containerd, texts, unconfigureRules(request), options);
  for (const change of undone) {
    const expected = change.path === CONFIG ? text : undefined;
    if (change.after !== expected) {
      fail(
        `no round trip: ${context()}\nconfigured:\n${texts[change.path]}\nundone:\n${
          unifiedDiff(expected, change.after, change.path)
        }`,
      );
    }
  }
}

/**
 * A mutation of the same text: invalid TOML must be an RtconfError, nothing
 * else. Returns whether the mutation was invalid TOML.
 */
async function mutate(
  gen: Gen,
  text: string,
  request: Request,
  options: Options,
  seed: number,
): Promise<boolean> {
  const at = gen.int(text.length + 1);
  const mutated = text.slice(0, at) +
    gen.pick(["[", "]", "=", '"', "'", "{", "\n[", "\\", ",", "=="]) +
    text.slice(at + gen.int(3));
  let parses = true;
  try {
    parse(mutated, { integersAsBigInt: true });
  } catch {
    parses = false;
  }
  if (parses) return false;
  try {
    await planEngine(containerd, { [CONFIG]: mutated }, configureRules(request), options);
  } catch (error) {
    ok(
      error instanceof RtconfError && /invalid TOML at line \d+, column \d+/.test(error.message),
      String(error),
    );
    return true;
  }
  fail(`seed ${seed}: invalid TOML was accepted:\n${mutated}`);
}
