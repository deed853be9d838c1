import { deepEqual, equal } from "node:assert/strict";
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
