/**
 * nvidia-ctk command lines, as scripts have them, run unchanged: the flag
 * syntax of its CLI library (single-dash long flags, Go's booleans), its
 * global flags before the command, its `--dry-run` output, its restart
 * hint, `help` and `version`; and the hook can be removed again.
 *
 * @module
 */

import { deepEqual, equal, match, notEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../main.ts";
import { helpText } from "../lib/cli/flags.ts";
import { CONFIGURE, ROOT, STATUS } from "../lib/cli/commands.ts";
import { ociHookText } from "../lib/hooks/mod.ts";
import { VERSION } from "../lib/version.ts";
import { readOrUndefined, rtconf, rtconfOk, type Run, withFiles } from "./_helpers.ts";

/** Runs the CLI in-process with this environment. */
async function withEnv(env: Record<string, string>, ...args: string[]): Promise<Run> {
  let stdout = "", stderr = "";
  const status = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  }, { env: (name) => env[name] });
  return { status, stdout, stderr };
}

const SEED = '{\n  "log-driver": "journald"\n}\n';

Deno.test("single-dash long flags and space-separated values mean what the double-dash ones do", async () => {
  await withFiles({ "daemon.json": SEED }, async (dir) => {
    const config = join(dir, "daemon.json");
    const long = await rtconfOk(
      "runtime",
      "configure",
      "--runtime=docker",
      `--config=${config}`,
      "--set-as-default",
      "--dry-run",
    );
    for (
      const args of [
        ["-runtime=docker", `-config=${config}`, "-set-as-default", "-dry-run"],
        ["-runtime", "docker", "-config", config, "-nvidia-set-as-default", "-dry-run"],
        ["--runtime", "docker", "--config", config, "--set-as-default=true", "--dry-run"],
      ]
    ) {
      deepEqual(await rtconf("runtime", "configure", ...args), long, args.join(" "));
    }
    // A value that looks like a flag is still the value, as in nvidia-ctk.
    const dashed = await rtconfOk(
      "runtime",
      "configure",
      `-config=${config}`,
      "-nvidia-runtime-name",
      "-gpu",
      "-dry-run",
    );
    ok(JSON.parse(dashed.stdout).runtimes["-gpu"], dashed.stdout);
    equal(await Deno.readTextFile(config), SEED, "dry runs wrote");
  });
});

Deno.test("boolean flags take what Go's strconv.ParseBool takes", async (t) => {
  await withFiles({ "daemon.json": SEED }, async (dir) => {
    const run = (value: string) =>
      rtconf(
        "runtime",
        "configure",
        `--config=${join(dir, "daemon.json")}`,
        `--set-as-default${value}`,
        "--dry-run",
      );
    for (const value of ["", "=", "=1", "=t", "=T", "=TRUE", "=true", "=True"]) {
      await t.step(`--set-as-default${value}`, async () => {
        const result = await run(value);
        equal(result.status, 0, result.stderr);
        equal(JSON.parse(result.stdout)["default-runtime"], "nvidia");
      });
    }
    for (const value of ["=0", "=f", "=F", "=FALSE", "=false", "=False"]) {
      await t.step(`--set-as-default${value}`, async () => {
        const result = await run(value);
        equal(result.status, 0, result.stderr);
        equal(JSON.parse(result.stdout)["default-runtime"], undefined);
      });
    }
    for (const value of ["=yes", "=on", "=2", "=tRUE"]) {
      await t.step(`--set-as-default${value} is refused`, async () => {
        const result = await run(value);
        equal(result.status, 2);
        match(result.stderr, /^rtconf: invalid value "[^"]+" for flag --set-as-default: use true/);
      });
    }
    // A boolean never takes the next argument.
    const next = await rtconf("runtime", "configure", "--dry-run", "false");
    equal(next.status, 2);
    match(next.stderr, /unexpected argument 'false'/);
  });
});

Deno.test("nvidia-ctk's global flags before the command mean what they mean to nvidia-ctk", async () => {
  await withFiles({ "etc/docker/daemon.json": SEED }, async (root) => {
    const toolkit = join(root, "etc/nvidia-container-runtime/config.toml");
    // The global --config names the toolkit's own config: never read, never written.
    const run = await rtconfOk(
      `--config=${toolkit}`,
      "runtime",
      "configure",
      "--runtime=docker",
      `--host-root=${root}`,
    );
    match(run.stderr, new RegExp(`updated ${root}/etc/docker/daemon\\.json`));
    equal(await readOrUndefined(toolkit), undefined);
    ok(JSON.parse(await Deno.readTextFile(join(root, "etc/docker/daemon.json"))).runtimes.nvidia);
    // With a space, and with the command's own --config after it: the command's wins.
    await withFiles({}, async (dir) => {
      const own = join(dir, "daemon.json");
      await rtconfOk("--config", toolkit, "runtime", "configure", `--config=${own}`);
      ok(JSON.parse(await Deno.readTextFile(own)).runtimes.nvidia);
      equal(await readOrUndefined(toolkit), undefined);
    });

    // --debug and -d before the command, or between its words.
    for (const args of [["--debug", "runtime"], ["-d", "runtime"], ["runtime", "-debug"]]) {
      const debug = await rtconfOk(
        ...args,
        "configure",
        "--runtime=docker",
        `--host-root=${root}`,
        "--dry-run",
      );
      match(debug.stderr, /^rtconf: debug: docker: reading the config from its files$/m);
    }
    // --quiet before the command; it overrides --debug.
    const quiet = await rtconfOk(
      "--quiet",
      "--debug",
      "runtime",
      "configure",
      "--runtime=docker,crio",
      `--host-root=${root}`,
      "--enable-cdi",
    );
    equal(quiet.stderr, "");
    // Their environment variables.
    const fromEnv = await withEnv(
      { NVIDIA_CTK_DEBUG: "true" },
      "runtime",
      "status",
      `--host-root=${root}`,
    );
    match(fromEnv.stderr, /^rtconf: debug: /m);
    const quietEnv = await withEnv(
      { NVIDIA_CTK_QUIET: "1", NVIDIA_CTK_DEBUG: "1" },
      "runtime",
      "configure",
      "--runtime=crio",
      `--host-root=${root}`,
      "--enable-cdi",
      "--dry-run",
    );
    equal(quietEnv.stderr, "", "no warning, no debug");
  });
});

Deno.test("--debug says what is read, run and decided; without it, none of that", async () => {
  await withFiles({ "etc/docker/daemon.json": SEED }, async (root) => {
    for (
      const args of [
        ["runtime", "configure", "--runtime=docker", `--host-root=${root}`, "--dry-run"],
        ["runtime", "status", `--host-root=${root}`],
        ["hook", `--host-root=${root}`, "--output=/etc/hook.json", "--dry-run"],
      ]
    ) {
      const plain = await rtconfOk(...args);
      equal(plain.stderr.includes("debug"), false, plain.stderr);
      const debug = await rtconfOk(...args, "--debug");
      match(debug.stderr, /^rtconf: debug: /m, args.join(" "));
      equal(debug.stdout, plain.stdout, "results are the same");
    }
  });
});

Deno.test("--dry-run prints the resulting config as nvidia-ctk does: JSON for jq, also when nothing changes", async () => {
  await withFiles({ "daemon.json": SEED }, async (dir) => {
    const args = ["runtime", "configure", `--config=${join(dir, "daemon.json")}`];
    const dry = await rtconfOk(...args, "--dry-run");
    const data = JSON.parse(dry.stdout); // one JSON document, no header
    deepEqual(data, {
      "log-driver": "journald",
      runtimes: { nvidia: { path: "nvidia-container-runtime" } },
    });
    await rtconfOk(...args);
    equal(dry.stdout, await Deno.readTextFile(join(dir, "daemon.json")));
    // Configured already: still the config, as nvidia-ctk prints it.
    const again = await rtconfOk(...args, "--dry-run");
    equal(again.stdout, dry.stdout);
    match(again.stderr, /no changes/);
    // rtconf's own forms where asked for: a diff, and headers for several engines.
    const diff = await rtconfOk(...args, "--dry-run", "--diff", "--set-as-default");
    match(diff.stdout, /^\+\s+"default-runtime": "nvidia"/m);
  });
  await withFiles({ "etc/docker/daemon.json": SEED }, async (root) => {
    const several = await rtconfOk(
      "runtime",
      "configure",
      "--runtime=docker,crio",
      `--host-root=${root}`,
      "--dry-run",
    );
    match(several.stdout, new RegExp(`^==> ${root}/etc/docker/daemon\\.json <==$`, "m"));
    match(
      several.stdout,
      new RegExp(`^==> ${root}/etc/crio/crio\\.conf\\.d/99-nvidia\\.toml <==$`, "m"),
    );
  });
});

Deno.test("after a change without --restart, stderr says the engine should be restarted", async () => {
  await withFiles({ "etc/docker/daemon.json": SEED }, async (root) => {
    const args = ["runtime", "configure", `--host-root=${root}`];
    for (const [engine, how] of [["docker", "signal"], ["containerd", "systemd"]]) {
      const hint = new RegExp(
        `^rtconf: it is recommended that the ${engine} daemon be restarted to load the change ` +
          `\\(--restart=${how} does it when something changed\\)$`,
        "m",
      );
      const first = await rtconfOk(...args, `--runtime=${engine}`);
      match(first.stderr, hint);
      const second = await rtconfOk(...args, `--runtime=${engine}`);
      equal(hint.test(second.stderr), false, "no hint when nothing changed");
      const undone = await rtconfOk(
        "runtime",
        "unconfigure",
        ...args.slice(2),
        `--runtime=${engine}`,
      );
      match(undone.stderr, hint);
      const quiet = await rtconfOk(...args, `--runtime=${engine}`, "--quiet");
      equal(quiet.stderr, "");
      const dry = await rtconfOk(
        "runtime",
        "unconfigure",
        ...args.slice(2),
        `--runtime=${engine}`,
        "--dry-run",
      );
      equal(hint.test(dry.stderr), false, "no hint for a dry run");
    }
  });
});

Deno.test("--runtime-name with the flags it would override is a usage error", async (t) => {
  const cases: [string[], string][] = [
    [
      ["--runtime-name=gpu=/opt/gpu", "--nvidia-runtime-name=nvidia"],
      "--runtime-name and --nvidia-runtime-name both name the runtimes: give one of them",
    ],
    [
      ["--runtime-name=gpu", "--all-nvidia-runtimes"],
      "--runtime-name and --all-nvidia-runtimes both name the runtimes: give one of them",
    ],
    [
      ["--runtime-name=gpu=/opt/gpu", "--runtime-name=b=/opt/b", "--nvidia-runtime-path=/opt/x"],
      "--nvidia-runtime-path is not used: every --runtime-name gives its own path",
    ],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      deepEqual(await rtconf("runtime", "configure", "--runtime=docker", ...args), {
        status: 2,
        stdout: "",
        stderr: `rtconf: ${message}\n`,
      });
    });
  }
  // Without a path, --runtime-name takes --nvidia-runtime-path's: no conflict.
  await withFiles({}, async (dir) => {
    const run = await rtconfOk(
      "runtime",
      "configure",
      `--config=${join(dir, "daemon.json")}`,
      "--runtime-name=gpu",
      "--nvidia-runtime-path=/opt/gpu/runtime",
      "--dry-run",
    );
    deepEqual(JSON.parse(run.stdout).runtimes, { gpu: { path: "/opt/gpu/runtime" } });
  });
});

Deno.test("help and version as nvidia-ctk's CLI offers them", async () => {
  const version = { status: 0, stdout: `rtconf ${VERSION}\n`, stderr: "" };
  for (const args of [["version"], ["-v"], ["--version"], ["-version"]]) {
    deepEqual(await rtconf(...args), version, args.join(" "));
  }
  const root = { status: 0, stdout: helpText(ROOT), stderr: "" };
  for (const args of [["help"], ["h"], ["--help"], ["-h"], ["-help"], ["-dh"]]) {
    deepEqual(await rtconf(...args), root, args.join(" "));
  }
  const configure = { status: 0, stdout: helpText(CONFIGURE), stderr: "" };
  for (
    const args of [
      ["help", "runtime", "configure"],
      ["runtime", "help", "configure"],
      ["runtime", "h", "configure"],
      ["runtime", "configure", "-h"],
    ]
  ) {
    deepEqual(await rtconf(...args), configure, args.join(" "));
  }
  deepEqual(await rtconf("runtime", "help", "status"), {
    status: 0,
    stdout: helpText(STATUS),
    stderr: "",
  });
  const unknown = await rtconf("help", "frob");
  equal(unknown.status, 2);
  match(unknown.stderr, /unknown command 'frob'/);
});

Deno.test("a hook can be removed: rtconf hook --remove, and unconfigure --config-mode=oci-hook", async () => {
  await withFiles({}, async (dir) => {
    const path = join(dir, "hooks.d/oci-nvidia-hook.json");
    await rtconfOk("hook", `--output=${path}`);
    equal(await Deno.readTextFile(path), ociHookText("/usr/bin/nvidia-container-runtime-hook"));
    const dry = await rtconfOk("hook", "--remove", `--output=${path}`, "--dry-run");
    match(dry.stderr, /would remove/);
    ok(await readOrUndefined(path));
    const removed = await rtconfOk("hook", "--remove", `--output=${path}`);
    match(removed.stderr, new RegExp(`removed ${path}`));
    equal(await readOrUndefined(path), undefined);
    match((await rtconfOk("hook", "--remove", `--output=${path}`)).stderr, /no changes/);

    // nvidia-ctk's flags, with configure's deprecated hook mode and its inverse.
    const flags = [
      "--config-mode=oci-hook",
      `--oci-hook-path=${path}`,
      "--nvidia-runtime-hook-path=/opt/nvidia/nvidia-container-runtime-hook",
    ];
    await rtconfOk("runtime", "configure", ...flags);
    ok(JSON.parse(await Deno.readTextFile(path)).hook.path.startsWith("/opt/nvidia/"));
    const unconfigured = await rtconfOk("runtime", "unconfigure", ...flags);
    match(unconfigured.stderr, /deprecated/);
    equal(await readOrUndefined(path), undefined);

    // Someone else's hook stays.
    const foreign = '{"version": "1.0.0", "hook": {"path": "/usr/bin/other-hook"}}\n';
    await Deno.writeTextFile(path, foreign);
    const refused = await rtconf("hook", "--remove", `--output=${path}`);
    equal(refused.status, 1);
    match(refused.stderr, /not a hook file that rtconf or nvidia-ctk wrote; nothing was removed/);
    equal(await Deno.readTextFile(path), foreign);

    const nowhere = await rtconf("hook", "--remove");
    equal(nowhere.status, 2);
    notEqual(nowhere.stderr, "");
  });
  // Under a host root: the host's path.
  await withFiles({ "usr/share/containers/oci/hooks.d/.keep": "" }, async (root) => {
    const hook = "/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json";
    await rtconfOk("hook", `--host-root=${root}`, `--output=${hook}`);
    ok(await readOrUndefined(join(root, hook)));
    await rtconfOk("hook", `--host-root=${root}`, `--output=${hook}`, "--remove");
    equal(await readOrUndefined(join(root, hook)), undefined);
  });
});
