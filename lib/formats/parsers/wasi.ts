/**
 * The few WASI (preview 1) functions a Go reactor built for `GOOS=wasip1`
 * calls when it neither reads files nor starts programs: no arguments, no
 * environment (so no `GODEBUG`, and BurntSushi's TOML 1.1 switch is off), no
 * preopened directories, the clocks, random bytes, sleeps (Go's runtime
 * sleeps a little while it collects garbage; with one thread there is
 * nothing to wait for, so a sleep ends at once), and writes to standard error
 * kept for the message of a Go panic. Every other function answers `ENOSYS`.
 *
 * @module
 */

const SUCCESS = 0;
const EBADF = 8;
const ENOSYS = 52;

/** The imports of a Go reactor, and what it wrote to standard error. */
export interface GoReactorImports {
  /** The import object for `WebAssembly.instantiate`. */
  imports: WebAssembly.Imports;
  /** Gives the imports the instance's memory, once instantiated. */
  bind(memory: WebAssembly.Memory): void;
  /** What the module wrote to standard error (a Go panic's message). */
  stderr(): string;
}

/**
 * The WASI imports of a Go reactor.
 *
 * @example Usage
 * ```ts
 * import { goReactorImports } from "./wasi.ts";
 * import { equal } from "node:assert/strict";
 *
 * const wasi = goReactorImports();
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * wasi.bind(memory);
 * const functions = wasi.imports.wasi_snapshot_preview1 as Record<string, (...args: number[]) => number>;
 * new Uint8Array(memory.buffer).set(new TextEncoder().encode("panic"), 64);
 * new DataView(memory.buffer).setUint32(0, 64, true); // one buffer at 64,
 * new DataView(memory.buffer).setUint32(4, 5, true); // 5 bytes long
 * equal(functions.fd_write(2, 0, 1, 16), 0);
 * equal(wasi.stderr(), "panic");
 * equal(functions.fd_prestat_get(3, 0), 8);
 * // A sleep of 1 ms (a clock subscription with userdata 7) ends at once.
 * new DataView(memory.buffer).setBigUint64(128, 7n, true);
 * equal(functions.poll_oneoff(128, 256, 1, 20), 0);
 * equal(new DataView(memory.buffer).getBigUint64(256, true), 7n);
 * ```
 *
 * @returns The imports.
 */
export function goReactorImports(): GoReactorImports {
  let memory: WebAssembly.Memory | undefined;
  let stderr = "";
  const view = (): DataView => new DataView(memory!.buffer);
  const none = (count: number, size: number): number => {
    view().setUint32(count, 0, true);
    view().setUint32(size, 0, true);
    return SUCCESS;
  };
  const unsupported = (): number => ENOSYS;
  const functions: Record<string, (...args: never[]) => number | bigint> = {
    args_sizes_get: none,
    args_get: () => SUCCESS,
    environ_sizes_get: none,
    environ_get: () => SUCCESS,
    clock_time_get: (_clock: number, _precision: bigint, at: number): number => {
      const nanoseconds = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
      view().setBigUint64(at, nanoseconds, true);
      return SUCCESS;
    },
    random_get: (at: number, length: number): number => {
      for (let done = 0; done < length; done += 65536) {
        crypto.getRandomValues(
          new Uint8Array(memory!.buffer, at + done, Math.min(65536, length - done)),
        );
      }
      return SUCCESS;
    },
    fd_write: (_fd: number, buffers: number, count: number, written: number): number => {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const at = view().getUint32(buffers + 8 * i, true);
        const length = view().getUint32(buffers + 8 * i + 4, true);
        stderr += new TextDecoder().decode(new Uint8Array(memory!.buffer, at, length));
        total += length;
      }
      view().setUint32(written, total, true);
      return SUCCESS;
    },
    proc_exit: (code: number): never => {
      throw new Error(`the module exited with status ${code}`);
    },
    sched_yield: () => SUCCESS,
    fd_prestat_get: () => EBADF,
    fd_prestat_dir_name: unsupported,
    fd_fdstat_get: unsupported,
    fd_fdstat_set_flags: unsupported,
    fd_read: unsupported,
    fd_close: unsupported,
    poll_oneoff: (subscriptions: number, events: number, count: number, done: number): number => {
      // Every subscription (48 bytes: userdata, then its type) happens now: an event (32
      // bytes: userdata, no error, the type) for each.
      for (let i = 0; i < count; i++) {
        const subscription = subscriptions + 48 * i;
        const event = events + 32 * i;
        new Uint8Array(memory!.buffer, event, 32).fill(0);
        view().setBigUint64(event, view().getBigUint64(subscription, true), true);
        view().setUint8(event + 10, view().getUint8(subscription + 8));
      }
      view().setUint32(done, count, true);
      return SUCCESS;
    },
  };
  return {
    imports: { wasi_snapshot_preview1: functions },
    bind: (instanceMemory) => {
      memory = instanceMemory;
    },
    stderr: () => stderr,
  };
}
