import fs from "node:fs";
import { WebSocket } from "ws";
import {
  STREAM_CLOSE_SLOW_CONSUMER,
  type CreateRunRequest,
  type EnvironmentUploaded,
  type ErrorBody,
  type Health,
  type Run,
  type RunEvent,
  type RunList,
  type StreamFrame,
} from "@agentrl/protocol";
import { homeDir } from "../config/paths.js";
import { tokenFile } from "./token.js";

export const DEFAULT_RUNNER_URL = "http://127.0.0.1:7420";

/** An answer of the runner that was not 2xx; `message` is the runner's own explanation. */
export class RunnerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RunnerError";
  }
}

/**
 * The token a CLI command sends: AGENTRL_TOKEN, else the token file of a runner on this machine.
 * Never taken from a command-line flag, where `ps` would show it.
 */
export function resolveClientToken(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AGENTRL_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = tokenFile(homeDir());
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  throw new Error(`no API token: set AGENTRL_TOKEN to the token \`agentrl serve\` printed (it is in ${file} on the runner machine).`);
}

export function resolveRunnerUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? env.AGENTRL_RUNNER ?? DEFAULT_RUNNER_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`runner URL ${JSON.stringify(raw)} is not a URL. Fix: pass --runner http://HOST:7420 (or https:// with TLS).`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`runner URL must be http:// or https://, got ${u.protocol}`);
  return u.origin;
}

export interface FollowOptions {
  runId?: string;
  after?: number;
  /** Return false to stop following. */
  onEvent(e: RunEvent): boolean | void;
  /** Called when the stream was cut (dropped as slow, network) and is being resumed. */
  onReconnect?(after: number, why: string): void;
  signal?: AbortSignal;
  maxReconnects?: number;
}

/** HTTP + WebSocket client of the runner API, used by the CLI commands and the load test. */
export class RunnerClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  health(): Promise<Health> {
    return this.json<Health>("GET", "/v1/health");
  }

  listRuns(): Promise<RunList> {
    return this.json<RunList>("GET", "/v1/runs");
  }

  getRun(id: string): Promise<Run> {
    return this.json<Run>("GET", `/v1/runs/${encodeURIComponent(id)}`);
  }

  createRun(req: CreateRunRequest): Promise<Run> {
    return this.json<Run>("POST", "/v1/runs", req);
  }

  runAction(id: string, verb: "pause" | "resume" | "cancel"): Promise<Run> {
    return this.json<Run>("POST", `/v1/runs/${encodeURIComponent(id)}/${verb}`);
  }

  async uploadEnv(tarGz: Buffer, name?: string): Promise<EnvironmentUploaded> {
    const headers: Record<string, string> = { "Content-Type": "application/gzip" };
    if (name) headers["X-AgentRL-Env-Name"] = name;
    const bytes = new Uint8Array(new ArrayBuffer(tarGz.length));
    bytes.set(tarGz);
    return this.request<EnvironmentUploaded>("POST", "/v1/environments", bytes, headers);
  }

  json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { "Content-Type": "application/json" });
  }

  private async request<T>(method: string, path: string, body: string | Uint8Array<ArrayBuffer> | undefined, headers: Record<string, string>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + path, { method, headers: { ...headers, Authorization: `Bearer ${this.token}` }, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the runner at ${this.url} (${cause?.code ?? cause?.message ?? (err as Error).message}). Fix: start it with \`agentrl serve\` or pass the right --runner URL.`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let parsed: ErrorBody | null = null;
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        // not our JSON error shape
      }
      const code = parsed?.error?.code ?? String(res.status);
      const msg = parsed?.error?.message ?? `${res.status} ${res.statusText}`;
      throw new RunnerError(res.status, code, res.status === 401 ? `${msg} (the runner refused the token)` : msg);
    }
    return JSON.parse(text) as T;
  }

  wsUrl(): string {
    return this.url.replace(/^http/, "ws") + "/v1/events";
  }

  /**
   * Follows the event stream from `after`, reconnecting with the last seq it saw whenever the
   * stream is cut (including the runner dropping it as too slow), so no event is missed or
   * repeated. Resolves with the last seq when `onEvent` returns false or the signal aborts.
   */
  async follow(opts: FollowOptions): Promise<number> {
    let after = opts.after ?? 0;
    let reconnects = 0;
    for (;;) {
      if (opts.signal?.aborted) return after;
      const outcome = await new Promise<{ stop: boolean; why: string; progressed: boolean }>((resolve) => {
        const params = new URLSearchParams({ after: String(after) });
        if (opts.runId) params.set("runId", opts.runId);
        const ws = new WebSocket(`${this.wsUrl()}?${params}`, { headers: { Authorization: `Bearer ${this.token}` } });
        let progressed = false;
        let settled = false;
        const finish = (stop: boolean, why: string): void => {
          if (settled) return;
          settled = true;
          opts.signal?.removeEventListener("abort", onAbort);
          ws.removeAllListeners("close");
          ws.on("error", () => undefined);
          if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
          resolve({ stop, why, progressed });
        };
        const onAbort = (): void => finish(true, "aborted");
        opts.signal?.addEventListener("abort", onAbort);
        ws.on("unexpected-response", (_req, res) => {
          const status = res.statusCode ?? 0;
          if (status === 401) finish(true, "401");
          else finish(false, `HTTP ${status}`);
        });
        ws.on("message", (raw) => {
          const frame = JSON.parse(raw.toString()) as StreamFrame;
          if (frame.kind !== "event") return;
          if (frame.event.seq <= after) return; // never hand out a duplicate
          after = frame.event.seq;
          progressed = true;
          if (opts.onEvent(frame.event) === false) finish(true, "done");
        });
        ws.on("close", (code, reason) => finish(false, code === STREAM_CLOSE_SLOW_CONSUMER ? `dropped as slow (${reason.toString()})` : `closed (${code})`));
        ws.on("error", (err) => finish(false, err.message));
      });
      if (outcome.why === "401") throw new RunnerError(401, "unauthorized", "the runner refused the token for the event stream");
      if (outcome.stop) return after;
      reconnects = outcome.progressed ? 0 : reconnects + 1;
      if (reconnects > (opts.maxReconnects ?? 20)) throw new Error(`event stream from ${this.url} keeps failing (${outcome.why})`);
      opts.onReconnect?.(after, outcome.why);
      // Back off only when the last attempt made no progress (runner restarting).
      if (!outcome.progressed) await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** reconnects)));
    }
  }
}
