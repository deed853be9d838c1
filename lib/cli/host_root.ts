/**
 * The host's root, as mounted where rtconf runs (`--host-root`, in a
 * DaemonSet): host paths map to paths under it, and host commands run in it.
 *
 * @module
 */

import type { CommandLine } from "../engines/engine.ts";
import { RtconfError } from "../errors.ts";
import { dirname, join, resolve, underRoot } from "../path.ts";

/** How many symbolic links one path may pass through (Linux's limit). */
const MAX_LINKS = 40;

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
   * Where a host path's file is here, every symbolic link on the way
   * resolved as the host would resolve it: an absolute link target is a path
   * on the host (under the host root), and a link whose `..` would climb
   * above the host root is an error. The part of the path that does not
   * exist yet is kept as it is.
   *
   * @example Usage
   * ```ts
   * import { HostRoot } from "./host_root.ts";
   * import { equal, rejects } from "node:assert/strict";
   *
   * const root = await Deno.makeTempDir();
   * await Deno.mkdir(`${root}/etc/containerd`, { recursive: true });
   * await Deno.mkdir(`${root}/srv`);
   * await Deno.symlink("/srv/config.toml", `${root}/etc/containerd/config.toml`);
   * await Deno.symlink("../../../outside.toml", `${root}/etc/containerd/escape.toml`);
   * const host = new HostRoot(root);
   * equal(await host.path("/etc/containerd/config.toml"), `${root}/srv/config.toml`);
   * equal(await host.path("/etc/containerd/conf.d/99-nvidia.toml"), `${root}/etc/containerd/conf.d/99-nvidia.toml`);
   * await rejects(host.path("/etc/containerd/escape.toml"), /leads out of the host root/);
   * await Deno.remove(root, { recursive: true });
   * ```
   *
   * @param path A path on the host.
   * @returns The same file as seen here.
   * @throws {RtconfError} for a link that leads out of the host root, or a loop of links.
   */
  path(path: string): Promise<string> {
    try {
      return Promise.resolve(this.#resolve(path));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@linkcode HostRoot.path}, synchronously: a run resolves a few dozen
   * paths, each with a few local calls that cost less so.
   */
  #resolve(path: string): string {
    const top = this.root === "" ? "/" : this.root;
    let current = top;
    // A relative path is relative to the working directory on this machine, to / on a host.
    const absolute = path.startsWith("/") || this.root !== "" ? path : resolve(Deno.cwd(), path);
    const pending = absolute.split("/").filter((part) => part !== "" && part !== ".");
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === "..") {
        if (current === top) {
          if (this.root === "") continue; // /.. is /
          throw new RtconfError(`${this.onDisk(path)}: a symbolic link leads out of the host root`);
        }
        current = dirname(current);
        continue;
      }
      const next = join(current, part);
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(next);
      } catch {
        // Missing (or unreadable): the rest is as given; the kernel would not
        // resolve a ".." after a missing directory, nor does rtconf.
        if (pending.includes("..")) {
          throw new RtconfError(`${this.onDisk(path)}: no such directory: ${this.inside(next)}`);
        }
        return this.unmasked(join(next, ...pending), path);
      }
      if (!info.isSymlink) {
        current = next;
        continue;
      }
      if (++links > MAX_LINKS) {
        throw new RtconfError(`${this.onDisk(path)}: too many levels of symbolic links`);
      }
      const target = Deno.readLinkSync(next);
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      if (target.startsWith("/")) current = top;
    }
    return this.unmasked(current, path);
  }

  /**
   * A host path as the host names it: the part under the host root (links
   * resolved by {@linkcode path}), the same whichever way the root is mounted.
   *
   * @example Usage
   * ```ts
   * import { HostRoot } from "./host_root.ts";
   * import { equal } from "node:assert/strict";
   *
   * equal(new HostRoot("/host").inside("/host/etc/docker/daemon.json"), "/etc/docker/daemon.json");
   * equal(new HostRoot("").inside("/etc/docker/daemon.json"), "/etc/docker/daemon.json");
   * ```
   *
   * @param disk A path as seen here, under the host root.
   * @returns The host's path.
   */
  inside(disk: string): string {
    return underRoot(this.root, disk);
  }

  /** Fails for a path that lands in the host's /dev, /proc or /sys: a masked file, no config. */
  private unmasked(disk: string, path: string): string {
    const host = this.inside(disk);
    if (/^\/(?:dev|proc|sys)(?:\/|$)/.test(host)) {
      throw new RtconfError(
        `${
          this.onDisk(path)
        }: leads to ${host} (a masked file?), not a config file; nothing was written`,
      );
    }
    return disk;
  }

  /**
   * Fails unless the host root is a host's root: an existing directory with
   * an `etc` directory (for `""`, this machine, always true).
   *
   * @example Usage
   * ```ts
   * import { HostRoot } from "./host_root.ts";
   * import { rejects } from "node:assert/strict";
   *
   * await new HostRoot("/").check();
   * await rejects(new HostRoot("/nonexistent/host").check(), /not a host's root/);
   * ```
   *
   * @throws {RtconfError} naming the directory and what it lacks.
   */
  async check(): Promise<void> {
    if (this.root === "") return;
    const kind = async (path: string) =>
      await Deno.stat(path).then((info) => info.isDirectory ? "directory" : "file", () => "none");
    const root = await kind(this.root);
    const reason = root === "none"
      ? "no such directory"
      : root === "file"
      ? "not a directory"
      : await kind(join(this.root, "etc")) !== "directory"
      ? "it has no etc directory"
      : undefined;
    if (reason) {
      throw new RtconfError(
        `--host-root=${this.root}: not a host's root (${reason}); nothing was written`,
      );
    }
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
