/**
 * Fault injection: configure runs in a child process on a large config and
 * is killed (SIGKILL) at points spread over its whole run, the write
 * included (slowed down by tests/_slow_rtconf.ts). After every
 * kill the config is byte for byte the input or the expected output, and the
 * next run cleans up and finishes the job. `RTCONF_FAULT_RUNS` sets the
 * number of kill points (default 24).
 */
import { deepEqual, equal, match, notDeepEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { fixture, readOrUndefined, rtconf, withFiles } from "./_helpers.ts";

const RUNS = Number(Deno.env.get("RTCONF_FAULT_RUNS") ?? 24);
const MAIN = new URL("./_slow_rtconf.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** A containerd config of about 400 KB: the default config and many more plugins. */
async function largeConfig(): Promise<string> {
  let text = await fixture("containerd/default-1.7.toml");
  for (let i = 0; i < 2500; i++) {
    text += `\n[plugins."example.v1.plugin-${i}"]\n  setting = "${
      "x".repeat(100)
    }"\n  number = ${i}\n`;
  }
  return text;
}

const CONFIG = "etc/containerd/config.toml";

function configure(dir: string, stderr: "null" | "piped" = "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "runtime",
      "configure",
      "--runtime=containerd",
      // Under a host root: its journal and locks are the test's own.
      `--host-root=${dir}`,
      "--drop-in-config=",
      "--set-as-default",
    ],
    cwd: ROOT,
    // The write takes about a third of the run (reading and checking 400 KB by the engines'
    // parsers takes the rest), so that several kill points fall into it.
    env: { SLOW_WRITE_MS: "10", NO_COLOR: "1" },
    stdout: "null",
    stderr,
  }).spawn();
}

async function temporaryFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.includes(".rtconf-")) names.push(entry.name);
  }
  return names;
}

Deno.test(`fault injection: ${RUNS} SIGKILLs during configure leave the old or the new file`, async () => {
  const input = await largeConfig();
  const { expected, duration } = await withFiles(
    { "etc/containerd/config.toml": input },
    async (dir) => {
      const started = performance.now();
      equal((await configure(dir).status).code, 0);
      return {
        expected: await Deno.readTextFile(join(dir, CONFIG)),
        duration: performance.now() - started,
      };
    },
  );
  ok(expected !== input);

  let midWrite = 0, old = 0, fresh = 0;
  for (let i = 0; i < RUNS; i++) {
    await withFiles({ "etc/containerd/config.toml": input }, async (dir) => {
      const child = configure(dir);
      // Spread over the whole run and a little past its end.
      await new Promise((done) => setTimeout(done, 1.15 * duration * (i + 0.5) / RUNS));
      try {
        child.kill("SIGKILL");
      } catch {
        // It had already finished.
      }
      await child.status;
      const text = await Deno.readTextFile(join(dir, CONFIG));
      ok(
        text === input || text === expected,
        `kill point ${i}: the config is neither the input nor the output`,
      );
      if (text === input) old++;
      else fresh++;
      if ((await temporaryFiles(join(dir, "etc/containerd"))).length > 0) midWrite++;

      // The next run finishes the job and removes what the killed one left.
      const next = await configure(dir, "piped").output();
      equal(next.code, 0, `kill point ${i}: ${new TextDecoder().decode(next.stderr)}`);
      equal(await Deno.readTextFile(join(dir, CONFIG)), expected);
      equal((await temporaryFiles(join(dir, "etc/containerd"))).length, 0);
    });
  }
  console.log(
    `fault injection: ${RUNS} kill points over ${
      Math.round(duration)
    } ms; ${midWrite} during the write; ` +
      `${old} left the input, ${fresh} the output`,
  );
  ok(midWrite > 0, "no kill point fell during the write: the test tested nothing");
});

/** The slow CLI killed right after it has put `n` files of its plan in place. */
async function killedAfter(n: number, ...args: string[]): Promise<Deno.CommandStatus> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    env: { KILL_AFTER_REPLACEMENTS: String(n), NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn().status;
}

Deno.test("fault injection: a kill between two files of a plan is undone by the next run", async (t) => {
  const V2 =
    'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "runc"\n';
  for (const verb of ["configure", "unconfigure"]) {
    await t.step(verb, async () => {
      await withFiles({ "etc/containerd/config.toml": V2 }, async (root) => {
        const args = ["runtime", "configure", "--runtime=containerd", `--host-root=${root}`];
        const files = async () => ({
          config: await readOrUndefined(join(root, "etc/containerd/config.toml")),
          dropIn: await readOrUndefined(join(root, "etc/containerd/conf.d/99-nvidia.toml")),
        });
        if (verb === "unconfigure") {
          const done = await new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", MAIN, ...args],
            cwd: ROOT,
            stderr: "null",
          }).spawn().status;
          equal(done.code, 0);
          args[1] = "unconfigure";
        }
        const old = await files();
        const killed = await killedAfter(1, ...args);
        equal(killed.signal, "SIGKILL", "killed between the two files");
        const mixed = await files();
        notDeepEqual(mixed, old, "the first file was in place");
        // The file put first never leaves the engine broken: the drop-in exists before
        // the import that names it, and the import goes before the drop-in.
        if (mixed.config?.includes("99-nvidia.toml")) ok(mixed.dropIn !== undefined);

        // Anything that writes first undoes the killed run: here a --check run tells.
        const check = await rtconf(...args, "--check");
        match(check.stderr, /an earlier rtconf was stopped while it wrote/);
        const next = await rtconf(...args);
        equal(next.status, 0, next.stderr);
        match(next.stderr, /put back as they were: .*(config\.toml|99-nvidia\.toml)/);
        const after = await files();
        // All new: the run did what the killed one began.
        const clean = await withFiles({ "etc/containerd/config.toml": V2 }, async (fresh) => {
          const freshArgs = args.map((a) => a.replace(root, fresh));
          if (verb === "unconfigure") await rtconf(...freshArgs.with(1, "configure"));
          await rtconf(...freshArgs);
          return {
            config: (await readOrUndefined(join(fresh, "etc/containerd/config.toml")))
              ?.replaceAll(fresh, root),
            dropIn: (await readOrUndefined(join(fresh, "etc/containerd/conf.d/99-nvidia.toml")))
              ?.replaceAll(fresh, root),
          };
        });
        deepEqual(after, clean);
        deepEqual(
          (await Array.fromAsync(Deno.readDir(join(root, "var/lib/rtconf/journal")))).length,
          0,
          "the journal is gone",
        );
      });
    });
  }
});

/** A docker + containerd host root killed after its first replacement: the root and the journal. */
async function interrupted(
  fn: (root: string, journal: () => Promise<[string, Record<string, unknown>]>) => Promise<void>,
): Promise<void> {
  await withFiles({
    "etc/docker/daemon.json": '{\n  "debug": true\n}\n',
    "etc/containerd/config.toml": "version = 2\n",
  }, async (root) => {
    const killed = await killedAfter(
      1,
      "runtime",
      "configure",
      "--runtime=docker,containerd",
      `--host-root=${root}`,
    );
    equal(killed.signal, "SIGKILL");
    const dir = join(root, "var/lib/rtconf/journal");
    const journal = async (): Promise<[string, Record<string, unknown>]> => {
      const [entry] = await Array.fromAsync(Deno.readDir(dir));
      const path = join(dir, entry.name);
      return [path, JSON.parse(await Deno.readTextFile(path))];
    };
    await fn(root, journal);
  });
}

Deno.test("recovery: a file the operator changed after the kill is left as it is", async () => {
  await interrupted(async (root, journal) => {
    const [, record] = await journal();
    const [first] = record.entries as { file: string }[];
    const path = join(root, first.file);
    const edited = `${await Deno.readTextFile(path)}# the operator's\n`;
    await Deno.writeTextFile(path, edited);
    const run = await rtconf("runtime", "configure", "--runtime=containerd", `--host-root=${root}`);
    equal(run.status, 0, run.stderr);
    match(run.stderr, /changed since an interrupted rtconf run; left as it is/);
    equal(await Deno.readTextFile(path), edited);
  });
});

Deno.test("recovery: a journal's writer is told apart by more than its pid", async () => {
  await interrupted(async (root, journal) => {
    // The pid of a live process (this one), as after pid reuse or in another pid namespace.
    const [path, record] = await journal();
    const owner = record.owner as { pid: number };
    owner.pid = Deno.pid;
    await Deno.writeTextFile(path, JSON.stringify(record));
    const run = await rtconf("runtime", "configure", "--runtime=containerd", `--host-root=${root}`);
    equal(run.status, 0, run.stderr);
    match(run.stderr, /put back as they were/);
  });
});

Deno.test("recovery: a journal that is not rtconf's, or names files elsewhere, changes nothing", async () => {
  await withFiles(
    { "etc/hostname": "node\n", "victim": "keep\n", "victim.old": "old\n" },
    async (root) => {
      const dir = join(root, "var/lib/rtconf/journal");
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(join(dir, "1-1.json"), "[1]");
      const owner = { pid: 999999, start: 1, boot: "gone" };
      await Deno.writeTextFile(
        join(dir, "2-2.json"),
        JSON.stringify({
          owner,
          locks: [],
          entries: [{ file: "/victim", old: "/victim.old", existed: true }],
        }),
      );
      const run = await rtconf("runtime", "configure", "--runtime=docker", `--host-root=${root}`);
      equal(run.status, 0, run.stderr);
      match(run.stderr, /1-1\.json: not one of rtconf's journals; set aside/);
      match(run.stderr, /2-2\.json: names files that are not rtconf's; left as they are/);
      equal(await Deno.readTextFile(join(root, "victim")), "keep\n");
      equal(await Deno.readTextFile(join(root, "victim.old")), "old\n");
    },
  );
});
