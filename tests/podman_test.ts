/**
 * podman: runtimes in containers.conf's [engine.runtimes], through rtconf's
 * drop-in or in place, judged file by file and byte by byte, with the
 * refusals that keep podman reading what the node has. That real podman
 * reads the files as rtconf does, and runs containers through what it wrote,
 * is tested in tests/e2e/podman_test.ts.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { podmanScope, readOrder, RELEASES } from "../lib/engines/podman/files.ts";
import { parseToml } from "../lib/formats/toml/parse.ts";
import { CREATED_HEADER } from "../lib/plan.ts";
import { lineChanges, readOrUndefined, rtconf, type Run } from "./_helpers.ts";
import {
  assertOneLine,
  assertSameBytes,
  assertUntouched,
  snapshot,
  withRoot,
} from "./_effective.ts";

const RUNTIME = "/usr/bin/nvidia-container-runtime";
const VENDOR = "usr/share/containers/containers.conf";
const SYSTEM = "etc/containers/containers.conf";
const DROP_IN = "etc/containers/containers.conf.d/99-nvidia.conf";
const ROOT_OWN = "root/.config/containers/containers.conf";

/** A vendor's file as distributions ship it: mostly comments, a few settings. */
const VENDOR_TEXT =
  `# The containers configuration file specifies all of the available configuration
# command-line options/flags for container engine tools like Podman and Buildah.

[containers]
#default_capabilities = [
#  "CHOWN",
#]
log_driver = "k8s-file"

[engine]
#runtime = ""

# Paths to look for a valid OCI runtime (crun, runc, kata, runsc, krun, etc)
[engine.runtimes]
#crun = [
#  "/usr/bin/crun",
#]
runc = ["/usr/bin/runc", "/usr/sbin/runc"]
`;

/** A site's own /etc/containers/containers.conf. */
const SITE_TEXT = `# Site settings (managed by hand)
[containers]
default_ulimits = [
  "nofile=1024:1024", # for the batch jobs
]

[engine]
cgroup_manager = "cgroupfs"   # no systemd here
runtime = "runc"

[engine.runtimes]
runc = [
  "/usr/local/sbin/runc",
  "/usr/bin/runc",
]

[network]
network_backend = "netavark"
`;

type Table = Record<string, unknown>;

/** A stand-in host's root holding `files` (a host root has an `etc`), removed after `fn`. */
function withHost<T>(files: Record<string, string>, fn: (root: string) => Promise<T>): Promise<T> {
  return withRoot({ "etc/hostname": "node\n", ...files }, fn);
}

function podman(command: string, root: string, ...flags: string[]): Promise<Run> {
  return rtconf("runtime", command, "--runtime=podman", `--host-root=${root}`, ...flags);
}

async function ok0(run: Promise<Run>, what: string): Promise<Run> {
  const done = await run;
  equal(done.status, 0, `${what}: exit ${done.status}: ${done.stderr}`);
  return done;
}

async function toml(root: string, path: string): Promise<Table> {
  return parse(await Deno.readTextFile(join(root, path))) as Table;
}

async function status(root: string, ...flags: string[]): Promise<Table> {
  const run = await ok0(podman("status", root, "--json", ...flags), "status");
  return JSON.parse(run.stdout).engines[0];
}

/**
 * configure, a second configure (writes nothing), --check (0), unconfigure
 * (the files as they were, byte for byte) — the round trip every case makes.
 */
async function roundTrip(root: string, flags: string[], judge: () => Promise<void>) {
  const original = await snapshot(root);
  const pending = await podman("configure", root, ...flags, "--check");
  equal(pending.status, 3, `--check before configure: ${pending.stderr}`);
  assertUntouched(original, await snapshot(root), "--check");
  await ok0(podman("configure", root, ...flags), "configure");
  await judge();
  const written = await snapshot(root);
  await ok0(podman("configure", root, ...flags), "second configure");
  assertUntouched(written, await snapshot(root), "second configure");
  await ok0(podman("configure", root, ...flags, "--check"), "--check after configure");
  await ok0(podman("unconfigure", root, ...flags), "unconfigure");
  assertSameBytes(original, await snapshot(root), "configure then unconfigure");
}

Deno.test("podman reads its files in its releases' orders", async (t) => {
  const texts = {
    "/usr/share/containers/containers.conf": "",
    "/etc/containers/containers.conf": "",
    "/etc/containers/containers.conf.d/10-site.conf": "",
    "/etc/containers/containers.conf.d/99-nvidia.conf": "",
    "/etc/containers/containers.conf.d/README": "",
    "/etc/containers/containers.conf.d/sub/50-deep.conf": "",
    "/etc/containers/containers.rootless.conf": "",
    "/etc/containers/containers.rootless.conf.d/10-users.conf": "",
    "/root/.config/containers/containers.conf": "",
    "/home/ada/.config/containers/containers.conf": "",
    "/home/ada/.config/containers/containers.conf.d/99-nvidia.conf": "",
    "/usr/share/containers/containers.conf.d/99-nvidia.conf": "",
    "/etc/containers/containers.rootful.conf.d/20-root.conf": "",
  };
  const orders = (configPath: string) =>
    RELEASES.map((release) => readOrder(texts, podmanScope(configPath), release));
  const system = [
    "/usr/share/containers/containers.conf",
    "/etc/containers/containers.conf",
    "/etc/containers/containers.conf.d/10-site.conf",
    "/etc/containers/containers.conf.d/99-nvidia.conf",
  ];
  await t.step("root: 4 without root's own files, 5 with them, 6 one main config", () => {
    const own = "/root/.config/containers/containers.conf";
    deepEqual(orders("/etc/containers/containers.conf"), [
      system,
      [...system, own],
      [...system, own],
      [
        own,
        "/etc/containers/containers.conf.d/10-site.conf",
        "/etc/containers/containers.rootful.conf.d/20-root.conf",
        // One drop-in per name: /etc's hides /usr/share's.
        "/etc/containers/containers.conf.d/99-nvidia.conf",
      ],
    ]);
  });
  await t.step("a rootless user: containers.rootless.conf from 5.7 on", () => {
    const user = [
      "/home/ada/.config/containers/containers.conf",
      "/home/ada/.config/containers/containers.conf.d/99-nvidia.conf",
    ];
    const rootless = [
      "/etc/containers/containers.rootless.conf",
      "/etc/containers/containers.rootless.conf.d/10-users.conf",
    ];
    deepEqual(orders("/home/ada/.config/containers/containers.conf"), [
      [...system, ...user],
      [...system, ...user],
      [...system, ...rootless, ...user],
      [
        "/home/ada/.config/containers/containers.conf",
        "/etc/containers/containers.conf.d/10-site.conf",
        // podman 6's containers.rootless.conf.d beside /etc's containers.conf.
        "/etc/containers/containers.rootless.conf.d/10-users.conf",
        "/home/ada/.config/containers/containers.conf.d/99-nvidia.conf",
      ],
    ]);
  });
});

Deno.test("drop-in: no config at all gets the drop-in only, and loses it again", async () => {
  await withHost({}, async (root) => {
    await roundTrip(root, [], async () => {
      equal(
        await Deno.readTextFile(join(root, DROP_IN)),
        "# Written by rtconf (runtime configure) for Podman; 'rtconf runtime unconfigure' " +
          "removes it.\n" +
          "# rtconf: created the directory /etc/containers\n" +
          "# rtconf: created the directory /etc/containers/containers.conf.d\n" +
          "\n[engine.runtimes]\n" +
          `nvidia = ["${RUNTIME}"]\n`,
      );
      equal(await readOrUndefined(join(root, SYSTEM)), undefined, "containers.conf created");
      const shown = await status(root);
      deepEqual(shown.runtimes, [{ name: "nvidia", path: RUNTIME, file: join(root, DROP_IN) }]);
      equal(shown.defaultRuntime, "crun");
      match(String(shown.engineDefault), /first of crun, runc/);
    });
    // The directories rtconf created go with its drop-in.
    deepEqual([...Deno.readDirSync(join(root, "etc"))].map((entry) => entry.name), ["hostname"]);
  });
});

Deno.test("drop-in: a packaged node's files stay as they are; the default is the drop-in's", async () => {
  await withHost({ [VENDOR]: VENDOR_TEXT, [SYSTEM]: SITE_TEXT }, async (root) => {
    await roundTrip(root, ["--set-as-default"], async () => {
      equal(await Deno.readTextFile(join(root, VENDOR)), VENDOR_TEXT);
      equal(await Deno.readTextFile(join(root, SYSTEM)), SITE_TEXT);
      deepEqual(await toml(root, DROP_IN), {
        engine: { runtime: "nvidia", runtimes: { nvidia: [RUNTIME] } },
      });
      const shown = await status(root);
      equal(shown.defaultRuntime, "nvidia");
      equal(shown.defaultFile, join(root, DROP_IN));
      deepEqual(shown.files, [VENDOR, SYSTEM, DROP_IN].map((path) => join(root, path)));
      deepEqual(
        (shown.runtimes as Table[]).map((runtime) => [runtime.name, runtime.path]),
        [["runc", "/usr/local/sbin/runc"], ["nvidia", RUNTIME]],
      );
    });
  });
});

Deno.test("drop-in: --all-nvidia-runtimes, a runtime name that needs quotes", async () => {
  await withHost({ [SYSTEM]: SITE_TEXT }, async (root) => {
    await roundTrip(root, ["--all-nvidia-runtimes"], async () => {
      deepEqual((await toml(root, DROP_IN)).engine, {
        runtimes: {
          nvidia: [RUNTIME],
          "nvidia-cdi": [`${RUNTIME}.cdi`],
          "nvidia-legacy": [`${RUNTIME}.legacy`],
        },
      });
    });
    await roundTrip(root, [`--runtime-name=nvidia.gpu=${RUNTIME}`], async () => {
      match(await Deno.readTextFile(join(root, DROP_IN)), /^"nvidia\.gpu" = \[/m);
    });
  });
});

Deno.test("drop-in: a runtime and default the node already has need nothing of rtconf's", async () => {
  const node = SITE_TEXT.replace('runtime = "runc"', 'runtime = "nvidia"')
    .replace("runc = [", `nvidia = ["${RUNTIME}"]\nrunc = [`);
  await withHost({ [SYSTEM]: node }, async (root) => {
    const before = await snapshot(root);
    for (const command of ["configure", "unconfigure"]) {
      const run = await ok0(podman(command, root, "--set-as-default"), command);
      match(run.stderr, /no changes/);
    }
    assertUntouched(before, await snapshot(root), "configure and unconfigure");
  });
});

Deno.test("in place: only the lines that must change, with notes; unconfigure puts them back", async () => {
  await withHost({ [SYSTEM]: SITE_TEXT }, async (root) => {
    await roundTrip(root, ["--drop-in-config=", "--set-as-default"], async () => {
      const after = await Deno.readTextFile(join(root, SYSTEM));
      deepEqual(lineChanges(SITE_TEXT, after), {
        removed: ['runtime = "runc"'],
        added: [
          ['runtime = "nvidia" # rtconf: was "runc"'],
          [`nvidia = ["${RUNTIME}"] # rtconf: added`],
        ],
      });
      equal(await readOrUndefined(join(root, DROP_IN)), undefined, "a drop-in was written");
    });
  });
});

Deno.test("in place: a config without [engine] gets tables of its own, gone again after", async () => {
  const text = '[containers]\nlog_driver = "journald"\n\n[network]\nnetwork_backend = "netavark"\n';
  await withHost({ [SYSTEM]: text }, async (root) => {
    await roundTrip(root, ["--drop-in-config=", "--set-as-default"], async () => {
      deepEqual(lineChanges(text, await Deno.readTextFile(join(root, SYSTEM))), {
        removed: [],
        added: [[
          "",
          "[engine] # rtconf: added",
          'runtime = "nvidia" # rtconf: added',
          "",
          "[engine.runtimes] # rtconf: added",
          `nvidia = ["${RUNTIME}"] # rtconf: added`,
        ]],
      });
    });
  });
});

Deno.test("in place: the operator's older NVIDIA runtime is changed with a note, and put back", async () => {
  const text = SITE_TEXT.replace(
    "runc = [",
    'nvidia = ["/usr/local/nvidia/toolkit/nvidia-container-runtime"]\nrunc = [',
  );
  await withHost({ [SYSTEM]: text }, async (root) => {
    await roundTrip(root, ["--drop-in-config="], async () => {
      const after = await Deno.readTextFile(join(root, SYSTEM));
      ok(
        after.includes(
          `nvidia = ["${RUNTIME}"] # rtconf: was ["/usr/local/nvidia/toolkit/nvidia-container-runtime"]\n`,
        ),
        after,
      );
    });
  });
});

Deno.test("in place: a missing containers.conf is created, and removed again", async () => {
  await withHost({}, async (root) => {
    await roundTrip(root, ["--drop-in-config="], async () => {
      const text = await Deno.readTextFile(join(root, SYSTEM));
      ok(text.startsWith(CREATED_HEADER), text);
      deepEqual(parse(text), { engine: { runtimes: { nvidia: [RUNTIME] } } });
    });
  });
});

Deno.test("a rootless user's own containers.conf: the drop-in goes beside it", async () => {
  const home = "home/ada/.config/containers";
  await withHost({ [SYSTEM]: SITE_TEXT, [`${home}/containers.conf`]: "" }, async (root) => {
    const config = `--config=/${home}/containers.conf`;
    await roundTrip(root, [config, "--set-as-default"], async () => {
      deepEqual(await toml(root, `${home}/containers.conf.d/99-nvidia.conf`), {
        engine: { runtime: "nvidia", runtimes: { nvidia: [RUNTIME] } },
      });
      equal(await Deno.readTextFile(join(root, `${home}/containers.conf`)), "");
      const shown = await status(root, config);
      equal(shown.defaultRuntime, "nvidia");
      deepEqual(
        shown.files,
        [SYSTEM, `${home}/containers.conf`, `${home}/containers.conf.d/99-nvidia.conf`]
          .map((path) => join(root, path)),
      );
    });
  });
});

Deno.test("root's own containers.conf: a drop-in beside it, said to be unread by podman 4", async () => {
  await withHost({ [SYSTEM]: SITE_TEXT }, async (root) => {
    const flags = [`--config=/${ROOT_OWN}`];
    const run = await ok0(podman("configure", root, ...flags), "configure");
    match(run.stderr, /containers\.conf\.d\/99-nvidia\.conf: podman 4 as root does not read it/);
    deepEqual(await toml(root, "root/.config/containers/containers.conf.d/99-nvidia.conf"), {
      engine: { runtimes: { nvidia: [RUNTIME] } },
    });
    await ok0(podman("unconfigure", root, ...flags), "unconfigure");
    equal(
      await readOrUndefined(join(root, "root/.config/containers/containers.conf.d/99-nvidia.conf")),
      undefined,
    );
  });
});

Deno.test("several engines in one run: crio and podman", async () => {
  await withHost({ [SYSTEM]: SITE_TEXT }, async (root) => {
    const run = await ok0(
      rtconf("runtime", "configure", "--runtime=crio,podman", `--host-root=${root}`),
      "configure",
    );
    match(run.stderr, /created .*crio\.conf\.d\/99-nvidia\.toml/);
    match(run.stderr, /created .*containers\.conf\.d\/99-nvidia\.conf/);
  });
});

Deno.test("--enable-cdi is ignored with a warning: podman always has CDI", async () => {
  await withHost({}, async (root) => {
    const run = await ok0(podman("configure", root, "--enable-cdi", "--dry-run"), "configure");
    match(run.stderr, /Ignoring cdi\.enabled flag for podman/);
    deepEqual((await status(root)).cdi, { enabled: true, file: "", engineDefault: "always on" });
  });
});

/** A refusal: one line, exit 1, no file written. */
async function refused(
  files: Record<string, string>,
  flags: string[],
  message: RegExp,
  command = "configure",
) {
  await withHost(files, async (root) => {
    const before = await snapshot(root);
    const run = await podman(command, root, ...flags);
    assertOneLine(run, 1, flags.join(" "));
    match(run.stderr, message);
    assertUntouched(before, await snapshot(root), "refused");
  });
}

Deno.test("refused: a runtime of the node's that is not NVIDIA's", async (t) => {
  await t.step("podman's built-in runc", () =>
    refused(
      {},
      [`--runtime-name=runc=${RUNTIME}`],
      /the node's runtime runc runs runc \(built into podman\), not an NVIDIA runtime/,
    ));
  await t.step("a runtime a file names", () =>
    refused(
      { [SYSTEM]: '[engine.runtimes]\ngpu = ["/usr/bin/crun"]\n' },
      [`--runtime-name=gpu=${RUNTIME}`],
      /the node's runtime gpu runs \/usr\/bin\/crun, not an NVIDIA runtime/,
    ));
});

Deno.test("refused: a drop-in podman would not read, or that is not rtconf's", async (t) => {
  await t.step("not a .conf file", () =>
    refused(
      {},
      ["--drop-in-config=/etc/containers/containers.conf.d/99-nvidia.toml"],
      /99-nvidia\.toml: podman would not read it .*the \*\.conf files of \/etc\/containers\/containers\.conf\.d\n/,
    ));
  await t.step("another directory", () =>
    refused(
      {},
      ["--drop-in-config=/etc/containers/conf.d/99-nvidia.conf"],
      /podman would not read it with \/etc\/containers\/containers\.conf/,
    ));
  await t.step("the operator's file at the drop-in's path", () =>
    refused(
      { [DROP_IN]: '[engine]\nevents_logger = "file"\n' },
      [],
      /99-nvidia\.conf: is not rtconf's .*give rtconf a drop-in of its own/,
    ));
  await t.step("the vendor's file", () =>
    refused(
      { [VENDOR]: VENDOR_TEXT },
      ["--config=/usr/share/containers/containers.conf", "--drop-in-config="],
      /containers\.conf: is the vendor's, which packages replace/,
    ));
});

Deno.test("refused: a file read after rtconf's that overrides it, named", async (t) => {
  await t.step("a later drop-in's default", () =>
    refused(
      { "etc/containers/containers.conf.d/zz-site.conf": '[engine]\nruntime = "crun"\n' },
      ["--set-as-default"],
      /99-nvidia\.conf: podman would not use nvidia as the default runtime: \/etc\/containers\/containers\.conf\.d\/zz-site\.conf, read after it, overrides it/,
    ));
  // podman 6 reads drop-ins after every main config: there rtconf's wins.
  await t.step("root's own file, which podman 5 reads after the drop-ins", () =>
    refused(
      { [ROOT_OWN]: `[engine.runtimes]\nnvidia = ["/opt/other/nvidia-container-runtime"]\n` },
      [],
      /: podman 5\.0 to 5\.6, podman 5\.7 and later 5\.x would not use runtime nvidia at .*: \/root\/\.config\/containers\/containers\.conf, read after it/,
    ));
  await t.step("a drop-in read before rtconf's does not matter", async () => {
    await withHost(
      { "etc/containers/containers.conf.d/50-site.conf": '[engine]\nruntime = "crun"\n' },
      async (root) => {
        await roundTrip(root, [
          "--set-as-default",
          "--drop-in-config=/etc/containers/containers.conf.d/99-nvidia.conf",
        ], async () => equal((await status(root)).defaultRuntime, "nvidia"));
      },
    );
  });
});

Deno.test("refused: a file podman 6 would no longer read", async (t) => {
  await t.step("in place: a new /etc/containers/containers.conf hides the vendor's", () =>
    refused(
      { [VENDOR]: VENDOR_TEXT },
      ["--drop-in-config="],
      /^rtconf: \/usr\/share\/containers\/containers\.conf: podman 6 would no longer read it once rtconf writes \/etc\/containers\/containers\.conf .*use a drop-in/,
    ));
  await t.step("in place: root's own containers.conf comes first", () =>
    refused(
      { [SYSTEM]: SITE_TEXT, [ROOT_OWN]: "" },
      ["--drop-in-config="],
      /containers\.conf: podman 6 would not read it, but \/root\/\.config\/containers\/containers\.conf/,
    ));
  await t.step("a drop-in of the same name in /usr/share", () =>
    refused(
      { "usr/share/containers/containers.conf.d/99-nvidia.conf": "" },
      [],
      /\/usr\/share\/containers\/containers\.conf\.d\/99-nvidia\.conf: podman 6 would no longer read it/,
    ));
});

Deno.test("refused: unconfigure that would leave the operator's default undefined", async () => {
  await withHost({ [SYSTEM]: SITE_TEXT }, async (root) => {
    await ok0(podman("configure", root), "configure");
    // The operator makes rtconf's runtime the default in a file of their own.
    const site = join(root, "etc/containers/containers.conf.d/50-site.conf");
    await Deno.writeTextFile(site, '[engine]\nruntime = "nvidia"\n');
    const before = await snapshot(root);
    const run = await podman("unconfigure", root);
    assertOneLine(run, 1, "unconfigure");
    match(
      run.stderr,
      /50-site\.conf: makes nvidia the default runtime, which would no longer be defined: podman would not start/,
    );
    assertUntouched(before, await snapshot(root), "refused");
  });
});

Deno.test("a runtime name podman would take for a path is a usage error", async () => {
  const run = await rtconf("runtime", "configure", "--runtime=podman", "--runtime-name=/nvidia");
  equal(run.status, 2);
  match(run.stderr, /invalid runtime name "\/nvidia" for podman: podman takes a runtime name/);
});

Deno.test("in place, any TOML layout: configure then unconfigure gives back the bytes", async (t) => {
  for (const set of ["corpus", "edge"]) {
    const dir = new URL(`../lib/formats/toml/testdata/${set}/`, import.meta.url);
    for await (const entry of Deno.readDir(dir)) {
      const text = await Deno.readTextFile(new URL(entry.name, dir));
      await t.step(`${set}/${entry.name}`, async () => {
        await withHost({ [SYSTEM]: text }, async (root) => {
          const flags = ["--drop-in-config=", "--set-as-default"];
          const pending = await podman("configure", root, ...flags, "--check");
          if (pending.status === 1) {
            // What rtconf cannot read or edit (TOML 1.1) is refused with one line.
            assertOneLine(pending, 1, entry.name);
            match(pending.stderr, /containers\.conf/);
            return;
          }
          await roundTrip(root, flags, async () => {
            const after = await Deno.readTextFile(join(root, SYSTEM));
            const data = parseToml(after, SYSTEM) as Table;
            equal((data.engine as Table).runtime, "nvidia");
            deepEqual(((data.engine as Table).runtimes as Table).nvidia, [RUNTIME]);
            equal(after.includes("\r\n"), text.includes("\r\n"), "line ends");
            equal(after.startsWith("\uFEFF"), text.startsWith("\uFEFF"), "byte order mark");
          });
        });
      });
    }
  }
});
