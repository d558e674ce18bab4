import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import type { ExecResult } from "@agentrl/protocol";
import { DockerFrameDemuxer } from "./demux.js";
import { SandboxError, SandboxFileError, type ExecRequest } from "./types.js";

interface AgentReply {
  id: string | null;
  exit?: number | null;
  signal?: number | null;
  out?: string;
  err?: string;
  timedOut?: boolean;
  truncated?: boolean;
  oom?: boolean;
  ms?: number;
  ready?: boolean;
  pong?: boolean;
  error?: string;
  /** File operations: what kind of failure (not_found, is_dir, too_large, no_space, ...). */
  code?: string;
  size?: number;
  data?: string;
  files?: Record<string, string>;
}

interface Pending {
  resolve: (r: AgentReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** The longest reply line this request can legitimately get (its output caps, base64). */
  maxLine: number;
}

/** The most a service on a unix socket in the sandbox may answer (a desktop screenshot is a few MB). */
const UNIX_REPLY_CAP = 64 << 20;
/** Extra time the runner waits beyond a command's own limit before it calls the agent dead. */
const AGENT_GRACE_MS = 15_000;
/** Requests in flight on one channel; more is a runaway caller, not a workload. */
export const MAX_PENDING_REQUESTS = 512;
/** Longest line accepted while nothing that could answer with more is in flight (ready, pong, errors). */
const BASE_LINE_BYTES = 64 * 1024;

/** The longest reply line for a request whose payload is `bytes` (base64 plus the JSON around it). */
export function replyLineBytes(bytes: number): number {
  return Math.ceil(bytes / 3) * 4 + BASE_LINE_BYTES;
}

/** The runner's end of the persistent channel to the in-container agent (see agent-script.ts). */
export class AgentChannel {
  private readonly pending = new Map<string, Pending>();
  /** The unfinished line: its chunks, joined once the newline arrives (linear in bytes received). */
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  private stderrTail = "";
  private closedError: SandboxError | null = null;
  private readyWaiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private readonly readyPromise: Promise<void>;

  constructor(
    private readonly stream: Duplex,
    private readonly describe: () => Promise<string>,
  ) {
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.readyWaiter = { resolve, reject };
    });
    // Not awaited by everyone: keep an unobserved rejection from crashing the process.
    this.readyPromise.catch(() => {});
    const demux = new DockerFrameDemuxer((type, payload) => {
      if (type === 1) this.onStdout(payload);
      else this.stderrTail = (this.stderrTail + payload.toString("utf8")).slice(-4000);
    });
    stream.on("data", (chunk: Buffer) => demux.push(chunk));
    stream.on("error", (err) => this.close(`attach stream error: ${err.message}`));
    stream.on("end", () => this.close("the sandbox's main process exited"));
    stream.on("close", () => this.close("the attach stream closed"));
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  ready(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.close(`the agent did not start within ${timeoutMs} ms`), timeoutMs);
    return this.readyPromise.finally(() => clearTimeout(timer));
  }

  /** The longest line any request in flight may be answered with. */
  private lineLimit(): number {
    let max = BASE_LINE_BYTES;
    for (const p of this.pending.values()) max = Math.max(max, p.maxLine);
    return max;
  }

  private onStdout(chunk: Buffer): void {
    let rest = chunk;
    for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
      const tail = rest.subarray(0, nl);
      const line = this.lineParts.length ? Buffer.concat([...this.lineParts, tail], this.lineBytes + tail.length) : tail;
      this.lineParts = [];
      this.lineBytes = 0;
      rest = rest.subarray(nl + 1);
      this.onLine(line);
      if (this.closedError) return;
    }
    if (!rest.length) return;
    this.lineParts.push(rest);
    this.lineBytes += rest.length;
    const limit = this.lineLimit();
    if (this.lineBytes > limit) {
      this.lineParts = [];
      this.lineBytes = 0;
      this.close(`the agent channel got a line of more than ${limit} bytes, more than any request in flight can be answered with (something in the sandbox wrote into the channel)`);
    }
  }

  private onLine(line: Buffer): void {
    let reply: AgentReply;
    try {
      const parsed: unknown = JSON.parse(line.toString("utf8"));
      if (typeof parsed !== "object" || parsed === null) return;
      reply = parsed as AgentReply;
    } catch {
      return; // not ours (nothing else writes to the agent's stdout, but never crash on it)
    }
    if (reply.ready) {
      this.readyWaiter?.resolve();
      return;
    }
    // Ids are random 128-bit values: a reply for an id no request holds is dropped, never matched.
    if (typeof reply.id !== "string") return;
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    p.resolve(reply);
  }

  private close(reason: string): void {
    if (this.closedError) return;
    this.closedError = new SandboxError("sandbox_died", reason);
    this.readyWaiter?.reject(this.closedError);
    const pending = [...this.pending.values()];
    this.pending.clear();
    if (pending.length === 0) {
      this.stream.destroy();
      return;
    }
    // Say why the sandbox died (out of memory, exit code) before failing the waiting commands.
    void this.describe()
      .catch(() => "")
      .then((why) => {
        const tail = this.stderrTail.trim() ? `; agent stderr: ${this.stderrTail.trim().slice(-500)}` : "";
        const err = new SandboxError("sandbox_died", `sandbox died: ${reason}${why ? ` (${why})` : ""}${tail}`);
        for (const p of pending) {
          clearTimeout(p.timer);
          p.reject(err);
        }
      });
    this.stream.destroy();
  }

  private request(body: Record<string, unknown>, waitMs: number, replyBytes = 0): Promise<AgentReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending.size >= MAX_PENDING_REQUESTS) {
      return Promise.reject(
        new SandboxError("exec_failed", `more than ${MAX_PENDING_REQUESTS} requests are in flight on one sandbox; the request was refused. Fix: await commands (or run fewer at once) on one sandbox`),
      );
    }
    const id = randomBytes(16).toString("hex");
    return new Promise<AgentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SandboxError("sandbox_died", `the sandbox agent did not answer within ${waitMs} ms (frozen or overloaded container)`));
      }, waitMs);
      this.pending.set(id, { resolve, reject, timer, maxLine: replyLineBytes(replyBytes) });
      this.stream.write(JSON.stringify({ ...body, id }) + "\n");
    });
  }

  async exec(req: ExecRequest, defaults: { timeoutMs: number; maxOutputBytes: number; cwd?: string }): Promise<ExecResult> {
    const timeoutMs = req.timeoutMs ?? defaults.timeoutMs;
    const stdin = req.stdin === undefined ? undefined : Buffer.from(req.stdin).toString("base64");
    const cap = req.maxOutputBytes ?? defaults.maxOutputBytes;
    const reply = await this.request(
      {
        cmd: req.cmd,
        env: req.env,
        cwd: req.cwd ?? defaults.cwd,
        timeout: timeoutMs,
        cap,
        stdin,
      },
      timeoutMs + AGENT_GRACE_MS,
      2 * cap,
    );
    if (reply.error) throw new SandboxError("exec_failed", `the sandbox could not run the command: ${reply.error}`);
    return {
      exitCode: reply.exit ?? null,
      stdout: Buffer.from(reply.out ?? "", "base64").toString("utf8"),
      stderr: Buffer.from(reply.err ?? "", "base64").toString("utf8"),
      timedOut: Boolean(reply.timedOut),
      truncated: Boolean(reply.truncated),
      oomKilled: Boolean(reply.oom),
      durationMs: reply.ms ?? 0,
    };
  }

  /** Sends `data` to a unix socket inside the sandbox and returns everything the service answers. */
  async unixRequest(socketPath: string, data: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const reply = await this.request({ op: "unix", path: socketPath, data: Buffer.from(data).toString("base64"), timeout: timeoutMs, cap: UNIX_REPLY_CAP }, timeoutMs + AGENT_GRACE_MS, UNIX_REPLY_CAP);
    if (reply.error) throw new SandboxError("file_error", `request to ${socketPath} in the sandbox failed: ${reply.error}`);
    return Buffer.from(reply.data ?? "", "base64");
  }

  /** Reads one regular file as the sandbox user; refuses folders, devices and files over `maxBytes`. */
  async readFile(path: string, maxBytes: number, timeoutMs: number): Promise<Buffer> {
    const reply = await this.request({ op: "read", path, cap: maxBytes }, timeoutMs, maxBytes);
    if (reply.error) throw new SandboxFileError(reply.code ?? "error", reply.error);
    return Buffer.from(reply.data ?? "", "base64");
  }

  /** Writes files (absolute paths) as the sandbox user, making their folders. */
  async writeFiles(files: Record<string, string | Uint8Array>, mode: number, timeoutMs: number): Promise<void> {
    const body = Object.fromEntries(Object.entries(files).map(([p, d]) => [p, Buffer.from(d).toString("base64")]));
    const reply = await this.request({ op: "write", files: body, mode }, timeoutMs);
    if (reply.error) throw new SandboxFileError(reply.code ?? "error", reply.error);
  }

  /** Every regular file under `dir` (relative paths), at most `maxBytes` in all. */
  async readDir(dir: string, maxBytes: number, timeoutMs: number): Promise<Map<string, Buffer>> {
    const reply = await this.request({ op: "readdir", path: dir, cap: maxBytes }, timeoutMs, maxBytes);
    if (reply.error) throw new SandboxFileError(reply.code ?? "error", reply.error);
    return new Map(Object.entries(reply.files ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
  }

  /** Unpacks a tar (the image's files of a writable area) under `dest`. */
  async untar(dest: string, tar: Buffer, timeoutMs: number): Promise<void> {
    const reply = await this.request({ op: "untar", dest, data: tar.toString("base64") }, timeoutMs);
    if (reply.error) throw new SandboxError("create_failed", `could not put the image's files under ${dest}: ${reply.error}`);
  }

  /** Ends every process in the sandbox but the agent (before scoring). */
  async killAll(timeoutMs: number): Promise<void> {
    const reply = await this.request({ op: "killall" }, timeoutMs);
    if (reply.error) throw new SandboxError("exec_failed", `could not end the sandbox's processes: ${reply.error}`);
  }

  async ping(timeoutMs = 5000): Promise<void> {
    await this.request({ op: "ping" }, timeoutMs);
  }

  dispose(): void {
    this.close("sandbox destroyed");
  }
}
