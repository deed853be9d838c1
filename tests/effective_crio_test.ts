/**
 * Issue 12 for CRI-O: rtconf plans, verifies and checks against what CRI-O
 * really uses — `crio.conf`, then every file of `crio.conf.d` (any name,
 * subdirectories, lexical order), a runtime named again replaced whole —
 * judged by a model of CRI-O's merge written from its source (pkg/config:
 * UpdateFromFile, UpdateFromPath, ValidateDefaultRuntime; there is no crio
 * binary here), and by `runtime status`.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { fixture, rtconf, type Run } from "./_helpers.ts";
import {
  assertOneLine,
  assertSameBytes,
  assertUntouched,
  copyNode,
  crioEffective,
  differences,
  RUNTIME_PATH,
  snapshot,
  type Table,
  TOML_11,
  withRoot,
} from "./_effective.ts";

const CONFIG = "etc/crio/crio.conf";
const CONF_D = "etc/crio/crio.conf.d";
const RUNTIMES = ["crio", "runtime", "runtimes"];

/** How rtconf is pointed at CRI-O's files. */
interface Target {
  /** The temp root. */
  root: string;
  /** The flags naming the files. */
  where: string[];
  /** The main config, on disk. */
  config: string;
  /** The drop-in directory CRI-O reads, on disk. */
  confD: string;
}

/** `--config` and `--drop-in-config` under the root (drop-in mode). */
function explicit(root: string, dropIn = "99-nvidia.toml"): Target {
  return {
    root,
    where: [`--config=${join(root, CONFIG)}`, `--drop-in-config=${join(root, CONF_D, dropIn)}`],
    config: join(root, CONFIG),
    confD: join(root, CONF_D),
  };
}

/** `--host-root`: the default files, drop-in mode or in place (CRI-O's own crio.conf.d). */
function hostRoot(root: string, inPlace: boolean): Target {
  return {
    root,
    where: [`--host-root=${root}`, ...(inPlace ? ["--drop-in-config="] : [])],
    config: join(root, CONFIG),
    confD: join(root, CONF_D),
  };
}

function crio(command: string, target: Target, flags: string[], ...more: string[]): Promise<Run> {
  return rtconf("runtime", command, "--runtime=crio", ...target.where, ...flags, ...more);
}

/** What a round trip gives its judge. */
interface Judged {
  before: Awaited<ReturnType<typeof crioEffective>>;
  after: Awaited<ReturnType<typeof crioEffective>>;
}

/**
 * configure, judged by CRI-O's merge: each runtime is the template's table
 * with its own runtime_path and runtime_type "oci"; the default as asked (else
 * as it was); every other setting as it was; `runtime status` says the same;
 * a second configure writes nothing; `--check` exits 0; unconfigure gives
 * back every file byte for byte.
 */
async function crioRoundTrip(
  target: Target,
  options: {
    flags?: string[];
    runtimes?: { name: string; path: string }[];
    template?: string;
    defaultRuntime?: string;
    judge?: (judged: Judged) => void;
  } = {},
): Promise<void> {
  const flags = options.flags ?? [];
  const runtimes = options.runtimes ?? [{ name: "nvidia", path: RUNTIME_PATH }];
  const original = await snapshot(target.root);
  const before = await crioEffective(target.config, target.confD);

  const pending = await crio("configure", target, flags, "--check");
  equal(pending.status, 3, `--check before configure: ${pending.stderr}`);
  assertUntouched(original, await snapshot(target.root), "--check");
  const configured = await crio("configure", target, flags);
  equal(configured.status, 0, `configure: ${configured.stderr}`);
  const written = await snapshot(target.root);
  const after = await crioEffective(target.config, target.confD);
  for (const { name, path } of runtimes) {
    const template = options.template ? before.runtimes[options.template] : {};
    ok(template, `the template ${options.template} exists`);
    deepEqual(
      after.runtimes[name],
      { ...template, runtime_path: path, runtime_type: "oci" },
      `runtime ${name}: ${JSON.stringify(after.runtimes[name])}`,
    );
  }
  equal(after.default, options.defaultRuntime ?? before.default, "the default runtime");
  const changed = differences(before.config, after.config, [
    ...runtimes.map(({ name }) => [...RUNTIMES, name]),
    ...(options.defaultRuntime ? [["crio", "runtime", "default_runtime"]] : []),
  ]);
  deepEqual(changed, [], `other settings changed:\n${changed.join("\n")}`);
  options.judge?.({ before, after });

  // runtime status says what CRI-O uses.
  const status = await crio("status", target, [], "--json");
  equal(status.status, 0, `status: ${status.stderr}`);
  const shown = JSON.parse(status.stdout).engines[0];
  equal(shown.defaultRuntime, after.default, "status: the default runtime");
  deepEqual(
    Object.fromEntries(
      shown.runtimes.map((r: { name: string; path: string }) => [r.name, r.path]),
    ),
    Object.fromEntries(
      Object.entries(after.runtimes).map(([name, table]) => [name, table.runtime_path ?? ""]),
    ),
    `status: the runtimes: ${status.stdout}`,
  );
  deepEqual(
    shown.files.map((file: string) => file),
    after.files,
    "status: the files, in CRI-O's order",
  );

  const again = await crio("configure", target, flags);
  equal(again.status, 0, `second configure: ${again.stderr}`);
  assertUntouched(written, await snapshot(target.root), "second configure");
  const check = await crio("configure", target, flags, "--check");
  equal(check.status, 0, `--check after configure: ${check.stderr}`);

  const undone = await crio("unconfigure", target, flags);
  equal(undone.status, 0, `unconfigure: ${undone.stderr}`);
  assertSameBytes(original, await snapshot(target.root), "configure then unconfigure");
}

/** Fails unless configure (and `--check`) refuse with one line naming `file`, writing nothing. */
async function assertRefused(target: Target, flags: string[], file: string): Promise<void> {
  const before = await snapshot(target.root);
  for (const more of [[], ["--check"]]) {
    const run = await crio("configure", target, flags, ...more);
    assertOneLine(run, 1, `configure ${[...flags, ...more].join(" ")}`);
    ok(run.stderr.includes(file), `the line names ${file}: ${run.stderr}`);
    assertUntouched(before, await snapshot(target.root), "a refused configure");
  }
}

// ---------------------------------------------------------------------------------------------
// 3. CRI-O from packages: no crio.conf, the runtimes in crio.conf.d/10-crio.conf.

Deno.test("3. packaged CRI-O: the drop-in's nvidia copies crun's settings", async (t) => {
  for (const flags of [[], ["--set-as-default"]]) {
    await t.step(`--config/--drop-in-config ${flags.join(" ")}`, async () => {
      const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
      try {
        await copyNode("crio-packaged", root);
        const target = explicit(root);
        await crioRoundTrip(target, {
          flags,
          template: "crun",
          defaultRuntime: flags.length ? "nvidia" : undefined,
          judge: ({ after }) => {
            equal(after.runtimes.nvidia.monitor_path, "/usr/libexec/crio/conmon");
            equal(after.files.includes(target.config), false, "crio.conf is not created");
          },
        });
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  }
  await t.step("in place: crio.conf gets the runtime, read before crio.conf.d", async () => {
    const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
    try {
      await copyNode("crio-packaged", root);
      await crioRoundTrip(hostRoot(root, true), { template: "crun" });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
  await t.step("in place --set-as-default: 10-crio.conf's default wins: refused", async () => {
    const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
    try {
      await copyNode("crio-packaged", root);
      await assertRefused(hostRoot(root, true), ["--set-as-default"], "crio.conf.d/10-crio.conf");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});

Deno.test("3. crio.conf and a packaged 10-crio.conf: the template is the crun CRI-O uses", async () => {
  // crio.conf's crun has monitor_env and monitor_cgroup; 10-crio.conf names crun again,
  // which replaces the entry whole: CRI-O's crun has neither.
  const files = {
    [CONFIG]: await fixture("crio/crio.conf"),
    [`${CONF_D}/10-crio.conf`]: await Deno.readTextFile(
      new URL("./fixtures/nodes/crio-packaged/etc/crio/crio.conf.d/10-crio.conf", import.meta.url),
    ),
  };
  for (const inPlace of [false, true]) {
    await withRoot(files, async (root) => {
      await crioRoundTrip(hostRoot(root, inPlace), {
        template: "crun",
        judge: ({ after }) => {
          equal(after.runtimes.nvidia.monitor_env, undefined, "not crio.conf's crun");
          equal(after.runtimes.nvidia.monitor_cgroup, undefined, "not crio.conf's crun");
        },
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 4. A file read after rtconf's drop-in overrides the default, or the runtime.

const KATA = `[crio.runtime]
default_runtime = "kata"

[crio.runtime.runtimes.kata]
runtime_path = "/usr/bin/kata-runtime"
runtime_type = "vm"
runtime_root = "/run/vc"
runtime_config_path = "/opt/kata/share/defaults/kata-containers/configuration.toml"
privileged_without_host_devices = true
`;

Deno.test("4. a later zz-kata.conf that sets default_runtime: --set-as-default refused", async (t) => {
  const targets: [string, (root: string) => Target][] = [
    ["explicit", (root) => explicit(root)],
    ["host root", (root) => hostRoot(root, false)],
  ];
  for (const [name, target] of targets) {
    await t.step(name, async () => {
      const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
      try {
        await copyNode("crio-packaged", root);
        await Deno.writeTextFile(join(root, CONF_D, "zz-kata.conf"), KATA);
        await assertRefused(
          target(root),
          ["--set-as-default"],
          join(root, CONF_D, "zz-kata.conf").slice(name === "host root" ? root.length : 0),
        );
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  }
  await t.step("without --set-as-default: fine, and Kata is no template (runc is)", async () => {
    const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
    try {
      await copyNode("crio-packaged", root);
      await Deno.writeTextFile(join(root, CONF_D, "zz-kata.conf"), KATA);
      await crioRoundTrip(explicit(root), {
        template: "runc",
        judge: ({ after }) => equal(after.runtimes.nvidia.runtime_config_path, undefined),
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});

Deno.test("4. a later file that names the runtime again (replaced whole): refused", async () => {
  const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
  try {
    await copyNode("crio-packaged", root);
    await Deno.writeTextFile(
      join(root, CONF_D, "zz-site.conf"),
      '[crio.runtime.runtimes.nvidia]\nruntime_path = "/opt/nvidia/bin/nvidia-container-runtime"\n',
    );
    await assertRefused(explicit(root), [], join(root, CONF_D, "zz-site.conf"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("4. subdirectories of crio.conf.d are read in CRI-O's walk order", async (t) => {
  const site = '[crio.runtime]\ndefault_runtime = "runc"\n';
  await t.step("50-site/ is read before 99-nvidia.toml: fine", async () => {
    const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
    try {
      await copyNode("crio-packaged", root);
      await Deno.mkdir(join(root, CONF_D, "50-site"));
      await Deno.writeTextFile(join(root, CONF_D, "50-site", "10-default.conf"), site);
      await crioRoundTrip(explicit(root), {
        flags: ["--set-as-default"],
        template: "runc",
        defaultRuntime: "nvidia",
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
  await t.step("zz-site/ is read after it: refused", async () => {
    const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
    try {
      await copyNode("crio-packaged", root);
      await Deno.mkdir(join(root, CONF_D, "zz-site"));
      await Deno.writeTextFile(join(root, CONF_D, "zz-site", "10-default.conf"), site);
      await assertRefused(
        explicit(root),
        ["--set-as-default"],
        join(root, CONF_D, "zz-site", "10-default.conf"),
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Real-looking nodes.

Deno.test("node crio-openshift: 00-default without an extension is read", async (t) => {
  for (const [mode, inPlace] of [["drop-in", false], ["in place", true]] as const) {
    for (const flags of [[], ["--set-as-default"], ["--all-nvidia-runtimes"]]) {
      await t.step(`${mode} ${flags.join(" ")}`, async () => {
        const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
        try {
          await copyNode("crio-openshift", root);
          const target = hostRoot(root, inPlace);
          if (inPlace && flags.includes("--set-as-default")) {
            await assertRefused(target, flags, "crio.conf.d/00-default");
            return;
          }
          await crioRoundTrip(target, {
            flags,
            template: "crun",
            runtimes: flags.includes("--all-nvidia-runtimes")
              ? ["", ".cdi", ".legacy"].map((suffix) => ({
                name: `nvidia${suffix.replace(".", "-")}`,
                path: `${RUNTIME_PATH}${suffix}`,
              }))
              : undefined,
            defaultRuntime: flags.includes("--set-as-default") ? "nvidia" : undefined,
            judge: ({ after }) => {
              equal(after.runtimes.nvidia.runtime_root, "/run/crun");
              equal(
                (after.config.crio as Table & { runtime: Table }).runtime.pids_limit,
                4096,
                "01-ctrcfg-pidsLimit is read",
              );
            },
          });
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Names and TOML 1.1.

Deno.test("CRI-O: TOML 1.1 in a crio.conf.d file is refused with its line and column", async (t) => {
  for (const [name, construct] of TOML_11) {
    await t.step(name, async () => {
      const files = {
        [`${CONF_D}/10-crio.conf`]: `[crio.runtime]\ndefault_runtime = "crun"\n${construct}\n`,
      };
      await withRoot(files, async (root) => {
        const before = await snapshot(root);
        for (const inPlace of [false, true]) {
          const run = await crio("configure", hostRoot(root, inPlace), []);
          assertOneLine(run, 1, name);
          ok(run.stderr.includes(`${CONF_D}/10-crio.conf: `), run.stderr);
          ok(/line 3, column \d+/.test(run.stderr), run.stderr);
        }
        assertUntouched(before, await snapshot(root), name);
      });
    });
  }
});

Deno.test("CRI-O: a runtime name that is not a DNS label is refused with exit 2", async () => {
  const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
  try {
    await copyNode("crio-packaged", root);
    const before = await snapshot(root);
    for (const flags of [["--nvidia-runtime-name=nvidia.cdi"], ["--runtime-name=Nvidia=/x"]]) {
      for (const inPlace of [false, true]) {
        assertOneLine(await crio("configure", hostRoot(root, inPlace), flags), 2, `${flags}`);
      }
    }
    assertUntouched(before, await snapshot(root), "refused names");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
