/**
 * The host's root, as mounted where rtconf runs (`--host-root`, in a
 * DaemonSet): host paths map to paths under it, and host commands run in it.
 *
 * @module
 */

import type { CommandLine } from "../engines/engine.ts";
import { join } from "../path.ts";

/**
 * The host rtconf acts on.
 *
 * @example Usage
 * ```ts
 * import { HostRoot } from "./host_root.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const host = new HostRoot("/host");
 * equal(host.onDisk("/etc/containerd/config.toml"), "/host/etc/containerd/config.toml");
 * deepEqual(host.command(["systemctl", ["restart", "containerd"]]), ["chroot", ["/host", "systemctl", "restart", "containerd"]]);
 * equal(new HostRoot("").onDisk("/etc/crio/crio.conf"), "/etc/crio/crio.conf");
 * ```
 */
export class HostRoot {
  /** The host's root as mounted here; `""` when this is the host. */
  readonly root: string;

  /**
   * The host mounted at `root`.
   *
   * @param root The mount point; `""` or `/` for the machine rtconf runs on.
   */
  constructor(root: string) {
    this.root = root === "/" ? "" : root;
  }

  /**
   * Where a host path is here.
   *
   * @param path A path on the host.
   * @returns The same file as seen here.
   */
  onDisk(path: string): string {
    return this.root === "" ? path : join(this.root, path);
  }

  /**
   * A command that runs `command` on the host: through `chroot` when the
   * host is mounted elsewhere.
   *
   * @param command The command as the host would run it.
   * @returns The command to run here.
   */
  command([command, args]: CommandLine): CommandLine {
    return this.root === "" ? [command, args] : ["chroot", [this.root, command, ...args]];
  }
}
