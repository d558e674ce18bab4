import type {
  CreateRunRequest,
  EnvironmentUploaded,
  ErrorBody,
  EventPage,
  Health,
  MetricSeries,
  RescoreReport,
  Run,
  RunList,
  Trajectory,
  TrajectoryPage,
  TryRewardReport,
  TryRewardRequest,
  TrajectoryPageQuery,
  RunComparison,
  LiveEpisodes,
  ForkRequest,
  ForkStarted,
} from "@agentrl/protocol";

/** What the runner said when it refused a request; the message already names the fix. */
export class RunnerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Typed HTTP client of the runner API (`/v1`), shared by the views, the commands and the inspector.
 * Uses the global fetch (Node 18+ in every VS Code extension host we support).
 */
export class RunnerClient {
  readonly baseUrl: string;
  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** ws:// or wss:// address of the event stream. */
  eventsUrl(after: number, runId?: string): string {
    const u = new URL(`${this.baseUrl}/v1/events`);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.searchParams.set("after", String(after));
    if (runId) u.searchParams.set("runId", runId);
    return u.toString();
  }

  get authHeader(): string {
    return `Bearer ${this.token}`;
  }

  private async request<T>(method: string, path: string, opts: { body?: unknown; raw?: Buffer; contentType?: string; headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
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
      if (opts.signal?.aborted) throw new RunnerError(0, "cancelled", "Cancelled.");
      const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new RunnerError(0, "unreachable", `Runner ${this.baseUrl} is unreachable (${why}). Fix: start it (agentrl serve) or check the URL in the Runners view.`);
    }
    const text = await res.text();
    if (!res.ok) {
      let parsed: ErrorBody | null;
      try {
        parsed = JSON.parse(text) as ErrorBody;
      } catch {
        parsed = null;
      }
      if (parsed?.error) throw new RunnerError(res.status, parsed.error.code, parsed.error.message, parsed.error.field);
      if (res.status === 401) throw new RunnerError(401, "unauthorized", `Runner ${this.baseUrl} refused the token. Fix: run "AgentRL: Connect Runner" again with the token printed by agentrl serve.`);
      throw new RunnerError(res.status, "http_error", `Runner answered ${res.status} for ${method} ${path}: ${text.slice(0, 200)}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.request("GET", "/v1/health", { signal, timeoutMs: 5000 });
  }
  listRuns(signal?: AbortSignal): Promise<RunList> {
    return this.request("GET", "/v1/runs", { signal });
  }
  getRun(id: string): Promise<Run> {
    return this.request("GET", `/v1/runs/${encodeURIComponent(id)}`);
  }
  createRun(req: CreateRunRequest, signal?: AbortSignal): Promise<Run> {
    return this.request("POST", "/v1/runs", { body: req, signal });
  }
  cancelRun(id: string): Promise<unknown> {
    return this.request("POST", `/v1/runs/${encodeURIComponent(id)}/cancel`);
  }
  uploadEnvironment(tarGz: Buffer, name: string, signal?: AbortSignal): Promise<EnvironmentUploaded> {
    return this.request("POST", "/v1/environments", { raw: tarGz, contentType: "application/gzip", headers: { "x-agentrl-env-name": name }, signal, timeoutMs: 120_000 });
  }
  trajectories(runId: string, q: TrajectoryPageQuery, signal?: AbortSignal): Promise<TrajectoryPage> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
    return this.request("GET", `/v1/runs/${encodeURIComponent(runId)}/trajectories?${p}`, { signal });
  }
  trajectory(id: string): Promise<Trajectory> {
    return this.request("GET", `/v1/trajectories/${encodeURIComponent(id)}`);
  }
  forkTrajectory(trajectoryId: string, req: ForkRequest): Promise<ForkStarted> {
    return this.request("POST", `/v1/trajectories/${encodeURIComponent(trajectoryId)}/fork`, { body: req });
  }
  liveEpisodes(runId: string): Promise<LiveEpisodes> {
    return this.request("GET", `/v1/runs/${encodeURIComponent(runId)}/episodes`);
  }
  killEpisode(runId: string, trajectoryId: string, requeue: boolean): Promise<LiveEpisodes> {
    return this.request("POST", `/v1/runs/${encodeURIComponent(runId)}/episodes/${encodeURIComponent(trajectoryId)}/kill`, { body: { requeue } });
  }
  compareRuns(a: string, b: string, threshold?: number): Promise<RunComparison> {
    return this.request("GET", `/v1/runs/${encodeURIComponent(a)}/compare/${encodeURIComponent(b)}${threshold === undefined ? "" : `?threshold=${threshold}`}`);
  }
  metrics(runId: string): Promise<MetricSeries> {
    return this.request("GET", `/v1/runs/${encodeURIComponent(runId)}/metrics`);
  }
  events(runId: string, after: number, limit = 5000): Promise<EventPage> {
    return this.request("GET", `/v1/runs/${encodeURIComponent(runId)}/events?after=${after}&limit=${limit}`);
  }
  async blob(sha256: string): Promise<{ data: Buffer; contentType: string }> {
    const res = await fetch(`${this.baseUrl}/v1/blobs/${encodeURIComponent(sha256)}`, { headers: { authorization: this.authHeader }, signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new RunnerError(res.status, "blob", `Blob ${sha256.slice(0, 12)} could not be read (${res.status}).`);
    return { data: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get("content-type") ?? "application/octet-stream" };
  }
  async exportRun(runId: string, signal?: AbortSignal): Promise<Buffer> {
    const res = await fetch(`${this.baseUrl}/v1/runs/${encodeURIComponent(runId)}/export`, { headers: { authorization: this.authHeader }, signal: signal ?? null });
    if (!res.ok) throw new RunnerError(res.status, "export", `Export of run ${runId} failed (${res.status}): ${(await res.text()).slice(0, 200)}`);
    return Buffer.from(await res.arrayBuffer());
  }
  /** Tries one reward of an uploaded bundle on a run's trajectories (or picked ones); nothing is stored. */
  async tryReward(runId: string, req: TryRewardRequest, signal?: AbortSignal): Promise<TryRewardReport> {
    return this.request<TryRewardReport>("POST", `/v1/runs/${encodeURIComponent(runId)}/try-reward`, { body: req, signal, timeoutMs: 300_000 });
  }
  /** Re-scores a stored run with an uploaded env bundle (the edited rewards); does not overwrite the stored scores. */
  async rescore(runId: string, env: string, signal?: AbortSignal): Promise<RescoreReport> {
    try {
      return await this.request<RescoreReport>("POST", `/v1/runs/${encodeURIComponent(runId)}/rescore`, { body: { env, save: false }, signal, timeoutMs: 300_000 });
    } catch (err) {
      if (err instanceof RunnerError && err.status === 404 && err.code !== "run_not_found") {
        throw new RunnerError(404, "no_rescore", `Runner ${this.baseUrl} has no rescore endpoint (POST /v1/runs/{id}/rescore). Fix: update the runner; meanwhile \`agentrl rescore ${runId} --env DIR\` on the runner machine does the same.`);
      }
      throw err;
    }
  }
}
