/**
 * Shared test helpers: run the CLI in-process against files in a temp dir,
 * and look at what changed.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import { dirname, join } from "node:path";
import { main } from "../main.ts";
import { diffArrays } from "diff";

/** What one CLI run printed and returned. */
export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process and captures what it prints. */
export async function rtconf(...args: string[]): Promise<Run> {
  let stdout = "", stderr = "";
  const status = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { status, stdout, stderr };
}

/** Runs the CLI and fails the test unless it exits 0. */
export async function rtconfOk(...args: string[]): Promise<Run> {
  const run = await rtconf(...args);
  equal(run.status, 0, `rtconf ${args.join(" ")} failed: ${run.stderr}`);
  return run;
}

/** A fixture's text. */
export function fixture(path: string): Promise<string> {
  return Deno.readTextFile(new URL(`./fixtures/${path}`, import.meta.url));
}

/** A temp dir holding `files` (relative path → text), removed after `fn`. */
export async function withFiles<T>(
  files: Record<string, string>,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "rtconf-test-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
      await Deno.writeTextFile(join(dir, path), text);
    }
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A file's text, or `undefined` when it does not exist. */
export async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The lines removed and the runs of lines added from `before` to `after`. */
export function lineChanges(
  before: string,
  after: string,
): { removed: string[]; added: string[][] } {
  const lines = (text: string) => text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const removed: string[] = [];
  const added: string[][] = [];
  let run: string[] | undefined;
  for (const part of diffArrays(lines(before), lines(after))) {
    if (part.added) {
      if (!run) added.push(run = []);
      run.push(...part.value);
    } else {
      run = undefined;
      if (part.removed) removed.push(...part.value);
    }
  }
  return { removed, added };
}

/** A running stand-in dockerd: its pid, how many SIGHUPs it got, and a stop. */
export interface StandInDockerd {
  pid: number;
  hups: () => Promise<number>;
  stop: () => Promise<void>;
}

/**
 * Starts a stand-in dockerd (a copy of bash named `dockerd`, so that /proc says it is one) that
 * logs each SIGHUP, writes its pid to `root`'s `var/run/docker.pid`, and links `root`'s `proc`
 * to this machine's /proc: the stand-in host shares rtconf's process namespace.
 */
export async function standInDockerd(root: string): Promise<StandInDockerd> {
  const bin = join(root, "dockerd");
  await Deno.copyFile("/bin/bash", bin);
  await Deno.chmod(bin, 0o755);
  await Deno.symlink("/proc", join(root, "proc")).catch(() => {});
  const log = join(root, "hups");
  const child = new Deno.Command(bin, {
    args: ["-c", `trap 'echo hup >> ${log}' HUP; echo ready; while :; do sleep 0.05; done`],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  await Deno.mkdir(join(root, "var/run"), { recursive: true });
  await Deno.writeTextFile(join(root, "var/run/docker.pid"), `${child.pid}\n`);
  return {
    pid: child.pid,
    hups: async () => ((await readOrUndefined(log)) ?? "").split("\n").filter(Boolean).length,
    stop: async () => {
      reader.releaseLock();
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}
