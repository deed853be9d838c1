/**
 * File-name patterns as the engines match them (Go's `filepath.Match`, which
 * containerd uses for `imports`): `*` is any run of characters but `/`, `?`
 * one character but `/`, `[…]` a class (`[^…]` negated, `a-z` ranges), and
 * `\` quotes the next character.
 *
 * @module
 */

/**
 * Whether a pattern has any wildcard, i.e. may name more than one path.
 *
 * @example Usage
 * ```ts
 * import { hasWildcard } from "./glob.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(hasWildcard("/etc/containerd/conf.d/*.toml"), true);
 * equal(hasWildcard("/etc/containerd/nvidia.toml"), false);
 * ```
 *
 * @param pattern The pattern.
 * @returns `true` when it holds `*`, `?`, `[` or `\`.
 */
export function hasWildcard(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/**
 * The regular expression a pattern stands for, anchored at both ends.
 *
 * @example Usage
 * ```ts
 * import { globToRegExp } from "./glob.ts";
 * import { equal } from "node:assert/strict";
 *
 * const conf = globToRegExp("/etc/containerd/conf.d/*.toml");
 * equal(conf.test("/etc/containerd/conf.d/99-nvidia.toml"), true);
 * equal(conf.test("/etc/containerd/conf.d/sub/x.toml"), false);
 * equal(globToRegExp("[0-9][!a]*").test("9b.toml"), false);
 * equal(globToRegExp("[0-9][^a]*").test("9b.toml"), true);
 * ```
 *
 * @param pattern The pattern.
 * @returns The expression.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) source += escape(pattern[++i]);
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^/" : ""}${body.replace(/[\]\\^]/g, "\\$&")}]`;
      i = end;
    } else source += escape(c);
  }
  return new RegExp(`^${source}$`);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Whether a path matches a pattern.
 *
 * @example Usage
 * ```ts
 * import { globMatches } from "./glob.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(globMatches("/etc/containerd/conf.d/*.toml", "/etc/containerd/conf.d/99-nvidia.toml"), true);
 * equal(globMatches("/etc/containerd/conf.d/*.toml", "/etc/containerd/conf.d/99-nvidia.conf"), false);
 * ```
 *
 * @param pattern The pattern.
 * @param path The path.
 * @returns `true` when it matches.
 */
export function globMatches(pattern: string, path: string): boolean {
  return globToRegExp(pattern).test(path);
}
