/**
 * Fault injection: configure runs in a child process on a large config and
 * is killed (SIGKILL) at points spread over its whole run, the write
 * included (slowed down by tests/_slow_rtconf.ts). After every
 * kill the config is byte for byte the input or the expected output, and the
 * next run cleans up and finishes the job. `RTCONF_FAULT_RUNS` sets the
 * number of kill points (default 24).
 */
import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { fixture, withFiles } from "./_helpers.ts";

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

function configure(dir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "runtime",
      "configure",
      "--runtime=containerd",
      `--config=${join(dir, "config.toml")}`,
      "--drop-in-config=",
      "--set-as-default",
    ],
    cwd: ROOT,
    env: { SLOW_WRITE_MS: "1", NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
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
  const { expected, duration } = await withFiles({ "config.toml": input }, async (dir) => {
    const started = performance.now();
    equal((await configure(dir).status).code, 0);
    return {
      expected: await Deno.readTextFile(join(dir, "config.toml")),
      duration: performance.now() - started,
    };
  });
  ok(expected !== input);

  let midWrite = 0, old = 0, fresh = 0;
  for (let i = 0; i < RUNS; i++) {
    await withFiles({ "config.toml": input }, async (dir) => {
      const child = configure(dir);
      // Spread over the whole run and a little past its end.
      await new Promise((done) => setTimeout(done, 1.15 * duration * (i + 0.5) / RUNS));
      try {
        child.kill("SIGKILL");
      } catch {
        // It had already finished.
      }
      await child.status;
      const text = await Deno.readTextFile(join(dir, "config.toml"));
      ok(
        text === input || text === expected,
        `kill point ${i}: the config is neither the input nor the output`,
      );
      if (text === input) old++;
      else fresh++;
      if ((await temporaryFiles(dir)).length > 0) midWrite++;

      // The next run finishes the job and removes what the killed one left.
      equal((await configure(dir).status).code, 0);
      equal(await Deno.readTextFile(join(dir, "config.toml")), expected);
      equal((await temporaryFiles(dir)).length, 0);
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
