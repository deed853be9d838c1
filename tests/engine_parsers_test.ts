/**
 * The engines' own parsers (lib/formats/parsers, WebAssembly): they read
 * what the real engines read, every disagreement with rtconf's TOML parser
 * that a new user meets is refused with nothing written, the check before
 * writing bites, and the fixtures and the corpus go through every parser.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { containerd } from "../lib/engines/containerd/mod.ts";
import { loadEngine, planEngine } from "../lib/engines/mod.ts";
import { checkWithEngineParsers } from "../lib/engines/parser_check.ts";
import { RtconfError } from "../lib/errors.ts";
import { type EngineParser, loadEngineParsers } from "../lib/formats/parsers/mod.ts";
import { parseToml } from "../lib/formats/toml/parse.ts";
import { sameValue } from "../lib/formats/toml/values.ts";
import { configureRules } from "../lib/rules.ts";
import { dockerdValidate, loadEngines } from "./_engines.ts";
import { rtconf, withFiles } from "./_helpers.ts";

const parsers = await loadEngineParsers();
const engines = await loadEngines();
const TOML_PARSERS = ["go-toml-v1", "go-toml-v2", "burntsushi-toml"] as const;

/** Whether a parser reads a text. */
function reads(parser: EngineParser, text: string): boolean {
  return !("error" in parsers.decode(parser, text));
}

/** Whether real containerd reads a config (`config dump` fails on TOML it cannot parse). */
async function containerdReads(series: string, text: string): Promise<boolean> {
  return await withFiles({ "config.toml": text }, async (dir) => {
    const { code, stderr } = await new Deno.Command(engines.containerd[series].bin, {
      args: ["--config", join(dir, "config.toml"), "config", "dump"],
      stdout: "null",
      stderr: "piped",
    }).output();
    const message = new TextDecoder().decode(stderr);
    ok(code === 0 || /TOML/.test(message), `containerd ${series} failed otherwise: ${message}`);
    return code === 0;
  });
}

const PLUGIN = '[plugins."io.containerd.rtconf.v1.test"]\n';

/**
 * Texts that rtconf's TOML parser (smol-toml, TOML 1.1) reads, and whether
 * each engine parser does: `true` reads, `false` refuses.
 */
const CASES: {
  what: string;
  text: string;
  v1: boolean;
  v2: boolean;
  burntsushi: boolean;
  /** Debian's containerd 1.6 (built with go-toml 1.9.4), where it reads otherwise than v1. */
  containerd16?: boolean;
  /** Debian's containerd 2.1 (built with go-toml v2 2.4, which reads TOML 1.1), where it differs. */
  containerd21?: boolean;
}[] = [
  {
    what: "a local date at the end of a line",
    text: `${PLUGIN}d = 1979-05-27\n`,
    v1: false,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a local date followed by a space",
    text: `${PLUGIN}d = 1979-05-27 \n`,
    v1: true,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a local date in an array",
    text: `${PLUGIN}d = [1979-05-27]\n`,
    v1: false,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a date-time with a lowercase t",
    text: `${PLUGIN}d = 1979-05-27t07:32:00Z\n`,
    v1: false,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a local time",
    text: `${PLUGIN}t = 07:32:00\n`,
    v1: true,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a string closed by four quotes",
    text: `${PLUGIN}s = """x""""\n`,
    v1: false,
    v2: true,
    burntsushi: true,
  },
  {
    what: 'a table key holding "',
    text: '[plugins."io.containerd.rtconf.v1.test"."b\\"c"]\nx = 1\n',
    v1: false,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a table key holding ]",
    text: '[plugins."io.containerd.rtconf.v1.test"."b]c"]\nx = 1\n',
    v1: false,
    v2: true,
    burntsushi: true,
  },
  {
    what: "a byte order mark",
    text: `\uFEFFversion = 2\n${PLUGIN}x = 1\n`,
    v1: true,
    v2: false,
    burntsushi: true,
  },
  // TOML 1.1, and integers beyond 64 bits: rtconf's TOML 1.0 layer refuses them first.
  {
    what: "a newline in an inline table (TOML 1.1)",
    text: `${PLUGIN}a = { b = 1,\n  c = 2 }\n`,
    v1: true,
    v2: false,
    burntsushi: false,
    containerd21: true,
  },
  {
    what: "the escape \\e (TOML 1.1)",
    text: `${PLUGIN}s = "\\e"\n`,
    v1: false,
    v2: true,
    burntsushi: false,
  },
  {
    what: "the escape \\x (TOML 1.1)",
    text: `${PLUGIN}s = "\\x41"\n`,
    v1: false,
    v2: false,
    burntsushi: false,
    containerd21: true,
  },
  {
    what: "a time without seconds (TOML 1.1)",
    text: `${PLUGIN}t = 07:32\n`,
    v1: false,
    v2: false,
    burntsushi: false,
    containerd21: true,
  },
  {
    what: "an integer beyond 64 bits",
    text: `${PLUGIN}n = 9223372036854775808\n`,
    v1: true,
    v2: false,
    burntsushi: false,
    containerd16: false,
  },
];

for (const c of CASES) {
  Deno.test(`engine parsers: ${c.what}: the parsers' verdicts, and the real engines'`, async () => {
    parse(c.text, { integersAsBigInt: true }); // rtconf's parser reads it (its TOML 1.0 layer aside)
    deepEqual(
      { v1: reads("go-toml-v1", c.text), v2: reads("go-toml-v2", c.text) },
      { v1: c.v1, v2: c.v2 },
    );
    equal(reads("burntsushi-toml", c.text), c.burntsushi);
    // The real engines: Debian's containerd 1.7 is built with go-toml 1.9.5, as upstream's
    // 1.6 and 1.7 are; Debian's 1.6 and 2.1 with other versions (see the table).
    const config = c.text.startsWith("\uFEFF") ? c.text : `version = 2\n${c.text}`;
    equal(await containerdReads("1.7", config), c.v1, "containerd 1.7");
    equal(await containerdReads("1.6", config), c.containerd16 ?? c.v1, "containerd 1.6");
    equal(await containerdReads("2.1", config), c.containerd21 ?? c.v2, "containerd 2.1");
  });
}

Deno.test("engine parsers: containerd 1.x reads a \\u002e in a table key as those six characters", async () => {
  const text = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."a\\u002eb"]\n' +
    'runtime_type = "io.containerd.runc.v2"\n';
  const runtimes = (parser: EngineParser) => {
    const decoded = parsers.decode(parser, text);
    ok("value" in decoded);
    return Object.keys(
      // deno-lint-ignore no-explicit-any
      (decoded.value.plugins as any)["io.containerd.grpc.v1.cri"].containerd.runtimes,
    );
  };
  deepEqual(runtimes("go-toml-v1"), ["a\\u002eb"]);
  deepEqual(runtimes("go-toml-v2"), ["a.b"]);
  deepEqual(runtimes("burntsushi-toml"), ["a.b"]);
  const dump = await withFiles({ "config.toml": `version = 2\n${text}` }, async (dir) => {
    const { stdout } = await new Deno.Command(engines.containerd["1.7"].bin, {
      args: ["--config", join(dir, "config.toml"), "config", "dump"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(stdout);
  });
  match(dump, /containerd\.runtimes\."a\\\\u002eb"\]/);
});

Deno.test("engine parsers: dockerd reads daemon.json as Go's encoding/json does", async () => {
  const dockerd = Object.values(engines.dockerd)[0].bin;
  for (
    const [text, valid] of [
      ['\uFEFF{"debug": true}', true],
      ["  \n", true],
      ['{"max-concurrent-downloads": 1e400}', false],
      ['{"debug": true} x', false],
      ['{"debug": true,}', false],
    ] as const
  ) {
    equal(reads("dockerd-json", text), valid, text);
    await withFiles({ "daemon.json": text }, async (dir) => {
      equal((await dockerdValidate(dockerd, join(dir, "daemon.json"))).ok, valid, text);
    });
  }
});

/** The one line rtconf prints for `configure` of these files, which must stay as they were. */
async function refusal(files: Record<string, string>, ...flags: string[]): Promise<string> {
  return await withFiles(files, async (dir) => {
    const before = await Promise.all(Object.keys(files).map((f) => Deno.readFile(join(dir, f))));
    const run = await rtconf(
      "runtime",
      "configure",
      "--runtime=containerd",
      `--config=${join(dir, "config.toml")}`,
      `--drop-in-config=${join(dir, "conf.d/99-nvidia.toml")}`,
      ...flags,
    );
    equal(run.status, 1, run.stderr);
    equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
    const after = await Promise.all(Object.keys(files).map((f) => Deno.readFile(join(dir, f))));
    deepEqual(after, before);
    await rejects(Deno.stat(join(dir, "conf.d")), Deno.errors.NotFound);
    return run.stderr.replace(`${dir}/`, "").trimEnd();
  });
}

const CRI = '[plugins."io.containerd.grpc.v1.cri".containerd]\ndefault_runtime_name = "runc"\n';

Deno.test("engine parsers: what containerd cannot read is refused with its parser's message, nothing written", async () => {
  for (const c of CASES.filter((c) => !c.v1 || !c.v2)) {
    const text = c.text.startsWith("\uFEFF") ? c.text : `version = 2\n${c.text}`;
    match(
      await refusal({ "config.toml": `${text}${CRI}` }),
      /^rtconf: config\.toml: (invalid TOML at line \d+, column \d+: .+; containerd.* read TOML 1\.0|containerd (1\.6 and 1\.7|2\.0 and 2\.1) cannot read it \(go-toml v(1\.9\.5|2\.2\.1) at line \d+, column \d+: .+\); nothing was written)$/,
      c.what,
    );
  }
  // rtconf's TOML 1.0 layer lets these through: only the engines' parsers catch them.
  equal(
    await refusal({ "config.toml": `version = 2\n${PLUGIN}d = 1979-05-27\n${CRI}` }),
    "rtconf: config.toml: containerd 1.6 and 1.7 cannot read it (go-toml v1.9.5 at line 3, " +
      "column 15: parsing error: incorrect date/time separation character: \\n); nothing was written",
  );
  equal(
    await refusal({ "config.toml": `version = 2\n${PLUGIN}s = """x""""\n${CRI}` }),
    "rtconf: config.toml: containerd 1.6 and 1.7 cannot read it (go-toml v1.9.5 at line 3, " +
      "column 13: parsing error: unescaped control character U+000A); nothing was written",
  );
  equal(
    await refusal({
      "config.toml": `version = 2\n${CRI}[plugins."io.containerd.grpc.v1.cri".containerd.` +
        'runtimes."a\\u002eb"]\nruntime_type = "io.containerd.runc.v2"\n',
    }),
    'rtconf: config.toml: containerd 1.6 and 1.7 reads plugins."io.containerd.grpc.v1.cri".' +
      'containerd.runtimes."a.b" as nothing (go-toml v1.9.5) where rtconf reads a table; ' +
      "nothing was written",
  );
});

Deno.test('engine parsers: a runtime name holding " or ] never reaches a file', async () => {
  for (const name of ['a"b', "a]b"]) {
    const run = await rtconf(
      "runtime",
      "configure",
      "--runtime=containerd",
      "--dry-run",
      `--nvidia-runtime-name=${name}`,
    );
    equal(run.status, 2);
    match(run.stderr, /a runtime handler must be a DNS label/);
  }
  // Were the name let through, the check would stop what containerd 1.x cannot read.
  const lax = {
    ...containerd,
    supports: { ...containerd.supports, runtimeNameProblem: () => undefined },
  };
  await rejects(
    planEngine(lax, {}, configureRules({ runtimes: [{ name: "a]b", path: "/gpu" }] }), {
      configPath: "/etc/containerd/config.toml",
      dropInPath: "/etc/containerd/conf.d/99-nvidia.toml",
    }),
    new RtconfError(
      "internal error: containerd 1.6 and 1.7 could not read the planned " +
        "/etc/containerd/conf.d/99-nvidia.toml (go-toml v1.9.5 at line 9, column 2: invalid table " +
        "array key: unclosed double-quoted key); nothing was written; please report this bug",
    ),
  );
});

Deno.test("engine parsers: the check bites: a plan that containerd 1.x would read otherwise is refused", async () => {
  const engine = await loadEngine("containerd");
  const options = {
    configPath: "/etc/containerd/config.toml",
    dropInPath: "/etc/containerd/conf.d/99-nvidia.toml",
  };
  const texts = { [options.configPath]: `version = 2\n${CRI}` };
  const rules = configureRules({ runtimes: [{ name: "nvidia", path: "/gpu" }] });
  // The same plan with the drop-in's CRI plugin id escaped: the same TOML for rtconf's
  // parser, another plugin for go-toml v1.
  const spoil = (text: string) =>
    text.replaceAll("io.containerd.grpc.v1.cri", "io\\u002econtainerd.grpc.v1.cri");
  const spoiled = {
    ...engine,
    plan: (...args: Parameters<typeof engine.plan>) =>
      engine.plan(...args).map((change) =>
        change.path === options.dropInPath ? { ...change, after: spoil(change.after!) } : change
      ),
  };
  const plan = await planEngine(engine, texts, rules, options);
  const dropIn = plan.find((change) => change.path === options.dropInPath)!.after!;
  ok(dropIn !== spoil(dropIn));
  ok(
    sameValue(parseToml(spoil(dropIn), "x"), parseToml(dropIn, "x")),
    "rtconf reads no difference",
  );
  await rejects(
    planEngine(spoiled, texts, rules, options),
    (error: unknown) => {
      ok(error instanceof RtconfError);
      match(
        error.message,
        /^internal error: containerd 1\.6 and 1\.7 would read plugins\."io\.containerd\.grpc\.v1\.cri" in the planned \/etc\/containerd\/conf\.d\/99-nvidia\.toml as nothing \(go-toml v1\.9\.5\), not a table; nothing was written; please report this bug$/,
      );
      return true;
    },
  );
});

Deno.test("engine parsers: a string dockerd reads otherwise is refused", async () => {
  await rejects(
    checkWithEngineParsers([{
      views: [{
        reader: "dockerd",
        parser: "dockerd-json",
        files: ["/etc/docker/daemon.json"],
        config: {},
        keys: { runtime: (n) => [n], runtimeExecutable: (n) => [n], defaultRuntime: [] },
      }],
      texts: { "/etc/docker/daemon.json": '{"data-root": "/x\\ud800"}' },
      planned: false,
    }]),
    new RtconfError(
      '/etc/docker/daemon.json: dockerd reads data-root as "/x\uFFFD" (Go\'s encoding/json) ' +
        'where rtconf reads "/x\\ud800"; nothing was written',
    ),
  );
});

/**
 * The files of the fixtures and the TOML corpus that an engine parser reads
 * otherwise than rtconf's parser, and which: everything else must read alike.
 */
const KNOWN: Record<string, EngineParser[]> = {
  "lib/formats/toml/testdata/corpus/bom.toml": ["go-toml-v2"],
  "lib/formats/toml/testdata/edge/bom.toml": ["go-toml-v2"],
  "lib/formats/toml/testdata/corpus/datetimes.toml": ["go-toml-v1"],
  "lib/formats/toml/testdata/corpus/keys.toml": ["go-toml-v1"],
  "lib/formats/toml/testdata/corpus/strings.toml": ["go-toml-v1"],
  "lib/formats/toml/testdata/corpus/tables.toml": ["go-toml-v1"],
  "lib/formats/toml/testdata/corpus/toml-1.1.toml": [...TOML_PARSERS],
};

async function files(dir: string, found: string[] = []): Promise<string[]> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await files(path, found);
    else if (/\.(toml|conf|json)$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

Deno.test("engine parsers: the fixtures and the TOML corpus go through every parser", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const paths = [
    ...await files(`${root}tests/fixtures`),
    ...await files(`${root}lib/formats/toml/testdata`),
  ];
  ok(paths.length > 50, `${paths.length} files`);
  const differ: Record<string, EngineParser[]> = {};
  for (const path of paths) {
    const text = await Deno.readTextFile(path);
    const name = path.slice(root.length);
    const names = path.endsWith(".json") ? ["dockerd-json" as const] : TOML_PARSERS;
    for (const parser of names) {
      try {
        await checkWithEngineParsers([{
          views: [{
            reader: parser,
            parser,
            files: [name],
            config: {},
            keys: { runtime: (n) => [n], runtimeExecutable: (n) => [n], defaultRuntime: [] },
          }],
          texts: { [name]: text },
          planned: false,
        }]);
      } catch (error) {
        ok(error instanceof RtconfError, String(error));
        if (!/TOML 1\.0$/.test(error.message)) (differ[name] ??= []).push(parser);
      }
    }
  }
  deepEqual(differ, KNOWN);
});

Deno.test("engine parsers: a config of 1 MB goes through every parser (Go's runtime sleeps while it collects garbage)", async () => {
  let text = await Deno.readTextFile(
    new URL("./fixtures/containerd/default-1.7.toml", import.meta.url),
  );
  for (let i = 0; i < 6000; i++) {
    text += `\n[plugins."example.v1.plugin-${i}"]\n  setting = "${
      "x".repeat(100)
    }"\n  number = ${i}\n`;
  }
  ok(text.length > 1_000_000);
  const ours = parseToml(text, "/c.toml");
  for (const parser of TOML_PARSERS) {
    const decoded = parsers.decode(parser, text);
    ok("value" in decoded, parser);
    equal(Object.keys(decoded.value.plugins as object).length, Object.keys(ours.plugins).length);
  }
});
