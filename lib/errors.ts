/**
 * The error type every rtconf failure is reported with.
 *
 * @module
 */

/**
 * Exit status of a run that failed at run time (bad file, failed write).
 *
 * @example Usage
 * ```ts
 * import { EXIT_FAILURE, RtconfError } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(new RtconfError("/etc/x: cannot write").exitCode, EXIT_FAILURE);
 * ```
 */
export const EXIT_FAILURE = 1;
/**
 * Exit status of a run that was called wrongly (unknown flag, bad value).
 *
 * @example Usage
 * ```ts
 * import { EXIT_USAGE, usageError } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(usageError("unknown flag --x").exitCode, EXIT_USAGE);
 * ```
 */
export const EXIT_USAGE = 2;

/**
 * Exit status of `--check` when the configuration would change.
 */
export const EXIT_CHANGES = 3;

/**
 * An error with a one-line, user-facing message and the exit status the CLI
 * ends with. Anything that is not an `RtconfError` is an internal error.
 *
 * @example Usage
 * ```ts
 * import { RtconfError } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const error = new RtconfError("unrecognized runtime 'podman'", 2);
 * equal(error.exitCode, 2);
 * equal(error.message, "unrecognized runtime 'podman'");
 * ```
 */
export class RtconfError extends Error {
  /** The process exit status for this error. */
  readonly exitCode: number;

  /**
   * Creates the error.
   *
   * @param message One line that names the file (if any) and the problem.
   * @param exitCode {@linkcode EXIT_FAILURE} (default) or {@linkcode EXIT_USAGE}.
   */
  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = "RtconfError";
    this.exitCode = exitCode;
  }
}

/**
 * A usage error: the command line asks for something rtconf cannot do.
 *
 * @example Usage
 * ```ts
 * import { usageError } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(usageError("unknown flag --frob").exitCode, 2);
 * ```
 *
 * @param message The one-line message.
 * @returns An {@linkcode RtconfError} with exit status 2.
 */
export function usageError(message: string): RtconfError {
  return new RtconfError(message, EXIT_USAGE);
}
