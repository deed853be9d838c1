/**
 * The CLI with slow writes, for tests that kill or race rtconf while it
 * writes: each new file's bytes go out in 4 KiB chunks with a pause after
 * each (`SLOW_WRITE_MS`, default 1 ms). With `KILL_AFTER_REPLACEMENTS=N` the
 * process kills itself (SIGKILL) right after it has put its N-th file in
 * place: a kill between two files of one plan. The delay and the kill live
 * here, in the tests; production code has no such switch.
 *
 * ```sh
 * SLOW_WRITE_MS=20 deno run -A tests/_slow_rtconf.ts runtime configure ...
 * ```
 *
 * @module
 */

import { main } from "../main.ts";

const pause = Number(Deno.env.get("SLOW_WRITE_MS") ?? 1);
const killAfter = Number(Deno.env.get("KILL_AFTER_REPLACEMENTS") ?? 0);

if (killAfter > 0) {
  const rename = Deno.rename;
  let replaced = 0;
  // A rename onto a file that is neither one of rtconf's temporary files nor its journal
  // puts a file of the plan in place.
  Deno.rename = async (from: string | URL, to: string | URL) => {
    await rename(from, to);
    const own = /\.rtconf-\d+-\w+\.tmp$|\/rtconf\/journal\//.test(String(to));
    if (!own && ++replaced === killAfter) {
      Deno.kill(Deno.pid, "SIGKILL");
    }
  };
}

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
