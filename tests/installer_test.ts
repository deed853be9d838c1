/**
 * The installer workflow: several runtimes and engines in one call, the host
 * root, config sources, --check, restarts only on change, and unconfigure
 * putting back the previous default.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import {
  fixture,
  readOrUndefined,
  rtconf,
  rtconfOk,
  type Run,
  standInDockerd,
  withFiles,
} from "./_helpers.ts";

type Table = Record<string, unknown>;

function at(data: unknown, ...path: string[]): unknown {
  return path.reduce((value: unknown, key) => (value as Table | undefined)?.[key], data);
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const TRIO = {
  nvidia: "/usr/bin/nvidia-container-runtime",
  "nvidia-cdi": "/usr/bin/nvidia-container-runtime.cdi",
  "nvidia-legacy": "/usr/bin/nvidia-container-runtime.legacy",
};

Deno.test("one call configures the NVIDIA trio in containerd, CRI-O and Docker under a host root", async () => {
  await withFiles({
    "etc/containerd/config.toml": await fixture("containerd/k3s-v2.toml").then((t) =>
      t.replace(/^# File.*\n/, "")
    ),
    "etc/crio/crio.conf": await fixture("crio/crio.conf"),
    "etc/docker/daemon.json": '{\n  "log-driver": "journald"\n}\n',
  }, async (root) => {
    const args = [
      "runtime",
      "configure",
      "--runtime=containerd,crio,docker",
      `--host-root=${root}`,
      "--all-nvidia-runtimes",
      "--set-as-default",
    ];
    const run = await rtconfOk(...args);
    for (
      const file of [
        "etc/containerd/config.toml",
        "etc/containerd/conf.d/99-nvidia.toml",
        "etc/crio/crio.conf.d/99-nvidia.toml",
        "etc/docker/daemon.json",
      ]
    ) {
      match(run.stderr, new RegExp(`(created|updated) ${root}/${file}\n`));
    }
    // The files hold host paths, not paths under the mount.
    const config = await Deno.readTextFile(join(root, "etc/containerd/config.toml"));
    match(config, /^imports = \["\/etc\/containerd\/conf\.d\/99-nvidia\.toml"\]/m);

    const containerd = parse(
      await Deno.readTextFile(join(root, "etc/containerd/conf.d/99-nvidia.toml")),
    );
    const cri = ["plugins", "io.containerd.grpc.v1.cri", "containerd"];
    for (const [name, path] of Object.entries(TRIO)) {
      equal(at(containerd, ...cri, "runtimes", name, "options", "BinaryName"), path);
      equal(
        at(containerd, ...cri, "runtimes", name, "options", "SystemdCgroup"),
        true,
        "each copies runc",
      );
    }
    equal(at(containerd, ...cri, "default_runtime_name"), "nvidia");

    const crio = parse(await Deno.readTextFile(join(root, "etc/crio/crio.conf.d/99-nvidia.toml")));
    for (const [name, path] of Object.entries(TRIO)) {
      equal(at(crio, "crio", "runtime", "runtimes", name, "runtime_path"), path);
    }
    equal(at(crio, "crio", "runtime", "default_runtime"), "nvidia");

    const docker = JSON.parse(await Deno.readTextFile(join(root, "etc/docker/daemon.json")));
    deepEqual(docker.runtimes, {
      nvidia: { path: "nvidia-container-runtime" },
      "nvidia-cdi": { path: "nvidia-container-runtime.cdi" },
      "nvidia-legacy": { path: "nvidia-container-runtime.legacy" },
    });
    equal(docker["default-runtime"], "nvidia");

    // Idempotent, and undone by one call.
    match((await rtconfOk(...args)).stderr, /no changes/);
    await rtconfOk("runtime", "unconfigure", ...args.slice(2));
    equal(await readOrUndefined(join(root, "etc/containerd/conf.d/99-nvidia.toml")), undefined);
    equal(await readOrUndefined(join(root, "etc/crio/crio.conf.d/99-nvidia.toml")), undefined);
    equal(
      await Deno.readTextFile(join(root, "etc/docker/daemon.json")),
      '{\n  "log-driver": "journald"\n}\n',
    );
  });
});

Deno.test("--runtime-name NAME=PATH, repeated, with --default-runtime", async () => {
  await withFiles({}, async (dir) => {
    await rtconfOk(
      "runtime",
      "configure",
      "--runtime=docker",
      `--config=${join(dir, "daemon.json")}`,
      "--runtime-name=gpu=/opt/gpu/runtime",
      "--runtime-name",
      "gpu-cdi=/opt/gpu/runtime.cdi",
      "--default-runtime=gpu-cdi",
    );
    const data = JSON.parse(await Deno.readTextFile(join(dir, "daemon.json")));
    deepEqual(data.runtimes, {
      gpu: { path: "/opt/gpu/runtime" },
      "gpu-cdi": { path: "/opt/gpu/runtime.cdi" },
    });
    equal(data["default-runtime"], "gpu-cdi");
  });
});

Deno.test("installer flags are validated", async (t) => {
  const cases: [string[], string][] = [
    [["--runtime=docker", "--runtime-name=a", "--runtime-name=a"], "the runtime a is named twice"],
    [
      ["--runtime=docker", "--default-runtime=b"],
      "--default-runtime=b is not one of the runtimes configured",
    ],
    [
      ["--runtime=containerd,docker", "--config=/etc/x"],
      "--config names one engine's file or unit: give one --runtime, or use --host-root",
    ],
    [
      ["--runtime=containerd", "--restart=signal"],
      "--restart=signal: containerd does not reload its configuration on a signal; use --restart=systemd",
    ],
    [
      ["--runtime=crio", "--restart=signal"],
      "--restart=signal: crio does not reload its configuration on a signal; use --restart=systemd",
    ],
    [
      ["--runtime=docker", "--restart=sometimes"],
      'invalid --restart "sometimes": use none, systemd or signal',
    ],
    [["--runtime=containerd", "--host-root=host"], 'the host root "host" is not an absolute path'],
    [
      ["--runtime=containerd", "--runtime-name=a=relative"],
      'the NVIDIA runtime path "relative" is not an absolute path',
    ],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      deepEqual(await rtconf("runtime", "configure", ...args), {
        status: 2,
        stdout: "",
        stderr: `rtconf: ${message}\n`,
      });
    });
  }
});

Deno.test("--check: 3 when the configuration would change (nothing written), 0 when it holds what was asked", async () => {
  await withFiles({ "daemon.json": "{}\n" }, async (dir) => {
    const args = [
      "runtime",
      "configure",
      "--runtime=docker",
      `--config=${join(dir, "daemon.json")}`,
      "--set-as-default",
    ];
    const drift = await rtconf(...args, "--check");
    equal(drift.status, 3);
    match(drift.stderr, new RegExp(`^rtconf: would update ${dir}/daemon.json$`, "m"));
    equal(await Deno.readTextFile(join(dir, "daemon.json")), "{}\n");
    await rtconfOk(...args);
    const clean = await rtconf(...args, "--check");
    equal(clean.status, 0);
    equal((await rtconf("runtime", "unconfigure", ...args.slice(2), "--check")).status, 3);
  });
});

/** Runs the CLI in a child process with a fake `systemctl` first on PATH; returns its log of calls. */
async function withFakeSystemctl(
  fn: (
    run: (...args: string[]) => Promise<{ code: number; stderr: string }>,
    calls: () => Promise<string[]>,
  ) => Promise<void>,
): Promise<void> {
  await withFiles({ "bin/systemctl": "" }, async (dir) => {
    const log = join(dir, "systemctl.log");
    await Deno.writeTextFile(join(dir, "bin/systemctl"), `#!/bin/sh\necho "$@" >> ${log}\n`);
    await Deno.chmod(join(dir, "bin/systemctl"), 0o755);
    const run = async (...args: string[]) => {
      const result = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, ...args.map((arg) => arg.replaceAll("$DIR", dir))],
        env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}`, NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      return { code: result.code, stderr: new TextDecoder().decode(result.stderr) };
    };
    const calls = async () => ((await readOrUndefined(log)) ?? "").split("\n").filter(Boolean);
    await fn(run, calls);
  });
}

Deno.test("--restart=systemd restarts exactly when a file the engine reads changed", async () => {
  await withFakeSystemctl(async (run, calls) => {
    const args = [
      "runtime",
      "configure",
      "--runtime=containerd",
      "--config=$DIR/etc/containerd/config.toml",
      "--drop-in-config=$DIR/etc/containerd/conf.d/99-nvidia.toml",
      "--restart=systemd",
    ];
    let result = await run(...args);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /^rtconf: restarted containerd \(systemctl restart containerd\)$/m);
    deepEqual(await calls(), ["restart containerd"]);

    result = await run(...args);
    match(result.stderr, /^rtconf: containerd: nothing changed, not restarted$/m);
    deepEqual(await calls(), ["restart containerd"], "no restart without a change");

    result = await run(...args, "--set-as-default", "--restart-unit=k3s-agent");
    deepEqual(await calls(), ["restart containerd", "restart k3s-agent"]);

    result = await run(...args, "--dry-run");
    deepEqual(
      await calls(),
      ["restart containerd", "restart k3s-agent"],
      "a dry run restarts nothing",
    );

    result = await run("runtime", "unconfigure", ...args.slice(2), "--set-as-default");
    equal(result.code, 0, result.stderr);
    deepEqual(await calls(), ["restart containerd", "restart k3s-agent", "restart containerd"]);
  });
});

Deno.test("--restart=signal sends dockerd SIGHUP, found by its pid file under the host root", async () => {
  await withFiles({ "etc/hostname": "node\n" }, async (root) => {
    const dockerd = await standInDockerd(root);
    try {
      const run = await rtconfOk(
        "runtime",
        "configure",
        "--runtime=docker",
        `--host-root=${root}`,
        "--restart=signal",
      );
      match(
        run.stderr,
        new RegExp(
          `^rtconf: signalled dockerd \\(${dockerd.pid}\\) to reload its configuration$`,
          "m",
        ),
      );
      await new Promise((done) => setTimeout(done, 200));
      equal(await dockerd.hups(), 1);
    } finally {
      await dockerd.stop();
    }
  });
});

Deno.test("--restart=signal: rtconf signals dockerd only when its reload loads the change", async () => {
  const seed = '{\n  "log-driver": "journald"\n}\n';
  await withFiles({ "etc/docker/daemon.json": seed }, async (root) => {
    const dockerd = await standInDockerd(root);
    try {
      const args = [
        "--runtime=docker",
        `--host-root=${root}`,
        "--set-as-default",
        "--restart=signal",
      ];
      const configured = await rtconfOk("runtime", "configure", ...args);
      match(configured.stderr, /signalled dockerd/);
      // The restored file names neither runtimes nor a default: dockerd's reload would keep
      // both, so rtconf does not signal it and says that it must be restarted.
      const undone = await rtconf("runtime", "unconfigure", ...args);
      equal(undone.status, 1);
      match(
        undone.stderr,
        /^rtconf: docker: dockerd was not signalled, because a reload would not load the change: \/etc\/docker\/daemon\.json names no runtimes, and dockerd's reload keeps the runtimes it has \(nvidia\); restart docker to load it; the restart stays pending$/m,
      );
      equal(await Deno.readTextFile(join(root, "etc/docker/daemon.json")), seed, "written anyway");
      await new Promise((done) => setTimeout(done, 200));
      equal(await dockerd.hups(), 1, "one SIGHUP: configure's");
    } finally {
      await dockerd.stop();
    }
  });
});

/** configure for Docker under a host root, with `--restart=signal`. */
function signalRun(root: string): Promise<Run> {
  return rtconf(
    "runtime",
    "configure",
    "--runtime=docker",
    `--host-root=${root}`,
    "--restart=signal",
  );
}

Deno.test("--restart=signal signals only dockerd, as the host sees it", async (t) => {
  await t.step("a stale pid file naming another process: refused, nothing signalled", async () => {
    await withFiles({ "etc/hostname": "node\n" }, async (root) => {
      const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
      try {
        await Deno.symlink("/proc", join(root, "proc"));
        await Deno.mkdir(join(root, "run"));
        await Deno.mkdir(join(root, "var"));
        // The host's own link: /var/run is /run.
        await Deno.symlink("/run", join(root, "var/run"));
        await Deno.writeTextFile(join(root, "run/docker.pid"), `${sleeper.pid}\n`);
        const run = await signalRun(root);
        equal(run.status, 1);
        match(
          run.stderr,
          new RegExp(`run/docker\\.pid: process ${sleeper.pid} is sleep, not dockerd \\(a stale`),
        );
      } finally {
        sleeper.kill("SIGKILL");
        await sleeper.status;
      }
      equal((await sleeper.status).signal, "SIGKILL", "only the test's own kill reached it");
    });
  });
  await t.step("a host root without the host's /proc: refused, nothing signalled", async () => {
    await withFiles({ "etc/hostname": "node\n" }, async (root) => {
      const dockerd = await standInDockerd(root);
      try {
        await Deno.remove(join(root, "proc"));
        const run = await signalRun(root);
        equal(run.status, 1);
        match(run.stderr, /rtconf does not see the host's processes \(no .*\/proc\)/);
        await new Promise((done) => setTimeout(done, 200));
        equal(await dockerd.hups(), 0);
      } finally {
        await dockerd.stop();
      }
    });
  });
});

Deno.test("unconfigure puts back the default that configure replaced, for every engine and mode", async (t) => {
  const cases: [string, Record<string, string>, string[], (dir: string) => Promise<unknown>][] = [
    [
      "docker",
      {
        "daemon.json":
          '{"default-runtime": "runsc", "runtimes": {"runsc": {"path": "/usr/bin/runsc"}}}\n',
      },
      ["--runtime=docker", "--config=$DIR/daemon.json"],
      async (dir) =>
        JSON.parse(await Deno.readTextFile(join(dir, "daemon.json")))["default-runtime"],
    ],
    ["containerd, drop-in", {
      "config.toml":
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "crun"\n',
    }, [
      "--runtime=containerd",
      "--config=$DIR/config.toml",
      "--drop-in-config=$DIR/conf.d/99-nvidia.toml",
    ], async (dir) => {
      const main = parse(await Deno.readTextFile(join(dir, "config.toml")));
      const dropIn = await readOrUndefined(join(dir, "conf.d/99-nvidia.toml"));
      return at(
        dropIn ? parse(dropIn) : main,
        "plugins",
        "io.containerd.grpc.v1.cri",
        "containerd",
        "default_runtime_name",
      );
    }],
    [
      "containerd, in place",
      {
        "config.toml":
          'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "crun"\n',
      },
      ["--runtime=containerd", "--config=$DIR/config.toml", "--drop-in-config="],
      async (dir) =>
        at(
          parse(await Deno.readTextFile(join(dir, "config.toml"))),
          "plugins",
          "io.containerd.grpc.v1.cri",
          "containerd",
          "default_runtime_name",
        ),
    ],
    [
      "crio, in place",
      { "crio.conf": '[crio.runtime]\ndefault_runtime = "crun"\n' },
      ["--runtime=crio", "--config=$DIR/crio.conf", "--drop-in-config="],
      async (dir) =>
        at(
          parse(await Deno.readTextFile(join(dir, "crio.conf"))),
          "crio",
          "runtime",
          "default_runtime",
        ),
    ],
    ["crio, drop-in", { "crio.conf": '[crio.runtime]\ndefault_runtime = "crun"\n' }, [
      "--runtime=crio",
      "--config=$DIR/crio.conf",
      "--drop-in-config=$DIR/crio.conf.d/99-nvidia.toml",
    ], async (dir) => {
      const dropIn = await readOrUndefined(join(dir, "crio.conf.d/99-nvidia.toml"));
      return at(
        parse(dropIn ?? await Deno.readTextFile(join(dir, "crio.conf"))),
        "crio",
        "runtime",
        "default_runtime",
      );
    }],
  ];
  for (const [name, files, flags, defaultOf] of cases) {
    await t.step(name, async () => {
      await withFiles(files, async (dir) => {
        const args = flags.map((flag) => flag.replaceAll("$DIR", dir));
        const previous = await defaultOf(dir);
        await rtconfOk("runtime", "configure", ...args, "--set-as-default");
        equal(await defaultOf(dir), "nvidia");
        await rtconfOk("runtime", "unconfigure", ...args, "--set-as-default");
        equal(await defaultOf(dir), previous);
        for (const [path, text] of Object.entries(files)) {
          equal(await Deno.readTextFile(join(dir, path)), text);
        }
      });
    });
  }
});

Deno.test("--config-source=command,file: the command's config, else the file's", async () => {
  const dump =
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\nSystemdCgroup = true\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v2"\n';
  await withFiles({
    "config.toml": "version = 2\n",
    "containerd": `#!/bin/sh\ncat <<'EOF'\n${dump}EOF\n`,
  }, async (dir) => {
    await Deno.chmod(join(dir, "containerd"), 0o755);
    const args = (
      exe: string,
    ) => [
      "runtime",
      "configure",
      "--runtime=containerd",
      `--config=${join(dir, "config.toml")}`,
      `--drop-in-config=${join(dir, "conf.d/99-nvidia.toml")}`,
      "--config-source=command,file",
      `--executable-path=${exe}`,
      "--dry-run",
    ];
    const fromCommand = await rtconfOk(...args(join(dir, "containerd")));
    match(fromCommand.stdout, /SystemdCgroup = true/);
    const fromFile = await rtconfOk(...args(join(dir, "missing")));
    match(
      fromFile.stderr,
      /^rtconf: warning: failed to run command .*missing config dump: not found; trying the next config source$/m,
    );
    ok(!fromFile.stdout.includes("SystemdCgroup"));
    match(fromFile.stdout, /runtimes\.nvidia\]/);
  });
});

Deno.test("a k3s-generated config: configured as asked, with a warning naming the template", async () => {
  for (
    const [file, template] of [["k3s-v2.toml", "config.toml.tmpl"], [
      "k3s-v3.toml",
      "config-v3.toml.tmpl",
    ]]
  ) {
    await withFiles({ "config.toml": await fixture(`containerd/${file}`) }, async (dir) => {
      const run = await rtconfOk(
        "runtime",
        "configure",
        "--runtime=containerd",
        `--config=${join(dir, "config.toml")}`,
        "--drop-in-config=",
      );
      match(
        run.stderr,
        new RegExp(
          `^rtconf: warning: ${dir}/config.toml is generated by k3s or rke2, which overwrite it at their next start; to keep the runtime, put it into ${dir}/${
            template.replaceAll(".", "\\.")
          } \\(--k3s-template\\)$`,
          "m",
        ),
      );
      match(await Deno.readTextFile(join(dir, "config.toml")), /runtimes\.nvidia\]/);
    });
  }
});

Deno.test("--k3s-template puts the runtimes into the template k3s renders config.toml from", async () => {
  const config = await fixture("containerd/k3s-v2.toml");
  for (
    const existing of [
      undefined,
      '{{ template "base" . }}\n\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://mirror.example"]\n',
    ]
  ) {
    const files: Record<string, string> = { "config.toml": config };
    if (existing) files["config.toml.tmpl"] = existing;
    await withFiles(files, async (dir) => {
      const args = [
        "--runtime=containerd",
        `--config=${join(dir, "config.toml")}`,
        "--k3s-template",
        "--all-nvidia-runtimes",
      ];
      const run = await rtconfOk("runtime", "configure", ...args);
      ok(!run.stderr.includes("warning"), run.stderr);
      equal(
        await Deno.readTextFile(join(dir, "config.toml")),
        config,
        "the generated file is left to k3s",
      );
      const template = await Deno.readTextFile(join(dir, "config.toml.tmpl"));
      ok(template.startsWith('{{ template "base" . }}\n'));
      // What k3s renders: its base config, then the template's TOML.
      const rendered = parse(config + template.replace('{{ template "base" . }}\n', ""));
      const runtimes = at(
        rendered,
        "plugins",
        "io.containerd.grpc.v1.cri",
        "containerd",
        "runtimes",
      ) as Table;
      deepEqual(Object.keys(runtimes), ["runc", "nvidia", "nvidia-cdi", "nvidia-legacy"]);
      equal(at(runtimes, "nvidia-cdi", "options", "SystemdCgroup"), true, "copied from runc");
      match((await rtconfOk("runtime", "configure", ...args)).stderr, /no changes/);
      await rtconfOk("runtime", "unconfigure", ...args);
      equal(await readOrUndefined(join(dir, "config.toml.tmpl")), existing);
    });
  }
  const refused = await rtconf(
    "runtime",
    "configure",
    "--runtime=containerd",
    "--k3s-template",
    "--set-as-default",
  );
  equal(refused.status, 2);
  match(
    refused.stderr,
    /--k3s-template adds runtimes only: set the default with k3s's --default-runtime/,
  );
});

Deno.test("runtime status shows the runtimes, their paths, the default, CDI and the files", async () => {
  await withFiles(
    { "etc/containerd/config.toml": await fixture("containerd/commented-v2.toml") },
    async (root) => {
      await rtconfOk(
        "runtime",
        "configure",
        "--runtime=containerd,docker",
        `--host-root=${root}`,
        "--all-nvidia-runtimes",
        "--default-runtime=nvidia-cdi",
        "--enable-cdi",
      );
      const run = await rtconfOk(
        "runtime",
        "status",
        "--runtime=containerd,docker,crio",
        `--host-root=${root}`,
        "--json",
      );
      const { engines } = JSON.parse(run.stdout);
      const [containerd, docker, crio] = engines;
      const dropIn = `${root}/etc/containerd/conf.d/99-nvidia.toml`;
      deepEqual(containerd.files, [`${root}/etc/containerd/config.toml`, dropIn]);
      equal(containerd.defaultRuntime, "nvidia-cdi");
      equal(containerd.defaultFile, dropIn);
      deepEqual(containerd.cdi, { enabled: true, file: dropIn });
      deepEqual(containerd.runtimes.map((r: { name: string; path: string }) => [r.name, r.path]), [
        ["runc", ""],
        ["nvidia", TRIO.nvidia],
        ["nvidia-cdi", TRIO["nvidia-cdi"]],
        ["nvidia-legacy", TRIO["nvidia-legacy"]],
      ]);
      equal(docker.defaultRuntime, "nvidia-cdi");
      deepEqual(docker.cdi, { enabled: true, file: `${root}/etc/docker/daemon.json` });
      deepEqual(crio.files, []);
      deepEqual(crio.cdi, { enabled: true, file: "", engineDefault: "always on" });

      const text = await rtconfOk(
        "runtime",
        "status",
        "--runtime=containerd",
        `--host-root=${root}`,
      );
      match(
        text.stdout,
        new RegExp(
          `^containerd: default runtime nvidia-cdi \\(${dropIn}\\), CDI enabled \\(${dropIn}\\)$`,
          "m",
        ),
      );
      match(
        text.stdout,
        /^ {2}nvidia-legacy {2}\/usr\/bin\/nvidia-container-runtime\.legacy {2}\(/m,
      );
    },
  );
});
