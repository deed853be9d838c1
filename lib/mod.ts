/**
 * rtconf registers container runtimes (first of all NVIDIA's) in the
 * configuration of containerd, CRI-O and Docker.
 *
 * This entry is the runtime-independent core: it takes file texts and returns
 * new texts, with no I/O. The file layer is `@rtconf/rtconf/files`, the OCI
 * hook generator `@rtconf/rtconf/hooks`, the command line `@rtconf/rtconf/cli`.
 *
 * @example Usage
 * ```ts
 * import { configureRules, renderPlan } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(configureRules({ runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }] }).length, 2);
 * equal(renderPlan([]), "");
 * ```
 *
 * @module
 */

export { EXIT_FAILURE, EXIT_USAGE, RtconfError, usageError } from "./errors.ts";
export type { Engine, EngineName, FileTexts } from "./engine.ts";
export { DEFAULT_CONFIG, DEFAULT_DROP_IN, ENGINE_NAMES } from "./engine.ts";
export type { ConfigureOptions } from "./configure.ts";
export { configure, unconfigure } from "./configure.ts";
export type { FileChange, Plan } from "./plan.ts";
export { changes, CREATED_HEADER, renderPlan, writtenHeader } from "./plan.ts";
export { unifiedDiff } from "./diff.ts";
export type {
  AddRuntimeRule,
  ConfigureRequest,
  DisableCdiRule,
  EnableCdiRule,
  RemoveRuntimeRule,
  Rule,
  RuntimeSpec,
  SetDefaultRule,
  UnsetDefaultRule,
} from "./rules.ts";
export { configureRules, unconfigureRules } from "./rules.ts";
export { VERSION } from "./version.ts";
export type { ContainerdOptions } from "./containerd/engine.ts";
export { containerd, planContainerd } from "./containerd/engine.ts";
export { configVersion, criPluginId } from "./containerd/version.ts";
export type { K3sTemplateOptions } from "./containerd/k3s.ts";
export { K3S_BASE, planK3sTemplate } from "./containerd/k3s.ts";
export type { CrioOptions } from "./crio/engine.ts";
export { crio, CRIO_DROP_IN_HEADER, planCrio } from "./crio/engine.ts";
export type { DockerOptions, DockerRestore } from "./docker/engine.ts";
export { docker, dockerRestorePath, planDocker } from "./docker/engine.ts";
export type { TomlTable, TomlValue } from "./toml/value.ts";
export type { EngineStatus, FileText, RuntimeStatus } from "./status.ts";
export { engineStatus, renderStatus } from "./status.ts";
