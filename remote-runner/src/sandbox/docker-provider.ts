import path from "node:path";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { DEFAULT_SANDBOX_LIMITS } from "@agentrl/protocol";
import { connectDocker } from "../docker/engine.js";
import { AgentChannel } from "./agent-channel.js";
import { AGENT_PY } from "./agent-script.js";
import { DockerSandbox } from "./docker-sandbox.js";
import { execViaDockerExec } from "./exec-channel.js";
import { LABEL_MANAGED, ownerIsDead, ownerLabels } from "./labels.js";
import { sandboxLimitIssues } from "./limits.js";
import { SandboxError, type SandboxProvider, type SandboxSpec, type SnapshotRef } from "./types.js";

export const SANDBOX_USER = "1000:1000";
export const SANDBOX_WORKDIR = "/home/agent";
const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const AGENT_START_TIMEOUT_MS = 30_000;
/** Seeds (an image's files under a writable area) larger than this are read again per sandbox, not cached. */
const SEED_CACHE_ENTRY_BYTES = 4 * 1024 * 1024;

function statusOf(err: unknown): number | undefined {
  return typeof err === "object" && err !== null ? (err as { statusCode?: number }).statusCode : undefined;
}

export interface DockerProviderOptions {
  /**
   * Only for `agentrl bench sandbox`'s before/after comparison: the container as it was made before the
   * read-only root, the writable-area quotas and the PID-1 agent. Never a user setting.
   */
  unhardened?: boolean;
}

/** The writable areas of a sandbox, each a tmpfs of `limits.diskBytes`: the rest of the filesystem is read-only. */
export function writableAreas(workdir: string, extra: string[] = []): string[] {
  const areas = [SANDBOX_WORKDIR, "/tmp"];
  for (const dir of [workdir, ...extra]) if (!areas.some((a) => dir === a || dir.startsWith(`${a}/`))) areas.push(dir);
  return areas;
}

/** Sandboxes as Docker containers: no network, no capabilities, limits, non-root, labelled, read-only root. */
export class DockerSandboxProvider implements SandboxProvider {
  /** The image's own files under each writable area (a tmpfs starts empty), per image id and folder. */
  private readonly seeds = new Map<string, Promise<Buffer | null>>();

  constructor(
    readonly docker: Docker,
    private readonly opts: DockerProviderOptions = {},
  ) {}

  static async connect(opts: DockerProviderOptions = {}): Promise<DockerSandboxProvider> {
    const { docker } = await connectDocker();
    return new DockerSandboxProvider(docker, opts);
  }

  /** A tar of the image's files under `dir` (read from the created container before it starts), or null when there are none. */
  private seedOf(container: Docker.Container, imageId: string, dir: string, maxBytes: number): Promise<Buffer | null> {
    const key = `${imageId}:${dir}`;
    const cached = this.seeds.get(key);
    if (cached) return cached;
    const p = readSeed(container, dir, maxBytes);
    // Kept only while small (a home folder's dotfiles, a small repository): the cache stays bounded.
    void p.then(
      (tar) => {
        if ((tar?.length ?? 0) > SEED_CACHE_ENTRY_BYTES) return;
        if (this.seeds.size >= 64) this.seeds.delete(this.seeds.keys().next().value as string);
        this.seeds.set(key, p);
      },
      () => {},
    );
    return p;
  }

  private async checkImage(image: string): Promise<string> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
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
    // The second line of defence behind env validation: Docker reads 0 or -1 as "no limit".
    const bad = sandboxLimitIssues(spec.limits);
    if (bad.length) throw new SandboxError("create_failed", `refused to create a sandbox with these limits: ${bad.map((i) => `${i.message}; fix: ${i.fix}`).join(". ")}`);
    const imageId = await this.checkImage(spec.image);
    const limits = { ...DEFAULT_SANDBOX_LIMITS, ...spec.limits };
    const hardened = !this.opts.unhardened;
    const channel = spec.channel ?? "agent";
    const user = spec.user ?? SANDBOX_USER;
    if (/^(0|root)(:|$)/.test(user)) {
      throw new SandboxError("create_failed", `sandbox user "${user}" is root; sandboxes run as a non-root user (default ${SANDBOX_USER})`);
    }
    const workdir = spec.workdir ?? SANDBOX_WORKDIR;
    const [uid, gid] = user.split(":");
    const areas = writableAreas(workdir, spec.writable);
    // exec: scripts the model or the task writes there must run (Docker mounts tmpfs noexec by default).
    const tmpfsOpts = (dir: string): string => `rw,exec,nosuid,nodev,size=${limits.diskBytes}${dir === "/tmp" ? ",mode=1777" : `,mode=0755,uid=${uid ?? 1000},gid=${gid ?? uid ?? 1000}`}`;
    // PID 1 is the agent itself when hardened (see agent-script.ts): nothing in the container can signal or open it.
    const agentIsInit = hardened && channel === "agent";
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
          // docker-init reaps zombies and forwards signals; the hardened agent does both as PID 1.
          Init: !agentIsInit,
          ...(hardened ? { ReadonlyRootfs: true, Tmpfs: Object.fromEntries(areas.map((a) => [a, tmpfsOpts(a)])) } : {}),
          // The agent protocol is not worth logging: it would only fill the daemon's disk.
          LogConfig: { Type: "none", Config: {} },
          Ulimits: [
            { Name: "nofile", Soft: 4096, Hard: 4096 },
            // No file larger than a writable area, and no core dumps (a crash must not fill the disk).
            ...(hardened ? [{ Name: "fsize", Soft: limits.diskBytes, Hard: limits.diskBytes }, { Name: "core", Soft: 0, Hard: 0 }] : []),
          ],
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
      const seeds = hardened ? await Promise.all(areas.map(async (a) => [a, await this.seedOf(container, imageId, a, limits.diskBytes)] as const)) : [];
      await container.start();
      if (agent) await agent.ready(AGENT_START_TIMEOUT_MS);
      for (const [dir, tar] of seeds) if (tar) await unpackSeed(container, agent, user, path.posix.dirname(dir), tar);
    } catch (err) {
      agent?.dispose();
      await container.remove({ force: true }).catch(() => {});
      if (err instanceof SandboxError && err.code === "create_failed") throw err;
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
      docker: this.docker,
      writableAreas: hardened ? areas : [],
      diskBytes: limits.diskBytes,
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

/** Reads the tar of `dir` from a created (not started) container: the image's files there. */
async function readSeed(container: Docker.Container, dir: string, maxBytes: number): Promise<Buffer | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.getArchive({ path: dir });
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > maxBytes) {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      throw new SandboxError("create_failed", `the image has more than ${maxBytes} bytes under ${dir}, more than its writable area holds. Fix: raise sandbox.limits.diskBytes or keep large data out of ${dir}`);
    }
    chunks.push(c);
  }
  const tar = Buffer.concat(chunks);
  // An empty folder is a tar of one directory entry (and padding): nothing to copy.
  return tar.length > 2048 ? tar : null;
}

/** Unpacks an image's files into a started sandbox's (empty) writable area under `parent`. */
async function unpackSeed(container: Docker.Container, agent: AgentChannel | null, user: string, parent: string, tar: Buffer): Promise<void> {
  if (agent) return agent.untar(parent, tar, AGENT_START_TIMEOUT_MS);
  const res = await execViaDockerExec(container, { cmd: ["tar", "-x", "--no-same-owner", "-C", parent], stdin: tar }, { timeoutMs: AGENT_START_TIMEOUT_MS, maxOutputBytes: 4096, user });
  if (res.exitCode !== 0) throw new SandboxError("create_failed", `could not put the image's files under ${parent}: ${res.stderr.trim()}`);
}
