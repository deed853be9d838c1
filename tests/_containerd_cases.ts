/**
 * The containerd inputs every suite runs: realistic configs in each version,
 * each configured in drop-in and in-place mode with and without the default
 * and CDI flags.
 *
 * @module
 */

import { join } from "node:path";
import { fixture, readOrUndefined, rtconfOk, withFiles } from "./_helpers.ts";

/** One input config. */
export interface Input {
  /** A name for test output. */
  name: string;
  /** The fixture under tests/fixtures/containerd/, or `undefined` for a missing config. */
  fixture: string | undefined;
  /** Its config version. */
  version: number;
}

export const INPUTS: Input[] = [
  { name: "missing config", fixture: undefined, version: 2 },
  { name: "containerd 1.6 config default", fixture: "default-1.6.toml", version: 2 },
  { name: "containerd 1.7 config default", fixture: "default-1.7.toml", version: 2 },
  { name: "containerd 2.1 config default", fixture: "default-2.1.toml", version: 3 },
  { name: "k3s v2", fixture: "k3s-v2.toml", version: 2 },
  { name: "k3s v3", fixture: "k3s-v3.toml", version: 3 },
  { name: "commented v2", fixture: "commented-v2.toml", version: 2 },
  { name: "v2 with imports", fixture: "imports-v2.toml", version: 2 },
  { name: "v1", fixture: "v1.toml", version: 1 },
];

/** One way of running configure. */
export interface Variant {
  /** A name for test output. */
  name: string;
  /** Drop-in mode (`false`: `--drop-in-config=""`). */
  dropIn: boolean;
  /** The runtime's name. */
  runtime: string;
  /** `--set-as-default`. */
  setAsDefault: boolean;
  /** `--enable-cdi`. */
  cdi: boolean;
}

export const VARIANTS: Variant[] = [
  { name: "drop-in", dropIn: true, runtime: "nvidia", setAsDefault: false, cdi: false },
  { name: "drop-in, default, CDI", dropIn: true, runtime: "nvidia", setAsDefault: true, cdi: true },
  { name: "in place", dropIn: false, runtime: "nvidia", setAsDefault: false, cdi: false },
  {
    name: "in place, default, CDI, another name",
    dropIn: false,
    runtime: "nvidia-cdi",
    setAsDefault: true,
    cdi: true,
  },
];

export const RUNTIME_PATH = "/usr/bin/nvidia-container-runtime";

/** The files of one run, by role. */
export interface Files {
  config: string | undefined;
  dropIn: string | undefined;
}

/** The paths of the files in a temp dir. */
export function paths(dir: string): { config: string; dropIn: string } {
  return {
    config: join(dir, "etc/containerd/config.toml"),
    dropIn: join(dir, "etc/containerd/conf.d/99-nvidia.toml"),
  };
}

/** The CLI arguments of a variant. */
export function variantArgs(dir: string, variant: Variant): string[] {
  const { config, dropIn } = paths(dir);
  return [
    "--runtime=containerd",
    `--config=${config}`,
    `--drop-in-config=${variant.dropIn ? dropIn : ""}`,
    `--nvidia-runtime-name=${variant.runtime}`,
    ...(variant.setAsDefault ? ["--set-as-default"] : []),
    ...(variant.cdi ? ["--enable-cdi"] : []),
  ];
}

export async function readFiles(dir: string): Promise<Files> {
  const { config, dropIn } = paths(dir);
  return { config: await readOrUndefined(config), dropIn: await readOrUndefined(dropIn) };
}

/** Runs configure for an input and variant in a fresh temp dir and hands the dir to `fn`. */
export async function configured<T>(
  input: Input,
  variant: Variant,
  fn: (dir: string, original: Files) => Promise<T>,
): Promise<T> {
  const text = input.fixture === undefined
    ? undefined
    : await fixture(`containerd/${input.fixture}`);
  const files: Record<string, string> = text === undefined
    ? {}
    : { "etc/containerd/config.toml": text };
  return await withFiles(files, async (dir) => {
    const original = await readFiles(dir);
    await rtconfOk("runtime", "configure", ...variantArgs(dir, variant));
    return await fn(dir, original);
  });
}
