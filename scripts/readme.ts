/**
 * Writes the README's command reference from the same text as `--help`.
 * `deno run -A scripts/readme.ts` updates README.md; a test keeps them equal.
 *
 * @module
 */

import { COMMANDS } from "../lib/cli/commands.ts";
import { helpText } from "../lib/cli/flags.ts";

const START = "<!-- commands:start (made by scripts/readme.ts) -->";
const END = "<!-- commands:end -->";

/** The command reference: every command's `--help`, in a code block each. */
export function commandReference(): string {
  return COMMANDS.map((command) => {
    const name = ["rtconf", ...command.words].join(" ");
    return `### \`${name}\`\n\n\`\`\`text\n${helpText(command)}\`\`\`\n`;
  }).join("\n");
}

/** The README with its command reference replaced by the current one. */
export function withReference(readme: string): string {
  const start = readme.indexOf(START), end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error("README.md has no command reference markers");
  return `${readme.slice(0, start + START.length)}\n\n${commandReference()}\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const url = new URL("../README.md", import.meta.url);
  await Deno.writeTextFile(url, withReference(await Deno.readTextFile(url)));
}
