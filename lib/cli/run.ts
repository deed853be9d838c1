/**
 * Runs an invocation: loads the files, asks the engine for a plan, and prints
 * or carries it out.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import type { Engine, EngineName, FileTexts } from "../engine.ts";
import { applyChanges, readText, writeAtomic } from "../io/files.ts";
import { withLock } from "../io/lock.ts";
import { changes, renderPlan } from "../plan.ts";
import { configureRules, unconfigureRules } from "../rules.ts";
import { ociHookText } from "../../hooks/mod.ts";
import { containerd } from "../containerd/engine.ts";
import { crio } from "../crio/engine.ts";
import { docker } from "../docker/engine.ts";
import { firstOutput } from "../io/source.ts";
import type { HookInvocation, RuntimeInvocation } from "./invocation.ts";

/** Where a command's output goes. */
export interface Output {
  /** Results: dry-run output, diffs, JSON. */
  stdout(text: string): void;
  /** Logs, warnings and errors. */
  stderr(text: string): void;
}

/** What every engine's options hold: its files and, from a command, its current config. */
interface EngineOptions {
  configPath: string;
  dropInPath: string;
  source?: string;
}

/** The engines the CLI runs, by name. */
const ENGINES: Partial<Record<EngineName, Engine<EngineOptions>>> = { containerd, crio, docker };

/** The commands that print an engine's effective config, tried in order (nvidia-ctk's). */
function sourceCommands(invocation: RuntimeInvocation): [string, string[]][] {
  const executable = invocation.executablePath;
  return invocation.engine === "crio"
    ? [[executable || "crio", ["status", "config"]], ["crio-status", ["config"]]]
    : [[executable || invocation.engine, ["config", "dump"]]];
}

/**
 * Runs `runtime configure` or `runtime unconfigure`.
 *
 * @param invocation What to do.
 * @param output Where to print.
 * @returns The exit status.
 */
export async function runRuntime(invocation: RuntimeInvocation, output: Output): Promise<number> {
  const engine = ENGINES[invocation.engine];
  if (!engine) {
    throw new RtconfError(`the ${invocation.engine} engine is not implemented yet`);
  }
  const options: EngineOptions = {
    configPath: invocation.configPath,
    dropInPath: invocation.dropInPath,
    source: invocation.configSource === "command"
      ? await firstOutput(sourceCommands(invocation))
      : undefined,
  };
  const rules = invocation.verb === "configure"
    ? configureRules(invocation)
    : unconfigureRules(invocation);
  const run = async () => {
    const texts: Record<string, string | undefined> = {};
    for (const path of engine.files(options)) texts[path] = await readText(path);
    const plan = engine.plan(texts as FileTexts, rules, options);
    if (invocation.dryRun) {
      output.stdout(renderPlan(plan, { diff: invocation.diff }));
      return changes(plan);
    }
    if (invocation.diff) output.stdout(renderPlan(plan, { diff: true }));
    await applyChanges(plan, { backup: invocation.backup });
    for (const change of changes(plan)) {
      const verb = change.after === undefined
        ? "removed"
        : change.before === undefined
        ? "created"
        : "updated";
      output.stderr(`rtconf: ${verb} ${change.path}\n`);
    }
    return changes(plan);
  };
  // Reads and writes happen under the lock, so that two rtconf never interleave.
  const changing = invocation.dryRun
    ? await run()
    : await withLock(invocation.configPath, run, invocation.lockTimeoutMs);
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
