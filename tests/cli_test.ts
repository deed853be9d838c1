import { deepEqual, equal, match, ok } from "node:assert/strict";
import { rtconf, withFiles } from "./_helpers.ts";
import { COMMANDS } from "../lib/cli/commands.ts";
import { helpText } from "../lib/cli/flags.ts";
import { VERSION } from "../lib/version.ts";

function oneLine(text: string): void {
  equal(text.endsWith("\n"), true, `no final newline: ${JSON.stringify(text)}`);
  equal(text.trimEnd().split("\n").length, 1, `more than one line: ${text}`);
}

Deno.test("--help lists the commands", async () => {
  const { status, stdout, stderr } = await rtconf("--help");
  equal(status, 0);
  equal(stderr, "");
  match(stdout, /^Usage: rtconf COMMAND \[flags\]/);
  for (const command of ["runtime configure", "runtime unconfigure", "hook"]) {
    match(stdout, new RegExp(`^  ${command} `, "m"));
  }
});

Deno.test("--version prints the version of deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  equal(VERSION, config.version);
  deepEqual(await rtconf("--version"), { status: 0, stdout: `rtconf ${VERSION}\n`, stderr: "" });
});

Deno.test("each command's --help is its help text", async () => {
  for (const command of COMMANDS) {
    for (const help of ["--help", "-h"]) {
      const result = await rtconf(...command.words, help);
      deepEqual(result, { status: 0, stdout: helpText(command), stderr: "" });
    }
  }
});

Deno.test("configure's help names every nvidia-ctk flag", async () => {
  const { stdout } = await rtconf("runtime", "configure", "--help");
  for (
    const flag of [
      "--runtime=",
      "--config=",
      "--drop-in-config=",
      "--config-source=",
      "--executable-path=",
      "--config-mode=",
      "--oci-hook-path=",
      "--nvidia-runtime-name=",
      "--nvidia-runtime-path=",
      "--runtime-path=",
      "--nvidia-runtime-hook-path=",
      "--nvidia-set-as-default",
      "--set-as-default",
      "--cdi.enabled",
      "--cdi.enable",
      "--enable-cdi",
      "--dry-run",
    ]
  ) {
    equal(stdout.includes(flag), true, `missing ${flag}`);
  }
});

Deno.test("usage errors exit 2 with one line naming the problem and --help", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--frob"], /^rtconf: unknown flag --frob for 'rtconf'; see 'rtconf --help'$/],
    [["frob"], /^rtconf: unknown command 'frob'; see 'rtconf --help'$/],
    [[], /^rtconf: missing command; see 'rtconf --help'$/],
    [["runtime"], /missing command after 'rtconf runtime'; see 'rtconf runtime --help'/],
    [
      ["runtime", "frob"],
      /unknown command 'frob' for 'rtconf runtime'; see 'rtconf runtime --help'/,
    ],
    [
      ["runtime", "configure", "--frob"],
      /^rtconf: unknown flag --frob for 'rtconf runtime configure'; see 'rtconf runtime configure --help'$/,
    ],
    [["runtime", "configure", "extra"], /unexpected argument 'extra'/],
    [["runtime", "configure", "--runtime"], /flag --runtime needs a value/],
    [["runtime", "configure", "--dry-run=yes"], /invalid value "yes" for flag --dry-run/],
    [["runtime", "unconfigure", "--quiet", "--config-mode=oci-hook"], /needs the file/],
    [["hook", "--frob"], /unknown flag --frob for 'rtconf hook'/],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" ") || "(no arguments)", async () => {
      const { status, stdout, stderr } = await rtconf(...args);
      equal(status, 2);
      equal(stdout, "");
      oneLine(stderr);
      match(stderr.trimEnd(), expected);
      equal(stderr.includes("    at "), false, "stack trace printed");
    });
  }
});

Deno.test("configure validates like nvidia-ctk, in its order", async (t) => {
  const cases: [string[], string][] = [
    [["--runtime=rkt"], "rtconf: unrecognized runtime 'rkt'\n"],
    [
      ["--runtime=containerd", "--nvidia-runtime-path=bin/runtime"],
      'rtconf: the NVIDIA runtime path "bin/runtime" is not an absolute path\n',
    ],
    [
      ["--runtime=crio", "--runtime-path=relative"],
      'rtconf: the NVIDIA runtime path "relative" is not an absolute path\n',
    ],
    [
      ["--runtime=containerd", "--config-source=stdin"],
      "rtconf: unrecognized Config Source: stdin\n",
    ],
    [
      ["--runtime=docker", "--drop-in-config=/etc/docker/x.json"],
      "rtconf: runtime docker does not support drop-in configs\n",
    ],
    [
      ["--runtime=containerd", "--drop-in-config=conf.d/x.toml"],
      'rtconf: the drop-in-config path "conf.d/x.toml" is not an absolute path\n',
    ],
    [
      ["--runtime=containerd", "--nvidia-runtime-name="],
      "rtconf: the runtime name must not be empty\n",
    ],
    [
      ["--config-mode=oci-hook", "--nvidia-runtime-hook-path=hook"],
      "rtconf: warning: The \"oci-hook\" config-mode is deprecated; use 'rtconf hook'\n" +
      'rtconf: the NVIDIA runtime hook path "hook" is not an absolute path\n',
    ],
    // The runtime is checked before the path, as in nvidia-ctk.
    [["--runtime=x", "--runtime-path=rel"], "rtconf: unrecognized runtime 'x'\n"],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await rtconf("runtime", "configure", ...args);
      deepEqual(result, { status: 2, stdout: "", stderr: expected });
    });
  }
});

Deno.test("hook prints the hook on stdout", async () => {
  const { status, stdout, stderr } = await rtconf("hook");
  equal(status, 0);
  equal(stderr, "");
  const hook = JSON.parse(stdout);
  equal(hook.version, "1.0.0");
  equal(hook.hook.path, "/usr/bin/nvidia-container-runtime-hook");
  deepEqual(hook.stages, ["prestart"]);
});

Deno.test("--quiet silences what happened and warnings, never results or errors", async () => {
  await withFiles({ "etc/docker/daemon.json": "{}\n" }, async (root) => {
    const args = ["--runtime=docker,crio", `--host-root=${root}`, "--enable-cdi"];
    const loud = await rtconf("runtime", "configure", ...args, "--dry-run");
    equal(loud.status, 0);
    match(loud.stderr, /^rtconf: warning: Ignoring cdi\.enabled flag for crio$/m);
    match(loud.stderr, /^rtconf: would update .*daemon\.json$/m);

    const quiet = await rtconf("runtime", "configure", ...args, "--dry-run", "--quiet");
    deepEqual(quiet, { status: 0, stdout: loud.stdout, stderr: "" });
    ok(quiet.stdout.includes('"cdi": true'), "the dry run's result is still printed");

    const written = await rtconf("runtime", "configure", ...args, "--quiet");
    deepEqual(written, { status: 0, stdout: "", stderr: "" });
    const again = await rtconf("runtime", "configure", ...args, "--quiet");
    deepEqual(again, { status: 0, stdout: "", stderr: "" }, "no 'no changes' line");
    const warned = await rtconf(
      "runtime",
      "configure",
      "--runtime=docker",
      `--host-root=${root}`,
      "--config-source=command",
      "--quiet",
    );
    deepEqual(warned, { status: 0, stdout: "", stderr: "" }, "no config-source warning");

    const error = await rtconf("runtime", "configure", "--runtime=rkt", "--quiet");
    deepEqual(error, { status: 2, stdout: "", stderr: "rtconf: unrecognized runtime 'rkt'\n" });
    const status = await rtconf("runtime", "status", `--host-root=${root}`, "--quiet");
    equal(status.status, 0);
    match(status.stdout, /^docker: default runtime runc/);
  });
});
