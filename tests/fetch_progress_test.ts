/**
 * The README's test command fetches real engines on its first run: the
 * fetch says so at once and names each package as it downloads it, so a
 * first run never looks hung. Run here offline, on an empty cache, with an
 * `apt-get` stand-in that plays a Debian archive (it builds each package
 * with the real `dpkg-deb`; `dpkg -x` unpacks it as usual).
 *
 * @module
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";

const SCRIPT = new URL("../scripts/fetch-engines.sh", import.meta.url).pathname;

/** The stand-in apt-get (a fixture). */
const APT_GET = new URL("./fixtures/fetch/apt-get", import.meta.url).pathname;

Deno.test("the first fetch says at once what it fetches, and names each package as it goes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtconf-fetch-" });
  try {
    await Deno.mkdir(join(dir, "bin"));
    await Deno.copyFile(APT_GET, join(dir, "bin/apt-get"));
    await Deno.chmod(join(dir, "bin/apt-get"), 0o755);
    const child = new Deno.Command("bash", {
      args: [SCRIPT],
      env: {
        PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}`,
        RTCONF_ENGINE_CACHE: join(dir, "cache"),
        RTCONF_DEBIAN_URI: "http://archive.invalid/debian",
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Each line as it comes, with the time it came.
    const lines: [number, string][] = [];
    const start = Date.now();
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) lines.push([Date.now() - start, line]);
    }
    const status = await child.status;
    const text = lines.map(([, line]) => line).join("\n");
    equal(status.code, 0, text);
    match(
      lines[0][1],
      /^fetch-engines: first run .*fetching containerd 1\.6, 1\.7, 2\.1 and dockerd/,
    );
    ok(lines[0][0] < 1000, `the first line came after ${lines[0][0]} ms`);
    for (
      const [pkg, suite] of [
        ["containerd", "bookworm"],
        ["containerd", "trixie"],
        ["containerd", "sid"],
        ["docker.io", "sid"],
      ]
    ) {
      const at = lines.findIndex(([, line]) =>
        line === `fetch-engines: downloading ${pkg} (${suite})`
      );
      ok(at >= 0, `no line before downloading ${pkg} (${suite}):\n${text}`);
      match(
        lines[at + 1][1],
        new RegExp(`^fetch-engines: downloaded ${pkg} \\(${suite}\\): \\S+$`),
      );
    }
    // No silence longer than one download between the first line and the last.
    const gaps = lines.slice(1).map(([time], i) => time - lines[i][0]);
    ok(Math.max(...gaps) < 5000, `a silence of ${Math.max(...gaps)} ms:\n${text}`);
    match(text, /^engines: containerd 2\.1\.0 \(sid\)$/m);
    // The second run reuses the cache and says only what it has.
    const again = await new Deno.Command("bash", {
      args: [SCRIPT],
      env: {
        PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}`,
        RTCONF_ENGINE_CACHE: join(dir, "cache"),
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(again.stderr);
    equal(again.code, 0, said);
    equal(
      said.split("\n").filter(Boolean).every((line) => line.startsWith("engines: ")),
      true,
      said,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
