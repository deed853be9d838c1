/**
 * `runtime configure` and `runtime unconfigure`: load each engine's files,
 * plan and check the change, then print it or carry it out under the lock,
 * and restart the engines whose files changed.
 *
 * @module
 */

import { EXIT_CHANGES, RtconfError } from "../errors.ts";
import type { Engine, EngineOptions, FileTexts } from "../engines/engine.ts";
import { planEngine } from "../engines/mod.ts";
import { firstOutput } from "../io/command.ts";
import { applyChanges, readText, type WriteOptions } from "../io/files.ts";
import { LOCK_DIR, withLock } from "../io/lock.ts";
import { deadJournals, JOURNAL_DIR, recover as recoverJournals } from "../io/transaction.ts";
import { changes, type FileChange, type Plan, renderPlan } from "../plan.ts";
import { configureRules, type Rule, unconfigureRules } from "../rules.ts";
import type { HostRoot } from "./host_root.ts";
import { engineTexts } from "./load.ts";
import type { EngineTarget, RuntimeInvocation } from "./invocation.ts";
import type { Reporter } from "./output.ts";
import { restartEngine } from "./restart.ts";
import {
  describePending,
  filesAsLoaded,
  forgetPending,
  type PendingRestart,
  readPending,
  rememberPending,
} from "./pending_restart.ts";
import { dirname } from "../path.ts";

/**
 * The engine's current config from the first source that answers;
 * `undefined` means the files.
 */
async function loadSource(
  target: EngineTarget,
  host: HostRoot,
  reporter: Reporter,
  timeoutMs: number,
): Promise<string | undefined> {
  for (const [index, source] of target.configSources.entries()) {
    if (source === "file") {
      reporter.debug(`${target.engine.name}: reading the config from its files`);
      return undefined;
    }
    const last = index === target.configSources.length - 1;
    if (source.startsWith("file=")) {
      // Another file, read as the engine's own report of its config.
      const path = await host.path(source.slice("file=".length));
      const text = await readText(path);
      if (text !== undefined) {
        reporter.debug(`${target.engine.name}: reading the config from ${path}`);
        return text;
      }
      if (last) throw new RtconfError(`${path}: the config source does not exist`);
      reporter.warn(`${path} does not exist; trying the next config source`);
      continue;
    }
    const commands = target.engine.configCommands(target.executablePath)
      .map((command) => host.command(command))
      .map(([command, args]): [string, string[]] => [command, [...args]]);
    try {
      reporter.debug(
        `${target.engine.name}: running ${commands.map((c) => c.flat().join(" ")).join(", else ")}`,
      );
      return await firstOutput(commands, timeoutMs);
    } catch (error) {
      if (last) throw error;
      reporter.warn(`${(error as Error).message}; trying the next config source`);
    }
  }
  return undefined;
}

/**
 * What `--dry-run` prints for one engine, as nvidia-ctk prints it: the text
 * of each config the engine would read, the drop-in first, each ending in a
 * newline and separated by a blank line; rtconf's own records are not shown.
 */
async function renderResult(plan: Plan, job: Job, host: HostRoot): Promise<string> {
  const records = new Set(
    await Promise.all(job.target.engine.records(job.options).map((path) => host.path(path))),
  );
  const dropIn = job.target.dropInPath && await host.path(job.target.dropInPath);
  const files = plan.filter((change) => !records.has(change.path) && change.after !== undefined);
  files.sort((a, b) => Number(b.path === dropIn) - Number(a.path === dropIn));
  return files.map(({ after }) => after!.endsWith("\n") ? after! : `${after}\n`).join("\n");
}

/** A file's metadata, or `undefined` when it cannot be had. */
function statOf(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** Whether a file exists. */
function exists(path: string): boolean {
  return statOf(path) !== undefined;
}

/**
 * The directories of the files that do not exist on the host, outermost
 * first (host paths).
 */
async function missingDirectories(files: readonly string[], host: HostRoot): Promise<string[]> {
  const missing = new Set<string>();
  for (const file of files) {
    const chain: string[] = [];
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      if (exists(await host.path(dir))) break;
      chain.unshift(dir);
    }
    for (const dir of chain) missing.add(dir);
  }
  return [...missing].sort();
}

/** The main config's change in an engine's plan. */
function mainChange(entry: PlannedJob): FileChange | undefined {
  return entry.plan.find((change) => change.path === entry.configFile);
}

/** One engine's plan, its paths as on disk, and its main config's file. */
interface PlannedJob {
  target: EngineTarget;
  plan: Plan;
  configFile: string;
}

/** One engine's part of a run: its target, options and rules. */
interface Job {
  target: EngineTarget;
  options: EngineOptions;
  rules: Rule[];
}

/**
 * The template that generates the engine's config, if a tool generates it
 * (a template beside it, or the tool's header in it); with `always`, the
 * template the tool would read even then.
 */
async function generatingTemplate(
  engine: Engine,
  configPath: string,
  text: string | undefined,
  host: HostRoot,
  always: boolean,
): Promise<string | undefined> {
  if (!engine.template) return undefined;
  const { templates, generated } = engine.template.candidates(configPath, text);
  for (const template of templates) {
    if (exists(await host.path(template))) return template;
  }
  return generated || always ? templates[0] : undefined;
}

/**
 * Loads one engine's files and plans them, paths as on disk. A config that
 * a tool generates from a template goes into the template with
 * `--k3s-template`, and otherwise gets a warning.
 */
async function planJob(
  { target, options, rules }: Job,
  invocation: RuntimeInvocation,
  host: HostRoot,
  reporter: Reporter,
): Promise<Plan> {
  const { engine } = target;
  const texts: Record<string, string | undefined> = {
    ...await engineTexts(engine, options, host, (message) => reporter.debug(message)),
  };
  const template = await generatingTemplate(
    engine,
    target.configPath,
    texts[target.configPath],
    host,
    invocation.k3sTemplate,
  );
  let plan: Plan;
  if (template && invocation.k3sTemplate && engine.template) {
    texts[template] = await readText(await host.path(template));
    plan = engine.template.plan(texts, rules, {
      configPath: target.configPath,
      templatePath: template,
    });
  } else {
    if (template && invocation.verb === "configure") {
      reporter.warn(
        `${host.onDisk(target.configPath)} is generated by ${engine.template?.tool}, which ` +
          `overwrite it at their next start; to keep the runtime, put it into ` +
          `${host.onDisk(template)} (--k3s-template)`,
      );
    }
    plan = await planEngine(engine, texts as FileTexts, rules, options);
  }
  const mode = await sourceMode(texts, host);
  const onDisk: Plan = [];
  for (const change of plan) {
    const directories = change.directories &&
      await Promise.all(change.directories.map((dir) => host.path(dir)));
    onDisk.push({
      ...change,
      path: await host.path(change.path),
      ...(directories ? { directories } : {}),
      ...(change.before === undefined && change.after !== undefined ? { mode } : {}),
    });
  }
  return onDisk;
}

/**
 * The mode of a file the plan creates: 0644, less what any file it was made
 * from withholds (a `config.toml` kept 0600 for its registry credentials
 * makes a 0600 drop-in).
 */
async function sourceMode(
  texts: Record<string, string | undefined>,
  host: HostRoot,
): Promise<number> {
  let mode = 0o644;
  for (const [path, text] of Object.entries(texts)) {
    if (text === undefined) continue;
    const info = statOf(await host.path(path));
    if (info?.mode != null) mode &= info.mode & 0o666;
  }
  return mode;
}

/**
 * Runs `runtime configure` or `runtime unconfigure`: one plan for all the
 * engines asked for, loaded and written under their locks, then the engines
 * whose files changed restarted as asked.
 *
 * @param invocation What to do.
 * @param host The host.
 * @param reporter Where to print.
 * @param writeOptions How files are written.
 * @returns The exit status: 0, or 3 for `--check` when something would change.
 */
export async function runRuntime(
  invocation: RuntimeInvocation,
  host: HostRoot,
  reporter: Reporter,
  writeOptions: WriteOptions = {},
): Promise<number> {
  const jobs: Job[] = [];
  for (const target of invocation.targets) {
    const options: EngineOptions = {
      configPath: target.configPath,
      dropInPath: target.dropInPath,
      source: await loadSource(target, host, reporter, invocation.commandTimeoutMs),
      ...target.settings,
    };
    const rules = invocation.verb === "configure"
      ? configureRules(target)
      : unconfigureRules(target);
    jobs.push({ target, options, rules });
  }
  const writes = !invocation.dryRun && !invocation.check;

  const journalDir = await host.path(JOURNAL_DIR);
  const configFiles = await Promise.all(jobs.map((job) => host.path(job.target.configPath)));
  // One lock per file an engine's plan writes (its main config and drop-in), named as the host
  // names the file, links resolved: the same whichever way the host's root is mounted.
  const files = jobs.flatMap((job) => [job.target.configPath, job.target.dropInPath])
    .filter(Boolean);
  const locks = [
    ...new Set(await Promise.all(files.map(async (file) => host.inside(await host.path(file))))),
  ];
  const warn = (message: string) => reporter.warn(message);
  let held: string[] = locks;
  const run = async () => {
    if (writes) {
      const restored = await recoverJournals(journalDir, {
        hostRoot: host.root,
        resolve: (path) => host.path(path),
        held,
        warn,
      });
      if (restored.length > 0) {
        reporter.warn(
          `an earlier rtconf was stopped while it wrote; put back as they were: ${
            restored.join(", ")
          }`,
        );
      }
    }
    const plans: PlannedJob[] = [];
    for (const [i, job] of jobs.entries()) {
      // What exists is read under the lock, after an earlier run's files are put back.
      job.options.missingDirectories = await missingDirectories(
        [job.target.configPath, job.target.dropInPath].filter(Boolean),
        host,
      );
      const plan = await planJob(job, invocation, host, reporter);
      plans.push({ target: job.target, plan, configFile: configFiles[i] });
    }
    const plan = plans.flatMap((entry) => entry.plan);
    for (const change of plan) for (const warning of change.warnings ?? []) reporter.warn(warning);
    if (invocation.diff) {
      const { renderDiff } = await import("../diff.ts");
      reporter.result(renderDiff(plan));
    } else if (invocation.dryRun) {
      // nvidia-ctk's output for one engine: the resulting config; rtconf's headers for several.
      reporter.result(
        plans.length === 1 ? await renderResult(plans[0].plan, jobs[0], host) : renderPlan(plan),
      );
    }
    if (writes && invocation.restart !== "none") {
      // Remembered before the files change: a kill before the restart leaves it pending.
      for (const entry of plans) {
        if (changes(entry.plan).length === 0) continue;
        await rememberPending({
          engine: entry.target.engine.name,
          configPath: entry.target.configPath,
          reason: "its files changed and rtconf did not get to restart it",
          loaded: mainChange(entry)?.before ?? null,
          loadedFiles: Object.fromEntries(
            entry.plan.map((change) => [change.path, change.before ?? null]),
          ),
          changed: true,
        }, host);
      }
    }
    if (writes) {
      await applyChanges(plan, {
        ...writeOptions,
        backup: invocation.backup,
        hostRoot: host.root,
        resolve: (path) => host.path(path),
        journalDir,
        locks,
      });
    }
    for (const change of changes(plan)) {
      const verb = change.after === undefined
        ? "remove"
        : change.before === undefined
        ? "create"
        : "update";
      const done = { remove: "removed", create: "created", update: "updated" }[verb];
      reporter.info(`${writes ? done : `would ${verb}`} ${change.path}`);
    }
    return plans;
  };
  // Reads and writes happen under the locks, so that two rtconf never interleave.
  // A killed run's journal is undone under its own locks too.
  const journals = [...(await deadJournals(journalDir, warn)).values()];
  const earlier = journals.flatMap((journal) => journal.locks);
  held = [...new Set([...locks, ...earlier])];
  if (!writes && journals.some((journal) => journal.locks.some((lock) => locks.includes(lock)))) {
    reporter.warn(
      "an earlier rtconf was stopped while it wrote: some files are old, some new; the next " +
        "configure or unconfigure puts them back first",
    );
  }
  const plans = writes
    ? await withLock(held, run, {
      timeoutMs: invocation.lockTimeoutMs,
      dir: await host.path(LOCK_DIR),
    })
    : await run();

  const changed = plans.filter((entry) => changes(entry.plan).length > 0);
  if (changed.length === 0) {
    reporter.info("no changes: the configuration already holds what was asked");
  }
  const pending = new Map<EngineTarget, PendingRestart>();
  for (const { target } of plans) {
    const record = await readPending(target.engine.name, target.configPath, host);
    if (!record) continue;
    if (await filesAsLoaded(record)) {
      // Undone before any restart: the engine runs with what the files hold.
      if (writes) await forgetPending(target.engine.name, target.configPath, host);
      reporter.info(`${target.engine.name}: its files are as it loaded them: no restart is due`);
      continue;
    }
    pending.set(target, record);
  }
  if (!writes || invocation.restart === "none") {
    for (const record of pending.values()) reporter.warn(describePending(record));
  }
  if (invocation.check) return changed.length === 0 && pending.size === 0 ? 0 : EXIT_CHANGES;
  let status = 0;
  if (writes && invocation.restart === "none") {
    // As nvidia-ctk says after writing: the engine runs with the old config until then.
    for (const { target } of changed) {
      const how = target.engine.supports.reload ? "signal" : "systemd";
      reporter.info(
        `it is recommended that the ${target.engine.name} daemon be restarted to load the ` +
          `change (--restart=${how} does it when something changed)`,
      );
    }
  }
  if (writes && invocation.restart !== "none") {
    for (const entry of plans) {
      const { target } = entry;
      const name = target.engine.name;
      const record = pending.get(target);
      if (!record) {
        reporter.info(`${name}: nothing changed, not restarted`);
        continue;
      }
      if (!changed.includes(entry)) reporter.info(`restarting: ${describePending(record)}`);
      reporter.debug(`${target.engine.name}: restarting (--restart=${invocation.restart})`);
      const main = mainChange(entry);
      const change = {
        before: record.loaded === undefined ? main?.before : record.loaded ?? undefined,
        after: main?.after,
        path: target.configPath,
      };
      try {
        await restartEngine(
          invocation.restart,
          target.engine,
          target.unit,
          change,
          host,
          reporter,
          changed.includes(entry) ? undefined : record.lastChange,
        );
        await forgetPending(name, target.configPath, host);
      } catch (error) {
        // The files are written: say what is left to do, and go on with the other engines.
        if (!(error instanceof RtconfError)) throw error;
        await rememberPending(
          { engine: name, configPath: target.configPath, reason: error.message },
          host,
        );
        reporter.error(`${name}: ${error.message}; the restart stays pending`);
        status = error.exitCode;
      }
    }
  }
  return status;
}
