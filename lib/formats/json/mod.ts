/**
 * The JSON format: a strict reader with one-line errors, and a document that
 * is edited member by member in the file's own layout.
 *
 * @module
 */

export { JsonDocument, type JsonValue } from "./document.ts";
export { parseJsonConfig } from "./parse.ts";
