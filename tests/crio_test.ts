/**
 * CRI-O: nvidia-ctk's cases (reference §6.5, §6.6 #6–7) and realistic
 * crio.conf files through configure and unconfigure.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { crio } from "../lib/engines/crio/mod.ts";
import { planEngine } from "../lib/engines/mod.ts";
import { configureRules } from "../lib/rules.ts";
import { fixture, lineChanges, readOrUndefined, rtconf, rtconfOk, withFiles } from "./_helpers.ts";

type Table = Record<string, unknown>;

function at(data: unknown, ...path: string[]): unknown {
  return path.reduce((value: unknown, key) => (value as Table | undefined)?.[key], data);
}

const CONFIG = "/etc/crio/crio.conf";
const DROP_IN = "/etc/crio/crio.conf.d/99-nvidia.toml";

/** `AddRuntime("test", "/usr/bin/test", setAsDefault)`: the drop-in's values. */
async function addTest(source: string, setAsDefault: boolean): Promise<Table> {
  const [dropIn] = await planEngine(
    crio,
    { [CONFIG]: source },
    configureRules({
      runtimes: [{ name: "test", path: "/usr/bin/test" }],
      setAsDefault: setAsDefault ? "test" : undefined,
    }),
    { configPath: CONFIG, dropInPath: DROP_IN },
  );
  equal(dropIn.path, DROP_IN);
  return parse(dropIn.after!) as Table;
}

const RUNC = `[crio.runtime.runtimes.runc]
runtime_path = "/usr/bin/runc"
runtime_type = "oci"
runc_option = "option"
`;
const DEFAULT = `[crio.runtime]
default_runtime = "default"
[crio.runtime.runtimes.default]
runtime_path = "/usr/bin/default"
default_option = "option"
`;

Deno.test("§6.5 empty config, not the default runtime", async () => {
  deepEqual(await addTest("", false), {
    crio: {
      runtime: { runtimes: { test: { runtime_path: "/usr/bin/test", runtime_type: "oci" } } },
    },
  });
});

Deno.test("§6.5 empty config, set as default runtime", async () => {
  const data = await addTest("", true);
  equal(at(data, "crio", "runtime", "default_runtime"), "test");
  deepEqual(at(data, "crio", "runtime", "runtimes", "test"), {
    runtime_path: "/usr/bin/test",
    runtime_type: "oci",
  });
});

Deno.test("§6.5 options from runc are imported; runtime_type is always oci", async () => {
  deepEqual(at(await addTest(RUNC, false), "crio", "runtime", "runtimes", "test"), {
    runtime_path: "/usr/bin/test",
    runtime_type: "oci",
    runc_option: "option",
  });
});

Deno.test("§6.5 a VM runtime is never the template (nvidia-ctk copies any default: a marked bug)", async () => {
  const kata = `[crio.runtime]
default_runtime = "kata"
[crio.runtime.runtimes.kata]
runtime_path = "/usr/bin/kata-runtime"
runtime_type = "vm"
runtime_config_path = "/opt/kata/configuration.toml"
`;
  deepEqual(at(await addTest(kata + RUNC, false), "crio", "runtime", "runtimes", "test"), {
    runtime_path: "/usr/bin/test",
    runtime_type: "oci",
    runc_option: "option",
  });
});

Deno.test("§6.5 options from the default runtime are imported, and take precedence over runc", async () => {
  for (const source of [DEFAULT, DEFAULT + RUNC]) {
    const data = await addTest(source, false);
    deepEqual(at(data, "crio", "runtime", "runtimes", "test"), {
      runtime_path: "/usr/bin/test",
      runtime_type: "oci",
      default_option: "option",
    });
    equal(at(data, "crio", "runtime", "default_runtime"), undefined, "the drop-in gets no default");
  }
});

const EXISTING = `[crio.runtime]
default_runtime = "test"
[crio.runtime.runtimes.test]
runtime_path = "/usr/bin/test"
runtime_type = "oci"
`;

Deno.test("§6.5 runtime already exists: default kept with the flag, not set without it", async () => {
  const withDefault = await addTest(EXISTING, true);
  equal(at(withDefault, "crio", "runtime", "default_runtime"), "test");
  deepEqual(at(withDefault, "crio", "runtime", "runtimes", "test"), {
    runtime_path: "/usr/bin/test",
    runtime_type: "oci",
  });
  equal(at(await addTest(EXISTING, false), "crio", "runtime", "default_runtime"), undefined);
});

function args(dir: string, ...more: string[]): string[] {
  return [
    "runtime",
    "configure",
    "--runtime=crio",
    `--config=${join(dir, "etc/crio/crio.conf")}`,
    `--drop-in-config=${join(dir, "etc/crio/crio.conf.d/99-nvidia.toml")}`,
    ...more,
  ];
}

Deno.test("§6.6 #6 no config: crio.conf is not created; the drop-in has only nvidia", async () => {
  await withFiles({}, async (dir) => {
    await rtconfOk(...args(dir));
    equal(await readOrUndefined(join(dir, "etc/crio/crio.conf")), undefined);
    const dropIn = parse(await Deno.readTextFile(join(dir, "etc/crio/crio.conf.d/99-nvidia.toml")));
    deepEqual(at(dropIn, "crio", "runtime", "runtimes"), {
      nvidia: { runtime_path: "/usr/bin/nvidia-container-runtime", runtime_type: "oci" },
    });
  });
});

Deno.test("§6.6 #7 existing config with an nvidia runtime: crio.conf untouched, the drop-in overrides", async () => {
  const config = `[crio.runtime]
default_runtime = "runc"
[crio.runtime.runtimes.runc]
runtime_path = "/usr/bin/runc"
[crio.runtime.runtimes.nvidia]
runtime_path = "/old/path/nvidia-container-runtime"
`;
  await withFiles({ "etc/crio/crio.conf": config }, async (dir) => {
    await rtconfOk(...args(dir, "--nvidia-set-as-default"));
    equal(await Deno.readTextFile(join(dir, "etc/crio/crio.conf")), config);
    const dropIn = await Deno.readTextFile(join(dir, "etc/crio/crio.conf.d/99-nvidia.toml"));
    match(dropIn, /^default_runtime = "nvidia"/m);
    match(dropIn, /^runtime_path = "\/usr\/bin\/nvidia-container-runtime"$/m);
  });
});

Deno.test("crio: --enable-cdi is ignored with nvidia-ctk's warning", async () => {
  await withFiles({}, async (dir) => {
    const run = await rtconfOk(...args(dir, "--enable-cdi"));
    match(run.stderr, /^rtconf: warning: Ignoring cdi\.enabled flag for crio$/m);
  });
});

Deno.test("crio: --config-source=command reads crio status config, then crio-status config", async () => {
  const status =
    `[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\nmonitor_path = "/usr/libexec/crio/conmon"\n`;
  await withFiles({
    "bin/crio": "#!/bin/sh\nexit 1\n",
    "bin/crio-status": `#!/bin/sh\n[ "$1" = config ] || exit 9\ncat <<'EOF'\n${status}EOF\n`,
  }, async (dir) => {
    for (const bin of ["crio", "crio-status"]) await Deno.chmod(join(dir, "bin", bin), 0o755);
    const env = { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}` };
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../main.ts", import.meta.url).pathname,
        ...args(dir, "--config-source=command", `--executable-path=${join(dir, "bin/crio")}`),
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(child.code, 0, new TextDecoder().decode(child.stderr));
    const dropIn = parse(await Deno.readTextFile(join(dir, "etc/crio/crio.conf.d/99-nvidia.toml")));
    equal(
      at(dropIn, "crio", "runtime", "runtimes", "nvidia", "monitor_path"),
      "/usr/libexec/crio/conmon",
    );
  });
});

Deno.test("crio: in place keeps everything crio.conf had (nvidia-ctk replaces the file: a marked bug)", async () => {
  const config = await fixture("crio/crio.conf");
  await withFiles({ "etc/crio/crio.conf": config }, async (dir) => {
    await rtconfOk(...args(dir, "--drop-in-config="));
    const after = await Deno.readTextFile(join(dir, "etc/crio/crio.conf"));
    const data = parse(after) as Table;
    const runtimes = at(data, "crio", "runtime", "runtimes") as Table;
    deepEqual(Object.keys(runtimes), ["crun", "runc", "nvidia"]);
    delete runtimes.nvidia;
    deepEqual(data, parse(config));
    for (const line of config.split("\n")) ok(after.includes(line), `lost: ${line}`);
  });
});

const INPUTS: [string, string | undefined][] = [
  ["missing crio.conf", undefined],
  ["crio config style, crun default", "crio/crio.conf"],
  ["indented, runc default", "crio/crio-runc-default.conf"],
];

for (const [name, file] of INPUTS) {
  for (const dropIn of [true, false]) {
    for (const setAsDefault of [false, true]) {
      const variant = `${dropIn ? "drop-in" : "in place"}${setAsDefault ? ", default" : ""}`;
      Deno.test(`crio ${name}, ${variant}`, async (t) => {
        const text = file === undefined ? undefined : await fixture(file);
        await withFiles(text === undefined ? {} : { "etc/crio/crio.conf": text }, async (dir) => {
          const config = join(dir, "etc/crio/crio.conf");
          const dropInPath = join(dir, "etc/crio/crio.conf.d/99-nvidia.toml");
          const flags = [
            ...(dropIn ? [] : ["--drop-in-config="]),
            ...(setAsDefault ? ["--set-as-default"] : []),
          ];
          await rtconfOk(...args(dir, ...flags));
          const after = {
            config: await readOrUndefined(config),
            dropIn: await readOrUndefined(dropInPath),
          };

          await t.step("the values", () => {
            const main = parse(after.config ?? "") as Table;
            const over = parse(after.dropIn ?? "") as Table;
            const runtime = (data: Table) =>
              at(data, "crio", "runtime", "runtimes", "nvidia") as Table | undefined;
            const effective = runtime(over) ?? runtime(main);
            equal(effective?.runtime_path, "/usr/bin/nvidia-container-runtime");
            equal(effective?.runtime_type, "oci");
            const defaultRuntime = at(over, "crio", "runtime", "default_runtime") ??
              at(main, "crio", "runtime", "default_runtime");
            if (setAsDefault) equal(defaultRuntime, "nvidia");
            else ok(defaultRuntime !== "nvidia");
          });

          await t.step("only the expected lines change", () => {
            if (dropIn) {
              equal(after.config, text, "drop-in mode writes only the drop-in");
              return;
            }
            equal(after.dropIn, undefined);
            const { removed, added } = lineChanges(text ?? "", after.config!);
            for (const line of removed) match(line, /^\s*default_runtime = /);
            for (const run of added) {
              let inRuntime = false;
              for (const line of run.filter((line) => line.trim() !== "")) {
                if (/^\s*\[/.test(line)) {
                  inRuntime = /^\s*\[crio\.runtime\.runtimes\.nvidia\]( # rtconf: added)?$/.test(
                    line,
                  );
                  if (!inRuntime) match(line, /^\[crio\.runtime\] # rtconf: added$/);
                } else if (inRuntime) {
                  match(line, /^\s*\w+ = /);
                } else {
                  match(
                    line,
                    /^\s*default_runtime = |^# Created by rtconf|^# rtconf: created the directory /,
                  );
                }
              }
            }
          });

          await t.step("a second run writes nothing", async () => {
            const run = await rtconfOk(...args(dir, ...flags));
            match(run.stderr, /no changes/);
            deepEqual({
              config: await readOrUndefined(config),
              dropIn: await readOrUndefined(dropInPath),
            }, after);
          });

          await t.step("unconfigure gives back the original files byte for byte", async () => {
            await rtconfOk("runtime", "unconfigure", ...args(dir, ...flags).slice(2));
            equal(await readOrUndefined(config), text);
            equal(await readOrUndefined(dropInPath), undefined);
          });
        });
      });
    }
  }
}

Deno.test("crio: invalid TOML is a one-line error with line and column; nothing is written", async () => {
  await withFiles(
    { "etc/crio/crio.conf": "[crio.runtime]\ndefault_runtime = crun\n" },
    async (dir) => {
      const run = await rtconf(...args(dir));
      equal(run.status, 1);
      match(run.stderr, /^rtconf: .*crio\.conf: invalid TOML at line 2, column \d+: .+\n$/);
      equal(await readOrUndefined(join(dir, "etc/crio/crio.conf.d/99-nvidia.toml")), undefined);
    },
  );
});
