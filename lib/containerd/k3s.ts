/**
 * k3s and rke2 generate containerd's config.toml at every start from a Go
 * template; edits to the generated file are lost. `--k3s-template` puts the
 * runtimes into the template instead: `{{ template "base" . }}` (k3s's own
 * config) followed by the runtime tables.
 *
 * @module
 */

import { RtconfError } from "../errors.ts";
import { CREATED_HEADER, type Plan } from "../plan.ts";
import type { Rule } from "../rules.ts";
import { parseToml, TomlDocument } from "../toml/document.ts";
import { isTable, valueAt } from "../toml/value.ts";
import { applyCriRule, DEFAULT_RUNTIME_TYPE } from "./cri.ts";
import { configVersion, criPluginId } from "./version.ts";

/**
 * The line a k3s template starts with: k3s's own config.
 *
 * @example Usage
 * ```ts
 * import { K3S_BASE } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * equal(K3S_BASE, '{{ template "base" . }}\n');
 * ```
 */
export const K3S_BASE = '{{ template "base" . }}\n';

/** A template line (`{{ … }}`), which is not TOML. */
const TEMPLATE_LINE = /^[ \t]*\{\{.*\}\}[ \t]*\r?$/gm;

/**
 * Where and what to plan.
 *
 * @example Usage
 * ```ts
 * import type { K3sTemplateOptions } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const options: K3sTemplateOptions = {
 *   configPath: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
 *   templatePath: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
 * };
 * equal(options.templatePath.endsWith(".tmpl"), true);
 * ```
 */
export interface K3sTemplateOptions {
  /** The generated config.toml, whose version and runtimes the template builds on. */
  configPath: string;
  /** The template k3s reads, e.g. `config.toml.tmpl` or `config-v3.toml.tmpl`. */
  templatePath: string;
}

/**
 * Plans the template k3s renders config.toml from: the runtime tables added
 * to (or removed from) it, in the style of the rest of the template. Template
 * lines stay as they are. A template that rtconf created and that holds
 * nothing of rtconf's any more is removed.
 *
 * @example Usage
 * ```ts
 * import { planK3sTemplate } from "@rtconf/rtconf";
 * import { equal } from "node:assert/strict";
 *
 * const [template] = planK3sTemplate(
 *   { "/k3s/config.toml": 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v2"\n' },
 *   [{ op: "add-runtime", name: "gpu", path: "/opt/gpu/runtime" }],
 *   { configPath: "/k3s/config.toml", templatePath: "/k3s/config.toml.tmpl" },
 * );
 * equal(template.after?.startsWith('{{ template "base" . }}\n'), true);
 * equal(template.after?.includes('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.gpu]'), true);
 * ```
 *
 * @param texts The texts of config.toml and the template (`undefined` when missing).
 * @param rules The rules: only adding and removing runtimes (k3s sets the default itself).
 * @param options The files.
 * @returns The plan: the template.
 */
export function planK3sTemplate(
  texts: Readonly<Record<string, string | undefined>>,
  rules: readonly Rule[],
  options: K3sTemplateOptions,
): Plan {
  const { configPath, templatePath } = options;
  for (const rule of rules) {
    if (rule.op === "set-default" || rule.op === "enable-cdi") {
      throw new RtconfError(
        `${templatePath}: a k3s template cannot change ${
          rule.op === "set-default" ? "the default runtime" : "CDI"
        }; use k3s's own --default-runtime and its CDI support`,
      );
    }
  }
  const before = texts[templatePath];
  const configures = rules.some((rule) => rule.op === "add-runtime");
  const created = K3S_BASE + CREATED_HEADER;
  if (before === undefined && !configures) {
    return [{ path: templatePath, before, after: undefined }];
  }

  // Template lines become numbered comments while the TOML is edited.
  const lines: string[] = [];
  const masked = (before ?? created).replace(
    TEMPLATE_LINE,
    (line) => `#rtconf-template-${lines.push(line) - 1}`,
  );
  const doc = new TomlDocument(masked, templatePath);
  const config = parseToml(texts[configPath] ?? "", configPath);
  const version = configVersion(config, configPath);
  const plugin = criPluginId(version);
  const cri = valueAt(config, ["plugins", plugin]);
  const target = {
    doc,
    version,
    plugin,
    runtimeType: DEFAULT_RUNTIME_TYPE,
    effective: isTable(cri) ? cri : undefined,
  };
  for (const rule of rules) applyCriRule(target, rule);
  const after = doc.text.replace(
    /#rtconf-template-(\d+)/g,
    (_, index: string) => lines[Number(index)],
  );
  return [{
    path: templatePath,
    before,
    after: after === created && !configures ? undefined : after,
  }];
}
