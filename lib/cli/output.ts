/**
 * Where the CLI prints: results on stdout, messages on stderr, with
 * `--quiet` silencing everything but errors.
 *
 * @module
 */

/**
 * Where a command's output goes.
 *
 * @example Usage
 * ```ts
 * import { main, type Output } from "@rtconf/rtconf/cli";
 * import { equal } from "node:assert/strict";
 *
 * let printed = "";
 * const output: Output = { stdout: (text) => void (printed += text), stderr: () => {} };
 * equal(await main(["--version"], output), 0);
 * equal(printed.startsWith("rtconf "), true);
 * ```
 */
export interface Output {
  /** Results: dry-run output, diffs, JSON. */
  stdout(text: string): void;
  /** Logs, warnings and errors. */
  stderr(text: string): void;
}

/**
 * What a command tells the operator, as lines prefixed `rtconf: `.
 *
 * @example Usage
 * ```ts
 * import { Reporter } from "./output.ts";
 * import { equal } from "node:assert/strict";
 *
 * let err = "";
 * const reporter = new Reporter({ stdout: () => {}, stderr: (t) => void (err += t) }, { quiet: true });
 * reporter.info("updated /etc/docker/daemon.json");
 * reporter.warn("something odd");
 * equal(err, "");
 * ```
 */
export class Reporter {
  readonly #output: Output;
  readonly #quiet: boolean;
  readonly #debug: boolean;

  /**
   * A reporter printing to `output`.
   *
   * @param output Where to print.
   * @param options `quiet`: print results and errors and nothing else;
   * `debug`: print debug messages too (unless `quiet`).
   */
  constructor(output: Output, options: { quiet?: boolean; debug?: boolean } = {}) {
    this.#output = output;
    this.#quiet = options.quiet === true;
    this.#debug = options.debug === true && !this.#quiet;
  }

  /**
   * Prints a result on stdout (even with `--quiet`: it is what was asked for).
   *
   * @param text The text.
   */
  result(text: string): void {
    if (text !== "") this.#output.stdout(text);
  }

  /**
   * Says what happened, on stderr.
   *
   * @param message One line.
   */
  info(message: string): void {
    if (!this.#quiet) this.#output.stderr(`rtconf: ${message}\n`);
  }

  /**
   * Reports an error that does not end the command, on stderr (even with `--quiet`).
   *
   * @param message One line.
   */
  error(message: string): void {
    this.#output.stderr(`rtconf: ${message}\n`);
  }

  /**
   * Says what rtconf reads, runs and decides, on stderr, with `--debug`.
   *
   * @param message One line.
   */
  debug(message: string): void {
    if (this.#debug) this.#output.stderr(`rtconf: debug: ${message}\n`);
  }

  /**
   * Warns, on stderr.
   *
   * @param message One line.
   */
  warn(message: string): void {
    if (!this.#quiet) this.#output.stderr(`rtconf: warning: ${message}\n`);
  }
}

const encoder = new TextEncoder();

/**
 * The process's own stdout and stderr.
 */
export const processOutput: Output = {
  stdout: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
  stderr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
};
