import { WebSocket } from "ws";
import {
  STREAM_CLOSE_SLOW_CONSUMER,
  isRunEvent,
  type CreateRunRequest,
  type EnvironmentUploaded,
  type ErrorBody,
  type EventPage,
  type ForkRequest,
  type ForkStarted,
  type Health,
  type LiveEpisodes,
  type MetricSeries,
  type RescoreReport,
  type Run,
  type RunComparison,
  type RunEvent,
  type RunList,
  type StreamFrame,
  type Trajectory,
  type TrajectoryPage,
  type TrajectoryPageQuery,
  type TryRewardReport,
  type TryRewardRequest,
} from "@agentrl/protocol";

/**
 * The one client of the runner API (`/v1`): the CLI's remote commands, the VS Code extension and
 * the tests all use this class, so a route, an error message or a reconnect rule changes in one
 * place. HTTP through the global fetch, the event stream through `ws`.
 */

/** What the runner said when it refused a request; the message already names the fix. */
export class RunnerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "RunnerError";
  }
}

export interface FollowOptions {
  runId?: string;
  after?: number;
  /** Return false to stop following. */
  onEvent(e: RunEvent): boolean | void;
  /** Called when the stream was cut (dropped as slow, network) and is being resumed. */
  onReconnect?(after: number, why: string): void;
  /** An event that does not match this client's schema (a runner of another version); it is skipped. */
  onSkipped?(seq: number, type: string): void;
  signal?: AbortSignal;
  /** Reconnects in a row without a new event before giving up (default 20; Infinity follows for good). */
  maxReconnects?: number;
}

interface RequestOptions {
  body?: unknown;
  raw?: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const enc = encodeURIComponent;

export class RunnerClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  get authHeader(): string {
    return `Bearer ${this.token}`;
  }

  /** ws:// or wss:// address of the event stream from `after`, optionally one run's events only. */
  eventsUrl(after: number, runId?: string): string {
    const u = new URL(`${this.baseUrl}/v1/events`);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("after", String(after));
    if (runId) u.searchParams.set("runId", runId);
    return u.toString();
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.request("GET", "/v1/health", { signal, timeoutMs: 5000 });
  }
  listRuns(signal?: AbortSignal): Promise<RunList> {
    return this.request("GET", "/v1/runs", { signal });
  }
  getRun(id: string): Promise<Run> {
    return this.request("GET", `/v1/runs/${enc(id)}`);
  }
  createRun(req: CreateRunRequest, signal?: AbortSignal): Promise<Run> {
    return this.request("POST", "/v1/runs", { body: req, signal });
  }
  runAction(id: string, verb: "pause" | "resume" | "cancel"): Promise<Run> {
    return this.request("POST", `/v1/runs/${enc(id)}/${verb}`);
  }
  cancelRun(id: string): Promise<Run> {
    return this.runAction(id, "cancel");
  }
  uploadEnvironment(tarGz: Uint8Array, name?: string, signal?: AbortSignal): Promise<EnvironmentUploaded> {
    return this.request("POST", "/v1/environments", { raw: tarGz, contentType: "application/gzip", headers: name ? { "x-agentrl-env-name": name } : {}, signal, timeoutMs: 120_000 });
  }
  trajectories(runId: string, q: TrajectoryPageQuery = {}, signal?: AbortSignal): Promise<TrajectoryPage> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
    return this.request("GET", `/v1/runs/${enc(runId)}/trajectories?${p}`, { signal });
  }
  trajectory(id: string): Promise<Trajectory> {
    return this.request("GET", `/v1/trajectories/${enc(id)}`);
  }
  /** Forks a trajectory from a turn: a new episode restored to that turn, continued and scored. */
  forkTrajectory(trajectoryId: string, req: ForkRequest): Promise<ForkStarted> {
    return this.request("POST", `/v1/trajectories/${enc(trajectoryId)}/fork`, { body: req });
  }
  liveEpisodes(runId: string): Promise<LiveEpisodes> {
    return this.request("GET", `/v1/runs/${enc(runId)}/episodes`);
  }
  killEpisode(runId: string, trajectoryId: string, requeue: boolean): Promise<LiveEpisodes> {
    return this.request("POST", `/v1/runs/${enc(runId)}/episodes/${enc(trajectoryId)}/kill`, { body: { requeue } });
  }
  compareRuns(a: string, b: string, threshold?: number): Promise<RunComparison> {
    return this.request("GET", `/v1/runs/${enc(a)}/compare/${enc(b)}${threshold === undefined ? "" : `?threshold=${threshold}`}`);
  }
  metrics(runId: string): Promise<MetricSeries> {
    return this.request("GET", `/v1/runs/${enc(runId)}/metrics`);
  }
  events(runId: string, after = 0, limit = 5000): Promise<EventPage> {
    return this.request("GET", `/v1/runs/${enc(runId)}/events?after=${after}&limit=${limit}`);
  }
  async blob(sha256: string): Promise<{ data: Buffer; contentType: string }> {
    const res = await this.fetchRaw(`/v1/blobs/${enc(sha256)}`, AbortSignal.timeout(30_000));
    if (!res.ok) throw new RunnerError(res.status, "blob", `Blob ${sha256.slice(0, 12)} could not be read (${res.status}).`);
    return { data: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get("content-type") ?? "application/octet-stream" };
  }
  async exportRun(runId: string, signal?: AbortSignal): Promise<Buffer> {
    const res = await this.fetchRaw(`/v1/runs/${enc(runId)}/export`, signal);
    if (!res.ok) throw new RunnerError(res.status, "export", `Export of run ${runId} failed (${res.status}): ${(await res.text()).slice(0, 200)}`);
    return Buffer.from(await res.arrayBuffer());
  }
  /** Tries one reward of an uploaded bundle on a run's trajectories (or picked ones); nothing is stored. */
  tryReward(runId: string, req: TryRewardRequest, signal?: AbortSignal): Promise<TryRewardReport> {
    return this.request("POST", `/v1/runs/${enc(runId)}/try-reward`, { body: req, signal, timeoutMs: 300_000 });
  }
  /** Re-scores a stored run with an uploaded env bundle (the edited rewards); `save` overwrites the stored scores. */
  async rescore(runId: string, env: string | undefined, opts: { save?: boolean; signal?: AbortSignal } = {}): Promise<RescoreReport> {
    try {
      return await this.request<RescoreReport>("POST", `/v1/runs/${enc(runId)}/rescore`, { body: { ...(env ? { env } : {}), save: opts.save ?? false }, signal: opts.signal, timeoutMs: 300_000 });
    } catch (err) {
      if (err instanceof RunnerError && err.status === 404 && err.code !== "run_not_found") {
        throw new RunnerError(404, "no_rescore", `Runner ${this.baseUrl} has no rescore endpoint (POST /v1/runs/{id}/rescore). Fix: update the runner; meanwhile \`agentrl rescore ${runId} --env DIR\` on the runner machine does the same.`);
      }
      throw err;
    }
  }

  /** A route this class has no typed method for yet (the caller names the answer's type). */
  json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body === undefined ? {} : { body });
  }

  private async fetchRaw(path: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(this.baseUrl + path, { headers: { authorization: this.authHeader }, signal: signal ?? null });
    } catch (err) {
      throw this.unreachable(err, signal);
    }
  }

  private unreachable(err: unknown, signal: AbortSignal | undefined): RunnerError {
    if (signal?.aborted && !(signal.reason instanceof DOMException && signal.reason.name === "TimeoutError")) return new RunnerError(0, "cancelled", "Cancelled.");
    const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return new RunnerError(0, "unreachable", `cannot reach the runner at ${this.baseUrl} (${why}). Fix: start it with \`agentrl serve\`, or check the runner URL (--runner or AGENTRL_RUNNER on the command line, the Runners view in VS Code).`);
  }

  private async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: this.authHeader, ...opts.headers };
    let body: string | Blob | undefined;
    if (opts.raw) {
      body = new Blob([new Uint8Array(opts.raw)]);
      headers["content-type"] = opts.contentType ?? "application/octet-stream";
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { method, headers, body, signal });
    } catch (err) {
      throw this.unreachable(err, opts.signal);
    }
    const text = await res.text();
    if (!res.ok) throw this.refusal(res, text, `${method} ${path}`);
    // The runner's answers follow protocol/ (the OpenAPI document is generated from the same types).
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private refusal(res: Response, text: string, what: string): RunnerError {
    let parsed: ErrorBody | null = null;
    try {
      parsed = JSON.parse(text) as ErrorBody;
    } catch {
      // not the runner's JSON error shape (a proxy, another server)
    }
    if (parsed?.error) {
      const msg = res.status === 401 ? `${parsed.error.message} (the runner refused the token)` : parsed.error.message;
      return new RunnerError(res.status, parsed.error.code, msg, parsed.error.field);
    }
    if (res.status === 401) return new RunnerError(401, "unauthorized", `Runner ${this.baseUrl} refused the token. Fix: use the token \`agentrl serve\` printed (AGENTRL_TOKEN, or "AgentRL: Connect Runner" in VS Code).`);
    return new RunnerError(res.status, "http_error", `Runner answered ${res.status} for ${what}: ${text.slice(0, 200)}`);
  }

  /**
   * Follows the event stream from `after`, reconnecting with the last seq it saw whenever the
   * stream is cut (including the runner dropping it as too slow), so no event is missed or
   * repeated. Every event is checked against the protocol's schema before it is handed out.
   * Resolves with the last seq when `onEvent` returns false or the signal aborts.
   */
  async follow(opts: FollowOptions): Promise<number> {
    let after = opts.after ?? 0;
    let reconnects = 0;
    for (;;) {
      if (opts.signal?.aborted) return after;
      const outcome = await this.followOnce(after, opts, (seq) => (after = seq));
      if (outcome.why === "401") throw new RunnerError(401, "unauthorized", "the runner refused the token for the event stream");
      if (outcome.stop) return after;
      reconnects = outcome.progressed ? 0 : reconnects + 1;
      if (reconnects > (opts.maxReconnects ?? 20)) throw new Error(`event stream from ${this.baseUrl} keeps failing (${outcome.why})`);
      opts.onReconnect?.(after, outcome.why);
      // Back off only when the last attempt made no progress (runner restarting).
      if (!outcome.progressed) await abortableDelay(Math.min(5000, 200 * 2 ** Math.min(reconnects, 10)), opts.signal);
    }
  }

  /** One WebSocket connection of `follow`, until it closes, fails or the caller stops. */
  private followOnce(start: number, opts: FollowOptions, advance: (seq: number) => void): Promise<{ stop: boolean; why: string; progressed: boolean }> {
    return new Promise((resolve) => {
      let after = start;
      const ws = new WebSocket(this.eventsUrl(after, opts.runId), { headers: { authorization: this.authHeader } });
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
      ws.on("unexpected-response", (_req, res) => finish(res.statusCode === 401, res.statusCode === 401 ? "401" : `HTTP ${res.statusCode ?? 0}`));
      ws.on("message", (raw) => {
        let frame: StreamFrame;
        try {
          frame = JSON.parse(raw.toString()) as StreamFrame;
        } catch {
          return;
        }
        if (frame.kind !== "event" || frame.event.seq <= after) return; // never hand out a duplicate
        after = frame.event.seq;
        advance(after);
        progressed = true;
        const event: unknown = frame.event;
        if (!isRunEvent(event)) opts.onSkipped?.(frame.event.seq, String(frame.event.type));
        else if (opts.onEvent(event) === false) finish(true, "done");
      });
      ws.on("close", (code, reason) => finish(false, code === STREAM_CLOSE_SLOW_CONSUMER ? `dropped as slow (${reason.toString()})` : `closed (${code})`));
      ws.on("error", (err) => finish(false, err.message));
    });
  }
}

function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done);
  });
}
