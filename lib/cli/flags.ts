/**
 * The flag layer: one table describes each command's flags once, and both
 * parsing and `--help` are made from it.
 *
 * Flags are read as nvidia-ctk's command line library (urfave/cli) reads
 * them, so that scripts written for nvidia-ctk keep working: a long flag
 * takes one dash or two (`-runtime=docker`, `--runtime docker`); a string
 * flag takes its value after `=` or as the next argument (whatever it looks
 * like); a boolean flag never takes the next argument, and takes after `=`
 * what Go's `strconv.ParseBool` takes (`1`, `t`, `T`, `TRUE`, `true`,
 * `True`, `0`, `f`, `F`, `FALSE`, `false`, `False`; `--flag=` is true); an
 * unknown `-xy` is read as the one-letter flags `-x -y`; `--` ends the flags.
 * No npm parser reads single-dash long flags and Go's booleans this way, so
 * this is rtconf's own.
 *
 * @module
 */

import { usageError } from "../errors.ts";

/** One flag of a command. */
export interface Flag {
  /** The flag's names without dashes; the first is the canonical one. */
  names: string[];
  /** `string` flags take a value, `boolean` flags take none (or `=VALUE`). */
  type: "string" | "boolean";
  /** The value's placeholder in the help text, e.g. `PATH`. */
  value?: string;
  /** May be given several times; the values are collected in order. */
  multiple?: boolean;
  /** One line of help. */
  help: string;
  /** The default, as the help text shows it. */
  default?: string;
}

/** A command: its words, a summary, its flags. */
export interface Command {
  /** The words after `rtconf`, e.g. `["runtime", "configure"]`. */
  words: string[];
  /** A group of commands (`rtconf`, `rtconf runtime`) rather than one. */
  group?: boolean;
  /** One line saying what the command does. */
  summary: string;
  /** More help text, shown after the summary. */
  description?: string;
  /** The command's flags (the global ones are added for every command). */
  flags: Flag[];
}

/** Parsed flags by canonical name. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/**
 * Flags every command takes, anywhere on the command line, as nvidia-ctk's
 * global flags. A command's own flag of the same name wins (`runtime
 * configure --config` is the engine's config, as in nvidia-ctk).
 */
export const GLOBAL_FLAGS: Flag[] = [
  {
    names: ["debug", "d"],
    type: "boolean",
    help: "Print debug messages (what is read, run and planned) and the stack trace of an error.",
  },
  {
    names: ["quiet"],
    type: "boolean",
    help: "Print errors and results only; overrides --debug.",
  },
  {
    names: ["config"],
    type: "string",
    value: "PATH",
    help: "nvidia-ctk's global --config: the NVIDIA Container Toolkit's own config " +
      "file. Accepted for nvidia-ctk's command lines; rtconf does not read it.",
  },
  { names: ["help", "h"], type: "boolean", help: "Show this help." },
];

/** The flags a command reads: its own, then the global ones it does not define itself. */
export function commandFlags(command: Command): Flag[] {
  const own = new Set(command.flags.flatMap((flag) => flag.names));
  return [
    ...command.flags,
    ...GLOBAL_FLAGS.filter((flag) => !flag.names.some((name) => own.has(name))),
  ];
}

/** The values Go's `strconv.ParseBool` takes, as nvidia-ctk reads boolean flags. */
const BOOLEANS: Record<string, boolean> = {
  "1": true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

/**
 * Reads a boolean as Go's `strconv.ParseBool` does.
 *
 * @example Usage
 * ```ts
 * import { parseBool } from "./flags.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(parseBool("True"), true);
 * equal(parseBool("0"), false);
 * equal(parseBool("yes"), undefined);
 * ```
 *
 * @param text The text.
 * @returns The boolean, or `undefined` for any other text.
 */
export function parseBool(text: string): boolean | undefined {
  return Object.hasOwn(BOOLEANS, text) ? BOOLEANS[text] : undefined;
}

/** What `parseFlags` read. */
export interface Parsed {
  /** The values, by canonical flag name. */
  values: FlagValues;
  /** The arguments that are not flags, in order. */
  positionals: string[];
}

/**
 * Parses a command's arguments. For a group of commands, parsing stops at
 * the first argument that is not a flag (it names a command), and the rest
 * are returned as positionals unread.
 *
 * @param command The command whose flags apply.
 * @param args The arguments after the command's words.
 * @param values Values already read (before the command's words), added to.
 * @returns The values and the positionals.
 * @throws {RtconfError} exit status 2 for an unknown flag, a missing or
 * invalid value.
 */
export function parseFlags(command: Command, args: string[], values: FlagValues = {}): Parsed {
  const flags = commandFlags(command);
  const byName = new Map<string, Flag>();
  for (const flag of flags) for (const name of flag.names) byName.set(name, flag);
  const name = ["rtconf", ...command.words].join(" ");
  const help = `see '${name} --help'`;
  const positionals: string[] = [];

  const set = (flag: Flag, given: string, value: string | undefined): void => {
    const key = flag.names[0];
    if (flag.type === "boolean") {
      const parsed = value === undefined || value === "" ? true : parseBool(value);
      if (parsed === undefined) {
        throw usageError(
          `invalid value "${value}" for flag ${given}: use true or false (or 1, t, T, TRUE, ` +
            `True, 0, f, F, FALSE, False); ${help}`,
        );
      }
      values[key] = parsed;
    } else if (flag.multiple) {
      values[key] = [...(values[key] as string[] | undefined ?? []), value!];
    } else {
      values[key] = value;
    }
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    // A positional; in a group it names the next command: the rest is its.
    if (!arg.startsWith("-") || arg === "-" || (arg[1] !== "-" && !/^\p{L}$/u.test(arg[1]))) {
      if (command.group) {
        positionals.push(...args.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const dashes = arg.startsWith("--") ? 2 : 1;
    const body = arg.slice(dashes);
    const at = body.indexOf("=");
    const flagName = at < 0 ? body : body.slice(0, at);
    const inline = at < 0 ? undefined : body.slice(at + 1);
    const given = "-".repeat(dashes) + flagName;
    const flag = byName.get(flagName);
    if (flag) {
      let value = inline;
      if (flag.type === "string" && value === undefined) {
        if (i + 1 >= args.length) throw usageError(`flag ${given} needs a value; ${help}`);
        value = args[++i];
      }
      set(flag, given, value);
      continue;
    }
    // -dh: one-letter flags together; the last may take a value.
    const letters = [...flagName];
    if (dashes === 1 && letters.length > 1 && letters.every((c) => byName.has(c))) {
      for (const [index, letter] of letters.entries()) {
        const short = byName.get(letter)!;
        const last = index === letters.length - 1;
        if (short.type === "string" && !last) {
          throw usageError(`flag -${letter} needs a value; ${help}`);
        }
        let value = last ? inline : undefined;
        if (short.type === "string" && value === undefined) {
          if (i + 1 >= args.length) throw usageError(`flag -${letter} needs a value; ${help}`);
          value = args[++i];
        }
        set(short, `-${letter}`, value);
      }
      continue;
    }
    throw usageError(`unknown flag ${given} for '${name}'; ${help}`);
  }
  return { values, positionals };
}

function dashed(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/**
 * The help text of a command, made from its flag table.
 *
 * @param command The command.
 * @returns The text `--help` prints.
 */
export function helpText(command: Command): string {
  const lines = [
    ["Usage: rtconf", ...command.words, command.group ? "COMMAND" : "", "[flags]"]
      .filter(Boolean).join(" "),
    "",
    command.summary,
  ];
  if (command.description) lines.push("", command.description);
  const rows = commandFlags(command).map((flag) => {
    const names = flag.names.map((name) =>
      dashed(name) + (flag.type === "string" && name.length > 1 ? `=${flag.value ?? "VALUE"}` : "")
    );
    const help = flag.help + (flag.default !== undefined ? ` (default: ${flag.default})` : "");
    return [names.join(", "), help];
  });
  lines.push("", "Flags:");
  for (const [names, help] of rows) {
    lines.push(`  ${names}`, ...wrap(help, 72).map((line) => `      ${line}`));
  }
  return lines.join("\n") + "\n";
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
