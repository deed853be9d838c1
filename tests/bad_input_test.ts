/**
 * Hostile input: each case gives a correct result or a one-line error that
 * names the file (and for parse errors the line and column), and the files
 * stay untouched.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { readOrUndefined, rtconf, rtconfOk, withFiles } from "./_helpers.ts";

function args(dir: string, ...more: string[]): string[] {
  return [
    "--runtime=containerd",
    `--config=${join(dir, "config.toml")}`,
    `--drop-in-config=${join(dir, "conf.d/99-nvidia.toml")}`,
    ...more,
  ];
}

async function bytesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) {
      const digest = await crypto.subtle.digest(
        "SHA-256",
        await Deno.readFile(join(dir, entry.name)),
      );
      out[entry.name] = Array.from(new Uint8Array(digest)).join();
    } else out[entry.name] = entry.isDirectory ? "<dir>" : "<other>";
  }
  return out;
}

const ERRORS: [string, (dir: string) => Promise<void>, RegExp][] = [
  [
    "invalid TOML",
    (dir) => Deno.writeTextFile(join(dir, "config.toml"), 'version = 2\n[plugins\nx = "y"\n'),
    /config\.toml: invalid TOML at line 2, column \d+: .+/,
  ],
  [
    "duplicate keys",
    (dir) =>
      Deno.writeTextFile(join(dir, "config.toml"), "version = 2\nroot = '/a'\nroot = '/b'\n"),
    /config\.toml: invalid TOML at line 3, column \d+: .*redefine/,
  ],
  [
    "a directory",
    (dir) => Deno.mkdir(join(dir, "config.toml")),
    /config\.toml: cannot read: is a directory, not a file/,
  ],
  [
    "a binary file",
    (dir) =>
      Deno.writeFile(join(dir, "config.toml"), new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])),
    /config\.toml: binary file, not a config file/,
  ],
  [
    "a 50 MB file",
    async (dir) => {
      const file = await Deno.open(join(dir, "config.toml"), { write: true, create: true });
      await file.truncate(50 * 2 ** 20);
      file.close();
    },
    /config\.toml: too large for a config file \(50 MiB; rtconf reads up to 16 MiB\)/,
  ],
  [
    "not UTF-8",
    (dir) =>
      Deno.writeFile(
        join(dir, "config.toml"),
        new Uint8Array([0x76, 0x3d, 0x22, 0xff, 0xfe, 0x22, 0x0a]),
      ),
    /config\.toml: not UTF-8 text/,
  ],
  [
    "a version that is not an integer",
    (dir) => Deno.writeTextFile(join(dir, "config.toml"), 'version = "2"\n'),
    /config\.toml: failed to parse config version: unsupported type for version field: "2"/,
  ],
  [
    "imports that is not an array",
    (dir) =>
      Deno.writeTextFile(
        join(dir, "config.toml"),
        'version = 2\nimports = "/etc/containerd/x.toml"\n',
      ),
    /config\.toml: imports is not an array/,
  ],
  [
    "runtimes that is not a table",
    (dir) =>
      Deno.writeTextFile(
        join(dir, "config.toml"),
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\nruntimes = "runc"\n',
      ),
    /config\.toml: plugins\.io\.containerd\.grpc\.v1\.cri\.containerd\.runtimes is not a table/,
  ],
];

for (const [name, setUp, expected] of ERRORS) {
  Deno.test(`bad input: ${name} is a one-line error and nothing changes`, async () => {
    await withFiles({}, async (dir) => {
      await setUp(dir);
      const before = await bytesOf(dir);
      for (const verb of ["configure", "unconfigure"]) {
        const run = await rtconf("runtime", verb, ...args(dir, "--set-as-default"));
        equal(run.status, 1, run.stderr);
        equal(run.stdout, "");
        equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
        match(run.stderr, new RegExp(`^rtconf: ${dir}/${expected.source}`));
        ok(!run.stderr.includes("    at "), "no stack trace");
      }
      deepEqual(await bytesOf(dir), before);
    });
  });
}

Deno.test("bad input: --debug adds the stack trace", async () => {
  await withFiles({ "config.toml": 'version = "2"\n' }, async (dir) => {
    const run = await rtconf("runtime", "configure", ...args(dir), "--debug");
    equal(run.status, 1);
    match(run.stderr, /^rtconf: .*unsupported type for version field/m);
    match(run.stderr, /\n {4}at /);
  });
});

/** Configure in both modes, check, and check that unconfigure restores the bytes. */
async function roundTrip(
  text: string,
  flags: string[],
  check: (after: { config: string; dropIn: string | undefined }) => void,
): Promise<void> {
  for (const dropIn of [true, false]) {
    await withFiles({ "config.toml": text }, async (dir) => {
      const all = args(dir, ...flags, ...(dropIn ? [] : ["--drop-in-config="]));
      await rtconfOk("runtime", "configure", ...all);
      const after = {
        config: await Deno.readTextFile(join(dir, "config.toml")),
        dropIn: await readOrUndefined(join(dir, "conf.d/99-nvidia.toml")),
      };
      check(after);
      await rtconfOk("runtime", "unconfigure", ...all);
      equal(await Deno.readTextFile(join(dir, "config.toml")), text);
      equal(await readOrUndefined(join(dir, "conf.d/99-nvidia.toml")), undefined);
    });
  }
}

const CONFIG = `version = 2

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"

  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`;

type Runtimes = Record<string, { options: Record<string, string> }>;

function runtimes(text: string): Runtimes {
  const data = parse(text) as { plugins: Record<string, { containerd: { runtimes: Runtimes } }> };
  return data.plugins["io.containerd.grpc.v1.cri"].containerd.runtimes;
}

for (
  const name of ["nvidia.cdi", "my runtime", 'quote"d', "x]y", "Nvidia", "-gpu", "a".repeat(64)]
) {
  Deno.test(`a runtime name that is no Kubernetes runtime handler is refused: ${name}`, async () => {
    for (const engine of ["containerd", "crio"]) {
      const run = await rtconf(
        "runtime",
        "configure",
        `--runtime=${engine}`,
        "--dry-run",
        `--nvidia-runtime-name=${name}`,
      );
      equal(run.status, 2);
      equal(
        run.stderr,
        `rtconf: invalid runtime name "${name}" for ${engine}: a runtime handler must be a DNS label: ` +
          "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit\n",
      );
    }
  });
}

Deno.test("the library refuses such a name too, and Docker takes it", async () => {
  const { configure } = await import("../lib/mod.ts");
  const runtimes = [{ name: "nvidia.cdi", path: "/usr/bin/nvidia-container-runtime.cdi" }];
  await rejects(
    configure({ engine: "containerd", files: {}, runtimes }),
    /invalid runtime name "nvidia\.cdi" for containerd/,
  );
  const plan = await configure({ engine: "docker", files: {}, runtimes });
  const daemon = plan.find((change) => change.path === "/etc/docker/daemon.json")!;
  equal(
    JSON.parse(daemon.after!).runtimes["nvidia.cdi"].path,
    "/usr/bin/nvidia-container-runtime.cdi",
  );
});

Deno.test("a runtime path with spaces and quotes is written as a TOML string", async () => {
  const path = '/opt/my gpu/"nvidia"\\runtime';
  await roundTrip(CONFIG, [`--nvidia-runtime-path=${path}`], (after) => {
    equal(runtimes(after.dropIn ?? after.config).nvidia.options.BinaryName, path);
  });
});

Deno.test("CRLF line endings are kept, new lines included", async () => {
  await roundTrip(
    CONFIG.replaceAll("\n", "\r\n"),
    ["--set-as-default", "--enable-cdi"],
    (after) => {
      // The file keeps its CRLF; a new drop-in is written with LF.
      ok(!/[^\r]\n/.test(after.config), `a bare LF in: ${JSON.stringify(after.config)}`);
      equal(
        runtimes(after.dropIn ?? after.config).nvidia.options.BinaryName,
        "/usr/bin/nvidia-container-runtime",
      );
    },
  );
});

Deno.test("a UTF-8 byte order mark is kept where containerd reads it (version 1: 1.x only)", async () => {
  const v1 = 'root = "/var/lib/containerd"\n[plugins.cri.containerd.runtimes.runc]\n' +
    'runtime_type = "io.containerd.runc.v2"\n';
  await roundTrip("\uFEFF" + v1, ["--set-as-default"], (after) => {
    ok(after.config.startsWith("\uFEFF"));
    equal(after.config.indexOf("\uFEFF", 1), -1);
  });
});

Deno.test("a byte order mark in a version 2 config, which containerd 2.x cannot read, is refused", async () => {
  await withFiles({ "config.toml": "\uFEFF" + CONFIG }, async (dir) => {
    const before = await bytesOf(dir);
    const run = await rtconf("runtime", "configure", ...args(dir, "--set-as-default"));
    equal(run.status, 1);
    equal(
      run.stderr,
      `rtconf: ${dir}/config.toml: containerd 2.0 and 2.1 cannot read it (go-toml v2.2.1 at ` +
        "line 1, column 1: invalid character at start of key: ï); nothing was written\n",
    );
    deepEqual(await bytesOf(dir), before);
  });
});
