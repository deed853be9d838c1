/**
 * The Deno I/O layer: reading configs, running an engine's config command,
 * and carrying out a plan as one, with atomic writes, under a lock.
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
export { LOCK_DIR, LOCK_TIMEOUT_MS, type LockOptions, withLock } from "./lock.ts";
export {
  deadJournals,
  type Journal,
  type JournalEntry,
  recover as recoverJournals,
  type RecoverOptions,
} from "./transaction.ts";
export type { ProcessIdentity } from "./fs.ts";
export { COMMAND_TIMEOUT_MS, commandOutput, firstOutput } from "./command.ts";
