/**
 * The rtconf command line.
 *
 * ```sh
 * deno run -A jsr:@rtconf/rtconf/cli runtime configure --runtime=containerd --dry-run
 * ```
 *
 * @module
 */

import { main } from "./lib/cli/main.ts";

export { main, type MainOptions } from "./lib/cli/main.ts";
export type { Output } from "./lib/cli/output.ts";
export type { Env } from "./lib/cli/installer_env.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
