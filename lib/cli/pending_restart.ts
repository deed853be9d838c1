/**
 * Restarts that were needed and did not succeed: remembered on the host
 * under `/run/rtconf/restart-pending` (gone with a reboot, which restarts
 * the engine anyway) until a later run restarts the engine.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { readText, removeFile, writePrivate } from "../io/files.ts";
import type { HostRoot } from "./host_root.ts";

/** Where pending restarts are remembered on the host. */
export const PENDING_DIR = "/run/rtconf/restart-pending";

/** A restart that an engine still needs. */
export interface PendingRestart {
  /** The engine (`containerd`, `crio`, `docker`). */
  engine: string;
  /** Its main config on the host: the engine it stands for. */
  configPath: string;
  /** When its files first changed without a restart (ISO 8601). */
  since: string;
  /** When rtconf last changed its files (ISO 8601): an engine started since runs with them. */
  lastChange: string;
  /** Why the last restart did not happen. */
  reason: string;
  /** The main config's text the running engine loaded (for a reload's check). */
  loaded?: string | null;
  /**
   * Every file of the engine's plan as the running engine loaded it, by path
   * as seen here (`null`: missing): once they are so again, no restart is due.
   */
  loadedFiles?: Record<string, string | null>;
}

/**
 * The file that remembers the pending restart of the engine of a config.
 *
 * @example Usage
 * ```ts
 * import { pendingPath } from "./pending_restart.ts";
 * import { HostRoot } from "./host_root.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   await pendingPath("containerd", "/etc/containerd/config.toml", new HostRoot("/nonexistent")),
 *   "/nonexistent/run/rtconf/restart-pending/containerd%2Fetc%2Fcontainerd%2Fconfig.toml.json",
 * );
 * ```
 *
 * @param engine The engine.
 * @param configPath Its main config on the host.
 * @param host The host.
 * @returns The file, as seen here.
 */
export function pendingPath(engine: string, configPath: string, host: HostRoot): Promise<string> {
  return host.path(`${PENDING_DIR}/${engine}${encodeURIComponent(configPath)}.json`);
}

/**
 * The pending restart of an engine, if there is one.
 *
 * @param engine The engine.
 * @param configPath Its main config on the host.
 * @param host The host.
 * @returns The record, or `undefined`.
 * @throws {RtconfError} when the record cannot be read.
 */
export async function readPending(
  engine: string,
  configPath: string,
  host: HostRoot,
): Promise<PendingRestart | undefined> {
  const path = await pendingPath(engine, configPath, host);
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as PendingRestart;
    if (
      typeof record.since === "string" && typeof record.reason === "string" &&
      typeof record.lastChange === "string"
    ) return record;
  } catch {
    // Not a record of rtconf's: said below.
  }
  throw new RtconfError(`${path}: not rtconf's record of a pending restart; remove it`);
}

/**
 * Remembers that an engine needs a restart, keeping when it first did and
 * the config it had loaded then.
 *
 * @param record The engine, its config, why, the config it loaded, and
 * whether its files changed just now.
 * @param host The host.
 * @returns The record as written.
 */
export async function rememberPending(
  record: Omit<PendingRestart, "since" | "lastChange"> & { changed?: boolean },
  host: HostRoot,
): Promise<PendingRestart> {
  const { changed, ...rest } = record;
  const earlier = await readPending(record.engine, record.configPath, host);
  const now = new Date().toISOString();
  const written: PendingRestart = {
    ...rest,
    since: earlier?.since ?? now,
    lastChange: changed || !earlier ? now : earlier.lastChange,
    ...(earlier && "loaded" in earlier ? { loaded: earlier.loaded } : {}),
    ...(earlier?.loadedFiles ? { loadedFiles: earlier.loadedFiles } : {}),
  };
  await writePrivate(
    await pendingPath(record.engine, record.configPath, host),
    `${JSON.stringify(written, null, 2)}\n`,
  );
  return written;
}

/**
 * Forgets an engine's pending restart: it was restarted.
 *
 * @param engine The engine.
 * @param configPath Its main config on the host.
 * @param host The host.
 */
export async function forgetPending(
  engine: string,
  configPath: string,
  host: HostRoot,
): Promise<void> {
  await removeFile(await pendingPath(engine, configPath, host));
}

/**
 * Whether the engine's files hold again what the running engine loaded
 * (configure, then an unconfigure before any restart): then no restart is due.
 *
 * @param pending The record.
 * @returns `true` when every file is as it was loaded.
 */
export async function filesAsLoaded(pending: PendingRestart): Promise<boolean> {
  if (!pending.loadedFiles) return false;
  for (const [path, text] of Object.entries(pending.loadedFiles)) {
    if ((await readText(path).catch(() => undefined) ?? null) !== text) return false;
  }
  return true;
}

/**
 * How a pending restart is told to an operator.
 *
 * @example Usage
 * ```ts
 * import { describePending } from "./pending_restart.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(
 *   describePending({ engine: "containerd", configPath: "/etc/containerd/config.toml", since: "2026-11-30T10:00:00.000Z", lastChange: "2026-11-30T10:00:00.000Z", reason: "systemctl failed" }),
 *   "containerd has not loaded its configuration: a restart is pending since 2026-11-30T10:00:00.000Z (systemctl failed)",
 * );
 * ```
 *
 * @param pending The record.
 * @returns One line.
 */
export function describePending(pending: PendingRestart): string {
  return `${pending.engine} has not loaded its configuration: a restart is pending since ` +
    `${pending.since} (${pending.reason})`;
}
