import path from "node:path";
import type Docker from "dockerode";
import type { ExecResult, SandboxChannel } from "@agentrl/protocol";
import type { AgentChannel } from "./agent-channel.js";
import { execViaDockerExec } from "./exec-channel.js";
import { LABEL_SNAPSHOT } from "./labels.js";
import { packFiles, unpackFiles } from "./tar-files.js";
import { SandboxError, type ExecRequest, type Sandbox, type SnapshotRef } from "./types.js";

export interface DockerSandboxOptions {
  container: Docker.Container;
  id: string;
  image: string;
  channel: SandboxChannel;
  agent: AgentChannel | null;
  user: string;
  workdir: string;
  execTimeoutMs: number;
  maxOutputBytes: number;
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

/** A running container used as a sandbox. Created by DockerSandboxProvider. */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  readonly image: string;
  readonly channel: SandboxChannel;
  private destroyed = false;
  private snapshots = 0;

  constructor(private readonly o: DockerSandboxOptions) {
    this.id = o.id;
    this.image = o.image;
    this.channel = o.channel;
  }

  get container(): Docker.Container {
    return this.o.container;
  }

  /** False once the agent channel is gone; cheap (no API call), used by the warm pool. */
  get usable(): boolean {
    return !this.destroyed && (this.o.agent === null || !this.o.agent.closed);
  }

  private assertLive(): void {
    if (this.destroyed) throw new SandboxError("sandbox_died", `sandbox ${this.id.slice(0, 12)} was destroyed`);
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    this.assertLive();
    const defaults = { timeoutMs: this.o.execTimeoutMs, maxOutputBytes: this.o.maxOutputBytes, cwd: this.o.workdir };
    if (this.o.agent) return this.o.agent.exec(req, defaults);
    return execViaDockerExec(this.o.container, req, { ...defaults, user: this.o.user });
  }

  /** Makes a folder as the sandbox user, so the agent can write where files are put. */
  private async mkdirs(dir: string): Promise<void> {
    const res = await this.exec({ cmd: ["mkdir", "-p", "--", dir], timeoutMs: 10_000 });
    if (res.exitCode !== 0) throw new SandboxError("file_error", `cannot create folder ${dir} in the sandbox: ${res.stderr.trim()}`);
  }

  private resolve(p: string): string {
    return path.posix.isAbsolute(p) ? p : path.posix.join(this.o.workdir, p);
  }

  async writeFile(filePath: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
    this.assertLive();
    const abs = this.resolve(filePath);
    const dir = path.posix.dirname(abs);
    await this.mkdirs(dir);
    const archive = await packFiles({ [path.posix.basename(abs)]: data }, mode);
    try {
      await this.o.container.putArchive(archive, { path: dir });
    } catch (err) {
      throw new SandboxError("file_error", `cannot write ${abs} in the sandbox: ${(err as Error).message}`, { cause: err });
    }
  }

  async readFile(filePath: string): Promise<Buffer> {
    this.assertLive();
    const abs = this.resolve(filePath);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.o.container.getArchive({ path: abs });
    } catch (err) {
      if (isNotFound(err)) throw new SandboxError("file_error", `no such file in the sandbox: ${abs}`, { cause: err });
      throw new SandboxError("file_error", `cannot read ${abs} from the sandbox: ${(err as Error).message}`, { cause: err });
    }
    const files = await unpackFiles(stream);
    const data = files.get(path.posix.basename(abs));
    if (!data) throw new SandboxError("file_error", `${abs} in the sandbox is not a regular file`);
    return data;
  }

  async writeDir(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
    this.assertLive();
    const abs = this.resolve(dir);
    for (const rel of Object.keys(files)) {
      if (path.posix.isAbsolute(rel) || rel.split("/").includes("..")) {
        throw new SandboxError("file_error", `writeDir: "${rel}" must be a relative path inside ${abs}`);
      }
    }
    await this.mkdirs(abs);
    try {
      await this.o.container.putArchive(await packFiles(files), { path: abs });
    } catch (err) {
      throw new SandboxError("file_error", `cannot write into ${abs} in the sandbox: ${(err as Error).message}`, { cause: err });
    }
  }

  async readDir(dir: string): Promise<Map<string, Buffer>> {
    this.assertLive();
    const abs = this.resolve(dir);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.o.container.getArchive({ path: abs });
    } catch (err) {
      if (isNotFound(err)) throw new SandboxError("file_error", `no such folder in the sandbox: ${abs}`, { cause: err });
      throw new SandboxError("file_error", `cannot read ${abs} from the sandbox: ${(err as Error).message}`, { cause: err });
    }
    const raw = await unpackFiles(stream);
    // The archive's names start with the folder's own name: strip it.
    const out = new Map<string, Buffer>();
    for (const [name, data] of raw) {
      const rel = name.split("/").slice(1).join("/");
      if (rel) out.set(rel, data);
    }
    return out;
  }

  async unixRequest(socketPath: string, data: Uint8Array, timeoutMs = this.o.execTimeoutMs): Promise<Buffer> {
    this.assertLive();
    if (this.o.agent) return this.o.agent.unixRequest(socketPath, data, timeoutMs);
    const script =
      "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(sys.stdin.buffer.read())\n" +
      "s.shutdown(socket.SHUT_WR)\nimport base64\nb=b''\nwhile True:\n c=s.recv(1<<20)\n if not c: break\n b+=c\nsys.stdout.write(base64.b64encode(b).decode())\n";
    const res = await this.exec({ cmd: ["python3", "-S", "-c", script, socketPath], stdin: data, timeoutMs, maxOutputBytes: 64 << 20 });
    if (res.exitCode !== 0) throw new SandboxError("file_error", `request to ${socketPath} in the sandbox failed: ${res.timedOut ? "timed out" : res.stderr.trim().split("\n").pop()}`);
    return Buffer.from(res.stdout, "base64");
  }

  async snapshot(tag?: string): Promise<SnapshotRef> {
    this.assertLive();
    const t = tag ?? `${this.id.slice(0, 12)}-${++this.snapshots}`;
    try {
      const res = (await this.o.container.commit({
        repo: "agentrl-snapshot",
        tag: t,
        pause: true,
        changes: `LABEL ${LABEL_SNAPSHOT}=1`,
      })) as { Id: string };
      return { imageId: res.Id, tag: `agentrl-snapshot:${t}`, fromSandbox: this.id };
    } catch (err) {
      throw new SandboxError("snapshot_failed", `snapshot of sandbox ${this.id.slice(0, 12)} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async alive(): Promise<boolean> {
    if (this.destroyed) return false;
    try {
      const info = await this.o.container.inspect();
      return info.State.Running && this.usable;
    } catch {
      return false;
    }
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.o.agent?.dispose();
    try {
      await this.o.container.remove({ force: true, v: true });
    } catch (err) {
      if (!isNotFound(err) && !String((err as Error).message).includes("already in progress")) throw err;
    }
  }
}
