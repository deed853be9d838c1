/**
 * Why lib/formats/toml/ is a scanner of our own over smol-toml: the same containerd
 * edit (add a runtime copied from runc, set it as the default) on
 * `containerd config default` of 1.7, by rtconf's engine and by the
 * CST-based patcher the toolchain notes measured best among npm libraries.
 *
 * `deno task bench`
 *
 * @module
 */

// Only this benchmark uses it: it is not in the product's import map.
import { parse as patchParse, patch } from "npm:@decimalturn/toml-patch@3.3.0";
import { parse } from "smol-toml";
import { containerd } from "../lib/engines/containerd/mod.ts";
import { planEngine } from "../lib/engines/mod.ts";
import { configureRules } from "../lib/rules.ts";

const text = await Deno.readTextFile(
  new URL("../tests/fixtures/containerd/default-1.7.toml", import.meta.url),
);
const rules = configureRules({
  runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
  setAsDefault: "nvidia",
});
const CONFIG = "/etc/containerd/config.toml";
/**
 * The text with a comment of its own: rtconf keeps the values of the texts it
 * parsed last, and a run parses each text once, as these runs must too.
 */
let round = 0;
const fresh = () => `${text}# round ${++round}\n`;

Deno.bench("smol-toml parse (the floor: a strict parse)", { group: "edit" }, () => {
  parse(text, { integersAsBigInt: true });
});

Deno.bench(
  "rtconf: in place (parse, scan, edit, re-parse)",
  { group: "edit", baseline: true },
  async () => {
    await planEngine(containerd, { [CONFIG]: fresh() }, rules, {
      configPath: CONFIG,
      dropInPath: "",
    });
  },
);

Deno.bench("rtconf: drop-in (main + generated drop-in)", { group: "edit" }, async () => {
  await planEngine(containerd, { [CONFIG]: fresh() }, rules, {
    configPath: CONFIG,
    dropInPath: "/etc/containerd/conf.d/99-nvidia.toml",
  });
});

Deno.bench("@decimalturn/toml-patch: parse + patch (new table inline)", { group: "edit" }, () => {
  const doc = patchParse(text) as Record<string, Record<string, Record<string, unknown>>>;
  const cri = doc.plugins["io.containerd.grpc.v1.cri"].containerd as Record<string, unknown>;
  const runtimes = cri.runtimes as Record<string, Record<string, unknown>>;
  cri.default_runtime_name = "nvidia";
  runtimes.nvidia = {
    ...runtimes.runc,
    options: { BinaryName: "/usr/bin/nvidia-container-runtime" },
  };
  patch(text, doc);
});
