/**
 * Helpers for the tests of issue 12 (plan, verify and check against the
 * engine's effective configuration): node fixtures copied into a temp root,
 * the real containerd's `config dump` run as systemd runs containerd (from
 * `/`), a model of CRI-O's merge written from its source (there is no crio
 * binary here), file snapshots that see a rewrite (inode, mtime), and the
 * configure → second configure → `--check` → unconfigure round trip judged
 * by those effective configurations.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { parse } from "smol-toml";
import { loadEngines } from "./_engines.ts";
import { rtconf, type Run } from "./_helpers.ts";

/** A TOML table as smol-toml parses it. */
export type Table = Record<string, unknown>;

/** The runtime path rtconf writes by default for containerd and CRI-O. */
export const RUNTIME_PATH = "/usr/bin/nvidia-container-runtime";

/** The containerd series the engine cache holds. */
export const SERIES = ["1.6", "1.7", "2.1"] as const;
/** One of them. */
export type Series = typeof SERIES[number];

const engines = await loadEngines();
for (const series of SERIES) {
  if (!engines.containerd[series]) {
    throw new Error(
      `containerd ${series} is missing from the engine cache: run bash scripts/fetch-engines.sh`,
    );
  }
}

/** The series that read a config version: 1 → 1.x, 2 → all, 3 → 2.x. */
export function readers(version: number): Series[] {
  return SERIES.filter((series) => series.startsWith("1.") ? version <= 2 : version >= 2);
}

/** The version containerd reads a config text as: missing/blank 2 (rtconf creates 2), none 1. */
export function versionOf(text: string | undefined): number {
  if (text === undefined) return 2;
  const data = parse(text) as Table;
  if (Object.keys(data).length === 0) return 2;
  return typeof data.version === "number" ? data.version : 1;
}

/** A value at a path of keys. */
export function at(data: unknown, ...path: string[]): unknown {
  return path.reduce((value: unknown, key) => (value as Table | undefined)?.[key], data);
}

// ---------------------------------------------------------------------------------------------
// containerd config dump

/** What `containerd config dump` printed. */
export interface Dump {
  /** The merged configuration. */
  config: Table;
  /** Its warning and error lines, without the time stamp. */
  warnings: string[];
}

/** The containerd binary of a series. */
export function binary(series: Series): string {
  return engines.containerd[series].bin;
}

/** Runs `containerd --config F config dump` of one series from `/`, as under systemd. */
export async function dumpRun(
  series: Series,
  configPath: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(engines.containerd[series].bin, {
    args: ["--config", configPath, "config", "dump"],
    cwd: "/",
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** The dump of one series; throws when containerd fails. */
export async function dump(series: Series, configPath: string): Promise<Dump> {
  const { code, stdout, stderr } = await dumpRun(series, configPath);
  if (code !== 0) {
    throw new Error(`containerd ${series} config dump of ${configPath} exited ${code}: ${stderr}`);
  }
  const warnings = stderr.split("\n")
    .filter((line) => /level=(warning|error)/.test(line))
    .map((line) => line.replace(/^time="[^"]*" /, ""));
  return { config: parse(stdout) as Table, warnings };
}

/** The dumps of several series, in parallel. */
export async function dumps(
  series: readonly Series[],
  configPath: string,
): Promise<Partial<Record<Series, Dump>>> {
  const found = await Promise.all(series.map((one) => dump(one, configPath)));
  return Object.fromEntries(series.map((one, i) => [one, found[i]]));
}

/** The CRI runtime settings in a dump, as the CRI plugin uses them. */
export interface CriSettings {
  /** The path of keys of the `containerd` table. */
  path: string[];
  /** The runtimes, by name. */
  runtimes: Record<string, Table>;
  /** The default runtime, as the daemon uses it (1.x: the deprecated table wins). */
  defaultRuntime: string;
}

/** The CRI settings of a dump (1.x prints version 2, 2.x version 3). */
export function cri(config: Table): CriSettings {
  const plugin = Number(config.version) >= 3
    ? "io.containerd.cri.v1.runtime"
    : "io.containerd.grpc.v1.cri";
  const path = ["plugins", plugin, "containerd"];
  const containerd = (at(config, ...path) ?? {}) as Table;
  const deprecated = containerd.default_runtime as Table | undefined;
  const runtimes = { ...(containerd.runtimes ?? {}) } as Record<string, Table>;
  // containerd 1.x's CRI plugin (not its dump) makes a deprecated default_runtime with a
  // runtime_type the runtime "default", and the default (pkg/cri/config ValidatePluginConfig).
  if (deprecated?.runtime_type) runtimes.default = deprecated;
  return {
    path,
    runtimes,
    defaultRuntime: deprecated?.runtime_type ? "default" : String(containerd.default_runtime_name),
  };
}

function leaves(
  value: unknown,
  prefix: string[] = [],
  out = new Map<string, unknown>(),
): Map<string, unknown> {
  if (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  ) {
    for (const [key, item] of Object.entries(value)) leaves(item, [...prefix, key], out);
    if (Object.keys(value).length === 0) out.set(JSON.stringify(prefix), {});
  } else {
    out.set(JSON.stringify(prefix), value);
  }
  return out;
}

function zero(value: unknown): boolean {
  return value === undefined || value === "" || value === 0 || value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0);
}

/**
 * The settings that differ between two configurations, except under the
 * paths `ignore` (zero values and absent ones count as equal), as
 * `path: before → after` lines.
 */
export function differences(before: Table, after: Table, ignore: string[][]): string[] {
  const prefixes = ignore.map((path) => JSON.stringify(path).slice(0, -1));
  const a = leaves(before), b = leaves(after);
  const found: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (prefixes.some((prefix) => key.startsWith(prefix))) continue;
    const x = a.get(key), y = b.get(key);
    if (JSON.stringify(x) !== JSON.stringify(y) && !(zero(x) && zero(y))) {
      found.push(`${key}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
    }
  }
  return found;
}

/**
 * The warnings of `after` that `before` did not have, except the unknown
 * keys of a new runtime that another runtime already had (a copied table).
 */
export function newWarnings(before: string[], after: string[], names: string[]): string[] {
  return after.filter((line) => {
    if (before.includes(line)) return false;
    const match = line.match(/key="containerd runtimes ([^ "]+) ([^"]+)"/);
    if (!match || !names.includes(match[1])) return true;
    const copied = new RegExp(`key="containerd runtimes [^ "]+ ${escape(match[2])}"`);
    return !before.some((other) => copied.test(other));
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// Files

/** A file as a snapshot sees it. */
export interface FileState {
  /** Its text (a symlink: `-> target`). */
  text: string;
  /** Its inode: an atomic rewrite changes it. */
  ino: number | null;
  /** Its modification time, in ms. */
  mtime: number | undefined;
}

/** Every file and symlink under `dir` (relative path → state); directories only by their files. */
export async function snapshot(dir: string): Promise<Record<string, FileState>> {
  const files: Record<string, FileState> = {};
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = join(at, entry.name);
      const info = await Deno.lstat(path);
      if (info.isDirectory) {
        await walk(path);
        continue;
      }
      const text = info.isSymlink
        ? `-> ${await Deno.readLink(path)}`
        : new TextDecoder().decode(await Deno.readFile(path));
      files[relative(dir, path)] = { text, ino: info.ino, mtime: info.mtime?.getTime() };
    }
  };
  await walk(dir);
  return files;
}

/** The texts of a snapshot. */
export function texts(files: Record<string, FileState>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([path, file]) => [path, file.text]));
}

/** The paths whose state (or, `exact` false, text) differs. */
function changedFiles(
  before: Record<string, FileState>,
  after: Record<string, FileState>,
  exact = true,
): string {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((path) => {
    const a = before[path], b = after[path];
    return exact ? JSON.stringify(a) !== JSON.stringify(b) : a?.text !== b?.text;
  }).map((path) => {
    const a = before[path], b = after[path];
    if (!a || !b) return `${path} ${a ? "removed" : "added"}${b ? `:\n${b.text}` : ""}`;
    return `${path}:\n--- before\n${a.text}\n--- after\n${b.text}`;
  }).join("\n");
}

/** Fails unless every file is as it was: same set, bytes, inode and mtime (not rewritten). */
export function assertUntouched(
  before: Record<string, FileState>,
  after: Record<string, FileState>,
  what: string,
): void {
  deepEqual(after, before, `${what}: files were written: ${changedFiles(before, after)}`);
}

/** Fails unless the same files hold the same bytes. */
export function assertSameBytes(
  before: Record<string, FileState>,
  after: Record<string, FileState>,
  what: string,
): void {
  deepEqual(
    texts(after),
    texts(before),
    `${what}: the files differ: ${changedFiles(before, after, false)}`,
  );
}

/** Copies the node fixture `name` into `root`, `@ROOT@` replaced by `root`. */
export async function copyNode(name: string, root: string): Promise<void> {
  const from = new URL(`./fixtures/nodes/${name}/`, import.meta.url).pathname;
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = join(at, entry.name);
      if (entry.isDirectory) {
        await walk(path);
        continue;
      }
      const target = join(root, relative(from, path));
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.writeTextFile(target, (await Deno.readTextFile(path)).replaceAll("@ROOT@", root));
    }
  };
  await walk(from);
}

/** A temp root holding `files` (relative path → text, `@ROOT@` replaced), removed after `fn`. */
export async function withRoot<T>(
  files: Record<string, string>,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const root = await Deno.makeTempDir({ prefix: "rtconf-effective-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text.replaceAll("@ROOT@", root));
    }
    return await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Fails unless rtconf refused with exactly one line, exit `status`. */
export function assertOneLine(run: Run, status: number, what: string): void {
  equal(run.status, status, `${what}: exit ${run.status}: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split("\n");
  equal(lines.length, 1, `${what}: one line: ${run.stderr}`);
  ok(lines[0].startsWith("rtconf: "), `${what}: ${run.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// The containerd round trip

/** A configure run to judge with the real containerd. */
export interface ContainerdCase {
  /** The temp root, whose files the round trip watches. */
  root: string;
  /** The main config. */
  config: string;
  /** The drop-in, `""` in place. */
  dropIn: string;
  /** More flags (`--set-as-default`, `--runtime-name=…`). */
  flags?: string[];
  /** The runtimes asked for (default: nvidia at RUNTIME_PATH). */
  runtimes?: { name: string; path: string }[];
  /** The default asked for, if any. */
  defaultRuntime?: string;
  /** New containerd warnings that are accepted (default: none). */
  allowWarnings?: RegExp;
}

/** The flags of a case. */
export function containerdArgs(c: ContainerdCase): string[] {
  return [
    "--runtime=containerd",
    `--config=${c.config}`,
    `--drop-in-config=${c.dropIn}`,
    ...(c.flags ?? []),
  ];
}

/** What a round trip gives its judge: the dumps before and after configure, per series. */
export interface Judged {
  series: Series;
  before: Dump;
  after: Dump;
}

/**
 * `--check` exits 3 and writes nothing; then configure, judged by every series
 * that reads the config: the runtimes with
 * their executables and a runtime_type, the default as asked (else as it
 * was), every other setting as it was, no new warning; `runtime status`
 * agrees with the newest reader; a second configure writes nothing;
 * `--check` exits 0; unconfigure gives back every file byte for byte.
 * `judge` adds the case's own checks.
 */
export async function containerdRoundTrip(
  c: ContainerdCase,
  judge?: (judged: Judged) => void | Promise<void>,
): Promise<void> {
  const runtimes = c.runtimes ?? [{ name: "nvidia", path: RUNTIME_PATH }];
  const original = await snapshot(c.root);
  const version = versionOf(await Deno.readTextFile(c.config).catch(() => undefined));
  const series = readers(version);
  const before = await dumps(series, c.config);

  const pending = await rtconf("runtime", "configure", ...containerdArgs(c), "--check");
  equal(pending.status, 3, `--check before configure: ${pending.stderr}`);
  assertUntouched(original, await snapshot(c.root), "--check");
  const configured = await rtconf("runtime", "configure", ...containerdArgs(c));
  equal(configured.status, 0, `configure: ${configured.stderr}`);
  const written = await snapshot(c.root);
  const after = await dumps(series, c.config);
  for (const one of series) {
    const { config: was, warnings: warned } = before[one]!;
    const { config: now, warnings } = after[one]!;
    const settings = cri(now);
    for (const { name, path } of runtimes) {
      const table = settings.runtimes[name];
      ok(table, `containerd ${one}: runtime ${name} missing`);
      equal(at(table, "options", "BinaryName"), path, `containerd ${one}: ${name}'s BinaryName`);
      ok(table.runtime_type, `containerd ${one}: ${name} has a runtime_type`);
    }
    equal(
      settings.defaultRuntime,
      c.defaultRuntime ?? cri(was).defaultRuntime,
      `containerd ${one}: the default runtime`,
    );
    const ignore = [
      ["imports"],
      ...runtimes.map(({ name }) => [...settings.path, "runtimes", name]),
      ...(c.defaultRuntime ? [[...settings.path, "default_runtime_name"]] : []),
    ];
    const changed = differences(was, now, ignore);
    deepEqual(changed, [], `containerd ${one}: other settings changed:\n${changed.join("\n")}`);
    const warned2 = newWarnings(warned, warnings, runtimes.map(({ name }) => name))
      .filter((line) => !c.allowWarnings?.test(line));
    deepEqual(warned2, [], `containerd ${one}: new warnings:\n${warned2.join("\n")}`);
    await judge?.({ series: one, before: before[one]!, after: after[one]! });
  }

  // runtime status says what the newest reader uses.
  const newest = cri(after[series.at(-1)!]!.config);
  const status = await rtconf("runtime", "status", ...containerdArgs(c).slice(0, 3), "--json");
  equal(status.status, 0, `status: ${status.stderr}`);
  const shown = JSON.parse(status.stdout).engines[0];
  equal(shown.defaultRuntime, newest.defaultRuntime, "status: the default runtime");
  const names = shown.runtimes.map((runtime: { name: string }) => runtime.name).sort();
  deepEqual(
    names,
    Object.keys(newest.runtimes).sort(),
    `status: the runtimes: ${names} (dump: ${Object.keys(newest.runtimes).sort()})`,
  );

  const again = await rtconf("runtime", "configure", ...containerdArgs(c));
  equal(again.status, 0, `second configure: ${again.stderr}`);
  assertUntouched(written, await snapshot(c.root), "second configure");
  const check = await rtconf("runtime", "configure", ...containerdArgs(c), "--check");
  equal(check.status, 0, `--check after configure: ${check.stderr}`);

  const undone = await rtconf("runtime", "unconfigure", ...containerdArgs(c));
  equal(undone.status, 0, `unconfigure: ${undone.stderr}`);
  assertSameBytes(original, await snapshot(c.root), "configure then unconfigure");
}

// ---------------------------------------------------------------------------------------------
// CRI-O, modelled (no crio binary here): pkg/config UpdateFromFile / UpdateFromPath

/** CRI-O's built-in default runtime (1.31 and later). */
export const CRIO_BUILT_IN = "crun";

/** The files CRI-O reads: the main config, then the drop-in directory walked in lexical order. */
export async function crioFiles(configPath: string, dropInDir: string): Promise<string[]> {
  const files: string[] = [];
  try {
    if ((await Deno.stat(configPath)).isFile) files.push(configPath);
  } catch { /* missing: fine unless --config is given */ }
  const walk = async (dir: string) => {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    } catch {
      return;
    }
    // Go's filepath.Walk: each directory's names sorted by bytes; lstat, so a symlink is a file.
    for (const name of names.sort((a, b) => a < b ? -1 : a > b ? 1 : 0)) {
      const path = join(dir, name);
      if ((await Deno.lstat(path)).isDirectory) await walk(path);
      else files.push(path);
    }
  };
  await walk(dropInDir);
  return files;
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/** BurntSushi/toml decoding over what came before: tables merge, map entries start afresh. */
function decodeOver(into: Table, data: Table, path: string[] = []): Table {
  const merged: Table = { ...into };
  const mapOfStructs = ["crio.runtime.runtimes", "crio.runtime.workloads"].includes(path.join("."));
  for (const [key, value] of Object.entries(data)) {
    if (isTable(value) && !mapOfStructs && isTable(merged[key])) {
      merged[key] = decodeOver(merged[key] as Table, value, [...path, key]);
    } else if (isTable(value) && !mapOfStructs) {
      merged[key] = decodeOver({}, value, [...path, key]);
    } else {
      merged[key] = structuredClone(value);
    }
  }
  return merged;
}

/** CRI-O's merged configuration of its files and its default runtime (ValidateDefaultRuntime). */
export async function crioEffective(
  configPath: string,
  dropInDir: string,
): Promise<{ files: string[]; config: Table; runtimes: Record<string, Table>; default: string }> {
  const files = await crioFiles(configPath, dropInDir);
  let config: Table = {};
  for (const file of files) config = decodeOver(config, parse(await Deno.readTextFile(file)));
  const runtimes = (at(config, "crio", "runtime", "runtimes") ?? {}) as Record<string, Table>;
  const named = at(config, "crio", "runtime", "default_runtime");
  return {
    files,
    config,
    runtimes,
    default: typeof named === "string" && named !== "" ? named : CRIO_BUILT_IN,
  };
}

/** TOML 1.1 constructs, each on line 3 of a file; containerd, CRI-O and podman read TOML 1.0. */
export const TOML_11: [string, string][] = [
  ["a multi-line inline table", 'labels = { a = "1",\n  b = "2" }'],
  ["the escape \\e", 'sandbox = "\\e[0m"'],
  ["a time without seconds", "start = 07:32"],
  ["an integer beyond int64", "size = 9223372036854775808"],
];
