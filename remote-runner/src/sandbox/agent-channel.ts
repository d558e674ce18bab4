import type { Duplex } from "node:stream";
import type { ExecResult } from "@agentrl/protocol";
import { DockerFrameDemuxer } from "./demux.js";
import { SandboxError, type ExecRequest } from "./types.js";

interface AgentReply {
  id: number | null;
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
}

interface Pending {
  resolve: (r: AgentReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Extra time the runner waits beyond a command's own limit before it calls the agent dead. */
const AGENT_GRACE_MS = 15_000;

/** The runner's end of the persistent channel to the in-container agent (see agent-script.ts). */
export class AgentChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lineBuf = "";
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
      if (type === 1) this.onStdout(payload.toString("utf8"));
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

  private onStdout(text: string): void {
    this.lineBuf += text;
    let nl: number;
    while ((nl = this.lineBuf.indexOf("\n")) >= 0) {
      const line = this.lineBuf.slice(0, nl);
      this.lineBuf = this.lineBuf.slice(nl + 1);
      if (!line.trim()) continue;
      let reply: AgentReply;
      try {
        reply = JSON.parse(line) as AgentReply;
      } catch {
        continue; // not ours (nothing else writes to the agent's stdout, but never crash on it)
      }
      if (reply.ready) {
        this.readyWaiter?.resolve();
        continue;
      }
      if (reply.id === null || reply.id === undefined) continue;
      const p = this.pending.get(reply.id);
      if (!p) continue;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      p.resolve(reply);
    }
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

  private request(body: Record<string, unknown>, waitMs: number): Promise<AgentReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<AgentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SandboxError("sandbox_died", `the sandbox agent did not answer within ${waitMs} ms (frozen or overloaded container)`));
      }, waitMs);
      this.pending.set(id, { resolve, reject, timer });
      this.stream.write(JSON.stringify({ ...body, id }) + "\n");
    });
  }

  async exec(req: ExecRequest, defaults: { timeoutMs: number; maxOutputBytes: number; cwd?: string }): Promise<ExecResult> {
    const timeoutMs = req.timeoutMs ?? defaults.timeoutMs;
    const stdin = req.stdin === undefined ? undefined : Buffer.from(req.stdin).toString("base64");
    const reply = await this.request(
      {
        cmd: req.cmd,
        env: req.env,
        cwd: req.cwd ?? defaults.cwd,
        timeout: timeoutMs,
        cap: req.maxOutputBytes ?? defaults.maxOutputBytes,
        stdin,
      },
      timeoutMs + AGENT_GRACE_MS,
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
    const reply = await this.request({ op: "unix", path: socketPath, data: Buffer.from(data).toString("base64"), timeout: timeoutMs }, timeoutMs + AGENT_GRACE_MS);
    if (reply.error) throw new SandboxError("file_error", `request to ${socketPath} in the sandbox failed: ${reply.error}`);
    return Buffer.from((reply as { data?: string }).data ?? "", "base64");
  }

  async ping(timeoutMs = 5000): Promise<void> {
    await this.request({ op: "ping" }, timeoutMs);
  }

  dispose(): void {
    this.close("sandbox destroyed");
  }
}
