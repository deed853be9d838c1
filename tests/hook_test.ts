/** The OCI hook: nvidia-ctk's bytes, the hooks 1.0.0 schema, and writing it. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { ociHook, ociHookText } from "../lib/hooks/mod.ts";
import { readOrUndefined, rtconfOk, withFiles } from "./_helpers.ts";

/** The file nvidia-ctk writes for /usr/bin/nvidia-container-runtime-hook (reference §2.5). */
const NVIDIA_CTK_HOOK = `{
  "version": "1.0.0",
  "hook": {
    "path": "/usr/bin/nvidia-container-runtime-hook",
    "args": [
      "nvidia-container-runtime-hook",
      "prestart"
    ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    ]
  },
  "when": {
    "always": true,
    "commands": [
      ".*"
    ]
  },
  "stages": [
    "prestart"
  ]
}
`;

/** The checks podman's hooks 1.0.0 reader makes (pkg/hooks/1.0.0: Validate). */
function checkSchema(hook: Record<string, unknown>): void {
  deepEqual(Object.keys(hook).sort(), ["hook", "stages", "version", "when"]);
  equal(hook.version, "1.0.0");
  const h = hook.hook as Record<string, unknown>;
  ok(Object.keys(h).every((key) => ["path", "args", "env", "timeout"].includes(key)));
  ok(typeof h.path === "string" && h.path.startsWith("/"), "hook.path must be absolute");
  ok(Array.isArray(h.args) && h.args.every((arg) => typeof arg === "string"));
  ok(Array.isArray(h.env) && h.env.every((env) => typeof env === "string" && /^[^=]+=/.test(env)));
  const when = hook.when as Record<string, unknown>;
  ok(
    Object.keys(when).every((key) =>
      ["always", "annotations", "commands", "hasBindMounts"].includes(key)
    ),
  );
  ok(Object.keys(when).length > 0, "when must hold at least one condition");
  for (const command of when.commands as string[]) new RegExp(command); // each must compile
  const stages = hook.stages as string[];
  ok(stages.length > 0);
  for (const stage of stages) {
    ok(
      ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        .includes(stage),
    );
  }
}

Deno.test("hook: the bytes nvidia-ctk writes, in the hooks 1.0.0 schema", () => {
  equal(ociHookText("/usr/bin/nvidia-container-runtime-hook"), NVIDIA_CTK_HOOK);
  checkSchema(JSON.parse(NVIDIA_CTK_HOOK));
});

Deno.test("hook: the hook's own directory joins PATH when it is not a system one", () => {
  const hook = ociHook("/usr/local/nvidia/toolkit/nvidia-container-runtime-hook");
  deepEqual(hook.hook.env, [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/nvidia/toolkit",
  ]);
  deepEqual(hook.hook.args, ["nvidia-container-runtime-hook", "prestart"]);
  checkSchema(hook as unknown as Record<string, unknown>);
  equal(
    ociHook("/sbin/hook").hook.env[0],
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  );
});

Deno.test("§6.6 #11 configure --config-mode=oci-hook writes the hook file", async () => {
  await withFiles({}, async (dir) => {
    const path = join(dir, "etc/containers/oci/hooks.d/99-nvidia.json");
    const run = await rtconfOk(
      "runtime",
      "configure",
      "--config-mode",
      "oci-hook",
      "--oci-hook-path",
      path,
    );
    match(run.stderr, /warning: The "oci-hook" config-mode is deprecated/);
    const hook = JSON.parse(await Deno.readTextFile(path));
    equal(hook.version, "1.0.0");
    ok(hook.stages.includes("prestart"));
    equal(hook.hook.path, "/usr/bin/nvidia-container-runtime-hook");
    equal(hook.when.always, true);
    equal((await Deno.stat(path)).mode! & 0o777, 0o644);
  });
});

Deno.test("hook: --dry-run prints and never writes (nvidia-ctk writes anyway: a marked bug)", async () => {
  await withFiles({}, async (dir) => {
    const path = join(dir, "hooks.d/oci-nvidia-hook.json");
    for (
      const args of [
        ["runtime", "configure", "--config-mode=oci-hook", `--oci-hook-path=${path}`, "--dry-run"],
        ["hook", `--output=${path}`, "--dry-run"],
      ]
    ) {
      const run = await rtconfOk(...args);
      equal(run.stdout, NVIDIA_CTK_HOOK);
      equal(await readOrUndefined(path), undefined);
    }
  });
});

Deno.test("hook: rtconf hook writes the file once; a second run writes nothing", async () => {
  await withFiles({}, async (dir) => {
    const path = join(dir, "hooks.d/oci-nvidia-hook.json");
    const hookPath = "/usr/local/nvidia/toolkit/nvidia-container-runtime-hook";
    await rtconfOk("hook", `--hook-path=${hookPath}`, `--output=${path}`);
    equal(await Deno.readTextFile(path), ociHookText(hookPath));
    const mtime = (await Deno.stat(path)).mtime;
    const run = await rtconfOk("hook", `--hook-path=${hookPath}`, `--output=${path}`);
    match(run.stderr, /no changes/);
    deepEqual((await Deno.stat(path)).mtime, mtime);
  });
});
