/**
 * Issue 12 for containerd: rtconf plans, verifies and checks against the
 * configuration containerd really uses (the main config and what it
 * imports, merged as each release merges them), not the one file it edits.
 * Judged by the real `containerd config dump` of 1.6, 1.7 and 2.1, each where
 * it reads the config's version, run from `/` as systemd runs containerd.
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { fixture, rtconf, rtconfOk } from "./_helpers.ts";
import {
  assertOneLine,
  assertSameBytes,
  assertUntouched,
  at,
  binary,
  containerdArgs,
  type ContainerdCase,
  containerdRoundTrip,
  copyNode,
  cri,
  differences,
  dump,
  dumpRun,
  type Judged,
  readers,
  RUNTIME_PATH,
  SERIES,
  snapshot,
  type Table,
  TOML_11,
  withRoot,
} from "./_effective.ts";

const CONFIG = "etc/containerd/config.toml";
const CONF_D = "etc/containerd/conf.d";
const V2 = '"io.containerd.grpc.v1.cri"';

/** The main config, the drop-in dir and the default drop-in of a root. */
function paths(root: string) {
  return {
    config: join(root, CONFIG),
    confD: join(root, CONF_D),
    dropIn: join(root, CONF_D, "99-nvidia.toml"),
  };
}

/** Both modes: the drop-in (default name) and in place. */
function modes(root: string): { name: string; dropIn: string }[] {
  return [
    { name: "drop-in", dropIn: paths(root).dropIn },
    { name: "in place", dropIn: "" },
  ];
}

/** The main config's `imports`, parsed. */
async function importsOf(config: string): Promise<unknown> {
  return (parse(await Deno.readTextFile(config)) as Table).imports;
}

function runtimeOf(judged: Judged, name: string, when: "before" | "after" = "after"): Table {
  return cri(judged[when].config).runtimes[name] ?? {};
}

// ---------------------------------------------------------------------------------------------
// 1. A version 2 node whose cgroup driver comes from a site drop-in.

const DEFAULT_17 = await fixture("containerd/default-1.7.toml");
const CGROUP_SITE = `version = 2

[plugins.${V2}.containerd.runtimes.runc.options]
  SystemdCgroup = true
`;

function cgroupNode(): Record<string, string> {
  return {
    [CONFIG]: DEFAULT_17.replace(/^imports = \[\]$/m, `imports = ["@ROOT@/${CONF_D}/*.toml"]`),
    [`${CONF_D}/10-cgroup.toml`]: CGROUP_SITE,
  };
}

Deno.test("1. a site drop-in's SystemdCgroup: nvidia gets it in 2.1, 1.x keeps all else", async (t) => {
  await t.step("drop-in", async () => {
    await withRoot(cgroupNode(), async (root) => {
      await containerdRoundTrip(
        {
          root,
          config: paths(root).config,
          dropIn: paths(root).dropIn,
          flags: ["--set-as-default"],
          defaultRuntime: "nvidia",
        },
        (judged) => {
          if (judged.series !== "2.1") return;
          equal(at(runtimeOf(judged, "runc"), "options", "SystemdCgroup"), true, "runc");
          equal(at(runtimeOf(judged, "nvidia"), "options", "SystemdCgroup"), true, "nvidia");
          equal(runtimeOf(judged, "nvidia").runtime_type, "io.containerd.runc.v2");
        },
      );
    });
  });

  await t.step("in place: containerd 1.x would lose it to 10-cgroup.toml: refused", async () => {
    await withRoot(cgroupNode(), async (root) => {
      const { config } = paths(root);
      const before = await snapshot(root);
      const run = await rtconf(
        "runtime",
        ...["configure", "--runtime=containerd", `--config=${config}`, "--drop-in-config="],
        "--set-as-default",
      );
      assertOneLine(run, 1, "in place");
      ok(run.stderr.includes(join(root, CONF_D, "10-cgroup.toml")), run.stderr);
      assertUntouched(before, await snapshot(root), "a refused configure");
    });
  });
});

Deno.test("1. the drop-in's copy of the CRI section follows the site's files on every run", async () => {
  await withRoot(cgroupNode(), async (root) => {
    const { config, dropIn } = paths(root);
    const c: ContainerdCase = { root, config, dropIn, flags: ["--set-as-default"] };
    const configure = () => rtconf("runtime", "configure", ...containerdArgs(c));
    equal((await configure()).status, 0);
    // The site changes its drop-in afterwards.
    const site = join(root, CONF_D, "10-cgroup.toml");
    await Deno.writeTextFile(
      site,
      `${CGROUP_SITE}\n[plugins.${V2}]\n  sandbox_image = "registry.example.internal/pause:3.9"\n`,
    );
    const edited = await snapshot(root);
    const run = await configure();
    equal(run.status, 0, run.stderr);
    for (const series of readers(2)) {
      const { config: merged } = await dump(series, config);
      const plugin = series === "2.1" ? "io.containerd.cri.v1.images" : "io.containerd.grpc.v1.cri";
      const key = series === "2.1" ? ["pinned_images", "sandbox"] : ["sandbox_image"];
      equal(
        at(merged, "plugins", plugin, ...key),
        "registry.example.internal/pause:3.9",
        `containerd ${series} uses the site's new sandbox image`,
      );
      equal(cri(merged).defaultRuntime, "nvidia", `containerd ${series}`);
    }
    equal((await rtconf("runtime", "unconfigure", ...containerdArgs(c))).status, 0);
    const after = await snapshot(root);
    delete edited["etc/containerd/conf.d/99-nvidia.toml"];
    assertSameBytes(edited, after, "unconfigure after the site's edit");
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The template: a GPU pool's runc-type default is one; Kata never is.

Deno.test("2. a GPU pool without runc: nvidia copies its default nvidia-container-runtime", async (t) => {
  for (const path of [RUNTIME_PATH, "/usr/local/nvidia/toolkit/nvidia-container-runtime"]) {
    for (const mode of ["drop-in", "in place"]) {
      await t.step(`${mode}, ${path}`, async () => {
        const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
        try {
          await copyNode("aks-gpu", root);
          const { config, dropIn } = paths(root);
          await containerdRoundTrip(
            {
              root,
              config,
              dropIn: mode === "drop-in" ? dropIn : "",
              flags: ["--set-as-default", `--nvidia-runtime-path=${path}`],
              runtimes: [{ name: "nvidia", path }],
              defaultRuntime: "nvidia",
            },
            (judged) => {
              const nvidia = runtimeOf(judged, "nvidia");
              equal(nvidia.runtime_type, "io.containerd.runc.v2", judged.series);
              equal(at(nvidia, "options", "SystemdCgroup"), true, `${judged.series}: copied`);
              // containerd 1.x never had a runc here; rtconf must not add one.
              if (judged.series !== "2.1") equal(runtimeOf(judged, "runc").runtime_type, undefined);
            },
          );
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      });
    }
  }
});

const KATA_ONLY = `version = 2

[plugins.${V2}.containerd]
  default_runtime_name = "kata"

  [plugins.${V2}.containerd.runtimes.kata]
    runtime_type = "io.containerd.kata.v2"
    privileged_without_host_devices = true
    pod_annotations = ["io.katacontainers.*"]

    [plugins.${V2}.containerd.runtimes.kata.options]
      ConfigPath = "/opt/kata/share/defaults/kata-containers/configuration.toml"
`;

/** Fails if the nvidia runtime took anything of Kata's. */
function notKata(judged: Judged): void {
  const nvidia = runtimeOf(judged, "nvidia");
  equal(nvidia.runtime_type, "io.containerd.runc.v2", judged.series);
  equal(at(nvidia, "options", "ConfigPath") ?? "", "", `${judged.series}: Kata's ConfigPath`);
  equal(nvidia.privileged_without_host_devices ?? false, false, judged.series);
  deepEqual(nvidia.pod_annotations ?? [], [], judged.series);
}

Deno.test("2. a Kata default is never the template: runc's settings, else a fixed block", async (t) => {
  for (const flags of [[], ["--set-as-default"]]) {
    for (const mode of ["drop-in", "in place"]) {
      await t.step(`kata + runc, ${mode} ${flags.join(" ")}`, async () => {
        const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
        try {
          await copyNode("kata-default", root);
          const { config, dropIn } = paths(root);
          await containerdRoundTrip(
            {
              root,
              config,
              dropIn: mode === "drop-in" ? dropIn : "",
              flags,
              defaultRuntime: flags.length ? "nvidia" : undefined,
            },
            (judged) => {
              notKata(judged);
              equal(at(runtimeOf(judged, "nvidia"), "options", "SystemdCgroup"), true, "runc's");
            },
          );
        } finally {
          await Deno.remove(root, { recursive: true });
        }
      });
      await t.step(`kata only, ${mode} ${flags.join(" ")}`, async () => {
        await withRoot({ [CONFIG]: KATA_ONLY }, async (root) => {
          const { config, dropIn } = paths(root);
          await containerdRoundTrip(
            {
              root,
              config,
              dropIn: mode === "drop-in" ? dropIn : "",
              flags,
              defaultRuntime: flags.length ? "nvidia" : undefined,
              // The fixed block's keys of containerd 1.x (see the version 3 test below).
              allowWarnings: /key="containerd runtimes nvidia (runtime_engine|runtime_root)"/,
            },
            notKata,
          );
        });
      });
    }
  }
});

Deno.test("a version 3 config without runc: the new runtime has no key containerd 2.1 ignores", async (t) => {
  const kata = KATA_ONLY.replace("version = 2", "version = 3").replaceAll(
    V2,
    '"io.containerd.cri.v1.runtime"',
  );
  for (const [name, text] of [["kata only", kata], ["empty", "version = 3\n"]]) {
    for (const mode of ["drop-in", "in place"]) {
      await t.step(`${name}, ${mode}`, async () => {
        await withRoot({ [CONFIG]: text }, async (root) => {
          const { config, dropIn } = paths(root);
          await containerdRoundTrip({ root, config, dropIn: mode === "drop-in" ? dropIn : "" });
        });
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 5. containerd 1.x's deprecated default_runtime table wins over default_runtime_name.

const V1_DEPRECATED = `# containerd 1.x, version 1 (no version key)
root = "/var/lib/containerd"

[plugins.cri]
  sandbox_image = "k8s.gcr.io/pause:3.2"

  [plugins.cri.containerd]
    snapshotter = "overlayfs"

    [plugins.cri.containerd.default_runtime]
      runtime_type = "io.containerd.runc.v1"

      [plugins.cri.containerd.default_runtime.options]
        SystemdCgroup = true
`;

const V2_DEPRECATED = `version = 2

[plugins.${V2}.containerd]
  default_runtime_name = "runc"

  [plugins.${V2}.containerd.default_runtime]
    runtime_type = "io.containerd.runc.v2"

    [plugins.${V2}.containerd.default_runtime.options]
      SystemdCgroup = true
`;

Deno.test("5. --set-as-default under a deprecated default_runtime table: refused, naming it", async (t) => {
  for (const [name, text] of [["version 1", V1_DEPRECATED], ["version 2", V2_DEPRECATED]]) {
    for (const mode of ["drop-in", "in place"]) {
      await t.step(`${name}, ${mode}`, async () => {
        await withRoot({ [CONFIG]: text }, async (root) => {
          const { config, dropIn } = paths(root);
          // What containerd 1.x's dump shows: the table is there, default_runtime_name is not it.
          for (const series of readers(name === "version 1" ? 1 : 2)) {
            if (series === "2.1") continue;
            const { config: merged } = await dump(series, config);
            equal(cri(merged).defaultRuntime, "default", `containerd ${series}`);
          }
          const before = await snapshot(root);
          const c = { root, config, dropIn: mode === "drop-in" ? dropIn : "" };
          for (const extra of [[], ["--check"]]) {
            const run = await rtconf(
              "runtime",
              "configure",
              ...containerdArgs(c),
              "--set-as-default",
              ...extra,
            );
            assertOneLine(run, 1, `${name} ${mode} ${extra.join(" ")}`);
            match(run.stderr, /^rtconf: (\S+): .*default_runtime\]/);
            equal(
              run.stderr.match(/^rtconf: (\S+):/)![1],
              config,
              `the line names the file that holds the deprecated table: ${run.stderr}`,
            );
            assertUntouched(before, await snapshot(root), "a refused configure");
          }
        });
      });
    }
  }
});

Deno.test("5. without --set-as-default the deprecated table stays the default; round trip", async () => {
  await withRoot({ [CONFIG]: V1_DEPRECATED }, async (root) => {
    const { config, dropIn } = paths(root);
    await containerdRoundTrip({ root, config, dropIn }, (judged) => {
      equal(cri(judged.after.config).defaultRuntime, "default", judged.series);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 6. A drop-in that is not *.toml is imported by its exact path.

const RUNC_SYSTEMD = `version = 2

[plugins.${V2}.containerd.runtimes.runc.options]
  SystemdCgroup = true
`;

Deno.test("6. --drop-in-config=conf.d/99-nvidia.conf: imported by its exact path, once", async (t) => {
  await t.step("no imports before", async () => {
    await withRoot({ [CONFIG]: RUNC_SYSTEMD }, async (root) => {
      const { config, confD } = paths(root);
      const dropIn = join(confD, "99-nvidia.conf");
      await containerdRoundTrip({ root, config, dropIn }, async () => {
        deepEqual(await importsOf(config), [dropIn]);
      });
    });
  });
  await t.step("beside an existing conf.d/*.toml import", async () => {
    const files = {
      [CONFIG]: RUNC_SYSTEMD.replace(
        "version = 2\n",
        `version = 2\nimports = ["@ROOT@/${CONF_D}/*.toml"]\n`,
      ),
      [`${CONF_D}/10-site.toml`]:
        `version = 2\n[plugins.${V2}]\n  sandbox_image = "example.com/pause:3.9"\n`,
    };
    await withRoot(files, async (root) => {
      const { config, confD } = paths(root);
      const dropIn = join(confD, "99-nvidia.conf");
      await containerdRoundTrip({
        root,
        config,
        dropIn,
        flags: ["--set-as-default"],
        defaultRuntime: "nvidia",
      }, async () => {
        deepEqual(await importsOf(config), [join(confD, "*.toml"), dropIn]);
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Files in the drop-in's directory that containerd does not load now must stay unloaded.

const UNLOADED: [string, (confD: string) => Promise<void>][] = [
  ["a version 3 file", (d) => Deno.writeTextFile(join(d, "50-v3.toml"), "version = 3\n")],
  ["a hidden version 3 file", (d) => Deno.writeTextFile(join(d, ".old.toml"), "version = 3\n")],
  ["an invalid TOML file", (d) => Deno.writeTextFile(join(d, "60-broken.toml"), "not = = toml\n")],
  ["a directory named *.toml", (d) => Deno.mkdir(join(d, "70-backup.toml"))],
  [
    "a dangling symlink *.toml",
    (d) => Deno.symlink("/nonexistent/80.toml", join(d, "80-gone.toml")),
  ],
];

Deno.test("7. configure never makes containerd load conf.d files it did not load before", async (t) => {
  for (const [name, make] of UNLOADED) {
    await t.step(name, async () => {
      await withRoot({ [CONFIG]: RUNC_SYSTEMD }, async (root) => {
        const { config, confD, dropIn } = paths(root);
        await Deno.mkdir(confD, { recursive: true });
        await make(confD);
        const status = await rtconf(
          "runtime",
          "status",
          "--runtime=containerd",
          `--config=${config}`,
          `--drop-in-config=${dropIn}`,
        );
        equal(
          status.status,
          0,
          `runtime status reads only what containerd loads: ${status.stderr}`,
        );
        await containerdRoundTrip({ root, config, dropIn }, async (judged) => {
          deepEqual(await importsOf(config), [dropIn], "the import is the drop-in's own path");
          if (judged.series === "1.7") {
            // Strict: 1.7 loads the config without a warning or an error.
            const run = await dumpRun("1.7", config);
            equal(run.code, 0, run.stderr);
            equal(run.stderr.trim(), "", "containerd 1.7 warns");
          }
        });
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// --config-source=command: the plan starts from containerd's own dump (nvidia-ctk's source).

Deno.test("--config-source=command: planned from the real containerd's config dump", async (t) => {
  const nodes: [string, () => Record<string, string>][] = [
    ["a minimal version 2 config", () => ({ [CONFIG]: RUNC_SYSTEMD })],
    ["the site cgroup drop-in node", cgroupNode],
  ];
  for (const [name, files] of nodes) {
    for (const series of SERIES) {
      for (const mode of ["drop-in", "in place"]) {
        if (mode === "in place" && name.startsWith("the site")) continue; // refused: see 1.
        await t.step(`${name}, containerd ${series}'s dump, ${mode}`, async () => {
          await withRoot(files(), async (root) => {
            const { config, dropIn } = paths(root);
            const wrapper = join(root, "usr/bin/containerd");
            await Deno.mkdir(join(root, "usr/bin"), { recursive: true });
            await Deno.writeTextFile(
              wrapper,
              `#!/bin/sh\nexec ${binary(series)} --config ${config} "$@"\n`,
            );
            await Deno.chmod(wrapper, 0o755);
            await containerdRoundTrip({
              root,
              config,
              dropIn: mode === "drop-in" ? dropIn : "",
              flags: [
                "--set-as-default",
                "--config-source=command",
                `--executable-path=${wrapper}`,
              ],
              defaultRuntime: "nvidia",
              // A copy of a 1.x dump holds every key 1.x knows; 2.1 ignores some (nvidia-ctk's too).
              allowWarnings: series === "2.1" ? undefined : /Ignoring unknown key/,
            });
          });
        });
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Files loaded after rtconf's own that override what was asked.

Deno.test("a site file loaded after the drop-in that sets the default: refused, naming it", async () => {
  const files = {
    [CONFIG]: `version = 3\nimports = ["@ROOT@/${CONF_D}/*.toml"]\n`,
    [`${CONF_D}/zz-default.toml`]:
      `version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd]\n  default_runtime_name = "runc"\n`,
  };
  await withRoot(files, async (root) => {
    const { config, dropIn } = paths(root);
    const before = await snapshot(root);
    for (const extra of [[], ["--check"]]) {
      const run = await rtconf(
        "runtime",
        "configure",
        ...containerdArgs({ root, config, dropIn }),
        "--set-as-default",
        ...extra,
      );
      assertOneLine(run, 1, extra.join(" ") || "configure");
      ok(run.stderr.includes(join(root, CONF_D, "zz-default.toml")), run.stderr);
      assertUntouched(before, await snapshot(root), "a refused configure");
    }
  });
});

Deno.test("a file a conf.d file imports loads after the drop-in (breadth-first): refused", async () => {
  const files = {
    [CONFIG]: `version = 3\nimports = ["@ROOT@/${CONF_D}/*.toml"]\n`,
    [`${CONF_D}/10-site.toml`]: `version = 3\nimports = ["@ROOT@/etc/containerd/extra.toml"]\n`,
    "etc/containerd/extra.toml":
      `version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd]\n  default_runtime_name = "runc"\n`,
  };
  await withRoot(files, async (root) => {
    const { config, dropIn } = paths(root);
    equal(cri((await dump("2.1", config)).config).defaultRuntime, "runc");
    const before = await snapshot(root);
    const run = await rtconf(
      "runtime",
      "configure",
      ...containerdArgs({ root, config, dropIn }),
      "--set-as-default",
    );
    assertOneLine(run, 1, "configure");
    ok(run.stderr.includes(join(root, "etc/containerd/extra.toml")), run.stderr);
    assertUntouched(before, await snapshot(root), "a refused configure");
  });
});

// ---------------------------------------------------------------------------------------------
// Mixed versions under containerd 2.x: the last file's version decides the whole.

Deno.test("a version 3 node with a version 2 site file: 2.1 keeps the site's settings", async () => {
  const files = {
    [CONFIG]: (await fixture("containerd/default-2.1.toml"))
      .replace(/^imports = \[\]$/m, `imports = ['@ROOT@/${CONF_D}/*.toml']`),
    [`${CONF_D}/20-site.toml`]: `# written for containerd 1.7, kept after the upgrade
version = 2

[plugins.${V2}]
  sandbox_image = "registry.example.internal/pause:3.9"

[plugins.${V2}.registry]
  config_path = "/etc/containerd/certs.d"
`,
  };
  for (const mode of ["drop-in", "in place"]) {
    await withRoot(files, async (root) => {
      const { config, dropIn } = paths(root);
      await containerdRoundTrip({
        root,
        config,
        dropIn: mode === "drop-in" ? dropIn : "",
        flags: ["--set-as-default"],
        defaultRuntime: "nvidia",
      });
    });
  }
});

Deno.test("a version 2 node that already loads a version 3 file: no silent change, no internal error", async () => {
  // containerd 2.1 takes the last file's version: 3 here, so it ignores the main config's
  // version 2 CRI section; a version 2 drop-in loaded last would bring that section back.
  const files = {
    [CONFIG]: `version = 2
imports = ["@ROOT@/${CONF_D}/*.toml"]

[plugins.${V2}]
  sandbox_image = "registry.example.internal/pause:3.9"

[plugins.${V2}.containerd.runtimes.runc.options]
  SystemdCgroup = true
`,
    [`${CONF_D}/10-v3.toml`]:
      `version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n`,
  };
  await withRoot(files, async (root) => {
    const { config, dropIn } = paths(root);
    const before = await snapshot(root);
    const was = await dump("2.1", config);
    const run = await rtconf("runtime", "configure", ...containerdArgs({ root, config, dropIn }));
    if (run.status === 0) {
      const now = await dump("2.1", config);
      const settings = cri(now.config);
      equal(at(settings.runtimes.nvidia, "options", "BinaryName"), RUNTIME_PATH);
      const changed = differences(was.config, now.config, [
        ["imports"],
        [...settings.path, "runtimes", "nvidia"],
      ]);
      deepEqual(changed, [], `containerd 2.1: other settings changed:\n${changed.join("\n")}`);
    } else {
      // Or a refusal that says why: not a request for a bug report.
      assertOneLine(run, 1, "configure");
      ok(!run.stderr.includes("internal error"), run.stderr);
      assertUntouched(before, await snapshot(root), "a refused configure");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Relative imports: containerd 1.6.0-1.6.28 and 1.7.0-1.7.15 glob them against the cwd (/).

Deno.test("a relative conf.d/*.toml import: containerd 1.6.20 run from / loads the drop-in too", async () => {
  const files = {
    [CONFIG]: RUNC_SYSTEMD.replace("version = 2\n", 'version = 2\nimports = ["conf.d/*.toml"]\n'),
  };
  await withRoot(files, async (root) => {
    const { config, dropIn } = paths(root);
    await containerdRoundTrip({ root, config, dropIn });
  });
});

// ---------------------------------------------------------------------------------------------
// Real-looking nodes, through configure and unconfigure, judged by the real dumps.

interface NodeCase {
  node: string;
  flags: string[];
  runtimes?: { name: string; path: string }[];
  defaultRuntime?: string;
  /** The file that makes rtconf refuse in place (containerd 1.x would lose the runtime). */
  refusedInPlace?: string;
  judge?: (judged: Judged) => void;
}

const ALL = [
  { name: "nvidia", path: RUNTIME_PATH },
  { name: "nvidia-cdi", path: `${RUNTIME_PATH}.cdi` },
  { name: "nvidia-legacy", path: `${RUNTIME_PATH}.legacy` },
];

const NODES: NodeCase[] = [
  { node: "aks-gpu", flags: [] },
  {
    node: "aks-gpu",
    flags: ["--all-nvidia-runtimes", "--set-as-default"],
    runtimes: ALL,
    defaultRuntime: "nvidia",
  },
  {
    node: "eks-gpu",
    flags: ALL.slice(1).map(({ name, path }) => `--runtime-name=${name}=${path}`),
    runtimes: ALL.slice(1),
    judge: (judged) => {
      for (const { name } of ALL.slice(1)) {
        const table = runtimeOf(judged, name);
        equal(table.base_runtime_spec, "/etc/containerd/base-runtime-spec.json", name);
        equal(at(table, "options", "SystemdCgroup"), true, name);
      }
    },
  },
  {
    node: "gke-gpu",
    flags: ["--set-as-default"],
    defaultRuntime: "nvidia",
    judge: (judged) => {
      equal(at(runtimeOf(judged, "nvidia"), "options", "SystemdCgroup"), true, judged.series);
      equal(at(runtimeOf(judged, "nvidia"), "options", "TypeUrl") ?? "", "", "not gVisor's");
    },
  },
  { node: "gke-gpu", flags: ["--all-nvidia-runtimes"], runtimes: ALL },
  { node: "kata-default", flags: ["--set-as-default"], defaultRuntime: "nvidia", judge: notKata },
  { node: "site-mirrors-v2", flags: [], refusedInPlace: `${CONF_D}/50-mirrors.toml` },
  {
    node: "site-mirrors-v2",
    flags: ["--set-as-default"],
    defaultRuntime: "nvidia",
    refusedInPlace: `${CONF_D}/50-mirrors.toml`,
    judge: (judged) => {
      const mirrors = judged.series === "2.1"
        ? ["io.containerd.cri.v1.images", "registry", "mirrors", "docker.io", "endpoint"]
        : ["io.containerd.grpc.v1.cri", "registry", "mirrors", "docker.io", "endpoint"];
      deepEqual(at(judged.after.config, "plugins", ...mirrors), [
        "https://mirror.corp.example:5000",
        "https://registry-1.docker.io",
      ]);
    },
  },
  {
    node: "site-registry-v3",
    flags: ["--set-as-default"],
    defaultRuntime: "nvidia",
    judge: (judged) => {
      equal(at(runtimeOf(judged, "nvidia"), "options", "SystemdCgroup"), true, "from conf.d");
      equal(
        at(
          judged.after.config,
          "plugins",
          "io.containerd.cri.v1.images",
          "registry",
          "config_path",
        ),
        "/etc/containerd/certs.d",
      );
    },
  },
];

for (const c of NODES) {
  Deno.test(`node ${c.node} ${c.flags.join(" ")}`.trimEnd(), async (t) => {
    const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
    try {
      for (const mode of modes(root)) {
        await t.step(mode.name, async () => {
          await Deno.remove(root, { recursive: true });
          await Deno.mkdir(root);
          await copyNode(c.node, root);
          const { config } = paths(root);
          if (mode.dropIn === "" && c.refusedInPlace) {
            const before = await snapshot(root);
            const run = await rtconf(
              "runtime",
              "configure",
              ...containerdArgs({ root, config, dropIn: "", flags: c.flags }),
            );
            assertOneLine(run, 1, "in place");
            ok(run.stderr.includes(join(root, c.refusedInPlace)), run.stderr);
            assertUntouched(before, await snapshot(root), "a refused configure");
            return;
          }
          await containerdRoundTrip(
            {
              root,
              config,
              dropIn: mode.dropIn,
              flags: c.flags,
              runtimes: c.runtimes,
              defaultRuntime: c.defaultRuntime,
            },
            c.judge,
          );
        });
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("an EKS-like node whose nvidia is already the default: nothing to do", async (t) => {
  for (const mode of ["drop-in", "in place"]) {
    await t.step(mode, async () => {
      const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
      try {
        await copyNode("eks-gpu", root);
        const { config, dropIn } = paths(root);
        const c = { root, config, dropIn: mode === "drop-in" ? dropIn : "" };
        const original = await snapshot(root);
        const check = await rtconf(
          "runtime",
          "configure",
          ...containerdArgs(c),
          "--set-as-default",
          "--check",
        );
        equal(check.status, 0, `--check: the effective config holds it already: ${check.stderr}`);
        const run = await rtconf("runtime", "configure", ...containerdArgs(c), "--set-as-default");
        equal(run.status, 0, run.stderr);
        assertUntouched(original, await snapshot(root), "configure with nothing to do");
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  }
});

Deno.test("an EKS-like node: unconfigure after configure --set-as-default does not fail", async () => {
  const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
  try {
    await copyNode("eks-gpu", root);
    const { config, dropIn } = paths(root);
    const c = { root, config, dropIn, flags: ["--set-as-default"] };
    equal((await rtconf("runtime", "configure", ...containerdArgs(c))).status, 0);
    const run = await rtconf("runtime", "unconfigure", ...containerdArgs(c));
    equal(run.status, 0, run.stderr);
    ok(!run.stderr.includes("internal error"), run.stderr);
    // What rtconf added is gone: no drop-in, no import, no note.
    const after = await Deno.readTextFile(config);
    ok(!after.includes("rtconf"), after);
    equal(await Deno.stat(dropIn).then(() => true, () => false), false, "the drop-in is removed");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Names and TOML 1.1: refused before anything is written.

Deno.test("a runtime name that is not a DNS label is refused with exit 2", async () => {
  await withRoot({ [CONFIG]: RUNC_SYSTEMD }, async (root) => {
    const { config, dropIn } = paths(root);
    const before = await snapshot(root);
    for (const flags of [["--nvidia-runtime-name=nvidia.cdi"], ["--runtime-name=nvidia.cdi=/x"]]) {
      for (const engine of ["containerd", "crio"]) {
        const run = await rtconf(
          "runtime",
          "configure",
          `--runtime=${engine}`,
          `--config=${engine === "crio" ? join(root, "etc/crio/crio.conf") : config}`,
          `--drop-in-config=${
            engine === "crio" ? join(root, "etc/crio/crio.conf.d/99.toml") : dropIn
          }`,
          ...flags,
        );
        assertOneLine(run, 2, `${engine} ${flags}`);
        ok(run.stderr.includes('"nvidia.cdi"'), run.stderr);
      }
    }
    assertUntouched(before, await snapshot(root), "refused names");
  });
});

Deno.test("TOML 1.1 input is refused with its line and column, nothing written", async (t) => {
  for (const [name, construct] of TOML_11) {
    await t.step(`${name}, main config`, async () => {
      await withRoot({ [CONFIG]: `version = 2\n[debug]\n${construct}\n` }, async (root) => {
        const { config, dropIn } = paths(root);
        const before = await snapshot(root);
        for (const drop of [dropIn, ""]) {
          const run = await rtconf(
            "runtime",
            "configure",
            ...containerdArgs({ root, config, dropIn: drop }),
          );
          assertOneLine(run, 1, name);
          match(run.stderr, new RegExp(`^rtconf: ${config}: .*line 3, column \\d+`));
        }
        assertUntouched(before, await snapshot(root), name);
      });
    });
    await t.step(`${name}, an imported site file`, async () => {
      const files = {
        [CONFIG]: `version = 2\nimports = ["@ROOT@/${CONF_D}/*.toml"]\n`,
        [`${CONF_D}/10-site.toml`]: `version = 2\n[debug]\n${construct}\n`,
      };
      await withRoot(files, async (root) => {
        const { config, dropIn } = paths(root);
        const before = await snapshot(root);
        const run = await rtconf(
          "runtime",
          "configure",
          ...containerdArgs({ root, config, dropIn }),
        );
        assertOneLine(run, 1, name);
        match(
          run.stderr,
          new RegExp(`^rtconf: ${join(root, CONF_D)}/10-site.toml: .*line 3, column \\d+`),
        );
        assertUntouched(before, await snapshot(root), name);
      });
    });
  }
});

Deno.test("a version 2 config whose default is 1.x's deprecated default_runtime table: nvidia copies it", async () => {
  const deprecated = `version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.default_runtime]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.default_runtime.options]
  SystemdCgroup = true
`;
  await withRoot({ [CONFIG]: deprecated }, async (root) => {
    const { config, dropIn } = paths(root);
    await rtconfOk("runtime", "configure", ...containerdArgs({ root, config, dropIn }));
    for (const series of ["1.6", "1.7"] as const) {
      const { config: merged } = await dump(series, config);
      const nvidia = cri(merged).runtimes.nvidia;
      equal(at(nvidia, "options", "SystemdCgroup"), true, `containerd ${series}`);
    }
  });
});
