/**
 * podman: runtimes in `containers.conf`'s `[engine.runtimes]`, through a
 * drop-in file in `/etc/containers/containers.conf.d/` (or a rootless
 * user's `~/.config/containers/containers.conf.d/`) or in place. podman has
 * no daemon: each podman command reads the files anew.
 *
 * @module
 */

import type { Engine } from "../engine.ts";
import { podmanNameProblem } from "../runtime_names.ts";
import { podmanViews } from "./effective.ts";
import { DROP_IN_DIR, podmanFiles } from "./files.ts";
import { planPodman } from "./plan.ts";
import { podmanStatus } from "./status.ts";

/** The name of rtconf's drop-in in a `containers.conf.d` directory. */
const DROP_IN_NAME = "99-nvidia.conf";

/**
 * The podman engine.
 */
export const podman: Engine = {
  name: "podman",
  title: "Podman",
  defaults: {
    configPath: "/etc/containers/containers.conf",
    dropInPath: `${DROP_IN_DIR}/${DROP_IN_NAME}`,
    // The API service, which reads the files when it starts.
    unit: "podman",
    runtimePath: "/usr/bin/nvidia-container-runtime",
  },
  // podman always has CDI: nothing to switch on.
  supports: {
    dropIn: true,
    cdi: false,
    relativeRuntimePath: false,
    runtimeNameProblem: podmanNameProblem,
  },
  // A user's drop-in goes beside the user's own containers.conf.
  dropInFor: (configPath) => `${configPath}.d/${DROP_IN_NAME}`,
  configCommands: () => [],
  files: podmanFiles,
  loads: () => [],
  records: () => [],
  plan: planPodman,
  views: podmanViews,
  status: podmanStatus,
};
