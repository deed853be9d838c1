/**
 * The Deno I/O layer: reading configs, running an engine's config command,
 * and carrying out a plan with atomic writes.
 *
 * @module
 */

export { applyChanges, readText, removeFile, writeAtomic } from "./files.ts";
export { commandOutput, firstOutput } from "./source.ts";
