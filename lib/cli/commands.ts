/**
 * rtconf's commands and their flags. The flags of `runtime configure` are
 * those of `nvidia-ctk runtime configure`, with the same names and meanings.
 *
 * @module
 */

import type { Command, Flag } from "./flags.ts";
import { INSTALLER_VARIABLES } from "./installer_env.ts";

/** Flags shared by `runtime configure` and `runtime unconfigure`. */
const RUNTIME_FLAGS: Flag[] = [
  {
    names: ["runtime"],
    type: "string",
    value: "ENGINE",
    help: "The container engine: containerd, crio, docker or podman; several, " +
      "comma-separated, configure each with the same runtimes in one run.",
    default: "docker",
  },
  {
    names: ["config"],
    type: "string",
    value: "PATH",
    help: "The engine's config file (default: /etc/containerd/config.toml, " +
      "/etc/crio/crio.conf, /etc/docker/daemon.json or /etc/containers/containers.conf; " +
      "for podman, a rootless user's own containers.conf).",
  },
  {
    names: ["drop-in-config"],
    type: "string",
    value: "PATH",
    help: 'The drop-in file to write instead of the main config; "" edits the ' +
      "main config in place (default: /etc/containerd/conf.d/99-nvidia.toml, " +
      "/etc/crio/crio.conf.d/99-nvidia.toml, 99-nvidia.conf in the .d directory of " +
      "podman's containers.conf; none for docker).",
  },
  {
    names: ["config-source"],
    type: "string",
    value: "SOURCE",
    help: "Where the current config is read from: file, command (containerd config dump, " +
      "crio status config), file=PATH (another file, read as the engine's own report), or " +
      "several, comma-separated: the first that can be read.",
    default: "file",
  },
  {
    names: ["executable-path"],
    type: "string",
    value: "PATH",
    help: "The engine's executable, for --config-source=command.",
  },
  {
    names: ["nvidia-runtime-name"],
    type: "string",
    value: "NAME",
    help: "The name of the runtime (not with --runtime-name).",
    default: "nvidia",
  },
  {
    names: ["nvidia-runtime-path", "runtime-path"],
    type: "string",
    value: "PATH",
    help: "The runtime executable; absolute for containerd, crio and podman " +
      "(default: nvidia-container-runtime, /usr/bin/nvidia-container-runtime " +
      "for containerd, crio and podman).",
  },
  {
    names: ["runtime-name"],
    type: "string",
    value: "NAME[=PATH]",
    multiple: true,
    help: "A runtime to configure, instead of --nvidia-runtime-name and " +
      "--all-nvidia-runtimes (giving those too is an error); repeat it for several. " +
      "Without =PATH the runtime path applies.",
  },
  {
    names: ["all-nvidia-runtimes"],
    type: "boolean",
    help: "Also configure nvidia-cdi and nvidia-legacy (PATH.cdi and PATH.legacy), as " +
      "NVIDIA's Kubernetes installer does.",
  },
  {
    names: ["nvidia-set-as-default", "set-as-default"],
    type: "boolean",
    help: "Make the runtime the engine's default runtime.",
  },
  {
    names: ["default-runtime"],
    type: "string",
    value: "NAME",
    help: "Make this one of the runtimes the default (--set-as-default makes the first).",
  },
  {
    names: ["cdi.enabled", "cdi.enable", "enable-cdi"],
    type: "boolean",
    help: "Enable CDI in the engine (containerd, docker).",
  },
  {
    names: ["config-mode"],
    type: "string",
    value: "MODE",
    help: "config-file, or oci-hook to write an OCI hook instead " +
      "(deprecated: use 'rtconf hook').",
  },
  {
    names: ["oci-hook-path"],
    type: "string",
    value: "PATH",
    help: "With --config-mode=oci-hook: the hook file to write (default: stdout).",
  },
  {
    names: ["nvidia-runtime-hook-path"],
    type: "string",
    value: "PATH",
    help: "With --config-mode=oci-hook: the hook executable.",
    default: "/usr/bin/nvidia-container-runtime-hook",
  },
  {
    names: ["runtime-type"],
    type: "string",
    value: "TYPE",
    help: "containerd: the runtime_type of a new runtime that copies no runc-like runtime " +
      "(nvidia-ctk-installer's --runtime-type).",
    default: "io.containerd.runc.v2",
  },
  {
    names: ["cdi-annotation-prefixes"],
    type: "string",
    value: "PREFIX[,PREFIX]",
    multiple: true,
    help: "containerd: pass annotations with these prefixes to the runtimes " +
      "(container_annotations PREFIX*), as nvidia-ctk-installer does for " +
      "NVIDIA_CONTAINER_RUNTIME_MODES_CDI_ANNOTATION_PREFIXES.",
  },
  {
    names: ["use-legacy-config"],
    type: "boolean",
    help: "containerd: write a version 1 config where there is none (nvidia-ctk-installer's " +
      "--use-legacy-config).",
  },
  {
    names: ["dry-run"],
    type: "boolean",
    help: "Print the resulting config instead of writing it, as nvidia-ctk does (for " +
      "containerd's drop-in: the drop-in, then the main config); for several engines, each " +
      "file that would change under a '==> PATH <==' line.",
  },
  {
    names: ["diff"],
    type: "boolean",
    help: "Print a unified diff per changed file (with --dry-run: instead of the files).",
  },
  {
    names: ["backup"],
    type: "boolean",
    help: "Keep each changed file's previous content under the host's /var/backups/rtconf.",
  },
  {
    names: ["check"],
    type: "boolean",
    help: "Write nothing; exit 0 when the configuration already holds what was asked, 3 " +
      "when it would change.",
  },
  {
    names: ["restart"],
    type: "string",
    value: "MODE",
    help: "Restart an engine whose files changed: none, systemd (systemctl restart), or " +
      "signal (SIGHUP; docker only).",
    default: "none",
  },
  {
    names: ["restart-unit"],
    type: "string",
    value: "UNIT",
    help: "The systemd unit to restart (default: the engine's name).",
  },
  {
    names: ["k3s-template"],
    type: "boolean",
    help: "For a containerd config that k3s or rke2 generate: put the runtimes into " +
      "their template (config.toml.tmpl, config-v3.toml.tmpl) instead.",
  },
  {
    names: ["host-root"],
    type: "string",
    value: "DIR",
    help: "Where the host's root is mounted (in a DaemonSet): files are read and written " +
      "under it, commands run in it with chroot.",
  },
  {
    names: ["lock-timeout"],
    type: "string",
    value: "SECONDS",
    help: "How long to wait for another rtconf changing the same configuration.",
    default: "10",
  },
  {
    names: ["command-timeout"],
    type: "string",
    value: "SECONDS",
    help: "How long to wait for an engine's config command (--config-source=command) " +
      "before trying the next source.",
    default: "30",
  },
];

/** `rtconf runtime configure`. */
export const CONFIGURE: Command = {
  words: ["runtime", "configure"],
  summary: "Register a runtime in a container engine's configuration.",
  description: "Edits only the lines that must change, writes atomically, and writes nothing\n" +
    "when the configuration already holds what was asked.",
  flags: RUNTIME_FLAGS,
};

/** `rtconf runtime unconfigure`. */
export const UNCONFIGURE: Command = {
  words: ["runtime", "unconfigure"],
  summary: "Remove a runtime that 'runtime configure' registered, with the same flags.",
  description: "Removes the runtime, the default that names it, and what configure added\n" +
    "(the drop-in file, the imports entry); configure then unconfigure gives back\n" +
    "the original files.",
  flags: RUNTIME_FLAGS.map((flag) =>
    flag.names[0] === "config-mode"
      ? {
        ...flag,
        help: "config-file, or oci-hook to remove the OCI hook file that configure wrote " +
          "(deprecated: use 'rtconf hook --remove').",
      }
      : flag.names[0] === "oci-hook-path"
      ? { ...flag, help: "With --config-mode=oci-hook: the hook file to remove." }
      : flag
  ),
};

/** `rtconf runtime status`. */
export const STATUS: Command = {
  words: ["runtime", "status"],
  summary:
    "Show an engine's runtimes, their executables, the default, CDI, and the files that hold them.",
  description: "Reads the files as the engine does: containerd's config and its imports,\n" +
    "crio.conf and crio.conf.d, daemon.json, podman's containers.conf files.",
  flags: [
    {
      names: ["runtime"],
      type: "string",
      value: "ENGINE",
      help: "The container engine: containerd, crio, docker or podman; several, " +
        "comma-separated.",
      default: "docker",
    },
    {
      names: ["config"],
      type: "string",
      value: "PATH",
      help: "The engine's main config file (default: the engine's usual one).",
    },
    {
      names: ["drop-in-config"],
      type: "string",
      value: "PATH",
      help: "For CRI-O: a file in the drop-in directory to read (default: " +
        "/etc/crio/crio.conf.d/99-nvidia.toml); containerd's come from its imports, " +
        "podman's from its .d directories.",
    },
    RUNTIME_FLAGS.find((flag) => flag.names[0] === "host-root")!,
    { names: ["json"], type: "boolean", help: "Print JSON." },
  ],
};

/** `rtconf hook`. */
export const HOOK: Command = {
  words: ["hook"],
  summary: "Write the OCI hook file (hooks.d JSON) that runs the NVIDIA runtime hook.",
  description: "For podman and CRI-O. Without --output the hook is printed on stdout.\n" +
    "With --remove, the hook file goes again (only a hook that rtconf or nvidia-ctk wrote).",
  flags: [
    {
      names: ["hook-path", "nvidia-runtime-hook-path"],
      type: "string",
      value: "PATH",
      help: "The hook executable; must be absolute.",
      default: "/usr/bin/nvidia-container-runtime-hook",
    },
    {
      names: ["output", "oci-hook-path"],
      type: "string",
      value: "PATH",
      help: "The hook file to write (default: stdout) or remove.",
    },
    {
      names: ["remove"],
      type: "boolean",
      help: "Remove the hook file --output names, if rtconf or nvidia-ctk wrote it.",
    },
    { names: ["dry-run"], type: "boolean", help: "Print the hook; write nothing." },
    RUNTIME_FLAGS.find((flag) => flag.names[0] === "host-root")!,
  ],
};

/** `rtconf installer`. */
export const INSTALLER: Command = {
  words: ["installer"],
  summary: "Configure the runtime from nvidia-ctk-installer's environment variables " +
    "(the GPU Operator's toolkit container), and undo it on stop.",
  description: "Reads the variables below as nvidia-ctk-installer reads them, runs the\n" +
    "'rtconf runtime configure' (or 'rtconf hook') they ask for, and prints it; then\n" +
    "waits for SIGTERM, SIGINT, SIGHUP or SIGQUIT and runs 'rtconf runtime unconfigure'\n" +
    "with the same flags. Paths are the host's, read and written under HOST_ROOT_MOUNT;\n" +
    "an engine is restarted only when a file it reads changed.\n\n" +
    "Variables (the first one set counts):\n" +
    INSTALLER_VARIABLES.map((variable) =>
      `  ${variable.names.join(", ")}\n      ${variable.help}` +
      (variable.default ? ` (default: ${variable.default})` : "")
    ).join("\n"),
  flags: [
    {
      names: ["no-daemon"],
      type: "boolean",
      help: "Configure and exit, as NO_DAEMON=true does: nothing is undone.",
    },
    { names: ["cleanup"], type: "boolean", help: "Only undo what the variables configure." },
    {
      names: ["dry-run"],
      type: "boolean",
      help: "Print what would be configured (as 'runtime configure --dry-run'); write nothing.",
    },
  ],
};

/** `rtconf version`. */
export const VERSION_COMMAND: Command = {
  words: ["version"],
  summary: "Print the version (as --version and -v do).",
  flags: [],
};

/** `rtconf runtime` (a group: it only lists its commands). */
export const RUNTIME: Command = {
  words: ["runtime"],
  group: true,
  summary: "Configure container engines' runtimes.",
  description: "Commands:\n" +
    `  configure    ${CONFIGURE.summary}\n` +
    `  unconfigure  ${UNCONFIGURE.summary}\n` +
    `  status       ${STATUS.summary}\n` +
    "  help         Show the help of a command: 'rtconf runtime help configure'.",
  flags: [],
};

/** `rtconf` itself. */
export const ROOT: Command = {
  words: [],
  group: true,
  summary: "rtconf registers container runtimes (first of all NVIDIA's) in the\n" +
    "configuration of containerd, CRI-O, Docker and podman, and writes OCI hooks.",
  description: "Commands:\n" +
    `  runtime configure    ${CONFIGURE.summary}\n` +
    `  runtime unconfigure  Remove a runtime that 'runtime configure' registered.\n` +
    `  runtime status       Show an engine's runtimes, the default and CDI.\n` +
    `  hook                 ${HOOK.summary}\n` +
    "  installer            Configure the runtime from nvidia-ctk-installer's environment.\n" +
    `  version              Print the version.\n` +
    "  help                 Show the help of a command: 'rtconf help runtime configure'.\n\n" +
    "Run 'rtconf COMMAND --help' for a command's flags. Flags take one dash or two\n" +
    "(-runtime=docker), as nvidia-ctk's do.",
  flags: [{ names: ["version", "v"], type: "boolean", help: "Print the version." }],
};

/** Every command, for dispatch and for the README's command reference. */
export const COMMANDS: readonly Command[] = [
  ROOT,
  RUNTIME,
  CONFIGURE,
  UNCONFIGURE,
  STATUS,
  HOOK,
  INSTALLER,
  VERSION_COMMAND,
];
