/**
 * Builds the rtconf executables with `deno compile`, one per target, into
 * dist/. `deno compile` needs Deno's base runtime (denort) for each target:
 * from `DENORT_BIN`, from Deno's cache, or downloaded. Where none of these
 * can be had, this stops with one line saying how to provide it.
 *
 * @module
 */

const TARGETS = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
/** The permissions the CLI needs: read and write configs, run engine commands. */
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];

for (const target of TARGETS) {
  const output = `dist/rtconf-${target}`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...PERMISSIONS,
      "--exclude-unused-npm",
      "--target",
      target,
      "-o",
      output,
      "main.ts",
    ],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  if (!result.success) {
    if (/denort|dl\.deno\.land|dns error|failed to lookup/i.test(stderr)) {
      console.error(
        `compile: Deno's base runtime for ${target} cannot be had here: set DENORT_BIN to a denort ${Deno.version.deno} binary, or put denort-${target}.zip into $DENO_DIR/dl/release/v${Deno.version.deno}/`,
      );
    } else {
      console.error(stderr.trim());
    }
    Deno.exit(1);
  }
  console.error(`compile: wrote ${output}`);
}
