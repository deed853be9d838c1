/**
 * Editing an engine's main config in place, as the TOML engines do: the
 * rules applied one by one to the file's text, with `# rtconf:` notes of what
 * rtconf added and changed; a missing file is created with rtconf's header,
 * and removed again when nothing else is left in it.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { TomlDocument } from "../formats/toml/document.ts";
import { isTable, sameValue, type TomlValue } from "../formats/toml/values.ts";
import { CREATED_HEADER, type FileChange } from "../plan.ts";
import type { Rule } from "../rules.ts";
import type { FileTexts } from "./engine.ts";

/**
 * Refuses a file whose value at `keys`, or at any of its prefixes, is
 * not a table: rtconf edits a table there.
 *
 * @example Usage
 * ```ts
 * import { expectTable } from "./in_place.ts";
 * import { TomlDocument } from "../formats/toml/document.ts";
 * import { throws } from "node:assert/strict";
 *
 * const doc = new TomlDocument('engine = "podman"\n', "/etc/containers/containers.conf");
 * throws(() => expectTable(doc, ["engine", "runtimes"]), /engine is not a table/);
 * ```
 *
 * @param doc The file.
 * @param keys The table's keys.
 * @throws {RtconfError} naming the file and the keys.
 */
export function expectTable(doc: TomlDocument, keys: readonly string[]): void {
  for (let i = 1; i <= keys.length; i++) {
    const value = doc.get(keys.slice(0, i));
    if (value !== undefined && !isTable(value)) {
      throw new RtconfError(`${doc.file}: ${keys.slice(0, i).join(".")} is not a table`);
    }
  }
}

/**
 * Puts back a value that rtconf added or changed: one with a `# rtconf:`
 * note. A value without a note is the operator's, and stays.
 *
 * @example Usage
 * ```ts
 * import { undoChange } from "./in_place.ts";
 * import { TomlDocument } from "../formats/toml/document.ts";
 * import { equal } from "node:assert/strict";
 *
 * const doc = new TomlDocument('[engine]\nruntime = "nvidia" # rtconf: was "runc"\nx = 1\n', "/c.toml");
 * undoChange(doc, ["engine", "x"]);
 * undoChange(doc, ["engine", "runtime"], "other");
 * equal(doc.get(["engine", "runtime"]), "nvidia");
 * undoChange(doc, ["engine", "runtime"], "nvidia");
 * equal(doc.text, '[engine]\nruntime = "runc"\nx = 1\n');
 * ```
 *
 * @param doc The file.
 * @param keys The value's keys.
 * @param only Undo only while the value is this one.
 */
export function undoChange(doc: TomlDocument, keys: readonly string[], only?: TomlValue): void {
  if (doc.note(keys) === undefined) return;
  if (only !== undefined && !sameValue(doc.get(keys), only)) return;
  doc.restore(keys);
}

/**
 * Plans the rules in the main config itself. A missing config is created
 * when a runtime is added, beginning with {@linkcode CREATED_HEADER}, and
 * removed when it holds nothing else any more.
 *
 * @example Usage
 * ```ts
 * import { planInPlace } from "./in_place.ts";
 * import { equal } from "node:assert/strict";
 *
 * const [change] = planInPlace(
 *   {},
 *   [{ op: "add-runtime", name: "nvidia", path: "/usr/bin/nvidia-container-runtime" }],
 *   "/etc/app.toml",
 *   (doc, rule) => rule.op === "add-runtime" && doc.change(["runtimes", rule.name], rule.path),
 * );
 * equal(change.before, undefined);
 * equal(change.after?.endsWith('nvidia = "/usr/bin/nvidia-container-runtime" # rtconf: added\n'), true);
 * ```
 *
 * @param texts The files' texts.
 * @param rules The rules.
 * @param configPath The main config.
 * @param apply Applies one rule to the file.
 * @returns The change of the main config.
 * @throws {RtconfError} for invalid TOML, or what `apply` refuses.
 */
export function planInPlace(
  texts: FileTexts,
  rules: readonly Rule[],
  configPath: string,
  apply: (doc: TomlDocument, rule: Rule) => void,
): FileChange[] {
  const before = texts[configPath];
  const created = before === undefined && rules.some((rule) => rule.op === "add-runtime");
  const doc = new TomlDocument(created ? CREATED_HEADER : before ?? "", configPath);
  for (const rule of rules) apply(doc, rule);
  // A file rtconf created goes when nothing but its header is left.
  const after = doc.text === CREATED_HEADER || (before === undefined && doc.text === "")
    ? undefined
    : doc.text;
  return [{ path: configPath, before, after }];
}
