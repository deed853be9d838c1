/**
 * rtconf registers container runtimes (first of all NVIDIA's) in the
 * configuration of containerd, CRI-O, Docker and podman.
 *
 * This entry is the runtime-independent core: it takes file texts and returns
 * new texts, with no I/O, and runs on Deno, Node and in browsers. The file
 * layer is `@rtconf/rtconf/files`, the OCI hook generator
 * `@rtconf/rtconf/hooks`, the command line `@rtconf/rtconf/cli`.
 *
 * @example Usage
 * ```ts
 * import { configure, renderPlan } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const plan = await configure({
 *   engine: "containerd",
 *   files: { "/etc/containerd/config.toml": undefined },
 *   runtimes: [{ name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 * });
 * equal(renderPlan(plan).startsWith("==> /etc/containerd/conf.d/99-nvidia.toml <=="), true);
 * ```
 *
 * @module
 */

export { EXIT_CHANGES, EXIT_FAILURE, EXIT_USAGE, RtconfError, usageError } from "./errors.ts";
export type { ConfigureOptions } from "./configure.ts";
export { configure, unconfigure } from "./configure.ts";
export type {
  CommandLine,
  ConfigTemplate,
  EffectiveView,
  Engine,
  EngineDefaults,
  EngineName,
  EngineOptions,
  EngineSupport,
  FileGlob,
  FileTexts,
  ReloadSignal,
  SettingKeys,
} from "./engines/engine.ts";
export {
  defaultDropIn,
  ENGINE_NAMES,
  engineStatus,
  isEngineName,
  loadEngine,
  planEngine,
} from "./engines/mod.ts";
export type { CdiStatus, EngineStatus, FileText, RuntimeStatus } from "./engines/engine.ts";
export { renderStatus } from "./engines/status.ts";
export type { FileChange, Plan } from "./plan.ts";
export { changes, CREATED_HEADER, renderPlan } from "./plan.ts";
export { renderDiff, unifiedDiff } from "./diff.ts";
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
export type { TomlTable, TomlValue } from "./formats/toml/values.ts";
export type { EngineParser } from "./formats/parsers/mod.ts";
export { VERSION } from "./version.ts";
