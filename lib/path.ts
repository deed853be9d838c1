/**
 * POSIX file-path helpers for the runtime-independent core: the engines' files
 * are Linux paths whatever the machine that plans them, so these never look
 * at the platform or the working directory.
 *
 * @module
 */

/**
 * A path with `.` and `..` parts and repeated slashes taken out. `..` above
 * the root stays at the root; a relative path stays relative.
 *
 * @example Usage
 * ```ts
 * import { normalize } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(normalize("/etc//containerd/./conf.d/../config.toml"), "/etc/containerd/config.toml");
 * equal(normalize("/../etc"), "/etc");
 * equal(normalize("conf.d/"), "conf.d");
 * ```
 *
 * @param path A path.
 * @returns The same path in its shortest form; `"."` for an empty relative path.
 */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!absolute) parts.push(part);
    } else {
      parts.push(part);
    }
  }
  const joined = parts.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

/**
 * Whether a path starts at the root.
 *
 * @example Usage
 * ```ts
 * import { isAbsolute } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isAbsolute("/usr/bin/nvidia-container-runtime"), true);
 * equal(isAbsolute("nvidia-container-runtime"), false);
 * ```
 *
 * @param path A path.
 * @returns `true` for `/…`.
 */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/**
 * The directory part of a path, as `dirname(1)` gives it.
 *
 * @example Usage
 * ```ts
 * import { dirname } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(dirname("/etc/containerd/conf.d/99-nvidia.toml"), "/etc/containerd/conf.d");
 * equal(dirname("/config.toml"), "/");
 * equal(dirname("config.toml"), ".");
 * ```
 *
 * @param path A path.
 * @returns Everything before the last `/` (trailing slashes ignored).
 */
export function dirname(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const index = trimmed.lastIndexOf("/");
  if (index < 0) return ".";
  if (index === 0) return "/";
  return trimmed.slice(0, index).replace(/\/+$/, "") || "/";
}

/**
 * The last part of a path.
 *
 * @example Usage
 * ```ts
 * import { basename } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(basename("/etc/docker/daemon.json"), "daemon.json");
 * equal(basename("/etc/docker/"), "docker");
 * ```
 *
 * @param path A path.
 * @returns Everything after the last `/` (trailing slashes ignored).
 */
export function basename(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/**
 * Joins path parts and normalizes the result; an absolute part does not
 * restart the path (unlike `resolve`), so `join(hostRoot, "/etc")` stays
 * under `hostRoot`.
 *
 * @example Usage
 * ```ts
 * import { join } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(join("/host", "/etc/containerd/config.toml"), "/host/etc/containerd/config.toml");
 * equal(join("/etc/containerd", "conf.d/*.toml"), "/etc/containerd/conf.d/*.toml");
 * ```
 *
 * @param parts The parts.
 * @returns The joined path.
 */
export function join(...parts: string[]): string {
  return normalize(parts.filter((part) => part !== "").join("/"));
}

/**
 * Resolves `path` against the directory `from`, as a shell would from there:
 * an absolute `path` is returned normalized.
 *
 * @example Usage
 * ```ts
 * import { resolve } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(resolve("/etc/containerd", "conf.d/*.toml"), "/etc/containerd/conf.d/*.toml");
 * equal(resolve("/etc/containerd", "/opt/x.toml"), "/opt/x.toml");
 * ```
 *
 * @param from An absolute directory.
 * @param path A path.
 * @returns The absolute, normalized path.
 */
export function resolve(from: string, path: string): string {
  return isAbsolute(path) ? normalize(path) : join(from, path);
}

/**
 * A path under a root as the root's own system names it: the part below the
 * root (`/` for the root itself); a path not under the root, or with no root
 * (`""`), as it is.
 *
 * @example Usage
 * ```ts
 * import { underRoot } from "./path.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(underRoot("/host", "/host/etc/docker/daemon.json"), "/etc/docker/daemon.json");
 * equal(underRoot("/host", "/host"), "/");
 * equal(underRoot("/host", "/hostile/x"), "/hostile/x");
 * equal(underRoot("", "/etc/crio/crio.conf"), "/etc/crio/crio.conf");
 * ```
 *
 * @param root The root as seen here (`""`: none).
 * @param path A path as seen here.
 * @returns The path under the root.
 */
export function underRoot(root: string, path: string): string {
  if (root === "") return path;
  if (path === root) return "/";
  return path.startsWith(`${root}/`) ? path.slice(root.length) : path;
}
