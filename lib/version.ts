/**
 * The version of rtconf; kept equal to `deno.json`'s by a test.
 *
 * @example Usage
 * ```ts
 * import { VERSION } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(/^\d+\.\d+\.\d+$/.test(VERSION), true);
 * ```
 */
export const VERSION = "0.1.0";
