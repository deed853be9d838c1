/**
 * Undo only what rtconf did: what was on the node before rtconf came is the
 * operator's, records that are no longer true are dropped, directories rtconf
 * created go with its files, and a node migrated from nvidia-ctk stays
 * runnable. Judged by the real containerd's `config dump` and `dockerd
 * --validate`; CRI-O by its merge rules (tests/_effective.ts).
 */
import { installerSetup } from "../lib/cli/installer_env.ts";
import { parse as parseYaml } from "npm:yaml@2.9.1";
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { parse } from "smol-toml";
import {
  assertOneLine,
  assertSameBytes,
  assertUntouched,
  at,
  containerdArgs,
  containerdRoundTrip,
  copyNode,
  cri,
  crioEffective,
  differences,
  dump,
  readers,
  RUNTIME_PATH,
  type Series,
  snapshot,
  type Table,
  texts,
  versionOf,
  withRoot,
} from "./_effective.ts";
import { dockerdValidate, loadEngines } from "./_engines.ts";
import { rtconf, rtconfOk } from "./_helpers.ts";

const CONFIG = "etc/containerd/config.toml";
const DROP_IN = "etc/containerd/conf.d/99-nvidia.toml";
const TOOLKIT = "/usr/local/nvidia/toolkit/nvidia-container-runtime";

const engines = await loadEngines();
const DOCKERD = engines.dockerd["28"];
if (!DOCKERD) throw new Error("dockerd 28 is missing: run bash scripts/fetch-engines.sh");

/** Fails unless dockerd accepts the file. */
async function dockerAccepts(path: string): Promise<void> {
  const { ok: valid, output } = await dockerdValidate(DOCKERD.bin, path);
  ok(valid, `dockerd rejects ${path}: ${output}`);
}

/**
 * Every directory and file under `root`, relative, sorted (directories end in `/`); rtconf's
 * own state on a host (`run/rtconf`, `var/lib/rtconf`, and the `run` and `var` a test root
 * lacked) is not part of the node's configuration.
 */
async function tree(root: string): Promise<string[]> {
  const state = /^(?:run\/(?:rtconf\/.*)?|var\/(?:lib\/(?:rtconf\/.*)?)?)$/;
  return (await everything(root)).filter((path) => !state.test(path));
}

/** Every directory and file under `root`, relative, sorted (directories end in `/`). */
async function everything(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string, prefix: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory) {
        found.push(`${path}/`);
        await walk(join(at, entry.name), `${path}/`);
      } else {
        found.push(path);
      }
    }
  };
  await walk(root, "");
  return found.sort();
}

/** The containerd flags for a root, in place or with the drop-in. */
function containerdCase(root: string, mode: string, flags: string[] = []) {
  return {
    root,
    config: join(root, CONFIG),
    dropIn: mode === "drop-in" ? join(root, DROP_IN) : "",
    flags,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. A node its distribution configured for NVIDIA already.

const DISTRO = `version = 2

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "nvidia"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
  BinaryName = "${TOOLKIT}"
  SystemdCgroup = true
`;

Deno.test("1. a distribution's nvidia runtime: configure notes the old path, unconfigure puts it back", async (t) => {
  for (const mode of ["in place", "drop-in"]) {
    await t.step(mode, async () => {
      await withRoot({ [CONFIG]: DISTRO }, async (root) => {
        const c = {
          ...containerdCase(root, mode, ["--set-as-default"]),
          defaultRuntime: "nvidia",
        };
        // Judged by every containerd that reads it; unconfigure gives back every byte.
        await containerdRoundTrip(c, ({ after }) => {
          const nvidia = cri(after.config).runtimes.nvidia;
          equal(at(nvidia, "options", "SystemdCgroup"), true, "the operator's setting stays");
        });
        const text = await Deno.readTextFile(join(root, CONFIG));
        equal(text, DISTRO, "unconfigure gives back the distribution's file");
      });
    });
  }
});

Deno.test("1. in place: the changed path carries a note of the old one, and SystemdCgroup stays", async () => {
  await withRoot({ [CONFIG]: DISTRO }, async (root) => {
    const c = containerdCase(root, "in place", ["--set-as-default"]);
    await rtconfOk("runtime", "configure", ...containerdArgs(c));
    const text = await Deno.readTextFile(join(root, CONFIG));
    match(text, new RegExp(`BinaryName = "${RUNTIME_PATH}" # rtconf: was "${TOOLKIT}"`));
    for (const series of readers(2)) {
      const nvidia = cri((await dump(series, c.config)).config).runtimes.nvidia;
      equal(at(nvidia, "options", "BinaryName"), RUNTIME_PATH, series);
      equal(at(nvidia, "options", "SystemdCgroup"), true, series);
    }
    await rtconfOk("runtime", "unconfigure", ...containerdArgs(c));
    equal(await Deno.readTextFile(join(root, CONFIG)), DISTRO);
  });
});

// ---------------------------------------------------------------------------------------------
// 2 and 4. Docker: a hand-written nvidia entry and default are the operator's.

const DOCKER = "etc/docker/daemon.json";
const HAND_WRITTEN = `{
  "default-runtime": "nvidia",
  "runtimes": {
    "nvidia": {
      "path": "nvidia-container-runtime",
      "runtimeArgs": ["--debug"]
    }
  }
}
`;

Deno.test("2. Docker: a hand-written nvidia runtime and default survive configure and unconfigure", async () => {
  await withRoot({ [DOCKER]: HAND_WRITTEN }, async (root) => {
    const args = ["--runtime=docker", `--config=${join(root, DOCKER)}`];
    for (const flags of [["--set-as-default"], []]) {
      const before = await snapshot(root);
      const run = await rtconfOk("runtime", "configure", ...args, ...flags);
      match(run.stderr, /no changes/);
      assertUntouched(before, await snapshot(root), `configure ${flags}`);
      await rtconfOk("runtime", "unconfigure", ...args, ...flags);
      assertUntouched(before, await snapshot(root), `unconfigure ${flags}`);
      await dockerAccepts(join(root, DOCKER));
    }
  });
});

Deno.test("4. Docker: without --set-as-default, a default nvidia is left alone (as nvidia-ctk does)", async () => {
  const text = '{\n  "default-runtime": "nvidia"\n}\n';
  await withRoot({ [DOCKER]: text }, async (root) => {
    const args = ["--runtime=docker", `--config=${join(root, DOCKER)}`];
    await rtconfOk("runtime", "configure", ...args);
    const configured = JSON.parse(await Deno.readTextFile(join(root, DOCKER)));
    equal(configured["default-runtime"], "nvidia");
    equal(configured.runtimes.nvidia.path, "nvidia-container-runtime");
    await dockerAccepts(join(root, DOCKER));
    await rtconfOk("runtime", "unconfigure", ...args);
    equal(await Deno.readTextFile(join(root, DOCKER)), text);
    deepEqual(await tree(root), ["etc/", "etc/docker/", "etc/docker/daemon.json"]);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. A file that was there before rtconf stays, with its bytes.

Deno.test("3. an empty config edited in place comes back empty, not removed", async (t) => {
  const cases: [string, string, string[]][] = [
    ["containerd", CONFIG, ["--runtime=containerd", "--drop-in-config="]],
    ["CRI-O", "etc/crio/crio.conf", ["--runtime=crio", "--drop-in-config="]],
    ["Docker", DOCKER, ["--runtime=docker"]],
    ["podman", "etc/containers/containers.conf", ["--runtime=podman", "--drop-in-config="]],
  ];
  for (const [name, path, flags] of cases) {
    for (const text of ["", "\n", ...(name === "Docker" ? ["{}\n", "{ }", "{}"] : ["# site\n"])]) {
      await t.step(`${name} ${JSON.stringify(text)}`, async () => {
        await withRoot({ [path]: text }, async (root) => {
          const args = [...flags, `--config=${join(root, path)}`, "--set-as-default"];
          await rtconfOk("runtime", "configure", ...args);
          ok((await Deno.readTextFile(join(root, path))).includes("nvidia"));
          if (name === "Docker") await dockerAccepts(join(root, path));
          await rtconfOk("runtime", "unconfigure", ...args);
          equal(await Deno.readTextFile(join(root, path)), text);
          deepEqual(await tree(root), [...new Set(ancestors(path)), path].sort());
        });
      });
    }
  }
});

/** `a/b/c` → `["a/", "a/b/"]`. */
function ancestors(path: string): string[] {
  const parts = path.split("/").slice(0, -1);
  return parts.map((_, i) => `${parts.slice(0, i + 1).join("/")}/`);
}

// ---------------------------------------------------------------------------------------------
// 5. A Docker record that is no longer true is dropped.

Deno.test("5. Docker: the operator's default after configure is not replaced by a stale record", async () => {
  const text =
    '{\n  "default-runtime": "sysbox-runc",\n  "runtimes": {\n    "sysbox-runc": {\n      "path": "/usr/bin/sysbox-runc"\n    }\n  }\n}\n';
  await withRoot({ [DOCKER]: text }, async (root) => {
    const path = join(root, DOCKER);
    const args = ["--runtime=docker", `--config=${path}`, "--set-as-default"];
    await rtconfOk("runtime", "configure", ...args);
    equal(JSON.parse(await Deno.readTextFile(path))["default-runtime"], "nvidia");
    // The operator picks runc by hand.
    await Deno.writeTextFile(
      path,
      (await Deno.readTextFile(path)).replace(
        '"default-runtime": "nvidia"',
        '"default-runtime": "runc"',
      ),
    );
    const undo = await rtconfOk("runtime", "unconfigure", ...args);
    match(undo.stderr, /warning: .*default-runtime/);
    equal(JSON.parse(await Deno.readTextFile(path))["default-runtime"], "runc");
    await rtconfOk("runtime", "configure", ...args);
    await rtconfOk("runtime", "unconfigure", ...args);
    const after = JSON.parse(await Deno.readTextFile(path));
    equal(after["default-runtime"], "runc", "the record of the second configure: runc");
    ok(!("nvidia" in after.runtimes));
    await dockerAccepts(path);
    deepEqual(await tree(root), ["etc/", "etc/docker/", "etc/docker/daemon.json"]);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. A node nvidia-ctk configured: rtconf takes its drop-in over and never leaves it runtime-less.

const NVIDIA_CTK_DROP_IN = `version = 2

[plugins]

  [plugins."io.containerd.grpc.v1.cri"]

    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "nvidia"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
          privileged_without_host_devices = false
          runtime_engine = ""
          runtime_root = ""
          runtime_type = "io.containerd.runc.v2"

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
            BinaryName = "/usr/bin/nvidia-container-runtime"
`;

const IMPORTS_CONF_D = `version = 2
imports = ["@ROOT@/etc/containerd/conf.d/*.toml"]

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
`;

Deno.test("6. nvidia-ctk's drop-in: unconfigure removes it and every containerd keeps a runnable runc", async () => {
  await withRoot({ [CONFIG]: IMPORTS_CONF_D, [DROP_IN]: NVIDIA_CTK_DROP_IN }, async (root) => {
    const c = containerdCase(root, "drop-in", ["--set-as-default"]);
    const main = await Deno.readTextFile(c.config);
    for (const series of readers(2)) {
      equal(cri((await dump(series, c.config)).config).defaultRuntime, "nvidia", series);
    }
    await rtconfOk("runtime", "unconfigure", ...containerdArgs(c));
    equal(await Deno.readTextFile(c.config), main, "the site's imports stay");
    deepEqual(await tree(join(root, "etc/containerd")), ["conf.d/", "config.toml"]);
    for (const series of readers(2)) {
      const settings = cri((await dump(series, c.config)).config);
      equal(settings.defaultRuntime, "runc", series);
      ok(settings.runtimes.runc, `containerd ${series} has runc`);
      ok(!settings.runtimes.nvidia, `containerd ${series} has no nvidia`);
    }
  });
});

Deno.test("6. nvidia-ctk's drop-in: configure takes it over as rtconf's, unconfigure then removes it", async () => {
  await withRoot({ [CONFIG]: IMPORTS_CONF_D, [DROP_IN]: NVIDIA_CTK_DROP_IN }, async (root) => {
    const c = containerdCase(root, "drop-in", ["--set-as-default"]);
    const before = Object.fromEntries(
      await Promise.all(readers(2).map(async (s) => [s, (await dump(s, c.config)).config])),
    );
    await rtconfOk("runtime", "configure", ...containerdArgs(c));
    match(await Deno.readTextFile(c.dropIn), /^# Written by rtconf/);
    for (const series of readers(2)) {
      const now = cri((await dump(series, c.config)).config);
      equal(now.defaultRuntime, "nvidia", series);
      equal(at(now.runtimes.nvidia, "options", "BinaryName"), RUNTIME_PATH, series);
      // nvidia-ctk's drop-in replaced the whole CRI section for 1.x and hid the site's runc;
      // rtconf's carries the site's section, so runc is back. Everything else stays.
      equal(at(now.runtimes.runc, "runtime_type"), "io.containerd.runc.v2", series);
      const ignore = [["imports"], [
        "plugins",
        "io.containerd.grpc.v1.cri",
        "containerd",
        "runtimes",
        "runc",
      ]];
      const changed = differences(before[series], (await dump(series, c.config)).config, ignore);
      deepEqual(changed, [], `${series}: ${changed.join("\n")}`);
    }
    await rtconfOk("runtime", "unconfigure", ...containerdArgs(c));
    equal(await Deno.stat(c.dropIn).then(() => true, () => false), false);
  });
});

Deno.test("6. nvidia-ctk's drop-in: a runtime not asked for stays exactly as nvidia-ctk wrote it", async () => {
  const cdi = `
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia-cdi]
          privileged_without_host_devices = true
          runtime_type = "io.containerd.runc.v2"

          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia-cdi.options]
            BinaryName = "/usr/bin/nvidia-container-runtime.cdi"
            SystemdCgroup = true
`;
  await withRoot(
    { [CONFIG]: IMPORTS_CONF_D, [DROP_IN]: NVIDIA_CTK_DROP_IN + cdi },
    async (root) => {
      const c = containerdCase(root, "drop-in");
      const run = await rtconfOk("runtime", "configure", ...containerdArgs(c));
      match(run.stderr, /nvidia-ctk's drop-in, taken over by rtconf/);
      for (const series of readers(2)) {
        const kept = cri((await dump(series, c.config)).config).runtimes["nvidia-cdi"];
        equal(at(kept, "privileged_without_host_devices"), true, series);
        equal(at(kept, "options", "SystemdCgroup"), true, series);
        equal(at(kept, "options", "BinaryName"), "/usr/bin/nvidia-container-runtime.cdi", series);
      }
    },
  );
});

Deno.test("6. a file at the drop-in path that neither rtconf nor nvidia-ctk wrote is refused", async () => {
  const site =
    '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n[debug]\n  level = "info"\n';
  const crioSite = '[crio.image]\npause_image = "registry.k8s.io/pause:3.10"\n';
  const cases: [string, Record<string, string>, string[]][] = [
    ["containerd", { [CONFIG]: IMPORTS_CONF_D, [DROP_IN]: site }, [
      "--runtime=containerd",
      "--config=@ROOT@/" + CONFIG,
      "--drop-in-config=@ROOT@/" + DROP_IN,
    ]],
    ["CRI-O", { "etc/crio/crio.conf.d/99-nvidia.toml": crioSite }, [
      "--runtime=crio",
      "--host-root=@ROOT@",
    ]],
  ];
  for (const [name, files, flags] of cases) {
    await withRoot(files, async (root) => {
      const before = await snapshot(root);
      for (const verb of ["configure", "unconfigure"]) {
        const run = await rtconf("runtime", verb, ...flags.map((f) => f.replace("@ROOT@", root)));
        assertOneLine(run, 1, `${name} ${verb}`);
        match(run.stderr, /holds settings that neither rtconf nor nvidia-ctk writes/);
      }
      assertUntouched(before, await snapshot(root), name);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 7. A runtime of the node's that is not NVIDIA's is never taken over.

Deno.test("7. --nvidia-runtime-name=runc is refused by every engine; nothing is written", async (t) => {
  const cases: [string, Record<string, string>, string[]][] = [
    ["containerd", { [CONFIG]: IMPORTS_CONF_D.replace(/^imports.*\n/m, "") }, [
      "--runtime=containerd",
    ]],
    ["CRI-O", {
      "etc/crio/crio.conf": '[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\n',
    }, ["--runtime=crio"]],
    ["Docker", {
      [DOCKER]: '{\n  "runtimes": {\n    "runc": {\n      "path": "/usr/bin/runc"\n    }\n  }\n}\n',
    }, ["--runtime=docker"]],
    // podman's built-in runc, which no file names.
    ["podman", { "etc/hostname": "node\n" }, ["--runtime=podman"]],
  ];
  for (const [name, files, flags] of cases) {
    await t.step(name, async () => {
      await withRoot(files, async (root) => {
        const before = await snapshot(root);
        const run = await rtconf(
          "runtime",
          "configure",
          ...flags,
          `--host-root=${root}`,
          "--nvidia-runtime-name=runc",
          "--set-as-default",
        );
        assertOneLine(run, 1, name);
        match(run.stderr, /runtime runc runs .*, not an NVIDIA runtime/);
        assertUntouched(before, await snapshot(root), name);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 10 and 11. Links stay; directories rtconf created go when they are empty.

Deno.test("10. a symlinked config whose target rtconf created: the target goes, the link stays", async () => {
  await withRoot({}, async (root) => {
    await Deno.mkdir(join(root, "etc/containerd"), { recursive: true });
    await Deno.mkdir(join(root, "srv"));
    await Deno.symlink("../../srv/containerd.toml", join(root, CONFIG));
    const args = ["--runtime=containerd", `--host-root=${root}`, "--drop-in-config="];
    await rtconfOk("runtime", "configure", ...args);
    match(await Deno.readTextFile(join(root, "srv/containerd.toml")), /runtimes\.nvidia\]/);
    await rtconfOk("runtime", "unconfigure", ...args);
    equal(await Deno.readLink(join(root, CONFIG)), "../../srv/containerd.toml");
    deepEqual(await tree(root), ["etc/", "etc/containerd/", "etc/containerd/config.toml", "srv/"]);
  });
});

Deno.test("11. unconfigure removes the directories configure created, and only when empty", async (t) => {
  for (const engine of ["containerd", "crio", "podman"]) {
    await t.step(`${engine}: nothing left`, async () => {
      await withRoot({ "etc/hostname": "node\n" }, async (root) => {
        const args = [`--runtime=${engine}`, `--host-root=${root}`];
        await rtconfOk("runtime", "configure", ...args);
        ok((await tree(root)).length > 2);
        await rtconfOk("runtime", "unconfigure", ...args);
        deepEqual(await tree(root), ["etc/", "etc/hostname"]);
      });
    });
  }
  await t.step(
    "a created directory that gained an operator's file stays, with the file",
    async () => {
      await withRoot({ "etc/hostname": "node\n" }, async (root) => {
        const args = ["--runtime=containerd", `--host-root=${root}`];
        await rtconfOk("runtime", "configure", ...args);
        await Deno.writeTextFile(join(root, "etc/containerd/conf.d/50-site.conf"), "# site\n");
        await rtconfOk("runtime", "unconfigure", ...args);
        deepEqual(await tree(root), [
          "etc/",
          "etc/containerd/",
          "etc/containerd/conf.d/",
          "etc/containerd/conf.d/50-site.conf",
          "etc/hostname",
        ]);
      });
    },
  );
  await t.step("a directory that was there before stays, even empty", async () => {
    await withRoot({ "etc/hostname": "node\n" }, async (root) => {
      await Deno.mkdir(join(root, "etc/crio/crio.conf.d"), { recursive: true });
      const args = ["--runtime=crio", `--host-root=${root}`];
      await rtconfOk("runtime", "configure", ...args);
      await rtconfOk("runtime", "unconfigure", ...args);
      deepEqual(await tree(root), ["etc/", "etc/crio/", "etc/crio/crio.conf.d/", "etc/hostname"]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Configure, then the operator edits, then unconfigure: only rtconf's part goes.

/** One engine and mode: the files, the flags, and an operator's edit after configure. */
interface EditCase {
  name: string;
  files: Record<string, string>;
  flags: string[];
  /** The operator's edit, applied to the configured files and to the originals alike. */
  edit: { path: string; append: string };
}

const EDITS: EditCase[] = [
  {
    name: "containerd in place",
    files: { [CONFIG]: IMPORTS_CONF_D.replace(/^imports.*\n/m, "") },
    flags: ["--runtime=containerd", "--drop-in-config=", "--set-as-default"],
    edit: {
      path: CONFIG,
      append:
        '\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n  runtime_type = "io.containerd.kata.v2"\n',
    },
  },
  {
    name: "containerd drop-in",
    files: { [CONFIG]: IMPORTS_CONF_D.replace(/^imports.*\n/m, "") },
    flags: ["--runtime=containerd", "--set-as-default"],
    edit: { path: CONFIG, append: '\n[debug]\n  level = "debug"\n' },
  },
  {
    name: "CRI-O in place",
    files: { "etc/crio/crio.conf": '[crio.runtime]\ndefault_runtime = "crun"\n' },
    flags: ["--runtime=crio", "--drop-in-config=", "--set-as-default"],
    edit: {
      path: "etc/crio/crio.conf",
      append: '\n[crio.image]\npause_image = "registry.k8s.io/pause:3.10"\n',
    },
  },
  {
    name: "CRI-O drop-in",
    files: { "etc/crio/crio.conf": '[crio.runtime]\ndefault_runtime = "crun"\n' },
    flags: ["--runtime=crio", "--set-as-default"],
    edit: { path: "etc/crio/crio.conf", append: "\n[crio.metrics]\nenable_metrics = true\n" },
  },
  {
    name: "podman in place",
    files: { "etc/containers/containers.conf": '[engine]\nruntime = "crun"\n' },
    flags: ["--runtime=podman", "--drop-in-config=", "--set-as-default"],
    edit: { path: "etc/containers/containers.conf", append: "\n[network]\ndns_bind_port = 53\n" },
  },
  {
    name: "podman drop-in",
    files: { "etc/containers/containers.conf": '[engine]\nruntime = "crun"\n' },
    flags: ["--runtime=podman", "--set-as-default"],
    edit: {
      path: "etc/containers/containers.conf",
      append: '\n[engine.runtimes]\nkata = ["/usr/bin/kata-runtime"]\n',
    },
  },
];

Deno.test("configure, an operator's edit, unconfigure: the edit stays, rtconf's part goes", async (t) => {
  for (const c of EDITS) {
    await t.step(c.name, async () => {
      await withRoot(c.files, async (root) => {
        const args = [...c.flags, `--host-root=${root}`];
        await rtconfOk("runtime", "configure", ...args);
        const path = join(root, c.edit.path);
        await Deno.writeTextFile(path, c.edit.append, { append: true });
        await rtconfOk("runtime", "unconfigure", ...args);
        const expected = { ...c.files, [c.edit.path]: c.files[c.edit.path] + c.edit.append };
        deepEqual(texts(await snapshot(root)), expected);
        parse(await Deno.readTextFile(path));
      });
    });
  }
  await t.step("Docker", async () => {
    const text = '{\n  "log-driver": "journald"\n}\n';
    await withRoot({ [DOCKER]: text }, async (root) => {
      const path = join(root, DOCKER);
      const args = ["--runtime=docker", `--host-root=${root}`, "--set-as-default"];
      await rtconfOk("runtime", "configure", ...args);
      const edited = (await Deno.readTextFile(path)).replace(
        '"log-driver": "journald",',
        '"log-driver": "journald",\n  "log-level": "warn",',
      );
      await Deno.writeTextFile(path, edited);
      await rtconfOk("runtime", "unconfigure", ...args);
      equal(
        await Deno.readTextFile(path),
        '{\n  "log-driver": "journald",\n  "log-level": "warn"\n}\n',
      );
      await dockerAccepts(path);
      deepEqual(await tree(join(root, "etc/docker")), ["daemon.json"]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The DaemonSet's own commands on nodes that already had NVIDIA runtimes.

/**
 * containerd's dump of a host root's config, as the host's containerd reads it: the files are
 * copied to a judge's directory whose `imports` name the copies.
 */
async function hostDump(series: Series, root: string): Promise<Table> {
  const judge = await Deno.makeTempDir({ prefix: "rtconf-judge-" });
  try {
    for (const path of await tree(join(root, "etc/containerd"))) {
      const to = join(judge, "etc/containerd", path);
      if (path.endsWith("/")) {
        await Deno.mkdir(to, { recursive: true });
        continue;
      }
      const text = await Deno.readTextFile(join(root, "etc/containerd", path));
      await Deno.mkdir(dirname(to), { recursive: true });
      await Deno.writeTextFile(
        to,
        text.replace(/^imports = .*$/m, (line) => line.replaceAll('"/etc/', `"${judge}/etc/`)),
      );
    }
    return (await dump(series, join(judge, CONFIG))).config;
  } finally {
    await Deno.remove(judge, { recursive: true });
  }
}

/**
 * The configure and unconfigure command lines that deploy/daemonset.yaml's `rtconf installer`
 * runs, from its environment, with the host's root mounted at `root`.
 */
async function daemonSetCommands(root: string): Promise<{ start: string[]; stop: string[] }> {
  const yaml = parseYaml(
    await Deno.readTextFile(new URL("../deploy/daemonset.yaml", import.meta.url)),
  );
  const container = yaml.spec.template.spec.containers[0];
  deepEqual(container.args, ["installer"]);
  const env: Record<string, string> = {
    ...Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    ),
    HOST_ROOT_MOUNT: root,
  };
  const setup = installerSetup((name) => env[name], () => {});
  return { start: setup.configure, stop: setup.unconfigure };
}

Deno.test("the DaemonSet's start and stop on nodes that had NVIDIA runtimes leave them as they were", async (t) => {
  for (const node of ["eks-gpu", "aks-gpu", "gke-gpu"]) {
    await t.step(node, async () => {
      const root = await Deno.makeTempDir({ prefix: "rtconf-undo-" });
      try {
        const { start, stop } = await daemonSetCommands(root);
        await copyNode(node, root);
        const original = await snapshot(root);
        // No systemd here; the engine's command is not on the stand-in host: its files are read.
        const onRoot = (args: string[]) =>
          args.filter((arg) => arg !== "--restart=systemd")
            .map((arg) => arg.startsWith("--config-source=") ? "--config-source=file" : arg);
        const series = readers(versionOf(await Deno.readTextFile(join(root, CONFIG))));
        for (let round = 0; round < 2; round++) {
          await rtconfOk(...onRoot(start));
          for (const one of series) {
            const now = cri(await hostDump(one, root));
            equal(now.defaultRuntime, "nvidia", `${node}, containerd ${one}`);
            for (const name of ["nvidia", "nvidia-cdi", "nvidia-legacy"]) {
              ok(now.runtimes[name], `${node}, containerd ${one}: ${name}`);
            }
          }
          await rtconfOk(...onRoot(stop));
          assertSameBytes(original, await snapshot(root), `${node}, round ${round + 1}`);
        }
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    });
  }
});

// A CRI-O node's packaged files stay as they were, with the defaults CRI-O reads.
Deno.test("CRI-O packaged node: configure then unconfigure leaves the effective config as it was", async () => {
  const root = await Deno.makeTempDir({ prefix: "rtconf-undo-" });
  try {
    await copyNode("crio-packaged", root);
    const original = await snapshot(root);
    const was = await crioEffective(
      join(root, "etc/crio/crio.conf"),
      join(root, "etc/crio/crio.conf.d"),
    );
    const args = ["--runtime=crio", `--host-root=${root}`, "--set-as-default"];
    await rtconfOk("runtime", "configure", ...args);
    const now = await crioEffective(
      join(root, "etc/crio/crio.conf"),
      join(root, "etc/crio/crio.conf.d"),
    );
    equal(now.default, "nvidia");
    await rtconfOk("runtime", "unconfigure", ...args);
    assertSameBytes(original, await snapshot(root), "crio-packaged");
    deepEqual(
      await crioEffective(join(root, "etc/crio/crio.conf"), join(root, "etc/crio/crio.conf.d")),
      was,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("unconfigure removes the import of its drop-in even after a formatter lost the note", async () => {
  const files = {
    [CONFIG]: 'version = 2\nimports = ["@ROOT@/etc/containerd/site.toml"]\n',
    "etc/containerd/site.toml": '[debug]\n  level = "info"\n',
  };
  await withRoot(
    files,
    async (root) => {
      const c = containerdCase(root, "drop-in");
      await rtconfOk("runtime", "configure", ...containerdArgs(c));
      // A formatter rewrites the list over several lines and drops the comment.
      await Deno.writeTextFile(
        c.config,
        `version = 2\nimports = [\n  "${root}/etc/containerd/site.toml",\n  "${c.dropIn}",\n]\n`,
      );
      await rtconfOk("runtime", "unconfigure", ...containerdArgs(c));
      const after = await Deno.readTextFile(c.config);
      ok(!after.includes("99-nvidia.toml"), after);
      equal(await Deno.stat(c.dropIn).then(() => true, () => false), false);
      for (const series of readers(2)) await dump(series, c.config); // containerd starts
    },
  );
});

Deno.test("CRI-O: a drop-in outside crio.conf.d, which CRI-O never loads, is refused", async () => {
  await withRoot({ "etc/crio/crio.conf": "[crio.runtime]\n" }, async (root) => {
    const before = await snapshot(root);
    const run = await rtconf(
      "runtime",
      "configure",
      "--runtime=crio",
      `--host-root=${root}`,
      "--drop-in-config=/etc/crio/99-nvidia.toml",
    );
    assertOneLine(run, 1, "outside crio.conf.d");
    match(run.stderr, /CRI-O reads drop-ins from \/etc\/crio\/crio\.conf\.d only/);
    assertUntouched(before, await snapshot(root), "refused");
  });
});
