import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { DEFAULT_SANDBOX_LIMITS } from "@agentrl/protocol";
import { connectDocker } from "../docker/engine.js";
import { AgentChannel } from "./agent-channel.js";
import { AGENT_PY } from "./agent-script.js";
import { DockerSandbox } from "./docker-sandbox.js";
import { LABEL_MANAGED, ownerIsDead, ownerLabels } from "./labels.js";
import { SandboxError, type SandboxProvider, type SandboxSpec, type SnapshotRef } from "./types.js";

export const SANDBOX_USER = "1000:1000";
export const SANDBOX_WORKDIR = "/home/agent";
const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const AGENT_START_TIMEOUT_MS = 30_000;

function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null ? (err as { statusCode?: number }).statusCode : undefined;
}

/** Sandboxes as Docker containers: no network, no capabilities, limits, non-root, labelled. */
export class DockerSandboxProvider implements SandboxProvider {
  constructor(readonly docker: Docker) {}

  static async connect(): Promise<DockerSandboxProvider> {
    const { docker } = await connectDocker();
    return new DockerSandboxProvider(docker);
  }

  private async checkImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new SandboxError(
          "image_missing",
          `sandbox image "${image}" is not on the Docker host (images are never pulled). ` +
            "Fix: build it with `agentrl images build` (the base) or `agentrl images build ENV_DIR` (an env's Dockerfile).",
        );
      }
      throw new SandboxError("daemon_unreachable", `cannot inspect image "${image}": ${(err as Error).message}`, { cause: err });
    }
  }

  async create(spec: SandboxSpec): Promise<DockerSandbox> {
    await this.checkImage(spec.image);
    const limits = { ...DEFAULT_SANDBOX_LIMITS, ...spec.limits };
    const channel = spec.channel ?? "agent";
    const user = spec.user ?? SANDBOX_USER;
    if (/^(0|root)(:|$)/.test(user)) {
      throw new SandboxError("create_failed", `sandbox user "${user}" is root; sandboxes run as a non-root user (default ${SANDBOX_USER})`);
    }
    const workdir = spec.workdir ?? SANDBOX_WORKDIR;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        Image: spec.image,
        Cmd: channel === "agent" ? ["python3", "-u", "-c", AGENT_PY] : ["sleep", "infinity"],
        User: user,
        WorkingDir: workdir,
        Env: Object.entries({ HOME: SANDBOX_WORKDIR, LANG: "C.UTF-8", ...spec.env }).map(([k, v]) => `${k}=${v}`),
        Labels: { ...spec.labels, ...ownerLabels() },
        OpenStdin: channel === "agent",
        StdinOnce: false,
        AttachStdin: channel === "agent",
        AttachStdout: channel === "agent",
        AttachStderr: channel === "agent",
        Tty: false,
        NetworkDisabled: true,
        HostConfig: {
          NetworkMode: "none",
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          PidsLimit: limits.pids,
          Memory: limits.memoryBytes,
          MemorySwap: limits.memoryBytes,
          NanoCpus: Math.round(limits.cpus * 1e9),
          // docker-init reaps zombies of background processes and forwards signals.
          Init: true,
          // The agent protocol is not worth logging: it would only fill the daemon's disk.
          LogConfig: { Type: "none", Config: {} },
          Ulimits: [{ Name: "nofile", Soft: 4096, Hard: 4096 }],
        },
      });
    } catch (err) {
      throw new SandboxError("create_failed", `cannot create a sandbox from "${spec.image}": ${(err as Error).message}`, { cause: err });
    }
    let agent: AgentChannel | null = null;
    try {
      if (channel === "agent") {
        const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
        agent = new AgentChannel(stream, async () => {
          const info = await container.inspect();
          return info.State.OOMKilled ? "out of memory" : `exit code ${info.State.ExitCode}`;
        });
      }
      await container.start();
      if (agent) await agent.ready(AGENT_START_TIMEOUT_MS);
    } catch (err) {
      agent?.dispose();
      await container.remove({ force: true }).catch(() => {});
      const hint = channel === "agent" ? " (the agent channel needs python3 in the image; use channel \"exec\" for images without it)" : "";
      throw new SandboxError("create_failed", `cannot start a sandbox from "${spec.image}": ${(err as Error).message}${hint}`, { cause: err });
    }
    return new DockerSandbox({
      container,
      id: container.id,
      image: spec.image,
      channel,
      agent,
      user,
      workdir,
      execTimeoutMs: spec.execTimeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
      maxOutputBytes: spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
    });
  }

  fromSnapshot(snapshot: SnapshotRef, spec: Omit<SandboxSpec, "image"> = {}): Promise<DockerSandbox> {
    return this.create({ ...spec, image: snapshot.imageId });
  }

  /** Removes containers whose owning runner process on this host is gone (crash, kill -9). */
  async reapOrphans(filter: Record<string, string> = {}): Promise<number> {
    const labels = [`${LABEL_MANAGED}=1`, ...Object.entries(filter).map(([k, v]) => `${k}=${v}`)];
    const list = await this.docker.listContainers({ all: true, filters: { label: labels } });
    let reaped = 0;
    await Promise.all(
      list.map(async (c) => {
        if (!ownerIsDead(c.Labels)) return;
        try {
          await this.docker.getContainer(c.Id).remove({ force: true, v: true });
          reaped++;
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
      }),
    );
    return reaped;
  }

  /** Removes every container matching the labels, alive owner or not (e.g. all sandboxes of a cancelled run). */
  async removeByLabels(filter: Record<string, string>): Promise<number> {
    const labels = [`${LABEL_MANAGED}=1`, ...Object.entries(filter).map(([k, v]) => `${k}=${v}`)];
    const list = await this.docker.listContainers({ all: true, filters: { label: labels } });
    await Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
    return list.length;
  }
}
