/**
 * Runs an invocation: loads the files, asks the engine for a plan, and prints
 * or carries it out.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import type { Engine, EngineName, FileTexts } from "../engine.ts";
import { applyChanges, readText, writeAtomic } from "../io/files.ts";
import { changes, renderPlan } from "../plan.ts";
import { configureRules, unconfigureRules } from "../rules.ts";
import { ociHookText } from "../../hooks/mod.ts";
import { containerd, type ContainerdOptions } from "../containerd/engine.ts";
import { commandOutput } from "../io/source.ts";
import type { HookInvocation, RuntimeInvocation } from "./invocation.ts";

/** Where a command's output goes. */
export interface Output {
  /** Results: dry-run output, diffs, JSON. */
  stdout(text: string): void;
  /** Logs, warnings and errors. */
  stderr(text: string): void;
}

/** An engine together with the way its options come from an invocation. */
export interface EngineBinding<Options> {
  /** The engine. */
  engine: Engine<Options>;
  /**
   * Builds the engine's options, loading what it needs beyond files (such as
   * a command's output).
   */
  options(invocation: RuntimeInvocation): Promise<Options>;
}

const containerdBinding: EngineBinding<ContainerdOptions> = {
  engine: containerd,
  options: async (invocation) => ({
    configPath: invocation.configPath,
    dropInPath: invocation.dropInPath,
    source: invocation.configSource === "command"
      ? await commandOutput(invocation.executablePath || "containerd", ["config", "dump"])
      : undefined,
  }),
};

/** The engines the CLI can run, by name; filled in as engines land. */
export const ENGINES: Partial<Record<EngineName, EngineBinding<never>>> = {
  containerd: containerdBinding as EngineBinding<never>,
};

/**
 * Runs `runtime configure` or `runtime unconfigure`.
 *
 * @param invocation What to do.
 * @param output Where to print.
 * @returns The exit status.
 */
export async function runRuntime(invocation: RuntimeInvocation, output: Output): Promise<number> {
  const binding = ENGINES[invocation.engine];
  if (!binding) {
    throw new RtconfError(`the ${invocation.engine} engine is not implemented yet`);
  }
  const options = await binding.options(invocation);
  const texts: Record<string, string | undefined> = {};
  for (const path of binding.engine.files(options)) texts[path] = await readText(path);
  const rules = invocation.verb === "configure"
    ? configureRules(invocation)
    : unconfigureRules(invocation);
  const plan = binding.engine.plan(texts as FileTexts, rules, options);
  const changing = changes(plan);
  if (invocation.dryRun) {
    output.stdout(renderPlan(plan, { diff: invocation.diff }));
  } else {
    if (invocation.diff) output.stdout(renderPlan(plan, { diff: true }));
    await applyChanges(changing);
    for (const change of changing) {
      const verb = change.after === undefined
        ? "removed"
        : change.before === undefined
        ? "created"
        : "updated";
      output.stderr(`rtconf: ${verb} ${change.path}\n`);
    }
  }
  if (changing.length === 0) {
    output.stderr("rtconf: no changes: the configuration already holds what was asked\n");
  }
  return 0;
}

/**
 * Runs `rtconf hook` (and configure's deprecated `--config-mode=oci-hook`).
 *
 * @param invocation What to do.
 * @param output Where to print.
 * @returns The exit status.
 */
export async function runHook(invocation: HookInvocation, output: Output): Promise<number> {
  const text = ociHookText(invocation.hookPath);
  if (invocation.output === "" || invocation.dryRun) {
    output.stdout(text);
    return 0;
  }
  if (await readText(invocation.output) === text) {
    output.stderr(`rtconf: no changes: ${invocation.output} already holds this hook\n`);
    return 0;
  }
  await writeAtomic(invocation.output, text);
  output.stderr(`rtconf: wrote ${invocation.output}\n`);
  return 0;
}
