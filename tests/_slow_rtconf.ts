/**
 * The CLI with slow writes, for tests that kill or race rtconf while it
 * writes: each new file's bytes go out in 4 KiB chunks with a pause after
 * each (`SLOW_WRITE_MS`, default 1 ms). The delay lives here, in the tests;
 * production code has no such switch.
 *
 * ```sh
 * SLOW_WRITE_MS=20 deno run -A tests/_slow_rtconf.ts runtime configure ...
 * ```
 *
 * @module
 */

import { main } from "../main.ts";

const pause = Number(Deno.env.get("SLOW_WRITE_MS") ?? 1);

Deno.exit(
  await main(Deno.args, undefined, {
    writeData: async (file, data) => {
      for (let written = 0; written < data.length;) {
        written += await file.write(data.subarray(written, written + 4096));
        await new Promise((done) => setTimeout(done, pause));
      }
    },
  }),
);
