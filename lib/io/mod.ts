/**
 * The Deno I/O layer: reading configs, running an engine's config command,
 * and carrying out a plan with atomic writes.
 *
 * @module
 */

export type { WriteOptions } from "./files.ts";
export {
  applyChanges,
  BACKUP_DIR,
  backupPath,
  globFiles,
  MAX_CONFIG_BYTES,
  readText,
  removeFile,
  writeAtomic,
  writePrivate,
} from "./files.ts";
export { LOCK_TIMEOUT_MS, withLock } from "./lock.ts";
export { commandOutput, firstOutput } from "./command.ts";
