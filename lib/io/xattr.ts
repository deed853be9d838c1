/**
 * Extended attributes (`user.*`, POSIX ACLs, SELinux labels), which Deno has
 * no API for: read and written through the C library's `listxattr`,
 * `getxattr` and `setxattr`, so that a rewritten config keeps them.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";

const SYMBOLS = {
  listxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  getxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  setxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | undefined;

/** The C library, opened once. */
function open(): Libc {
  if (libc) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch (error) {
    throw new RtconfError(
      `cannot read extended attributes (the C library's xattr calls: ${
        (error as Error).message
      }); nothing was written`,
    );
  }
  return libc;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`);
}

/** The message of the C library's last error. */
function lastError(lib: Libc): string {
  const errno = new Deno.UnsafePointerView(lib.__errno_location()!).getInt32();
  const message = lib.strerror(errno);
  return message ? new Deno.UnsafePointerView(message).getCString().toLowerCase() : `${errno}`;
}

/** The C library's answer, or an error naming the call and the file. */
function checked(lib: Libc, result: number | bigint, call: string, path: string): number {
  if (Number(result) < 0) {
    throw new RtconfError(`${path}: cannot ${call}: ${lastError(lib)}`);
  }
  return Number(result);
}

/**
 * The extended attributes of a file (links followed): name → value.
 *
 * @example Usage
 * ```ts
 * import { readAttributes } from "./xattr.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile();
 * deepEqual(readAttributes(file), {});
 * await Deno.remove(file);
 * ```
 *
 * @param path The file.
 * @returns Its attributes.
 * @throws {RtconfError} when they cannot be read.
 */
export function readAttributes(path: string): Record<string, Uint8Array> {
  const lib = open();
  const file = cString(path);
  const size = checked(lib, lib.listxattr(file, null, 0n), "list extended attributes", path);
  if (size === 0) return {};
  const list = new Uint8Array(size);
  checked(lib, lib.listxattr(file, list, BigInt(size)), "list extended attributes", path);
  const attributes: Record<string, Uint8Array> = {};
  for (const name of decoder.decode(list).split("\0").filter(Boolean)) {
    const key = cString(name);
    const length = checked(lib, lib.getxattr(file, key, null, 0n), `read ${name}`, path);
    const value = new Uint8Array(length);
    checked(lib, lib.getxattr(file, key, value, BigInt(length)), `read ${name}`, path);
    attributes[name] = value;
  }
  return attributes;
}

/**
 * Gives a file the extended attributes of another (links followed).
 *
 * @example Usage
 * ```ts
 * import { copyAttributes } from "./xattr.ts";
 *
 * const from = await Deno.makeTempFile();
 * const to = await Deno.makeTempFile();
 * copyAttributes(from, to);
 * await Deno.remove(from);
 * await Deno.remove(to);
 * ```
 *
 * @param from The file whose attributes to copy.
 * @param to The file that gets them.
 * @throws {RtconfError} naming the attribute that cannot be read or set.
 */
export function copyAttributes(from: string, to: string): void {
  const attributes = readAttributes(from);
  const names = Object.keys(attributes);
  if (names.length === 0) return;
  const lib = open();
  const file = cString(to);
  for (const name of names) {
    const value = attributes[name] as Uint8Array<ArrayBuffer>;
    const result = lib.setxattr(file, cString(name), value, BigInt(value.length), 0);
    if (result < 0) {
      throw new RtconfError(
        `${from}: cannot keep its extended attribute ${name} in the new file: ${lastError(lib)}`,
      );
    }
  }
}
