/**
 * Real container engines (unpacked from Debian's archive by
 * `bash scripts/fetch-engines.sh`) used by tests to judge config files.
 *
 * @module
 */
import { parse } from "smol-toml";
import { dirname, join } from "node:path";

/** One unpacked engine binary from the cache manifest. */
export interface EngineBinary {
  /** Debian package version, e.g. `1.7.24~ds1-6+deb13u1`. */
  version: string;
  /** Absolute path of the binary (`.../usr/bin/containerd`, `.../usr/sbin/dockerd`). */
  bin: string;
}

/** Engines by series: containerd by `major.minor` (`"1.6"`), dockerd by major (`"28"`). */
export interface Engines {
  containerd: Record<string, EngineBinary>;
  dockerd: Record<string, EngineBinary>;
}

function cacheDir(): string {
  const explicit = Deno.env.get("RTCONF_ENGINE_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "rtconf-engines");
  return join(Deno.env.get("HOME") ?? "", ".cache", "rtconf-engines");
}

/**
 * Reads `engines.json` from the engine cache (`$RTCONF_ENGINE_CACHE`, else
 * `$XDG_CACHE_HOME/rtconf-engines`, else `$HOME/.cache/rtconf-engines`).
 *
 * @throws Error telling to run `bash scripts/fetch-engines.sh` when the manifest is missing.
 */
export async function loadEngines(): Promise<Engines> {
  const manifest = join(cacheDir(), "engines.json");
  let text: string;
  try {
    text = await Deno.readTextFile(manifest);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `container engines not found (${manifest}): run \`bash scripts/fetch-engines.sh\` first`,
      );
    }
    throw err;
  }
  const data = JSON.parse(text) as Partial<Engines>;
  return { containerd: data.containerd ?? {}, dockerd: data.dockerd ?? {} };
}

async function run(
  bin: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(bin, { args, env, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Runs `<bin> --config <configPath> config dump` (no daemon, no root, read-only)
 * and parses the merged configuration it prints, imports included.
 *
 * Containerd 2.x exits 0 on unknown keys and only logs
 * `level=warning msg="Ignoring unknown key ..."` on stderr; pass
 * `{ strict: true }` to throw on any `level=warning` or `level=error` line.
 *
 * @throws Error with the exit code and stderr when containerd exits non-zero.
 */
export async function containerdDump(
  bin: string,
  configPath: string,
  options: { strict?: boolean } = {},
): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await run(bin, ["--config", configPath, "config", "dump"]);
  if (code !== 0) {
    throw new Error(`containerd config dump of ${configPath} exited ${code}: ${stderr.trim()}`);
  }
  if (options.strict && /level=(warning|error)/.test(stderr)) {
    throw new Error(`containerd config dump of ${configPath} warned: ${stderr.trim()}`);
  }
  return parse(stdout) as Record<string, unknown>;
}

/**
 * Runs `<bin> --validate --config-file <configPath>` (no daemon, no root).
 * The binary's folder is put first on PATH so dockerd finds the `docker-proxy`
 * shipped beside it (else every config fails on `userland-proxy-path`).
 * `output` is dockerd's message (`configuration OK` or the reason), from stderr.
 */
export async function dockerdValidate(
  bin: string,
  configPath: string,
): Promise<{ ok: boolean; output: string }> {
  const path = [dirname(bin), Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":");
  const { code, stdout, stderr } = await run(bin, ["--validate", "--config-file", configPath], {
    PATH: path,
  });
  return { ok: code === 0, output: (stderr + stdout).trim() };
}
