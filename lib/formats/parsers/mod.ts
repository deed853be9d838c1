/**
 * The parsers the container engines read their configuration with, run in
 * rtconf: go-toml v1 (containerd 1.6 and 1.7), go-toml v2 (containerd 2.x),
 * BurntSushi/toml (CRI-O) and Go's `encoding/json` as dockerd calls it, built
 * for WebAssembly from Debian's packages (`scripts/build-parsers.sh`;
 * `README.md` beside this module says which release uses which version, and
 * how). The module (about 4.5 MB, 1.7 MB compressed) is instantiated when
 * first asked for, once per process.
 *
 * @module
 */

import { goReactorImports } from "./wasi.ts";

/** The engines' parsers. */
export type EngineParser = "go-toml-v1" | "go-toml-v2" | "burntsushi-toml" | "dockerd-json";

/** What rtconf knows about one of the engines' parsers. */
export interface ParserInfo {
  /** The number the module's `decode` takes. */
  readonly id: number;
  /** The library and its version, for messages (`go-toml v1.9.5`). */
  readonly title: string;
  /** The format it reads. */
  readonly format: "toml" | "json";
}

/**
 * The engines' parsers, as built into the module.
 *
 * @example Usage
 * ```ts
 * import { ENGINE_PARSERS } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(ENGINE_PARSERS["go-toml-v1"].title, "go-toml v1.9.5");
 * ```
 */
export const ENGINE_PARSERS: Readonly<Record<EngineParser, ParserInfo>> = {
  "go-toml-v1": { id: 1, title: "go-toml v1.9.5", format: "toml" },
  "go-toml-v2": { id: 2, title: "go-toml v2.2.1", format: "toml" },
  "burntsushi-toml": { id: 3, title: "BurntSushi/toml v1.4.0", format: "toml" },
  "dockerd-json": { id: 4, title: "Go's encoding/json", format: "json" },
};

/** The kinds of TOML's dates and times. */
export type DateKind = "offset-datetime" | "local-datetime" | "local-date" | "local-time";

/**
 * A date or time as a parser read it: its kind, and its text to the
 * millisecond (an offset date-time in UTC), e.g. `1979-05-27T07:32:00.000Z`.
 *
 * @example Usage
 * ```ts
 * import { EngineDate } from "./mod.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(new EngineDate("local-date", "1979-05-27").text, "1979-05-27");
 * ```
 */
export class EngineDate {
  /**
   * A date.
   *
   * @param kind The kind.
   * @param text The text.
   */
  constructor(readonly kind: DateKind, readonly text: string) {}
}

/**
 * A value as a parser decoded it: integers as `bigint`, floats as `number`,
 * JSON's `null` as `null`.
 */
export type EngineValue =
  | string
  | bigint
  | number
  | boolean
  | null
  | EngineDate
  | EngineValue[]
  | { [key: string]: EngineValue };

/** A parser's error: its own message, and the line and column it names (0 where none). */
export interface ParserError {
  /** The message. */
  message: string;
  /** The line, from 1. */
  line: number;
  /** The column, from 1, as the parser counts. */
  column: number;
}

/** What a parser made of a text: the document, or its error. */
export type Decoded = { value: { [key: string]: EngineValue } } | { error: ParserError };

/** The engines' parsers, instantiated. */
export interface EngineParsers {
  /**
   * Reads a text with one parser.
   *
   * @param parser The parser.
   * @param text The file's text.
   * @returns The document, or the parser's error.
   */
  decode(parser: EngineParser, text: string): Decoded;
}

const DATE_KINDS: Record<string, DateKind> = {
  o: "offset-datetime",
  l: "local-datetime",
  D: "local-date",
  T: "local-time",
};

/** A value of the module's tagged JSON (see main.go). */
type Tagged = string | Tagged[] | { [key: string]: Tagged };

function untag(tagged: Tagged): EngineValue {
  if (Array.isArray(tagged)) return tagged.map(untag);
  if (typeof tagged !== "string") {
    const table: { [key: string]: EngineValue } = {};
    for (const [key, item] of Object.entries(tagged)) table[key] = untag(item);
    return table;
  }
  const rest = tagged.slice(1);
  switch (tagged[0]) {
    case "s":
      return rest;
    case "i":
      return BigInt(rest);
    case "f":
      return rest === "nan"
        ? NaN
        : rest === "inf"
        ? Infinity
        : rest === "-inf"
        ? -Infinity
        : Number(rest);
    case "b":
      return rest === "true";
    case "n":
      return null;
  }
  const kind = DATE_KINDS[tagged[0]];
  if (!kind) throw new Error(`the engines' parsers gave a value of unknown type: ${tagged}`);
  return new EngineDate(kind, rest);
}

/**
 * A date of rtconf's TOML parser (smol-toml's `TomlDate`) as the engines'
 * parsers give it.
 *
 * @example Usage
 * ```ts
 * import { EngineDate, engineDate } from "./mod.ts";
 * import { parse } from "smol-toml";
 * import { deepEqual } from "node:assert/strict";
 *
 * const { a, b } = parse("a = 1979-05-27T00:32:00.5-07:00\nb = 07:32:00\n") as Record<string, Date>;
 * deepEqual(engineDate(a), new EngineDate("offset-datetime", "1979-05-27T07:32:00.500Z"));
 * deepEqual(engineDate(b), new EngineDate("local-time", "07:32:00.000"));
 * ```
 *
 * @param date The date.
 * @returns Its kind and text.
 */
export function engineDate(date: Date): EngineDate {
  const toml = date as Date & { isDate(): boolean; isTime(): boolean; isLocal(): boolean };
  const iso = date.toISOString();
  if (toml.isDate()) return new EngineDate("local-date", iso);
  if (toml.isTime()) return new EngineDate("local-time", iso);
  if (toml.isLocal()) return new EngineDate("local-datetime", iso);
  return new EngineDate("offset-datetime", new Date(date.getTime()).toISOString());
}

let loading: Promise<EngineParsers> | undefined;

/**
 * The engines' parsers: the module is decompressed, compiled and started on
 * the first call (about 40 ms and 30 MiB; see BENCHMARKS.md), and reused.
 *
 * @example Usage
 * ```ts
 * import { loadEngineParsers } from "./mod.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const parsers = await loadEngineParsers();
 * deepEqual(parsers.decode("go-toml-v2", "a = 1\n"), { value: { a: 1n } });
 * deepEqual(parsers.decode("go-toml-v1", 'a = "\\e"\n'), {
 *   error: { message: "invalid escape sequence: \\e", line: 1, column: 6 },
 * });
 * ```
 *
 * @returns The parsers.
 */
export function loadEngineParsers(): Promise<EngineParsers> {
  loading ??= instantiate().catch((error) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

interface ParserExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  input(size: number): number;
  decode(parser: number): number;
  output(): number;
}

async function instantiate(): Promise<EngineParsers> {
  const { PARSERS_WASM_GZIP } = await import("./wasm.ts");
  // Node 20, which runs the library too, has atob but not Uint8Array.fromBase64.
  const compressed = typeof Uint8Array.fromBase64 === "function"
    ? Uint8Array.fromBase64(PARSERS_WASM_GZIP)
    : Uint8Array.from(atob(PARSERS_WASM_GZIP), (c) => c.charCodeAt(0));
  const bytes = await new Response(
    new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).arrayBuffer();
  const wasi = goReactorImports();
  const { instance } = await WebAssembly.instantiate(bytes, wasi.imports);
  const exports = instance.exports as unknown as ParserExports;
  wasi.bind(exports.memory);
  exports._initialize();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    decode(parser: EngineParser, text: string): Decoded {
      const input = encoder.encode(text);
      let answer: string;
      try {
        const at = exports.input(input.length);
        new Uint8Array(exports.memory.buffer, at, input.length).set(input);
        const length = exports.decode(ENGINE_PARSERS[parser].id);
        answer = decoder.decode(new Uint8Array(exports.memory.buffer, exports.output(), length));
      } catch (error) {
        loading = undefined; // a trapped Go runtime cannot run again
        const panic = wasi.stderr().trim().split("\n")[0];
        throw new Error(`${ENGINE_PARSERS[parser].title} failed: ${panic || error}`);
      }
      const decoded = JSON.parse(answer) as { value: Tagged } | { error: ParserError };
      return "error" in decoded
        ? decoded
        : { value: untag(decoded.value) as { [key: string]: EngineValue } };
    },
  };
}
