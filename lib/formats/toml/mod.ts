/**
 * The TOML format: a strict parser, the values it gives, and a document that
 * is edited line by line in the file's own style, with `# rtconf:` notes of
 * what each edit replaced.
 *
 * @module
 */

export { TomlDocument } from "./document.ts";
export { NOTE_PREFIX, noteValue } from "./notes.ts";
export { parseToml, parseValue } from "./parse.ts";
export {
  copyValue,
  formatKey,
  formatString,
  formatValue,
  isTable,
  mergeTables,
  sameValue,
  type TomlTable,
  type TomlValue,
  valueAt,
} from "./values.ts";
