/**
 * What dockerd's reload (SIGHUP) does with `daemon.json`, and so whether a
 * reload loads a change: dockerd replaces its runtimes only when the file
 * names `runtimes`, changes its default only when the file names
 * `default-runtime`, refuses the whole reload when its default would no
 * longer be defined, and sets up CDI only when it starts.
 *
 * @module
 */

import { parseJsonConfig } from "../../formats/json/parse.ts";

/** The runtimes dockerd always has, whatever `daemon.json` says. */
const BUILT_IN = new Set(["runc", "io.containerd.runc.v2"]);

/** What dockerd runs with: its runtimes (by name, as JSON), its default, CDI. */
interface Live {
  runtimes: Record<string, unknown>;
  defaultRuntime: string;
  cdi: unknown;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

/** What a dockerd started with this file runs with. */
function started(config: Record<string, unknown>): Live {
  return {
    runtimes: record(config.runtimes),
    defaultRuntime: typeof config["default-runtime"] === "string" && config["default-runtime"]
      ? config["default-runtime"]
      : "runc",
    cdi: record(config.features).cdi,
  };
}

/**
 * Why a SIGHUP would not make a dockerd that runs with `before` run with
 * `after`, or `undefined` when it would.
 *
 * @example Usage
 * ```ts
 * import { reloadGap } from "./reload.ts";
 * import { equal } from "node:assert/strict";
 *
 * const configured = '{"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}, "default-runtime": "nvidia"}';
 * equal(reloadGap("{}", configured, "/etc/docker/daemon.json"), undefined);
 * equal(
 *   reloadGap(configured, "{}", "/etc/docker/daemon.json"),
 *   "/etc/docker/daemon.json names no runtimes, and dockerd's reload keeps the runtimes it has (nvidia)",
 * );
 * const other = '{"runtimes": {"other": {"path": "/other"}}}';
 * const both = '{"runtimes": {"other": {"path": "/other"}, "nvidia": {"path": "/nv"}}, "default-runtime": "nvidia"}';
 * equal(
 *   reloadGap(both, other, "/etc/docker/daemon.json"),
 *   "dockerd would refuse the reload: /etc/docker/daemon.json names no default-runtime, so dockerd keeps nvidia, which it would no longer have",
 * );
 * ```
 *
 * @param before The text dockerd runs with (`undefined`: no file).
 * @param after The new text (`undefined`: no file).
 * @param path The file, for the message.
 * @returns The reason, in words, or `undefined`.
 */
export function reloadGap(
  before: string | undefined,
  after: string | undefined,
  path: string,
): string | undefined {
  const was = parseJsonConfig(before ?? "", path);
  const is = parseJsonConfig(after ?? "", path);
  const live = started(was);
  const wanted = started(is);
  const reloaded: Live = {
    runtimes: "runtimes" in is ? wanted.runtimes : live.runtimes,
    defaultRuntime: is["default-runtime"] ? wanted.defaultRuntime : live.defaultRuntime,
    cdi: live.cdi,
  };
  if (!BUILT_IN.has(reloaded.defaultRuntime) && !(reloaded.defaultRuntime in reloaded.runtimes)) {
    return `dockerd would refuse the reload: ${path} names no default-runtime, so dockerd keeps ` +
      `${reloaded.defaultRuntime}, which it would no longer have`;
  }
  const kept = Object.keys(reloaded.runtimes).filter((name) => !(name in wanted.runtimes));
  if (kept.length > 0) {
    return `${path} names no runtimes, and dockerd's reload keeps the runtimes it has ` +
      `(${kept.join(", ")})`;
  }
  if (reloaded.defaultRuntime !== wanted.defaultRuntime) {
    return `${path} names no default-runtime, and dockerd's reload keeps ` +
      `${reloaded.defaultRuntime} as its default`;
  }
  if (JSON.stringify(live.cdi) !== JSON.stringify(wanted.cdi)) {
    return "dockerd switches CDI on or off only when it starts";
  }
  return undefined;
}
