/**
 * Real containerd judges rtconf's output: for each input and variant, the
 * effective config (`containerd --config F config dump`) of 1.6, 1.7 and 2.1
 * (each where it reads the file's version) shows the runtime, the default and
 * CDI as asked, and every other setting as it was before.
 *
 * The binaries come from Debian's archives (scripts/fetch-engines.sh, run by
 * `deno task test`). These tests fail, not skip, when they are missing.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { criPluginId } from "../lib/engines/containerd/version.ts";
import { containerdDump, loadEngines } from "./_engines.ts";
import {
  configured,
  INPUTS,
  paths,
  readFiles,
  RUNTIME_PATH,
  VARIANTS,
} from "./_containerd_cases.ts";

type Table = Record<string, unknown>;

const engines = await loadEngines();
const SERIES = ["1.6", "1.7", "2.1"];
for (const series of SERIES) {
  if (!engines.containerd[series]) {
    throw new Error(
      `containerd ${series} is missing from the engine cache: run bash scripts/fetch-engines.sh`,
    );
  }
}

/** The series that read a config version: 1.x reads 1 and 2, 2.x reads 2 and 3. */
function readers(version: number): string[] {
  return SERIES.filter((series) => series.startsWith("1.") ? version <= 2 : version >= 2);
}

function leaves(
  value: unknown,
  prefix: string[] = [],
  out = new Map<string, unknown>(),
): Map<string, unknown> {
  if (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  ) {
    for (const [key, item] of Object.entries(value)) leaves(item, [...prefix, key], out);
    if (Object.keys(value).length === 0) out.set(JSON.stringify(prefix), {});
  } else {
    out.set(JSON.stringify(prefix), value);
  }
  return out;
}

function zero(value: unknown): boolean {
  return value === undefined || value === "" || value === 0 || value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0);
}

for (const input of INPUTS) {
  for (const variant of VARIANTS) {
    Deno.test(`real containerd: ${input.name}, ${variant.name}`, async (t) => {
      await configured(input, variant, async (dir, original) => {
        const originalPath = join(dir, "original.toml");
        await Deno.writeTextFile(originalPath, original.config ?? "");
        const after = await readFiles(dir);
        ok(after.config !== undefined, "no main config to judge");
        for (const series of readers(input.version)) {
          await t.step(`containerd ${engines.containerd[series].version}`, async () => {
            const bin = engines.containerd[series].bin;
            const before = await containerdDump(bin, originalPath);
            const dump = await containerdDump(bin, paths(dir).config);
            const plugin = criPluginId(Number(dump.version));
            const containerd = ["plugins", plugin, "containerd"];
            const runtime = [...containerd, "runtimes", variant.runtime];
            const get = (data: Table, path: string[]) =>
              path.reduce((v: unknown, k) => (v as Table | undefined)?.[k], data);

            equal(get(dump, [...runtime, "options", "BinaryName"]), RUNTIME_PATH);
            ok(get(dump, [...runtime, "runtime_type"]), "the runtime has a runtime_type");
            equal(
              get(dump, [...containerd, "default_runtime_name"]),
              variant.setAsDefault
                ? variant.runtime
                : get(before, [...containerd, "default_runtime_name"]),
            );
            const cdi = ["plugins", plugin, "enable_cdi"];
            if (get(before, cdi) !== undefined) {
              equal(get(dump, cdi), variant.cdi ? true : get(before, cdi));
            }

            // Every other setting is as it was (zero values and absent ones count as equal).
            const changed = [
              JSON.stringify(["imports"]).slice(0, -1),
              JSON.stringify(runtime).slice(0, -1),
              ...(variant.setAsDefault
                ? [JSON.stringify([...containerd, "default_runtime_name"])]
                : []),
              ...(variant.cdi ? [JSON.stringify(cdi)] : []),
            ];
            const a = leaves(before), b = leaves(dump);
            const differences: string[] = [];
            for (const key of new Set([...a.keys(), ...b.keys()])) {
              if (changed.some((prefix) => key.startsWith(prefix))) continue;
              const x = a.get(key), y = b.get(key);
              if (JSON.stringify(x) !== JSON.stringify(y) && !(zero(x) && zero(y))) {
                differences.push(`${key}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
              }
            }
            deepEqual(differences, []);
          });
        }
      });
    });
  }
}

Deno.test("real containerd: what k3s renders from a template rtconf wrote holds the runtimes", async () => {
  const { planK3sTemplate } = await import("../lib/engines/containerd/k3s.ts");
  const { fixture } = await import("./_helpers.ts");
  for (const [file, version] of [["k3s-v2.toml", 2], ["k3s-v3.toml", 3]] as const) {
    const config = await fixture(`containerd/${file}`);
    const [template] = planK3sTemplate(
      { "/k3s/config.toml": config },
      [
        { op: "add-runtime", name: "nvidia", path: RUNTIME_PATH },
        { op: "add-runtime", name: "nvidia-cdi", path: `${RUNTIME_PATH}.cdi` },
      ],
      { configPath: "/k3s/config.toml", templatePath: "/k3s/config.toml.tmpl" },
    );
    // k3s renders its base config, then the template's own lines.
    const rendered = config + template.after!.replace('{{ template "base" . }}\n', "");
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(dir, "config.toml"), rendered);
      for (const series of readers(version)) {
        const dump = await containerdDump(engines.containerd[series].bin, join(dir, "config.toml"));
        const runtimes = ["plugins", criPluginId(Number(dump.version)), "containerd", "runtimes"]
          .reduce((v: unknown, k) => (v as Table)[k], dump) as Record<string, Table>;
        for (
          const [name, path] of [["nvidia", RUNTIME_PATH], ["nvidia-cdi", `${RUNTIME_PATH}.cdi`]]
        ) {
          equal(
            (runtimes[name].options as Table).BinaryName,
            path,
            `${file}, containerd ${series}`,
          );
          equal((runtimes[name].options as Table).SystemdCgroup, true, "copied from k3s's runc");
        }
        ok(runtimes.runc, "k3s's runc stays");
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});
