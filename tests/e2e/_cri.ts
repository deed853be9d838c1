/**
 * A small CRI client, what kubelet (or crictl) sends to containerd, over gRPC on containerd's
 * unix socket; and the OCI image archive the pods run (busybox, imported with `ctr`, no
 * registry).
 *
 * The CRI proto (`k8s.io/cri-api/pkg/apis/runtime/v1/api.proto`, which imports nothing) comes
 * from Debian's golang-k8s-cri-api-dev (scripts/fetch-e2e.sh); gRPC from npm, pinned.
 *
 * @module
 */
import * as grpc from "npm:@grpc/grpc-js@1.14.7";
import * as protoLoader from "npm:@grpc/proto-loader@0.8.1";
import { join } from "node:path";
import { run } from "./_kit.ts";

/** What one pod did: its ids, its container's exit code and log. */
export interface PodRun {
  sandboxId: string;
  containerId: string;
  exitCode: number;
  log: string;
}

/** A pod to run: one container running `command` in `image`, on the host's network. */
export interface PodSpec {
  name: string;
  /** The runtime handler ("" for the default). */
  handler: string;
  image: string;
  command: string[];
  cgroupParent: string;
  logDir: string;
}

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void;
type Stub =
  & Record<
    string,
    (request: unknown, options: { deadline: number }, callback: Callback) => void
  >
  & { close(): void };

const definitions = new Map<string, grpc.GrpcObject>();

/** A CRI client (RuntimeService and ImageService) of the containerd listening on `socket`. */
export class CriClient {
  readonly #runtime: Stub;
  readonly #images: Stub;

  constructor(socket: string, proto: string) {
    let pkg = definitions.get(proto);
    if (!pkg) {
      const definition = protoLoader.loadSync(proto, {
        keepCase: true,
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      });
      definitions.set(proto, pkg = grpc.loadPackageDefinition(definition));
    }
    // deno-lint-ignore no-explicit-any
    const v1 = (pkg as any).runtime.v1 as Record<string, grpc.ServiceClientConstructor>;
    const address = `unix://${socket}`;
    const credentials = grpc.credentials.createInsecure();
    this.#runtime = new v1.RuntimeService(address, credentials) as unknown as Stub;
    this.#images = new v1.ImageService(address, credentials) as unknown as Stub;
  }

  /**
   * Calls the unary RPC `method` (of the ImageService when it starts with `Image` or `ListImages`,
   * else of the RuntimeService); an error names the method and containerd's message.
   */
  call<T = Record<string, unknown>>(
    method: string,
    request: unknown,
    timeoutMs = 60_000,
  ): Promise<T> {
    const stub = /^(Image|ListImages|PullImage|RemoveImage)/.test(method)
      ? this.#images
      : this.#runtime;
    return new Promise((resolve, reject) => {
      stub[method](request, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(new Error(`${method}: ${error.details || error.message}`));
        else resolve(response as T);
      });
    });
  }

  /** CRI Status, verbose: the conditions as `Type=true|false`, the handlers, the CRI config. */
  async status(): Promise<{ conditions: string[]; handlers: string[]; config: unknown }> {
    const response = await this.call<{
      status: { conditions: { type: string; status: boolean }[] };
      runtime_handlers?: { name: string }[];
      info?: Record<string, string>;
    }>("Status", { verbose: true });
    return {
      conditions: response.status.conditions.map((c) => `${c.type}=${c.status}`),
      handlers: (response.runtime_handlers ?? []).map((h) => h.name),
      config: response.info?.config ? JSON.parse(response.info.config) : undefined,
    };
  }

  /**
   * Runs a pod as kubelet does: RunPodSandbox with the handler, CreateContainer, StartContainer,
   * waits for the container to exit, reads its log; then removes the container and the pod (also
   * when a step failed).
   */
  async runPod(spec: PodSpec): Promise<PodRun> {
    const sandboxConfig = {
      metadata: { name: spec.name, uid: `${spec.name}-uid`, namespace: "rtconf-e2e", attempt: 0 },
      log_directory: spec.logDir,
      // No hostname: a host-network pod shares the host's UTS namespace.
      linux: {
        cgroup_parent: spec.cgroupParent,
        // NODE: the host's network namespace, so no CNI plugin is needed.
        security_context: { namespace_options: { network: "NODE", pid: "POD", ipc: "POD" } },
      },
    };
    const { pod_sandbox_id: sandboxId } = await this.call<{ pod_sandbox_id: string }>(
      "RunPodSandbox",
      { config: sandboxConfig, runtime_handler: spec.handler },
    );
    try {
      const { container_id: containerId } = await this.call<{ container_id: string }>(
        "CreateContainer",
        {
          pod_sandbox_id: sandboxId,
          sandbox_config: sandboxConfig,
          config: {
            metadata: { name: "main", attempt: 0 },
            image: { image: spec.image },
            command: spec.command,
            log_path: "main.log",
            linux: {},
          },
        },
      );
      await this.call("StartContainer", { container_id: containerId });
      let state = { state: "", exit_code: -1 };
      for (let i = 0; i < 300; i++) {
        ({ status: state } = await this.call<{ status: typeof state }>("ContainerStatus", {
          container_id: containerId,
        }));
        if (state.state === "CONTAINER_EXITED") break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (state.state !== "CONTAINER_EXITED") {
        throw new Error(`container ${containerId} still ${state.state} after 30 s`);
      }
      let log: string;
      try {
        log = await Deno.readTextFile(join(spec.logDir, "main.log"));
      } catch (error) {
        log = `(no log: ${(error as Error).message})`;
      }
      await this.call("RemoveContainer", { container_id: containerId });
      return { sandboxId, containerId, exitCode: state.exit_code, log };
    } finally {
      await this.call("StopPodSandbox", { pod_sandbox_id: sandboxId }).catch(() => {});
      await this.call("RemovePodSandbox", { pod_sandbox_id: sandboxId }).catch(() => {});
    }
  }

  /** Whether CRI knows the image `name` (CRI learns of an image `ctr` imported a moment later). */
  async hasImage(name: string): Promise<boolean> {
    const { image } = await this.call<{ image: unknown }>("ImageStatus", {
      image: { image: name },
    });
    return Boolean(image);
  }

  close(): void {
    this.#runtime.close();
    this.#images.close();
  }
}

const ARCH: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes an OCI image-layout archive (for `ctr images import`) to `out`: one image per entry
 * of `images`, each the root file system `rootfs` as one uncompressed layer, with its own
 * entrypoint.
 */
export async function ociArchive(
  out: string,
  rootfs: string,
  images: { name: string; entrypoint: string[] }[],
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: join(out, ".."), prefix: "oci-" });
  try {
    const blobs = join(dir, "blobs/sha256");
    await Deno.mkdir(blobs, { recursive: true });
    const blob = async (bytes: Uint8Array<ArrayBuffer>) => {
      const digest = await sha256(bytes);
      await Deno.writeFile(join(blobs, digest), bytes);
      return { digest: `sha256:${digest}`, size: bytes.length };
    };
    const tar = await run("tar", [
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-C",
      rootfs,
      "-cf",
      join(dir, "layer.tar"),
      ".",
    ]);
    if (tar.code !== 0) throw new Error(`tar of ${rootfs} failed: ${tar.stderr}`);
    const layer = await blob(await Deno.readFile(join(dir, "layer.tar")));
    await Deno.remove(join(dir, "layer.tar"));
    const architecture = ARCH[Deno.build.arch] ?? Deno.build.arch;
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const manifests = [];
    for (const image of images) {
      const config = await blob(json({
        architecture,
        os: "linux",
        config: { Entrypoint: image.entrypoint, Env: ["PATH=/bin"] },
        rootfs: { type: "layers", diff_ids: [layer.digest] },
      }));
      const manifest = await blob(json({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
      }));
      manifests.push({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        platform: { architecture, os: "linux" },
        annotations: {
          "io.containerd.image.name": image.name,
          "org.opencontainers.image.ref.name": image.name.replace(/^.*:/, ""),
        },
      });
    }
    await Deno.writeTextFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    await Deno.writeTextFile(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests,
      }),
    );
    const pack = await run("tar", ["-C", dir, "-cf", out, "oci-layout", "index.json", "blobs"]);
    if (pack.code !== 0) throw new Error(`tar of the image layout failed: ${pack.stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
