import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withReference } from "../scripts/readme.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("the README's command reference is the --help text", () => {
  equal(readme, withReference(readme), "run: deno run -A scripts/readme.ts");
});

Deno.test("the README's quick start has exactly the two set-up commands", () => {
  const quickStart = readme.split("## Quick start")[1].split("\n## ")[0];
  const block = /```sh\n([\s\S]*?)```/.exec(quickStart)![1];
  deepEqual(block.trim().split("\n"), [
    "npx -y deno@2.9.6 run -A main.ts runtime configure --runtime=containerd --dry-run",
    "npx -y deno@2.9.6 task test",
  ]);
});

/** The README's library section. */
const library = readme.split("\n## Library\n")[1].split("\n## ")[0];
/** Its TypeScript example: a block `deno test --doc` runs. */
const example = /```ts\n([\s\S]*?)```/.exec(library)![1];

Deno.test("the README's library example runs as a doc test and writes only under its scratch root", () => {
  ok(!/```ts [^\n]*(ignore|no-run|no-eval)/.test(library), "the example is skipped by --doc");
  // Every path it writes starts at the scratch root: pasted, it cannot touch the machine's /etc.
  for (const path of example.matchAll(/["'`]([^"'`]*\/etc\/[^"'`]*)["'`]/g)) {
    ok(path[1].startsWith("${root}/"), `a path outside the scratch root: ${path[1]}`);
  }
  match(example, /const root = await Deno\.makeTempDir\(\)/);
});

Deno.test("from a clone: a project with the clone in its workspace runs the README's example", async () => {
  const workspace = /```json\n([\s\S]*?)```/.exec(library.split("**From a clone**")[1])![1];
  const dir = await Deno.makeTempDir({ prefix: "rtconf-clone-" });
  try {
    const member = JSON.parse(workspace).workspace[0];
    await Deno.symlink(fileURLToPath(new URL("..", import.meta.url)), join(dir, member));
    await Deno.writeTextFile(join(dir, "deno.json"), workspace);
    await Deno.writeTextFile(join(dir, "app.ts"), example);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "app.ts"],
      cwd: dir,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    equal(run.code, 0, decoder.decode(run.stderr));
    match(decoder.decode(run.stdout), /^\+BinaryName = "\/usr\/bin\/nvidia-container-runtime"$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
