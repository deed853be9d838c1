/**
 * Realistic containerd configs through configure and unconfigure: the values,
 * the lines that change, idempotence, and the round trip.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parse } from "smol-toml";
import { criPluginId } from "../lib/engines/containerd/version.ts";
import { lineChanges, rtconfOk } from "./_helpers.ts";
import {
  configured,
  type Files,
  type Input,
  INPUTS,
  paths,
  readFiles,
  RUNTIME_PATH,
  type Variant,
  variantArgs,
  VARIANTS,
} from "./_containerd_cases.ts";

type Table = Record<string, unknown>;

function at(data: unknown, ...path: string[]): unknown {
  return path.reduce((value: unknown, key) => (value as Table | undefined)?.[key], data);
}

/** What containerd 1.x sees: each plugin section of the drop-in replaces the main file's. */
function effective(files: Files): Table {
  const main = parse(files.config ?? "") as Table;
  if (files.dropIn === undefined) return main;
  const dropIn = parse(files.dropIn) as Table;
  return { ...main, plugins: { ...(main.plugins as Table), ...(dropIn.plugins as Table) } };
}

const QUOTED_HEADER = (name: string) =>
  new RegExp(
    `^\\s*\\[plugins\\.(?:"[^"]+"|'[^']+'|\\w+)\\.containerd\\.runtimes\\.(?:${name}|"${
      name.replace(".", "\\.")
    }")(?:\\.options)?\\]`,
  );

/** Checks that every changed line is one the variant had to change. */
function checkMinimalDiff(original: Files, after: Files, input: Input, variant: Variant): void {
  const inPlace = !variant.dropIn || input.version === 1;
  const { removed, added } = lineChanges(original.config ?? "", after.config ?? "");
  const keys = inPlace
    ? /^\s*(?:default_runtime_name|enable_cdi|version) = |^# Created by rtconf|^# rtconf: created the directory /
    : /^(?:imports|version) = |^# Created by rtconf|^# rtconf: created the directory /;
  for (const line of removed) {
    match(line, keys, `a line that should not change was removed: ${line}`);
  }
  for (const run of added) {
    // Key lines, or blocks of the new runtime's tables (and containerd's built-in runc).
    let inBlock = false;
    for (const line of run.filter((line) => line.trim() !== "")) {
      if (QUOTED_HEADER(variant.runtime).test(line) || QUOTED_HEADER("runc").test(line)) {
        ok(inPlace, `a runtime table was added to the main file in drop-in mode: ${line}`);
        inBlock = true;
      } else if (/^\s*\[/.test(line)) {
        match(line, /^\s*\[.*\] # rtconf: added$/, `unexpected added header: ${line}`);
        inBlock = false;
      } else if (inBlock) {
        match(line, /^\s*[\w"']+ = /, `unexpected line in the added block: ${line}`);
      } else {
        match(line, keys, `unexpected added line: ${line}`);
      }
    }
  }
}

function checkValues(files: Files, input: Input, variant: Variant): void {
  const data = effective(files);
  const plugin = criPluginId(input.version);
  const containerd = ["plugins", plugin, "containerd"];
  equal(
    at(data, ...containerd, "runtimes", variant.runtime, "options", "BinaryName"),
    RUNTIME_PATH,
  );
  if (input.version === 1) {
    equal(at(data, ...containerd, "runtimes", variant.runtime, "options", "Runtime"), RUNTIME_PATH);
  }
  ok(at(data, ...containerd, "runtimes", variant.runtime, "runtime_type"));
  if (variant.setAsDefault) equal(at(data, ...containerd, "default_runtime_name"), variant.runtime);
  else ok(at(data, ...containerd, "default_runtime_name") !== variant.runtime);
  if (variant.cdi) equal(at(data, "plugins", plugin, "enable_cdi"), true);
  if (input.version > 1) equal(BigInt(data.version as number), BigInt(input.version));
  if (variant.dropIn && input.version > 1) {
    const dropIn = parse(files.dropIn!) as Table;
    equal(
      dropIn.version,
      undefined,
      "the drop-in has no version: containerd takes the main file's",
    );
    ok(
      (data.imports as string[]).some((item) =>
        item.endsWith("/etc/containerd/conf.d/99-nvidia.toml")
      ),
      "the main file imports the drop-in by its exact path",
    );
  }
}

for (const input of INPUTS) {
  for (const variant of VARIANTS) {
    Deno.test(`containerd ${input.name}, ${variant.name}`, async (t) => {
      await configured(input, variant, async (dir, original) => {
        const after = await readFiles(dir);
        const inPlace = !variant.dropIn || input.version === 1;

        await t.step("the values", () => checkValues(after, input, variant));

        await t.step("only the expected lines change", () => {
          checkMinimalDiff(original, after, input, variant);
          if (inPlace) equal(after.dropIn, undefined, "no drop-in in place");
        });

        await t.step("TOML 1.0 output: integers stay integers", () => {
          for (const text of [after.config, after.dropIn]) {
            if (text === undefined) continue;
            ok(!/^\s*(?:version|max_container_log_line_size) = \d+\.0\b/m.test(text));
            parse(text); // strict TOML 1.0 parser
          }
        });

        await t.step("a second run writes nothing", async () => {
          const { config, dropIn } = paths(dir);
          const mtimes = await Promise.all(
            [config, dropIn].map((p) =>
              Deno.stat(p).then((s) => s.mtime?.getTime(), () => undefined)
            ),
          );
          const run = await rtconfOk("runtime", "configure", ...variantArgs(dir, variant));
          match(run.stderr, /no changes/);
          deepEqual(await readFiles(dir), after);
          deepEqual(
            await Promise.all(
              [config, dropIn].map((p) =>
                Deno.stat(p).then((s) => s.mtime?.getTime(), () => undefined)
              ),
            ),
            mtimes,
          );
        });

        await t.step("unconfigure gives back the original files byte for byte", async () => {
          await rtconfOk("runtime", "unconfigure", ...variantArgs(dir, variant));
          deepEqual(await readFiles(dir), original);
        });
      });
    });
  }
}

Deno.test("containerd: quoting style of the file is kept ('io.containerd.cri.v1.runtime' stays single-quoted)", async () => {
  await configured(
    INPUTS.find((i) => i.fixture === "default-2.1.toml")!,
    VARIANTS[3],
    async (dir) => {
      const { config } = await readFiles(dir);
      match(
        config!,
        /^ {8}\[plugins\.'io\.containerd\.cri\.v1\.runtime'\.containerd\.runtimes\.nvidia-cdi\] # rtconf: added$/m,
      );
      match(config!, /^ {6}default_runtime_name = 'nvidia-cdi' # rtconf: was 'runc'$/m);
    },
  );
});

Deno.test("containerd: in place keeps everything and gains the runtime (nvidia-ctk loses the runtime here: a marked bug)", async () => {
  await configured(
    INPUTS.find((i) => i.fixture === "commented-v2.toml")!,
    VARIANTS[2],
    async (dir, original) => {
      const { config } = await readFiles(dir);
      const before = parse(original.config!) as Table;
      const after = parse(config!) as Table;
      const runtimes = at(
        after,
        "plugins",
        "io.containerd.grpc.v1.cri",
        "containerd",
        "runtimes",
      ) as Table;
      deepEqual(Object.keys(runtimes), ["runc", "nvidia"]);
      delete runtimes.nvidia;
      deepEqual(after, before);
      // Every comment is still there.
      for (const line of original.config!.split("\n").filter((l) => l.includes("#"))) {
        ok(
          config!.includes(line),
          line,
        );
      }
    },
  );
});

Deno.test("containerd: the new runtime goes after its siblings, in the file's header style", async () => {
  await configured(
    INPUTS.find((i) => i.fixture === "k3s-v2.toml")!,
    VARIANTS[2],
    async (dir, original) => {
      const { config } = await readFiles(dir);
      const expected = original.config!.replace(
        "  SystemdCgroup = true\n",
        `  SystemdCgroup = true

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia] # rtconf: added
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
  SystemdCgroup = true
  BinaryName = "/usr/bin/nvidia-container-runtime"
`,
      );
      equal(config, expected);
    },
  );
});

Deno.test("containerd: --dry-run --diff prints a unified diff per file and writes nothing", async () => {
  await configured(INPUTS[0], VARIANTS[0], async (dir) => {
    const { dropIn } = paths(dir);
    const run = await rtconfOk(
      "runtime",
      "unconfigure",
      ...variantArgs(dir, VARIANTS[0]),
      "--dry-run",
      "--diff",
    );
    match(
      run.stdout,
      new RegExp(`^--- ${dropIn}\n\\+\\+\\+ /dev/null\n@@ -1,\\d+ \\+0,0 @@\n`, "m"),
    );
    ok((await readFiles(dir)).dropIn !== undefined);
  });
});
