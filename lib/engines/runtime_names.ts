/**
 * Which runtime names the engines can use, and which of the node's runtimes
 * rtconf may take over.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import type { AddRuntimeRule } from "../rules.ts";

/**
 * What keeps a name from being a Kubernetes runtime handler, which CRI
 * engines (containerd, CRI-O) are given as a RuntimeClass's `handler`: it
 * must be a DNS label (RFC 1123: at most 63 lowercase letters, digits and
 * `-`, starting and ending with a letter or digit). Such a name is also a
 * bare TOML key, which every TOML parser reads.
 *
 * @example Usage
 * ```ts
 * import { handlerNameProblem } from "./runtime_names.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(handlerNameProblem("nvidia-cdi"), undefined);
 * equal(
 *   handlerNameProblem("nvidia.cdi"),
 *   "a runtime handler must be a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
 * );
 * ```
 *
 * @param name A runtime name.
 * @returns The problem, or `undefined` for a valid name.
 */
export function handlerNameProblem(name: string): string | undefined {
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) ? undefined : "a runtime handler must " +
    "be a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a " +
    "letter or digit";
}

/**
 * What keeps a name from being a Docker runtime name: dockerd takes any
 * name but an empty one, and one with a control character could not be
 * written on the command line it is used with.
 *
 * @example Usage
 * ```ts
 * import { dockerNameProblem } from "./runtime_names.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(dockerNameProblem("nvidia.cdi"), undefined);
 * equal(dockerNameProblem(""), "a runtime name must not be empty");
 * ```
 *
 * @param name A runtime name.
 * @returns The problem, or `undefined` for a valid name.
 */
export function dockerNameProblem(name: string): string | undefined {
  if (name === "") return "a runtime name must not be empty";
  // deno-lint-ignore no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) return "a runtime name must not hold control characters";
  return undefined;
}

/**
 * What keeps a name from being a podman runtime name: what keeps it from
 * being Docker's, and a leading `/` (podman takes `--runtime /PATH` as the
 * executable itself).
 *
 * @example Usage
 * ```ts
 * import { podmanNameProblem } from "./runtime_names.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(podmanNameProblem("nvidia.cdi"), undefined);
 * equal(podmanNameProblem("/nvidia"), "podman takes a runtime name that starts with '/' as its executable");
 * ```
 *
 * @param name A runtime name.
 * @returns The problem, or `undefined` for a valid name.
 */
export function podmanNameProblem(name: string): string | undefined {
  if (name.startsWith("/")) {
    return "podman takes a runtime name that starts with '/' as its executable";
  }
  return dockerNameProblem(name);
}

/**
 * Whether an executable is one of NVIDIA's container runtimes
 * (`nvidia-container-runtime`, its `.cdi` and `.legacy` modes, wherever
 * installed): such a runtime rtconf may point at another path.
 *
 * @example Usage
 * ```ts
 * import { isNvidiaRuntime } from "./runtime_names.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(isNvidiaRuntime("/usr/local/nvidia/toolkit/nvidia-container-runtime.cdi"), true);
 * equal(isNvidiaRuntime("/usr/bin/runc"), false);
 * ```
 *
 * @param executable The runtime's executable, a path or a name.
 * @returns `true` for NVIDIA's.
 */
export function isNvidiaRuntime(executable: string): boolean {
  return /(^|\/)nvidia-container-runtime(\.[a-z]+)?$/.test(executable);
}

/**
 * Refuses to take over a runtime of the node's that is not one of NVIDIA's
 * (e.g. `--nvidia-runtime-name=runc`): pointing it at another executable
 * would change what every container of that runtime runs.
 *
 * @example Usage
 * ```ts
 * import { refuseForeignRuntime } from "./runtime_names.ts";
 * import { throws } from "node:assert/strict";
 *
 * const rule = { op: "add-runtime" as const, name: "nvidia", path: "/usr/bin/nvidia-container-runtime" };
 * refuseForeignRuntime(rule, "/usr/local/bin/nvidia-container-runtime");
 * throws(
 *   () => refuseForeignRuntime({ ...rule, name: "runc" }, "/usr/bin/runc"),
 *   /the node's runtime runc runs \/usr\/bin\/runc, not an NVIDIA runtime/,
 * );
 * ```
 *
 * @param rule The runtime asked for.
 * @param executable What the node's runtime of that name runs (`""`: nothing said).
 * @param options `shown`: the words for what it runs, when not `executable`;
 * `file`: the file the message names first.
 * @throws {RtconfError} for a runtime that is neither NVIDIA's nor at the path asked for.
 */
export function refuseForeignRuntime(
  rule: AddRuntimeRule,
  executable: string,
  options: { shown?: string; file?: string } = {},
): void {
  if (executable === rule.path || isNvidiaRuntime(executable)) return;
  throw new RtconfError(
    `${options.file ? `${options.file}: ` : ""}the node's runtime ${rule.name} runs ` +
      `${options.shown ?? executable}, not an NVIDIA runtime: rtconf does not take it over; ` +
      "give the NVIDIA runtime another name",
  );
}
