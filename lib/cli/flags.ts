/**
 * A small flag layer over `node:util`'s `parseArgs`: one table describes each
 * flag once, and both parsing and `--help` are made from it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { usageError } from "../errors.ts";

/** One flag of a command. */
export interface Flag {
  /** The flag's names without dashes; the first is the canonical one. */
  names: string[];
  /** `string` flags take a value, `boolean` flags take none (or `=true|false`). */
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

/** Flags every command takes. */
export const GLOBAL_FLAGS: Flag[] = [
  { names: ["debug", "d"], type: "boolean", help: "Show stack traces and debug messages." },
  { names: ["quiet"], type: "boolean", help: "Show errors only." },
  { names: ["help", "h"], type: "boolean", help: "Show this help." },
];

function dashed(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/**
 * Parses a command's arguments strictly. Boolean flags also accept
 * `--flag=true` and `--flag=false`, as nvidia-ctk's do.
 *
 * @param command The command whose flags apply.
 * @param args The arguments after the command's words.
 * @returns The values by canonical flag name.
 * @throws {RtconfError} exit status 2 for an unknown flag, a missing value or
 * a stray argument.
 */
export function parseFlags(command: Command, args: string[]): FlagValues {
  const flags = [...command.flags, ...GLOBAL_FLAGS];
  const canonical = new Map<string, Flag>();
  for (const flag of flags) for (const name of flag.names) canonical.set(name, flag);

  // parseArgs rejects `--bool=value`: resolve those here.
  const explicit = new Map<string, boolean>();
  const rest: string[] = [];
  for (const arg of args) {
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    const flag = match && canonical.get(match[1]);
    if (match && flag?.type === "boolean") {
      if (match[2] !== "true" && match[2] !== "false") {
        throw usageError(
          `invalid value "${match[2]}" for flag --${match[1]}: use true or false`,
        );
      }
      explicit.set(flag.names[0], match[2] === "true");
    } else {
      rest.push(arg);
    }
  }

  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const flag of flags) {
    for (const name of flag.names) {
      if (name.length === 1) continue;
      const short = flag.names.find((n) => n.length === 1 && name === flag.names[0]);
      options[name] = {
        type: flag.type,
        ...(flag.multiple ? { multiple: true } : {}),
        ...(short ? { short } : {}),
      };
    }
  }

  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw usageError(flagErrorMessage(error, command));
  }

  const values: FlagValues = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    const flag = canonical.get(name)!;
    const key = flag.names[0];
    if (flag.multiple) {
      values[key] = [...(values[key] as string[] | undefined ?? []), ...(value as string[])];
    } else {
      values[key] = value as string | boolean;
    }
  }
  for (const [key, value] of explicit) values[key] = value;
  return values;
}

function flagErrorMessage(error: unknown, command: Command): string {
  const text = error instanceof Error ? error.message : String(error);
  const name = ["rtconf", ...command.words].join(" ");
  const help = `see '${name} --help'`;
  const unknown = /Unknown option '([^']+)'/.exec(text);
  if (unknown) return `unknown flag ${unknown[1]} for '${name}'; ${help}`;
  const positional = /Unexpected argument '([^']+)'/.exec(text);
  if (positional) return `unexpected argument '${positional[1]}' for '${name}'; ${help}`;
  const missing = /Option '(?:-\w, )?(--?[^ ']+)[^']*' argument missing/.exec(text);
  if (missing) return `flag ${missing[1]} needs a value; ${help}`;
  return `${text.split("\n")[0]}; ${help}`;
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
  const rows = [...command.flags, ...GLOBAL_FLAGS].map((flag) => {
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
