/**
 * The check by the engines' own parsers: every file an engine reads, as it is
 * and as planned, is read by the parser of each family of its releases that
 * reads it (containerd 1.x: go-toml v1, 2.x: go-toml v2; CRI-O: BurntSushi;
 * dockerd: Go's `encoding/json`), and must give exactly the document rtconf
 * read or wrote. Then the effective configuration rtconf checked is the one
 * each engine will use.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { parseJsonConfig } from "../formats/json/parse.ts";
import {
  type Decoded,
  ENGINE_PARSERS,
  EngineDate,
  engineDate,
  type EngineParser,
  type EngineValue,
  loadEngineParsers,
  type ParserError,
} from "../formats/parsers/mod.ts";
import { parseToml } from "../formats/toml/parse.ts";
import { formatKey } from "../formats/toml/values.ts";
import type { EffectiveView, FileTexts } from "./engine.ts";

/** The files of one state of a node, and how its engine's releases read them. */
export interface ReadState {
  /** The views of the files (each names its reader, parser and files). */
  views: readonly EffectiveView[];
  /** The files' texts. */
  texts: FileTexts;
  /** Whether these are rtconf's planned texts (else the node's current ones). */
  planned: boolean;
}

/** A value of rtconf's parsers as the engines' parsers give it. */
function asEngineValue(value: unknown): EngineValue {
  if (value instanceof Date) return engineDate(value);
  if (Array.isArray(value)) return value.map(asEngineValue);
  if (typeof value === "object" && value !== null) {
    const table: { [key: string]: EngineValue } = {};
    for (const [key, item] of Object.entries(value)) table[key] = asEngineValue(item);
    return table;
  }
  return value as EngineValue;
}

function isTable(value: EngineValue | undefined): value is { [key: string]: EngineValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof EngineDate);
}

/** Where two documents first differ: the keys (array items by index) and both values. */
interface Difference {
  keys: string[];
  engine: EngineValue | undefined;
  rtconf: EngineValue | undefined;
}

function difference(
  engine: EngineValue | undefined,
  rtconf: EngineValue | undefined,
  keys: string[] = [],
): Difference | undefined {
  if (isTable(engine) && isTable(rtconf)) {
    for (const key of new Set([...Object.keys(rtconf), ...Object.keys(engine)])) {
      const found = difference(engine[key], rtconf[key], [...keys, key]);
      if (found) return found;
    }
    return undefined;
  }
  if (Array.isArray(engine) && Array.isArray(rtconf) && engine.length === rtconf.length) {
    for (let i = 0; i < engine.length; i++) {
      const found = difference(engine[i], rtconf[i], [...keys, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  const same = engine instanceof EngineDate && rtconf instanceof EngineDate
    ? engine.kind === rtconf.kind && engine.text === rtconf.text
    : Object.is(engine, rtconf);
  return same ? undefined : { keys, engine, rtconf };
}

/** A value in a message. */
function describe(value: EngineValue | undefined, format: "toml" | "json"): string {
  if (value === undefined) return "nothing";
  if (value instanceof EngineDate) return `${value.text} (${value.kind.replace("-", " ")})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isTable(value)) return format === "toml" ? "a table" : "an object";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" && format === "toml") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return Number.isInteger(value) ? `${Object.is(value, -0) ? "-" : ""}${value}.0` : `${value}`;
  }
  return String(value);
}

/** A parser's error on one line: where, and its message with control characters escaped. */
function parserError(title: string, error: ParserError): string {
  const where = error.line > 0 ? ` at line ${error.line}, column ${error.column}` : "";
  // deno-lint-ignore no-control-regex -- the characters to escape
  const message = error.message.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return `${title}${where}: ${message}`;
}

/**
 * Reads every file of the planned state (or, without one, of the given
 * state) with the parser of each reader, and compares what it gives with
 * what rtconf's own parser gives. A file the plan changes that fails is read
 * as it is now, too: a problem it already had is the node's, not rtconf's.
 *
 * @example Usage
 * ```ts
 * import { checkWithEngineParsers } from "./parser_check.ts";
 * import { rejects } from "node:assert/strict";
 *
 * const keys = { runtime: (name: string) => [name], runtimeExecutable: (name: string) => [name], defaultRuntime: [] };
 * const texts = { "/c.toml": '[a."b\\u002ec"]\nx = 1\n' };
 * const view = { reader: "containerd 1.6 and 1.7", parser: "go-toml-v1" as const, files: ["/c.toml"], config: {}, keys };
 * await rejects(
 *   checkWithEngineParsers([{ views: [view], texts, planned: false }]),
 *   /\/c\.toml: containerd 1\.6 and 1\.7 reads a\."b\.c" as nothing \(go-toml v1\.9\.5\) where rtconf reads a table/,
 * );
 * ```
 *
 * @param states The node's files as they are, and as planned.
 * @throws {RtconfError} for a current file a reader cannot read or reads
 * otherwise than rtconf (naming the parser, its message and position, or the
 * value), and, as an internal error, for such a planned file.
 */
export async function checkWithEngineParsers(states: readonly ReadState[]): Promise<void> {
  const parsers = await loadEngineParsers();
  // The planned files are what matters: a current file that a plan changes is
  // read only to tell whether a planned file's problem was already the node's.
  const current: Record<string, string | undefined> = {};
  for (const state of states) if (!state.planned) Object.assign(current, state.texts);
  const read = states.some((state) => state.planned)
    ? states.filter((state) => state.planned)
    : states;
  const done = new Set<string>();
  for (const { views, texts, planned } of read) {
    for (const view of views) {
      for (const path of view.files) {
        const text = texts[path];
        const key = `${view.parser}\0${text}`;
        if (text === undefined || done.has(key)) continue;
        done.add(key);
        const before = current[path];
        const changed = planned && before !== text;
        try {
          check(parsers.decode(view.parser, text), view.parser, text, path, view.reader, changed);
        } catch (error) {
          if (changed && before !== undefined) {
            check(
              parsers.decode(view.parser, before),
              view.parser,
              before,
              path,
              view.reader,
              false,
            );
          }
          throw error;
        }
      }
    }
  }
}

function check(
  decoded: Decoded,
  parser: EngineParser,
  text: string,
  path: string,
  reader: string,
  planned: boolean,
): void {
  const { title, format } = ENGINE_PARSERS[parser];
  const bug = (what: string): never => {
    throw new RtconfError(
      `internal error: ${what}; nothing was written; please report this bug`,
    );
  };
  if ("error" in decoded) {
    const why = parserError(title, decoded.error);
    if (planned) bug(`${reader} could not read the planned ${path} (${why})`);
    throw new RtconfError(`${path}: ${reader} cannot read it (${why}); nothing was written`);
  }
  const ours = format === "toml" ? parseToml(text, path) : parseJsonConfig(text, path);
  const found = difference(decoded.value, asEngineValue(ours));
  if (!found) return;
  const keys = found.keys.map(formatKey).join(".") || "the document";
  const engine = describe(found.engine, format);
  const rtconf = describe(found.rtconf, format);
  if (planned) {
    bug(
      `${reader} would read ${keys} in the planned ${path} as ${engine} (${title}), not ${rtconf}`,
    );
  }
  throw new RtconfError(
    `${path}: ${reader} reads ${keys} as ${engine} (${title}) where rtconf reads ${rtconf}; ` +
      "nothing was written",
  );
}
