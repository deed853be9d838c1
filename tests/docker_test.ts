/**
 * Docker (`--runtime=docker`): realistic daemon.json files through configure
 * and unconfigure (the values, the lines that change, the file's layout,
 * idempotence, the round trip), nvidia-ctk's reference cases, and the errors.
 *
 * Real dockerd (`dockerd --validate`, from Debian's archive via
 * scripts/fetch-engines.sh) judges every daemon.json rtconf writes. These
 * tests fail, not skip, when it is missing.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { docker } from "../lib/engines/docker/mod.ts";
import { planEngine } from "../lib/engines/mod.ts";
import { dockerdValidate, loadEngines } from "./_engines.ts";
import { fixture, lineChanges, readOrUndefined, rtconf, rtconfOk, withFiles } from "./_helpers.ts";

type Json = Record<string, unknown>;

const engines = await loadEngines();
const DOCKERD = engines.dockerd["28"];
if (!DOCKERD) {
  throw new Error("dockerd 28 is missing from the engine cache: run bash scripts/fetch-engines.sh");
}

/** Where the config lives in a test's temp dir. */
const CONFIG = "etc/docker/daemon.json";

/** Fails unless dockerd accepts the file. */
async function judge(path: string): Promise<void> {
  const { ok: valid, output } = await dockerdValidate(DOCKERD.bin, path);
  ok(valid, `dockerd ${DOCKERD.version} rejects ${path}: ${output}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parsed content of a config text (`{}` for a missing or blank file). */
function parsed(text: string | undefined): Json {
  return text === undefined || text.trim() === "" ? {} : JSON.parse(text);
}

async function mtime(path: string): Promise<number | undefined> {
  return (await Deno.stat(path)).mtime?.getTime();
}

/** One input daemon.json. */
interface Input {
  name: string;
  /** The text, or `undefined` for a missing file. */
  text: string | undefined;
  /** The indentation of one level. */
  indent: string;
}

const INDENT_4 = await fixture("docker/indent-4.json");
const LOG_RUNSC = await fixture("docker/log-runsc.json");

const INPUTS: Input[] = [
  { name: "log options and a runsc runtime with runtimeArgs", text: LOG_RUNSC, indent: "    " },
  {
    name: "features.containerd-snapshotter",
    text: await fixture("docker/features.json"),
    indent: "  ",
  },
  {
    name: "default-runtime runc",
    text: await fixture("docker/default-runtime.json"),
    indent: "    ",
  },
  {
    name: "default-runtime nvidia",
    text: await fixture("docker/default-nvidia.json"),
    indent: "  ",
  },
  { name: "2-space indentation", text: await fixture("docker/indent-2.json"), indent: "  " },
  { name: "4-space indentation", text: INDENT_4, indent: "    " },
  { name: "tab indentation", text: await fixture("docker/tabs.json"), indent: "\t" },
  { name: "CRLF line ends", text: INDENT_4.replaceAll("\n", "\r\n"), indent: "    " },
  { name: "no final newline", text: LOG_RUNSC.trimEnd(), indent: "    " },
  {
    name: "an existing nvidia entry with runtimeArgs",
    text: await fixture("docker/nvidia-existing.json"),
    indent: "    ",
  },
  { name: "missing file", text: undefined, indent: "    " },
  { name: "empty file", text: "", indent: "    " },
  { name: "blank file", text: "\n  \n", indent: "    " },
];

/** One way of running configure. */
interface Variant {
  name: string;
  runtime: string;
  path: string;
  setAsDefault: boolean;
  cdi: boolean;
}

const VARIANTS: Variant[] = [
  {
    name: "no flags",
    runtime: "nvidia",
    path: "nvidia-container-runtime",
    setAsDefault: false,
    cdi: false,
  },
  {
    name: "set as default, CDI",
    runtime: "nvidia",
    path: "nvidia-container-runtime",
    setAsDefault: true,
    cdi: true,
  },
  {
    name: "custom name and path, set as default",
    runtime: "nvidia-cdi",
    path: "/usr/bin/nvidia-container-runtime.cdi",
    setAsDefault: true,
    cdi: false,
  },
];

function variantArgs(dir: string, variant: Variant): string[] {
  return [
    "--runtime=docker",
    `--config=${join(dir, CONFIG)}`,
    `--nvidia-runtime-name=${variant.runtime}`,
    `--nvidia-runtime-path=${variant.path}`,
    ...(variant.setAsDefault ? ["--set-as-default"] : []),
    ...(variant.cdi ? ["--enable-cdi"] : []),
  ];
}

/** What configure should make of the original content. */
function configuredValue(original: Json, variant: Variant): Json {
  const data = structuredClone(original);
  const runtimes = isObject(data.runtimes) ? data.runtimes : (data.runtimes = {});
  const entry = runtimes[variant.runtime];
  runtimes[variant.runtime] = { ...(isObject(entry) ? entry : {}), path: variant.path };
  // Without --set-as-default the default stays whatever it is (as nvidia-ctk does).
  if (variant.setAsDefault) data["default-runtime"] = variant.runtime;
  if (variant.cdi) data.features = { ...(isObject(data.features) ? data.features : {}), cdi: true };
  return data;
}

/**
 * Checks that every changed line is one of `keys`' lines, a closing bracket,
 * or a line that only gained or lost its comma.
 */
function checkLines(before: string, after: string, keys: string[]): void {
  const normal = (text: string) => text.replaceAll("\r\n", "\n");
  const ours = new RegExp(
    `^\\s*(?:(?:${keys.map((key) => JSON.stringify(key)).join("|")}): |[}\\]],?$)`,
  );
  const { removed, added } = lineChanges(normal(before), normal(after));
  const addedLines = added.flat();
  const bare = (line: string) => line.replace(/,$/, "");
  for (const line of removed) {
    ok(
      ours.test(line) || addedLines.some((other) => bare(other) === bare(line)),
      `a line that should not change was removed: ${JSON.stringify(line)}`,
    );
  }
  for (const line of addedLines) {
    ok(
      ours.test(line) || removed.some((other) => bare(other) === bare(line)),
      `unexpected added line: ${JSON.stringify(line)}`,
    );
  }
}

/** Checks the file's layout: line ends, final newline, indentation of the new lines. */
function checkLayout(before: string | undefined, after: string, input: Input): void {
  const blank = before === undefined || before.trim() === "";
  if (blank) {
    ok(after.endsWith("}\n"), "a created file ends with a newline");
  } else {
    equal(after.endsWith("\n"), before.endsWith("\n"), "the final newline (or its absence) stays");
  }
  if (before?.includes("\r\n")) ok(!/(?:^|[^\r])\n/.test(after), "every line ends in CRLF");
  else ok(!after.includes("\r"), "no CR appears");
  const { added } = lineChanges(blank ? "" : before!, after);
  for (const line of added.flat()) {
    const leading = /^[ \t]*/.exec(line)![0];
    equal(leading.replaceAll(input.indent, ""), "", `indentation of ${JSON.stringify(line)}`);
  }
}

for (const input of INPUTS) {
  for (const variant of VARIANTS) {
    Deno.test(`docker ${input.name}, ${variant.name}`, async (t) => {
      const files: Record<string, string> = input.text === undefined
        ? {}
        : { [CONFIG]: input.text };
      await withFiles(files, async (dir) => {
        const config = join(dir, CONFIG);
        const args = variantArgs(dir, variant);
        const original = parsed(input.text);
        await rtconfOk("runtime", "configure", ...args);
        const after = await readOrUndefined(config);
        ok(after !== undefined, "no daemon.json written");

        await t.step("the values", () => {
          const data = parsed(after);
          deepEqual(data, configuredValue(original, variant));
          const kept = Object.keys(original).filter((key) => key in data);
          deepEqual(Object.keys(data).filter((key) => kept.includes(key)), kept, "key order");
          const entry = (data.runtimes as Json)[variant.runtime] as Json;
          const before = isObject(original.runtimes) ? original.runtimes[variant.runtime] : {};
          equal("args" in entry, isObject(before) && "args" in before, "no args key is added");
        });

        await t.step("only the expected lines change, in the file's layout", () => {
          checkLayout(input.text, after, input);
          if (input.text === undefined || input.text.trim() === "") {
            equal(after, `${JSON.stringify(configuredValue({}, variant), null, 4)}\n`);
          } else {
            checkLines(input.text, after, [
              "runtimes",
              variant.runtime,
              "path",
              "default-runtime",
              "features",
              "cdi",
            ]);
          }
        });

        await t.step("dockerd accepts it", () => judge(config));

        await t.step("a second run writes nothing", async () => {
          const before = await mtime(config);
          const run = await rtconfOk("runtime", "configure", ...args);
          match(run.stderr, /no changes/);
          equal(await readOrUndefined(config), after);
          equal(await mtime(config), before);
        });

        await t.step("unconfigure undoes it", async () => {
          await rtconfOk("runtime", "unconfigure", ...args);
          const back = await readOrUndefined(config);
          equal(
            await readOrUndefined(`${config}.rtconf-restore.json`),
            undefined,
            "the restore record goes",
          );
          if (input.text === undefined) {
            // A daemon.json that configure created stays as {}: a dockerd started with
            // --config-file refuses to start without it.
            equal(back, "{}\n");
            await judge(config);
          } else if (input.text.trim() === "") {
            equal(back, input.text, "an empty file gets its bytes back");
          } else {
            // What was there before rtconf, the runtime and the default included, is the
            // operator's: unconfigure puts back exactly what configure changed.
            equal(back, input.text, "the original bytes");
            await judge(config);
          }
        });
      });
    });
  }
}

Deno.test("docker: a one-line file stays on one line", async () => {
  const text = '{"log-driver":"json-file","runtimes":{}}';
  await withFiles({ [CONFIG]: text }, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk("runtime", "configure", `--config=${config}`, "--set-as-default");
    equal(
      await Deno.readTextFile(config),
      '{"log-driver":"json-file","runtimes":{"nvidia":{"path":"nvidia-container-runtime"}},"default-runtime":"nvidia"}',
    );
    await judge(config);
    await rtconfOk("runtime", "unconfigure", `--config=${config}`, "--set-as-default");
    // The empty runtimes object was there before: it stays.
    equal(await Deno.readTextFile(config), text);
  });
});

Deno.test("docker: an empty object, however written, gets its bytes back", async () => {
  const created =
    '{\n    "runtimes": {\n        "nvidia": {\n            "path": "nvidia-container-runtime"\n        }\n    }\n}';
  for (const [text, back] of [["{}", "{}"], ["{}\n", "{}\n"], ["{ }\n", "{ }\n"]]) {
    await withFiles({ [CONFIG]: text! }, async (dir) => {
      const config = join(dir, CONFIG);
      await rtconfOk("runtime", "configure", `--config=${config}`);
      equal(await Deno.readTextFile(config), text === "{}" ? created : `${created}\n`);
      equal(
        JSON.parse(await Deno.readTextFile(`${config}.rtconf-restore.json`)).text,
        text,
        "configure records the text",
      );
      await judge(config);
      await rtconfOk("runtime", "unconfigure", `--config=${config}`);
      equal(await readOrUndefined(config), back);
      equal(await readOrUndefined(`${config}.rtconf-restore.json`), undefined);
    });
  }
});

Deno.test("docker: an existing nvidia entry keeps its keys; only path changes", async () => {
  const text = await fixture("docker/nvidia-existing.json");
  await withFiles({ [CONFIG]: text }, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk("runtime", "configure", `--config=${config}`);
    equal(
      await Deno.readTextFile(config),
      text.replace(
        "/usr/local/nvidia/toolkit/nvidia-container-runtime",
        "nvidia-container-runtime",
      ),
    );
    await judge(config);
  });
});

Deno.test("docker: unconfigure keeps a created file that gained other settings, and CDI", async () => {
  await withFiles({}, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk("runtime", "configure", `--config=${config}`, "--enable-cdi");
    await judge(config);
    // Without --enable-cdi, the file holds more than configure would create for these flags.
    await rtconfOk("runtime", "unconfigure", `--config=${config}`);
    equal(await Deno.readTextFile(config), '{\n    "features": {\n        "cdi": true\n    }\n}\n');
    await judge(config);
  });
  await withFiles({}, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk("runtime", "configure", `--config=${config}`);
    const text = await Deno.readTextFile(config);
    await Deno.writeTextFile(config, text.replace("{\n", '{\n    "debug": true,\n'));
    await rtconfOk("runtime", "unconfigure", `--config=${config}`);
    equal(await Deno.readTextFile(config), '{\n    "debug": true\n}\n');
    await judge(config);
  });
});

Deno.test("docker: unconfigure of a missing file or a missing runtime writes nothing", async () => {
  await withFiles({ [`${CONFIG}.keep`]: "" }, async (dir) => {
    const config = join(dir, CONFIG);
    const run = await rtconfOk("runtime", "unconfigure", `--config=${config}`);
    match(run.stderr, /no changes/);
    equal(await readOrUndefined(config), undefined);
  });
  await withFiles({ [CONFIG]: "" }, async (dir) => {
    const config = join(dir, CONFIG);
    const run = await rtconfOk("runtime", "unconfigure", `--config=${config}`);
    match(run.stderr, /no changes/);
    equal(await readOrUndefined(config), "");
  });
});

Deno.test("docker: --dry-run prints the new file and writes nothing", async () => {
  await withFiles({ [CONFIG]: INDENT_4 }, async (dir) => {
    const config = join(dir, CONFIG);
    const run = await rtconfOk("runtime", "configure", `--config=${config}`, "--dry-run", "--diff");
    match(run.stdout, /^\+ {4}"runtimes": \{$/m);
    equal(await Deno.readTextFile(config), INDENT_4);
  });
});

// nvidia-ctk's pkg/config/engine/docker/docker_test.go (reference §6.1), through the CLI.
Deno.test("docker reference §6.1: default-runtime", async (t) => {
  const cases: { name: string; input: string; flags: string[]; expected: unknown }[] = [
    { name: "#0 not set", input: "{}", flags: [], expected: undefined },
    { name: "#1 set", input: "{}", flags: ["--set-as-default"], expected: "NAME" },
    {
      name: "#2 ALREADY_SET kept",
      input: '{"default-runtime":"ALREADY_SET"}',
      flags: [],
      expected: "ALREADY_SET",
    },
    {
      name: "#3 ALREADY_SET replaced",
      input: '{"default-runtime":"ALREADY_SET"}',
      flags: ["--set-as-default"],
      expected: "NAME",
    },
  ];
  for (const { name, input, flags, expected } of cases) {
    await t.step(name, async () => {
      await withFiles({ [CONFIG]: input }, async (dir) => {
        const config = join(dir, CONFIG);
        await rtconfOk(
          "runtime",
          "configure",
          `--config=${config}`,
          "--nvidia-runtime-name=NAME",
          ...flags,
        );
        const data = JSON.parse(await Deno.readTextFile(config));
        equal(data["default-runtime"], expected);
        equal(data.runtimes.NAME.path, "nvidia-container-runtime");
        await judge(config);
      });
    });
  }
  await t.step(
    "#0 with an empty name (nvidia-ctk writes it: a marked bug) is refused",
    async () => {
      await rejects(
        planEngine(docker, { "/d.json": "{}" }, [{
          op: "add-runtime",
          name: "",
          path: "",
        }, { op: "unset-default", name: "" }], { configPath: "/d.json", dropInPath: "" }),
        /invalid runtime name "" for docker: a runtime name must not be empty/,
      );
    },
  );
});

Deno.test("docker reference §6.1: runtimes", async (t) => {
  const ADD = [
    { name: "runtime1", path: "/test/runtime/dir/runtime1" },
    { name: "runtime2", path: "/test/runtime/dir/runtime2" },
  ];
  const OTHERS = {
    "exec-opts": ["native.cgroupdriver=systemd"],
    "log-driver": "json-file",
    "log-opts": { "max-size": "100m" },
    "storage-driver": "overlay2",
  };
  const cases: { name: string; input: Json; add: typeof ADD; expected: Json }[] = [
    {
      name: "#0 two runtimes into {}",
      input: {},
      add: ADD,
      expected: {
        runtimes: { runtime1: { path: ADD[0].path }, runtime2: { path: ADD[1].path } },
      },
    },
    {
      name: "#1 an NVIDIA runtime1 updated (its args stay), runtime2 added",
      input: {
        runtimes: {
          runtime1: { path: "/usr/local/nvidia/toolkit/nvidia-container-runtime", args: [] },
        },
      },
      add: ADD,
      expected: {
        runtimes: {
          runtime1: { path: ADD[0].path, args: [] },
          runtime2: { path: ADD[1].path },
        },
      },
    },
    {
      name: "#2 another runtime stays",
      input: { runtimes: { "not-nvidia": { path: "some-other-path", args: [] } } },
      add: ADD.slice(0, 1),
      expected: {
        runtimes: {
          "not-nvidia": { path: "some-other-path", args: [] },
          runtime1: { path: ADD[0].path },
        },
      },
    },
    {
      name: "#3 other settings stay",
      input: OTHERS,
      add: ADD.slice(0, 1),
      expected: { ...OTHERS, runtimes: { runtime1: { path: ADD[0].path } } },
    },
  ];
  for (const { name, input, add, expected } of cases) {
    await t.step(name, async () => {
      await withFiles({ [CONFIG]: JSON.stringify(input, null, 4) }, async (dir) => {
        const config = join(dir, CONFIG);
        for (const runtime of add) {
          await rtconfOk(
            "runtime",
            "configure",
            `--config=${config}`,
            `--nvidia-runtime-name=${runtime.name}`,
            `--nvidia-runtime-path=${runtime.path}`,
          );
        }
        deepEqual(JSON.parse(await Deno.readTextFile(config)), expected);
        await judge(config);
      });
    });
  }
  await t.step(
    "#1b a runtime1 that is not NVIDIA's is not taken over (nvidia-ctk replaces it: a marked bug)",
    async () => {
      const text = JSON.stringify(
        { runtimes: { runtime1: { path: "runtime1", args: [] } } },
        null,
        4,
      );
      await withFiles({ [CONFIG]: text }, async (dir) => {
        const config = join(dir, CONFIG);
        const run = await rtconf(
          "runtime",
          "configure",
          `--config=${config}`,
          "--nvidia-runtime-name=runtime1",
        );
        equal(run.status, 1);
        equal(
          run.stderr,
          `rtconf: ${config}: the node's runtime runtime1 runs runtime1, not an NVIDIA runtime: ` +
            "rtconf does not take it over; give the NVIDIA runtime another name\n",
        );
        equal(await Deno.readTextFile(config), text);
      });
    },
  );
  await t.step("#4 nothing added: unchanged", async () => {
    const text = JSON.stringify(OTHERS, null, 4);
    const [change] = await planEngine(docker, { "/d.json": text }, [], {
      configPath: "/d.json",
      dropInPath: "",
    });
    equal(change.after, text);
    await withFiles({ [CONFIG]: text }, async (dir) => {
      const config = join(dir, CONFIG);
      const run = await rtconfOk("runtime", "unconfigure", `--config=${config}`);
      match(run.stderr, /no changes/);
      equal(await Deno.readTextFile(config), text);
    });
  });
  await t.step(
    "GetRuntimeConfig, existing runtime: the same path again writes nothing",
    async () => {
      const text = '{"runtimes":{"nvidia":{"path":"nvidia-container-runtime"}}}';
      await withFiles({ [CONFIG]: text }, async (dir) => {
        const run = await rtconfOk("runtime", "configure", `--config=${join(dir, CONFIG)}`);
        match(run.stderr, /no changes/);
      });
    },
  );
});

// nvidia-ctk's cmd/nvidia-ctk/runtime/configure/configure_test.go (reference §6.6).
Deno.test("docker reference §6.6 #8: new JSON config", async () => {
  await withFiles({}, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk("runtime", "configure", "--runtime", "docker", "--config", config);
    const data = JSON.parse(await Deno.readTextFile(config));
    ok(data.runtimes.nvidia);
    ok(!("nvidia-cdi" in data.runtimes) && !("nvidia-legacy" in data.runtimes));
    await judge(config);
  });
});

Deno.test("docker reference §6.6 #9: existing config with set as default", async () => {
  const text = JSON.stringify(
    { "log-driver": "json-file", "log-opts": { "max-size": "100m" }, "storage-driver": "overlay2" },
    null,
    4,
  );
  await withFiles({ [CONFIG]: text }, async (dir) => {
    const config = join(dir, CONFIG);
    await Deno.chmod(config, 0o600);
    await rtconfOk(
      "runtime",
      "configure",
      "--runtime",
      "docker",
      "--config",
      config,
      "--nvidia-set-as-default",
    );
    const data = JSON.parse(await Deno.readTextFile(config));
    equal(data["log-driver"], "json-file");
    deepEqual(data["log-opts"], { "max-size": "100m" });
    equal(data["storage-driver"], "overlay2");
    equal(data["default-runtime"], "nvidia");
    ok(data.runtimes.nvidia);
    equal((await Deno.stat(config)).mode! & 0o777, 0o600, "the file keeps its mode");
    await judge(config);
  });
});

Deno.test("docker reference §6.6 #10: enable CDI", async () => {
  await withFiles({}, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk(
      "runtime",
      "configure",
      "--runtime",
      "docker",
      "--config",
      config,
      "--cdi.enabled",
    );
    equal(JSON.parse(await Deno.readTextFile(config)).features.cdi, true);
    await judge(config);
  });
});

Deno.test("docker reference §6.6 #14: an invalid config-mode falls back to config-file", async () => {
  await withFiles({}, async (dir) => {
    const config = join(dir, CONFIG);
    const run = await rtconfOk(
      "runtime",
      "configure",
      "--config-mode",
      "invalid",
      "--runtime",
      "docker",
      "--config",
      config,
    );
    match(run.stderr, /Ignoring unsupported config mode for docker: "invalid"/);
    ok(JSON.parse(await Deno.readTextFile(config)).runtimes.nvidia);
    await judge(config);
  });
});

Deno.test("docker: errors are one line naming the file, exit 1, and leave the file alone", async (t) => {
  const cases: {
    name: string;
    text: string;
    flags?: string[];
    verbs?: string[];
    message: string;
  }[] = [
    {
      name: "invalid JSON: trailing comma",
      text: '{\n    "log-driver": "json-file",\n}\n',
      message: "invalid JSON at line 3, column 1: trailing comma before '}'",
    },
    {
      name: "invalid JSON: missing comma",
      text: '{\n  "a": 1\n  "b": 2\n}\n',
      message: "invalid JSON at line 3, column 3: expected ',' or a closing bracket, found '\"'",
    },
    {
      name: "invalid JSON: a comment",
      text: '{\n  // log\n  "a": 1\n}\n',
      message: "invalid JSON at line 2, column 3: comments are not allowed in JSON",
    },
    {
      name: "invalid JSON: unterminated string",
      text: '{\n\t"a": "x\n}\n',
      message: "invalid JSON at line 2, column 7: unterminated string",
    },
    {
      name: "invalid JSON: a second value",
      text: '{"a": 1}\n{"b": 2}\n',
      message: "invalid JSON at line 2, column 1: unexpected '{' after the top-level value",
    },
    {
      name: "a top-level array",
      text: '[{"runtimes": {}}]\n',
      message: "the top-level value at line 1, column 1 is an array, not an object",
    },
    {
      name: "a top-level null",
      text: "null",
      message: "the top-level value at line 1, column 1 is null, not an object",
    },
    {
      name: "runtimes not an object",
      text: '{\n    "runtimes": ["nvidia"]\n}\n',
      message: "runtimes at line 2, column 17 is an array, not an object",
    },
    {
      name: "runtimes.nvidia not an object",
      text: '{"runtimes": {"nvidia": "nvidia-container-runtime"}}',
      message: "runtimes.nvidia at line 1, column 25 is a string, not an object",
    },
    {
      name: "default-runtime not a string",
      text: '{"default-runtime": false}',
      message: "default-runtime at line 1, column 21 is a boolean, not a string",
    },
    {
      name: "features not an object",
      text: '{"features": "cdi"}',
      flags: ["--enable-cdi"],
      verbs: ["configure"], // unconfigure leaves features alone
      message: "features at line 1, column 14 is a string, not an object",
    },
    {
      name: "a duplicate key",
      text: '{"runtimes": {}, "runtimes": {}}',
      message: "duplicate key runtimes at line 1, column 18",
    },
  ];
  for (const { name, text, flags, verbs, message } of cases) {
    await t.step(name, async () => {
      await withFiles({ [CONFIG]: text }, async (dir) => {
        const config = join(dir, CONFIG);
        for (const verb of verbs ?? ["configure", "unconfigure"]) {
          const run = await rtconf("runtime", verb, `--config=${config}`, ...(flags ?? []));
          equal(run.status, 1);
          equal(run.stdout, "");
          equal(run.stderr, `rtconf: ${config}: ${message}\n`);
          equal(await Deno.readTextFile(config), text, "the file is untouched");
        }
      });
    });
  }
});

Deno.test("docker: a byte order mark, which dockerd accepts, is kept", async () => {
  const text = '\uFEFF{\n  "log-driver": "journald"\n}\n';
  await withFiles({ [CONFIG]: text }, async (dir) => {
    const config = join(dir, CONFIG);
    await rtconfOk(
      "runtime",
      "configure",
      "--runtime=docker",
      `--config=${config}`,
      "--set-as-default",
    );
    const after = await Deno.readTextFile(config);
    equal(after.startsWith("\uFEFF{"), true);
    equal(JSON.parse(after.slice(1))["default-runtime"], "nvidia");
    await judge(config);
    await rtconfOk(
      "runtime",
      "unconfigure",
      "--runtime=docker",
      `--config=${config}`,
      "--set-as-default",
    );
    equal(await Deno.readTextFile(config), text);
  });
});
