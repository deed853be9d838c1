/**
 * `rtconf installer`: nvidia-ctk-installer's environment variables, with its
 * names, aliases and defaults, mean the rtconf command lines they should;
 * configure, wait, undo on SIGTERM; and deploy/daemonset.yaml, run with its
 * exact environment, configures containerd as the real containerd 1.6, 1.7
 * and 2.1 read it, restarts it only on change, and leaves the node as it was.
 *
 * @module
 */

import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "npm:yaml@2.9.1";
import { parse } from "smol-toml";
import { installerSetup } from "../lib/cli/installer_env.ts";
import { RtconfError } from "../lib/errors.ts";
import { at, binary, cri, SERIES, type Table } from "./_effective.ts";
import { readOrUndefined, rtconf, withFiles } from "./_helpers.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const NS_SCRIPT = new URL("./e2e/_ns.sh", import.meta.url).pathname;
const TOOLKIT = "/usr/local/nvidia/toolkit";
const TRIO = [
  `--runtime-name=nvidia=${TOOLKIT}/nvidia-container-runtime`,
  `--runtime-name=nvidia-cdi=${TOOLKIT}/nvidia-container-runtime.cdi`,
  `--runtime-name=nvidia-legacy=${TOOLKIT}/nvidia-container-runtime.legacy`,
];

/** The command lines an environment means, and the warnings on the way. */
function setup(env: Record<string, string>) {
  const warnings: string[] = [];
  const result = installerSetup((name) => env[name], (message) => warnings.push(message));
  return { ...result, warnings };
}

Deno.test("installer defaults: three runtimes, the default, command,file, the toolkit's runtime path", () => {
  deepEqual(setup({}), {
    configure: [
      "runtime",
      "configure",
      "--runtime=docker",
      "--host-root=/host",
      ...TRIO,
      "--default-runtime=nvidia",
      "--config-source=file",
      "--restart=signal",
    ],
    unconfigure: [
      "runtime",
      "unconfigure",
      "--runtime=docker",
      "--host-root=/host",
      ...TRIO,
      "--default-runtime=nvidia",
      "--config-source=file",
      "--restart=signal",
    ],
    daemon: true,
    hostRoot: "/host",
    warnings: [],
  });
  deepEqual(setup({ RUNTIME: "containerd" }).configure.slice(2), [
    "--runtime=containerd",
    "--host-root=/host",
    ...TRIO,
    "--default-runtime=nvidia",
    "--config-source=command,file",
    // The installer's default is SIGHUP, which containerd does not handle: systemd restarts it.
    "--restart=systemd",
  ]);
  deepEqual(setup({ RUNTIME: "crio" }).configure.slice(2), [
    "--runtime=crio",
    "--host-root=/host",
    ...TRIO,
    "--default-runtime=nvidia",
    "--config-source=command,file",
    "--restart=systemd",
  ]);
});

Deno.test("installer variables: aliases, precedence, and each engine's own variables", async (t) => {
  const flag = (env: Record<string, string>, name: string) =>
    setup(env).configure.filter((arg) => arg.startsWith(`--${name}=`));
  await t.step("the main config: RUNTIME_CONFIG first, then the engine's own only", () => {
    deepEqual(
      flag({ RUNTIME: "containerd", CONTAINERD_CONFIG: "/etc/k3s/config.toml" }, "config"),
      [
        "--config=/etc/k3s/config.toml",
      ],
    );
    deepEqual(
      flag(
        { RUNTIME: "containerd", RUNTIME_CONFIG: "/a.toml", CONTAINERD_CONFIG: "/b.toml" },
        "config",
      ),
      ["--config=/a.toml"],
    );
    // DOCKER_CONFIG is the docker client's directory by convention: not containerd's config.
    deepEqual(flag({ RUNTIME: "containerd", DOCKER_CONFIG: "/root/.docker" }, "config"), []);
    deepEqual(flag({ RUNTIME: "docker", DOCKER_CONFIG: "/etc/docker/daemon.json" }, "config"), [
      "--config=/etc/docker/daemon.json",
    ]);
    deepEqual(flag({ RUNTIME: "crio", CRIO_CONFIG: "/etc/crio/crio.conf" }, "config"), [
      "--config=/etc/crio/crio.conf",
    ]);
    // A path under the host root's mount point is the host's path.
    deepEqual(flag({ RUNTIME: "containerd", RUNTIME_CONFIG: "/host/etc/c.toml" }, "config"), [
      "--config=/etc/c.toml",
    ]);
  });
  await t.step('the drop-in: its host path first; "" edits in place; none for docker', () => {
    deepEqual(
      flag({
        RUNTIME: "containerd",
        RUNTIME_DROP_IN_CONFIG: "/runtime/config-dir.d/99-nvidia.toml",
        RUNTIME_DROP_IN_CONFIG_HOST_PATH: "/etc/containerd/conf.d/99-nvidia.toml",
      }, "drop-in-config"),
      ["--drop-in-config=/etc/containerd/conf.d/99-nvidia.toml"],
    );
    deepEqual(flag({ RUNTIME: "containerd", RUNTIME_DROP_IN_CONFIG: "" }, "drop-in-config"), [
      "--drop-in-config=",
    ]);
    const docker = setup({ RUNTIME: "docker", RUNTIME_DROP_IN_CONFIG: "/etc/docker/x.json" });
    equal(docker.configure.some((arg) => arg.startsWith("--drop-in-config")), false);
    deepEqual(docker.warnings, ['Ignoring drop-in-config="/etc/docker/x.json" flag for docker']);
  });
  await t.step("the runtime's name and the default", () => {
    for (
      const [env, name] of [
        [{ NVIDIA_RUNTIME_NAME: "gpu", CONTAINERD_RUNTIME_CLASS: "x" }, "gpu"],
        [{ CONTAINERD_RUNTIME_CLASS: "gpu" }, "gpu"],
        [{ DOCKER_RUNTIME_NAME: "gpu" }, "nvidia"], // docker's own: not containerd's
        [{ NVIDIA_RUNTIME_NAME: "" }, "nvidia"],
      ] as [Record<string, string>, string][]
    ) {
      const found = setup({ RUNTIME: "containerd", ...env }).configure;
      ok(
        found.includes(`--runtime-name=${name}=${TOOLKIT}/nvidia-container-runtime`),
        found.join(" "),
      );
      ok(found.includes(`--default-runtime=${name}`));
    }
    // A mode's name: the main runtime is nvidia, the mode's runtime the default (as the installer).
    const cdi = setup({ RUNTIME: "docker", NVIDIA_RUNTIME_NAME: "nvidia-cdi" }).configure;
    ok(
      cdi.includes(TRIO[0]) && cdi.includes(TRIO[1]) &&
        cdi.includes("--default-runtime=nvidia-cdi"),
    );
    for (
      const [env, expected] of [
        [{ NVIDIA_RUNTIME_SET_AS_DEFAULT: "false" }, false],
        [{ NVIDIA_RUNTIME_SET_AS_DEFAULT: "" }, false],
        [{ CONTAINERD_SET_AS_DEFAULT: "0" }, false],
        [{ NVIDIA_RUNTIME_SET_AS_DEFAULT: "True", CONTAINERD_SET_AS_DEFAULT: "false" }, true],
        [{ DOCKER_SET_AS_DEFAULT: "false" }, true], // docker's own
      ] as [Record<string, string>, boolean][]
    ) {
      const found = setup({ RUNTIME: "containerd", ...env }).configure;
      equal(
        found.some((arg) => arg.startsWith("--default-runtime=")),
        expected,
        JSON.stringify(env),
      );
    }
    deepEqual(
      flag({ TOOLKIT_INSTALL_DIR: "/opt/nvidia" }, "runtime-name")[0],
      "--runtime-name=nvidia=/opt/nvidia/toolkit/nvidia-container-runtime",
    );
    deepEqual(
      flag({ ROOT: "/opt/nv" }, "runtime-name")[0],
      "--runtime-name=nvidia=/opt/nv/toolkit/nvidia-container-runtime",
    );
  });
  await t.step(
    "CDI: RUNTIME_ENABLE_CDI first, then CDI_ENABLED, ENABLE_CDI; CRI-O always has it",
    () => {
      const cdi = (env: Record<string, string>) =>
        setup({ RUNTIME: "containerd", ...env }).configure.includes("--enable-cdi");
      equal(cdi({}), false);
      equal(cdi({ CDI_ENABLED: "true" }), true);
      equal(cdi({ ENABLE_CDI: "1" }), true);
      equal(cdi({ CDI_ENABLED: "true", RUNTIME_ENABLE_CDI: "false" }), false);
      equal(cdi({ RUNTIME_ENABLE_CDI: "t" }), true);
      equal(
        setup({ RUNTIME: "crio", CDI_ENABLED: "true" }).configure.includes("--enable-cdi"),
        false,
      );
    },
  );
  await t.step("config sources: RUNTIME_CONFIG_SOURCES, RUNTIME_CONFIG_SOURCE, file=PATH", () => {
    deepEqual(
      flag(
        { RUNTIME: "containerd", RUNTIME_CONFIG_SOURCE: " command, file=/host/etc/c.toml " },
        "config-source",
      ),
      ["--config-source=command,file=/etc/c.toml"],
    );
    deepEqual(
      flag({
        RUNTIME: "containerd",
        RUNTIME_CONFIG_SOURCES: "file",
        RUNTIME_CONFIG_SOURCE: "command",
      }, "config-source"),
      ["--config-source=file"],
    );
    const extra = setup({ RUNTIME: "crio", RUNTIME_CONFIG_SOURCES: "command=x,file" });
    deepEqual(extra.warnings, ['Ignoring additional command argument "x"']);
    deepEqual(flag({ RUNTIME: "docker", RUNTIME_CONFIG_SOURCES: "command" }, "config-source"), [
      "--config-source=file",
    ]);
  });
  await t.step("restart: none, systemd, signal (containerd: systemd, with a warning)", () => {
    deepEqual(flag({ RUNTIME: "docker", RUNTIME_RESTART_MODE: "none" }, "restart"), [
      "--restart=none",
    ]);
    deepEqual(flag({ RUNTIME: "docker", RUNTIME_RESTART_MODE: "systemd" }, "restart"), [
      "--restart=systemd",
    ]);
    const signal = setup({ RUNTIME: "containerd", RUNTIME_RESTART_MODE: "signal" });
    ok(signal.configure.includes("--restart=systemd"));
    match(signal.warnings[0], /containerd does not reload its configuration on a signal/);
  });
  await t.step("containerd's own: legacy config, runtime type, CDI annotation prefixes", () => {
    const found = setup({
      RUNTIME: "containerd",
      CONTAINERD_USE_LEGACY_CONFIG: "true",
      CONTAINERD_RUNTIME_TYPE: "io.containerd.runc.v1",
      NVIDIA_CONTAINER_RUNTIME_MODES_CDI_ANNOTATION_PREFIXES: "cdi.k8s.io/,nvidia.cdi.k8s.io/",
    }).configure;
    ok(found.includes("--use-legacy-config"));
    ok(found.includes("--runtime-type=io.containerd.runc.v1"));
    ok(found.includes("--cdi-annotation-prefixes=cdi.k8s.io/,nvidia.cdi.k8s.io/"));
    const docker = setup({ RUNTIME: "docker", CONTAINERD_RUNTIME_TYPE: "x" }).configure;
    equal(docker.some((arg) => arg.startsWith("--runtime-type")), false);
  });
  await t.step("CRI-O's hook mode: the hook file and its removal", () => {
    const hook = setup({
      RUNTIME: "crio",
      CRIO_CONFIG_MODE: "hook",
      CRIO_HOOKS_DIR: "/etc/containers/oci/hooks.d",
      CRIO_HOOK_FILENAME: "nvidia.json",
    });
    deepEqual(hook.configure, [
      "hook",
      "--host-root=/host",
      `--hook-path=${TOOLKIT}/nvidia-container-runtime-hook`,
      "--output=/etc/containers/oci/hooks.d/nvidia.json",
    ]);
    deepEqual(hook.unconfigure, [...hook.configure, "--remove"]);
    deepEqual(hook.warnings, ['The "hook" config for cri-o is deprecated']);
    ok(
      setup({ RUNTIME: "crio", CRIO_CONFIG_MODE: "hook" }).configure.includes(
        "--output=/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json",
      ),
    );
  });
  await t.step("NO_DAEMON, NO_RUNTIME_CONFIG, ENABLE_NRI_PLUGIN, HOST_ROOT_MOUNT=/", () => {
    equal(setup({ NO_DAEMON: "true" }).daemon, false);
    equal(setup({ NO_RUNTIME_CONFIG: "true" }).configure.length, 0);
    match(setup({ ENABLE_NRI_PLUGIN: "1" }).skipped!, /ENABLE_NRI_PLUGIN/);
    equal(
      setup({ HOST_ROOT_MOUNT: "/" }).configure.some((a) => a.startsWith("--host-root")),
      false,
    );
  });
  await t.step("values the installer refuses", () => {
    for (
      const [env, message] of [
        [{ RUNTIME: "podman" }, /invalid RUNTIME "podman"/],
        [{ NO_DAEMON: "yes" }, /NO_DAEMON="yes" is not a boolean/],
        [{ RUNTIME: "crio", CRIO_CONFIG_MODE: "oci" }, /invalid CRIO_CONFIG_MODE/],
        [
          { RUNTIME: "containerd", RUNTIME_CONFIG_SOURCES: "stdin" },
          /unsupported config source "stdin"/,
        ],
        [{ RUNTIME_RESTART_MODE: "always" }, /invalid RUNTIME_RESTART_MODE "always"/],
        [{ RUNTIME: "containerd", RUNTIME_CONFIG: "etc/c.toml" }, /is not an absolute path/],
      ] as [Record<string, string>, RegExp][]
    ) {
      throws(
        () => setup(env),
        (error: Error) => error instanceof RtconfError && message.test(error.message),
      );
    }
  });
});

/** A shell script at `path`. */
async function script(path: string, text: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

/**
 * A `chroot` first on PATH: `chroot ROOT systemctl ...` is logged (no systemd here);
 * anything else fails as on a host without it.
 */
async function fakeChroot(dir: string): Promise<{ path: string; calls: () => Promise<string[]> }> {
  const log = join(dir, "chroot.log");
  await script(
    join(dir, "bin/chroot"),
    `#!/bin/sh\nroot=$1; shift\nif [ "$1" = systemctl ]; then echo "chroot \\$ROOT $*" >>${log}; exit 0; fi\necho "chroot: failed to run command '$1': No such file or directory" >&2\nexit 127\n`,
  );
  return {
    path: `${join(dir, "bin")}:${Deno.env.get("PATH")}`,
    calls: async () => ((await readOrUndefined(log)) ?? "").split("\n").filter(Boolean),
  };
}

/** `rtconf installer` as a child process with exactly this environment (and PATH). */
function installer(env: Record<string, string>, ...args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "installer", ...args],
    env: { ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    while (true) {
      const { value, done } = await lines.read();
      if (done) return;
      stderr += value;
    }
  })();
  return {
    child,
    stderr: () => stderr,
    /** Waits until stderr matches. */
    waitFor: async (pattern: RegExp) => {
      for (let i = 0; i < 600 && !pattern.test(stderr); i++) {
        await new Promise((done) => setTimeout(done, 50));
      }
      ok(pattern.test(stderr), `no ${pattern} in:\n${stderr}`);
    },
    /** The exit status, after everything was read. */
    done: async () => {
      const status = await child.status;
      await reading;
      await child.stdout.cancel();
      return status;
    },
  };
}

/** deploy/daemonset.yaml's rtconf container. */
interface Container {
  args: string[];
  env: { name: string; value: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}

async function daemonSet(): Promise<{ container: Container; hostPath: string }> {
  const yaml = parseYaml(
    await Deno.readTextFile(new URL("../deploy/daemonset.yaml", import.meta.url)),
  );
  const spec = yaml.spec.template.spec;
  const container = spec.containers[0] as Container;
  const mount = container.volumeMounts[0];
  const volume = spec.volumes.find((v: { name: string }) => v.name === mount.name);
  equal(volume.hostPath.path, "/", "the host's root is mounted");
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
  equal(env.HOST_ROOT_MOUNT ?? "/host", mount.mountPath, "HOST_ROOT_MOUNT is where the host is");
  return { container, hostPath: mount.mountPath };
}

/**
 * `containerd config dump` of the stand-in host, as the host's containerd reads it: in a
 * private mount namespace where the host's /etc/containerd is the stand-in's (its imports are
 * host paths).
 */
async function hostDump(series: typeof SERIES[number], root: string, work: string): Promise<Table> {
  const nsFile = join(work, `ns-${series}`);
  const out = await new Deno.Command("unshare", {
    args: [
      "--mount",
      "--propagation",
      "private",
      "--",
      "sh",
      NS_SCRIPT,
      join(work, `ovl-${series}`),
      nsFile,
      "--bind",
      join(root, "etc/containerd"),
      "/etc/containerd",
      "--",
      binary(series),
      "--config",
      "/etc/containerd/config.toml",
      "config",
      "dump",
    ],
    cwd: "/",
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(out.code, 0, `containerd ${series} config dump: ${decoder.decode(out.stderr)}`);
  return parse(decoder.decode(out.stdout)) as Table;
}

Deno.test("deploy/daemonset.yaml with its exact environment: configured as the real containerd reads it, restarted only on change, undone on SIGTERM", async (t) => {
  const { container } = await daemonSet();
  deepEqual(container.args, ["installer"]);
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
  const defaults = Object.fromEntries(
    await Promise.all(SERIES.map(async (series) => {
      const out = await new Deno.Command(binary(series), { args: ["config", "default"] }).output();
      return [series, new TextDecoder().decode(out.stdout)];
    })),
  );
  for (const series of SERIES) {
    await t.step(`containerd ${series}'s own config`, async () => {
      await withFiles({ "etc/containerd/config.toml": defaults[series] }, async (dir) => {
        const root = join(dir, "host");
        await Deno.mkdir(join(root, "etc"), { recursive: true });
        await Deno.rename(join(dir, "etc/containerd"), join(root, "etc/containerd"));
        const config = join(root, "etc/containerd/config.toml");
        const chroot = await fakeChroot(dir);
        // The one difference from the pod: the host's root is mounted here, not at /host.
        const podEnv = { ...env, HOST_ROOT_MOUNT: root, PATH: chroot.path };
        const before = await hostDump(series, root, dir);

        const run = installer(podEnv);
        await run.waitFor(/configured; on SIGTERM/);
        match(
          run.stderr(),
          /nvidia-ctk-installer environment: rtconf runtime configure --runtime=containerd/,
        );
        deepEqual(await chroot.calls(), ["chroot $ROOT systemctl restart containerd"]);
        const after = await hostDump(series, root, dir);
        const settings = cri(after);
        for (
          const [name, suffix] of [["nvidia", ""], ["nvidia-cdi", ".cdi"], [
            "nvidia-legacy",
            ".legacy",
          ]]
        ) {
          equal(
            at(settings.runtimes[name], "options", "BinaryName"),
            `${TOOLKIT}/nvidia-container-runtime${suffix}`,
            `containerd ${series}: ${name}`,
          );
          equal(
            at(settings.runtimes[name], "options", "SystemdCgroup"),
            at(cri(before).runtimes.runc, "options", "SystemdCgroup"),
            "copied from runc",
          );
        }
        equal(settings.defaultRuntime, "nvidia");
        equal(
          JSON.stringify(at(after, ...cri(before).path.slice(0, 2), "registry")),
          JSON.stringify(at(before, ...cri(before).path.slice(0, 2), "registry")),
          "the node's other CRI settings stay",
        );

        run.child.kill("SIGTERM");
        equal((await run.done()).code, 0, run.stderr());
        match(run.stderr(), /SIGTERM: undoing what was configured/);
        equal(
          await Deno.readTextFile(config),
          defaults[series],
          "the node's config, byte for byte",
        );
        equal(await readOrUndefined(join(root, "etc/containerd/conf.d/99-nvidia.toml")), undefined);
        deepEqual((await chroot.calls()).length, 2, "restarted on undo");

        // Already configured: a new pod (after a node reboot, say) restarts nothing.
        const once = installer({ ...podEnv, NO_DAEMON: "true" });
        equal((await once.done()).code, 0, once.stderr());
        const again = installer({ ...podEnv, NO_DAEMON: "true" });
        equal((await again.done()).code, 0, again.stderr());
        match(again.stderr(), /containerd: nothing changed, not restarted/);
        equal((await chroot.calls()).length, 3, "one restart for two runs");
        const cleanup = installer(podEnv, "--cleanup");
        equal((await cleanup.done()).code, 0, cleanup.stderr());
        equal(await Deno.readTextFile(config), defaults[series]);
      });
    });
  }
});

Deno.test("installer: a stop signal while configuring undoes it as soon as it is done", async () => {
  await withFiles(
    { "host/etc/docker/daemon.json": '{\n  "log-driver": "journald"\n}\n' },
    async (dir) => {
      const env = {
        HOST_ROOT_MOUNT: join(dir, "host"),
        RUNTIME: "docker",
        RUNTIME_RESTART_MODE: "none",
        PATH: Deno.env.get("PATH") ?? "",
      };
      const run = installer(env);
      await run.waitFor(/nvidia-ctk-installer environment/);
      run.child.kill("SIGINT");
      equal((await run.done()).code, 0, run.stderr());
      equal(
        await Deno.readTextFile(join(dir, "host/etc/docker/daemon.json")),
        '{\n  "log-driver": "journald"\n}\n',
      );
      match(run.stderr(), /SIGINT: undoing/);
    },
  );
});

Deno.test("installer: containerd's own settings, judged by the real containerd", async (t) => {
  await t.step("CDI annotation prefixes become each runtime's container_annotations", async () => {
    await withFiles({ "host/etc/containerd/config.toml": "" }, async (dir) => {
      const root = join(dir, "host");
      const run = await rtconfEnv({
        RUNTIME: "containerd",
        HOST_ROOT_MOUNT: root,
        RUNTIME_RESTART_MODE: "none",
        NVIDIA_CONTAINER_RUNTIME_MODES_CDI_ANNOTATION_PREFIXES: "cdi.k8s.io/,nvidia.cdi.k8s.io/",
        NO_DAEMON: "true",
      });
      equal(run.status, 0, run.stderr);
      for (const series of ["1.7", "2.1"] as const) {
        const runtimes = cri(await hostDump(series, root, dir)).runtimes;
        for (const name of ["nvidia", "nvidia-cdi", "nvidia-legacy"]) {
          deepEqual(runtimes[name].container_annotations, ["cdi.k8s.io/*", "nvidia.cdi.k8s.io/*"]);
        }
        equal(runtimes.runc.container_annotations ?? [], runtimes.runc.container_annotations ?? []);
      }
    });
  });
  await t.step("a runtime type override, where no runtime is copied", async () => {
    await withFiles({ "host/etc/containerd/config.toml": "version = 2\n" }, async (dir) => {
      const root = join(dir, "host");
      const run = await rtconfEnv({
        RUNTIME: "containerd",
        HOST_ROOT_MOUNT: root,
        RUNTIME_RESTART_MODE: "none",
        CONTAINERD_RUNTIME_TYPE: "io.containerd.runc.v1",
        NO_DAEMON: "true",
      });
      equal(run.status, 0, run.stderr);
      const runtimes = cri(await hostDump("1.6", root, dir)).runtimes;
      equal(runtimes.nvidia.runtime_type, "io.containerd.runc.v1");
      equal(runtimes.runc.runtime_type, "io.containerd.runc.v2", "the built-in runc stays");
    });
  });
  await t.step("the legacy config: a version 1 config where there is none", async () => {
    await withFiles({ "host/etc/containerd/.keep": "" }, async (dir) => {
      const root = join(dir, "host");
      const env = {
        RUNTIME: "containerd",
        HOST_ROOT_MOUNT: root,
        RUNTIME_RESTART_MODE: "none",
        CONTAINERD_USE_LEGACY_CONFIG: "true",
      };
      const run = await rtconfEnv({ ...env, NO_DAEMON: "true" });
      equal(run.status, 0, run.stderr);
      const config = await Deno.readTextFile(join(root, "etc/containerd/config.toml"));
      match(config, /^version = 1$/m);
      equal(await readOrUndefined(join(root, "etc/containerd/conf.d/99-nvidia.toml")), undefined);
      for (const series of ["1.6", "1.7"] as const) {
        const settings = cri(await hostDump(series, root, dir));
        equal(settings.defaultRuntime, "nvidia", `containerd ${series}`);
        equal(
          at(settings.runtimes.nvidia, "options", "BinaryName"),
          `${TOOLKIT}/nvidia-container-runtime`,
        );
      }
      const undone = await rtconfEnv(env, "--cleanup");
      equal(undone.status, 0, undone.stderr);
      equal(await readOrUndefined(join(root, "etc/containerd/config.toml")), undefined);
    });
  });
});

/** `rtconf installer` in-process with this environment. */
async function rtconfEnv(env: Record<string, string>, ...args: string[]) {
  const { main } = await import("../main.ts");
  let stdout = "", stderr = "";
  const status = await main(["installer", ...args], {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  }, { env: (name) => env[name] });
  return { status, stdout, stderr };
}

Deno.test("installer --dry-run prints what would be configured; nothing is written", async () => {
  await withFiles({ "host/etc/docker/daemon.json": "{}\n" }, async (dir) => {
    const run = await rtconfEnv({ HOST_ROOT_MOUNT: join(dir, "host") }, "--dry-run");
    equal(run.status, 0, run.stderr);
    deepEqual(Object.keys(JSON.parse(run.stdout).runtimes), [
      "nvidia",
      "nvidia-cdi",
      "nvidia-legacy",
    ]);
    equal(await Deno.readTextFile(join(dir, "host/etc/docker/daemon.json")), "{}\n");
    const missing = await rtconfEnv({ HOST_ROOT_MOUNT: join(dir, "nowhere") });
    equal(missing.status, 1);
    match(missing.stderr, /HOST_ROOT_MOUNT: .*nowhere is not a directory/);
  });
  equal((await rtconf("installer", "--frob")).status, 2);
});
