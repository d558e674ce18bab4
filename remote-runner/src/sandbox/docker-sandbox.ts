import path from "node:path";
import type Docker from "dockerode";
import type { ExecResult, SandboxChannel } from "@agentrl/protocol";
import type { AgentChannel } from "./agent-channel.js";
import { execViaDockerExec } from "./exec-channel.js";
import { LABEL_SNAPSHOT } from "./labels.js";
import { SandboxError, SandboxFileError, type ExecRequest, type Sandbox, type SnapshotRef } from "./types.js";

/** What readFile returns at most unless the caller asks for less (the model's read_file asks for much less). */
export const DEFAULT_READ_CAP = 64 * 1024 * 1024;
const FILE_OP_TIMEOUT_MS = 60_000;

export interface DockerSandboxOptions {
  container: Docker.Container;
  id: string;
  image: string;
  channel: SandboxChannel;
  agent: AgentChannel | null;
  user: string;
  workdir: string;
  docker: Docker;
  /** The size-limited tmpfs areas (empty when the root filesystem is writable): a commit does not see them. */
  writableAreas: string[];
  diskBytes: number;
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

  private resolve(p: string): string {
    return path.posix.isAbsolute(p) ? p : path.posix.join(this.o.workdir, p);
  }

  /**
   * Files go through the sandbox itself, as its user: the agent channel, or a command over `docker
   * exec` for images without python3. (The Docker archive API writes as root past the read-only root
   * and cannot see the size-limited tmpfs areas.)
   */
  async writeFile(filePath: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
    this.assertLive();
    await this.writeAll({ [this.resolve(filePath)]: data }, mode);
  }

  private async writeAll(files: Record<string, string | Uint8Array>, mode: number): Promise<void> {
    if (this.o.agent) return this.o.agent.writeFiles(files, mode, FILE_OP_TIMEOUT_MS);
    for (const [abs, data] of Object.entries(files)) {
      const res = await this.exec({ cmd: ["sh", "-c", 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && chmod "$2" "$1"', "sh", abs, mode.toString(8)], stdin: data, timeoutMs: FILE_OP_TIMEOUT_MS });
      if (res.exitCode !== 0) {
        const reason = /No space left|File too large|quota/i.test(res.stderr) ? "no_space" : "denied";
        throw new SandboxFileError(reason, `cannot write ${abs}: ${res.stderr.trim()}`);
      }
    }
  }

  async readFile(filePath: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    this.assertLive();
    const abs = this.resolve(filePath);
    const cap = opts.maxBytes ?? DEFAULT_READ_CAP;
    if (this.o.agent) return this.o.agent.readFile(abs, cap, FILE_OP_TIMEOUT_MS);
    const script =
      'if [ -d "$1" ]; then echo "is_dir: $1 is a folder, not a file" >&2; exit 3; fi; ' +
      'if [ ! -e "$1" ]; then echo "not_found: no such file in the sandbox: $1" >&2; exit 3; fi; ' +
      'if [ ! -f "$1" ]; then echo "not_regular: $1 is not a regular file" >&2; exit 3; fi; ' +
      'n=$(stat -c %s -- "$1"); if [ "$n" -gt "$2" ]; then echo "too_large: $1 is $n bytes, over the $2-byte read limit" >&2; exit 3; fi; ' +
      'head -c "$2" -- "$1" | base64 -w0';
    const res = await this.exec({ cmd: ["sh", "-c", script, "sh", abs, String(cap)], timeoutMs: FILE_OP_TIMEOUT_MS, maxOutputBytes: Math.ceil(cap / 3) * 4 + 16 });
    if (res.exitCode !== 0) {
      const [reason, ...msg] = res.stderr.trim().split(": ");
      throw new SandboxFileError(reason ?? "error", res.exitCode === 3 ? msg.join(": ") : `cannot read ${abs}: ${res.stderr.trim()}`);
    }
    return Buffer.from(res.stdout, "base64");
  }

  async writeDir(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
    this.assertLive();
    const abs = this.resolve(dir);
    for (const rel of Object.keys(files)) {
      if (path.posix.isAbsolute(rel) || rel.split("/").includes("..")) {
        throw new SandboxError("file_error", `writeDir: "${rel}" must be a relative path inside ${abs}`);
      }
    }
    await this.writeAll(Object.fromEntries(Object.entries(files).map(([rel, d]) => [path.posix.join(abs, rel), d])), 0o644);
  }

  async readDir(dir: string): Promise<Map<string, Buffer>> {
    this.assertLive();
    const abs = this.resolve(dir);
    if (this.o.agent) return this.o.agent.readDir(abs, DEFAULT_READ_CAP, FILE_OP_TIMEOUT_MS);
    const list = await this.exec({ cmd: ["sh", "-c", 'cd -- "$1" && find . -type f -print0', "sh", abs], timeoutMs: FILE_OP_TIMEOUT_MS });
    if (list.exitCode !== 0) throw new SandboxFileError("not_found", `no such folder in the sandbox: ${abs}`);
    const out = new Map<string, Buffer>();
    for (const rel of list.stdout.split("\0").filter(Boolean)) out.set(rel.replace(/^\.\//, ""), await this.readFile(path.posix.join(abs, rel)));
    return out;
  }

  async killAll(): Promise<void> {
    this.assertLive();
    if (this.o.agent) return this.o.agent.killAll(FILE_OP_TIMEOUT_MS);
    // Without the agent, PID 1 is docker-init: kill(-1) from the sandbox user ends every other process of that user.
    await execViaDockerExec(this.o.container, { cmd: ["sh", "-c", "kill -KILL -1"] }, { timeoutMs: FILE_OP_TIMEOUT_MS, maxOutputBytes: 4096, user: this.o.user });
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

  /**
   * Commits the filesystem. The writable areas are tmpfs mounts, which `docker commit` does not see:
   * they are packed (as the sandbox user) and put into a stopped copy of the image, which is committed.
   */
  async snapshot(tag?: string): Promise<SnapshotRef> {
    this.assertLive();
    const t = tag ?? `${this.id.slice(0, 12)}-${++this.snapshots}`;
    const opts = { repo: "agentrl-snapshot", tag: t, pause: true, changes: `LABEL ${LABEL_SNAPSHOT}=1` };
    try {
      if (!this.o.writableAreas.length) return this.refOf(t, (await this.o.container.commit(opts)) as { Id: string });
      const rels = this.o.writableAreas.map((a) => a.replace(/^\/+/, ""));
      const packed = await this.exec({ cmd: ["sh", "-c", 'tar -c -C / "$@" 2>/dev/null | base64 -w0', "sh", ...rels], timeoutMs: 120_000, maxOutputBytes: Math.ceil((rels.length * this.o.diskBytes) / 3) * 4 + 4096 });
      if (packed.truncated || !packed.stdout) throw new Error(`could not pack the writable areas: ${packed.stderr.trim() || "no output"}`);
      const base = (await this.o.container.inspect()).Config;
      const copy = await this.o.docker.createContainer({ Image: this.image, Cmd: base.Cmd, Labels: base.Labels, User: base.User, WorkingDir: base.WorkingDir, Env: base.Env });
      try {
        await copy.putArchive(Buffer.from(packed.stdout, "base64"), { path: "/" });
        return this.refOf(t, (await copy.commit({ ...opts, pause: false })) as { Id: string });
      } finally {
        await copy.remove({ force: true }).catch(() => {});
      }
    } catch (err) {
      throw new SandboxError("snapshot_failed", `snapshot of sandbox ${this.id.slice(0, 12)} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private refOf(tag: string, res: { Id: string }): SnapshotRef {
    return { imageId: res.Id, tag: `agentrl-snapshot:${tag}`, fromSandbox: this.id };
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
