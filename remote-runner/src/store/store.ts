import path from "node:path";
import Database from "better-sqlite3";
import type { AdvantageSource, BlobRef, MetricPoint, Run, RunConfig, RunEvent, RunEventDataOf, RunEventOf, RunEventType, RunStatus, RunSummary, Trajectory, TrajectorySummary } from "@agentrl/protocol";
import { countToolCalls, REDACTED_SECRET } from "@agentrl/protocol";
import { ensurePrivateDir, homeDir } from "../config/paths.js";
import { BlobDir } from "./blobs.js";
import { STORE_DDL, STORE_SCHEMA_VERSION } from "./schema.js";

export interface TrajectoryQuery {
  runId?: string;
  minReward?: number;
  maxReward?: number;
  taskId?: string;
  groupId?: string;
  hasError?: boolean;
  /** Case-insensitive substring search over the whole trajectory (messages, tool calls, observations). */
  text?: string;
  offset?: number;
  limit?: number;
}

export interface NewRun {
  id: string;
  config: RunConfig;
  envName: string;
  envHash: string;
  status?: RunStatus;
}

export type EventListener = (event: RunEvent) => void;

interface TrajectoryRow {
  id: string;
  run_id: string;
  task_id: string;
  task_index: number;
  group_id: string;
  sample_index: number;
  status: string;
  stop_reason: string;
  reward: number | null;
  advantage: number | null;
  components: string;
  turns: number;
  tool_calls: number;
  error: string | null;
  reward_errors: number;
  duration_ms: number;
  finished_at: number;
}

interface RunRow {
  id: string;
  created_at: number;
  updated_at: number;
  status: string;
  config: string;
  env_name: string;
  env_hash: string;
  summary: string | null;
  error: string | null;
}

interface EventRow {
  seq: number;
  run_id: string | null;
  ts: number;
  type: string;
  data: string;
}

const SUMMARY_COLUMNS = "id, run_id, task_id, task_index, group_id, sample_index, status, stop_reason, reward, advantage, components, turns, tool_calls, error, reward_errors, duration_ms, finished_at";

function toSummary(r: TrajectoryRow): TrajectorySummary {
  return {
    id: r.id,
    runId: r.run_id,
    taskId: r.task_id,
    taskIndex: r.task_index,
    groupId: r.group_id,
    sampleIndex: r.sample_index,
    status: r.status as TrajectorySummary["status"],
    stopReason: r.stop_reason as TrajectorySummary["stopReason"],
    reward: r.reward,
    components: JSON.parse(r.components) as Record<string, number>,
    advantage: r.advantage,
    turns: r.turns,
    toolCalls: r.tool_calls,
    error: r.error,
    rewardErrors: r.reward_errors,
    durationMs: r.duration_ms,
    finishedAt: r.finished_at,
  };
}

/**
 * A run's config as it may be kept and shown: a policy key is replaced by a marker (the live run
 * keeps the real one in memory; a run resumed after a restart falls back to the runner's own key).
 * Also applied on reading, for stores written before keys were left out.
 */
export function withoutSecrets(config: RunConfig): RunConfig {
  if (config.policy.apiKey === undefined || config.policy.apiKey === REDACTED_SECRET) return config;
  return { ...config, policy: { ...config.policy, apiKey: REDACTED_SECRET } };
}

function toRun(r: RunRow): Run {
  return {
    id: r.id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    status: r.status as RunStatus,
    config: withoutSecrets(JSON.parse(r.config) as RunConfig),
    envName: r.env_name,
    envHash: r.env_hash,
    summary: r.summary ? (JSON.parse(r.summary) as RunSummary) : null,
    error: r.error,
  };
}

function toEvent(r: EventRow): RunEvent {
  // Rows are written only by appendEvent, whose signature ties `data` to `type`: the row is a RunEvent.
  return { seq: r.seq, runId: r.run_id ?? "", ts: r.ts, type: r.type, data: JSON.parse(r.data) as unknown } as RunEvent;
}

/** The first error a trajectory carries, as one line for lists and filters. */
export function trajectoryErrorText(t: Trajectory): string | null {
  if (t.error) return `${t.error.kind}: ${t.error.message}`;
  const re = t.reward.errors[0];
  return re ? `reward ${re.reward} ${re.kind}: ${re.message}` : null;
}

/** The list row of a trajectory (what `trajectory.finished` events carry). */
export function trajectorySummary(t: Trajectory): TrajectorySummary {
  return {
    id: t.id,
    runId: t.runId,
    taskId: t.taskId,
    taskIndex: t.taskIndex,
    groupId: t.groupId,
    sampleIndex: t.sampleIndex,
    status: t.status,
    stopReason: t.stopReason,
    reward: t.reward.total,
    components: t.reward.components,
    advantage: t.advantage,
    turns: t.turns.length,
    toolCalls: countToolCalls(t),
    error: trajectoryErrorText(t),
    rewardErrors: t.reward.errors.length,
    durationMs: t.timings.totalMs,
    finishedAt: t.finishedAt,
  };
}

/**
 * Runs, trajectories, events and metrics in SQLite (WAL) plus content-addressed blobs on disk.
 * One Store per process; better-sqlite3 is synchronous, so every write is committed when the call returns.
 */
export class Store {
  readonly db: Database.Database;
  readonly blobs: BlobDir;
  readonly home: string;
  private readonly listeners = new Set<EventListener>();
  private pendingEvents: RunEvent[] = [];
  private readonly stmts;

  constructor(home: string) {
    this.home = home;
    ensurePrivateDir(home);
    this.db = new Database(path.join(home, "store.db"));
    this.db.pragma("journal_mode = WAL");
    // WAL + NORMAL: durable across process crashes, one fsync per checkpoint instead of per commit.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(STORE_DDL);
    this.db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
    this.blobs = new BlobDir(path.join(home, "blobs"));
    this.stmts = {
      insertRun: this.db.prepare(
        "INSERT INTO runs (id, created_at, updated_at, status, config, env_name, env_hash, summary, error) VALUES (@id, @now, @now, @status, @config, @envName, @envHash, NULL, NULL)",
      ),
      getRun: this.db.prepare<[string], RunRow>("SELECT * FROM runs WHERE id = ?"),
      listRuns: this.db.prepare<[], RunRow>("SELECT * FROM runs ORDER BY created_at DESC, id DESC"),
      updateRun: this.db.prepare(
        "UPDATE runs SET status = @status, updated_at = @now, summary = COALESCE(@summary, summary), error = @error WHERE id = @id",
      ),
      putTrajectory: this.db.prepare(
        `INSERT OR REPLACE INTO trajectories (id, run_id, task_id, task_index, group_id, sample_index, status, stop_reason, reward, advantage, components, turns, tool_calls, error, reward_errors, duration_ms, finished_at, data)
         VALUES (@id, @runId, @taskId, @taskIndex, @groupId, @sampleIndex, @status, @stopReason, @reward, @advantage, @components, @turns, @toolCalls, @error, @rewardErrors, @durationMs, @finishedAt, @data)`,
      ),
      getTrajectory: this.db.prepare<[string], { data: string }>("SELECT data FROM trajectories WHERE id = ?"),
      setAdvantage: this.db.prepare(
        "UPDATE trajectories SET advantage = @advantage, data = json_set(data, '$.advantage', @advantage, '$.componentAdvantages', json(@components), '$.advantageSource', json(@source)) WHERE id = @id",
      ),
      // path: $.turns[k].policy.trainerLogprobs; only that key changes (advantages set meanwhile stay)
      setTurnJson: this.db.prepare("UPDATE trajectories SET data = json_set(data, @path, json(@value)) WHERE id = @id"),
      insertEvent: this.db.prepare("INSERT INTO events (run_id, ts, type, data) VALUES (?, ?, ?, ?)"),
      eventsAfter: this.db.prepare<[number, number], EventRow>("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?"),
      eventsAfterRun: this.db.prepare<[number, string, number], EventRow>("SELECT * FROM events WHERE seq > ? AND run_id = ? ORDER BY seq LIMIT ?"),
      putMetrics: this.db.prepare('INSERT OR REPLACE INTO metrics (run_id, step, ts, "values") VALUES (?, ?, ?, ?)'),
      deleteMetricsAfter: this.db.prepare("DELETE FROM metrics WHERE run_id = ? AND step > ?"),
      metricSeries: this.db.prepare<[string], { run_id: string; step: number; ts: number; values: string }>('SELECT run_id, step, ts, "values" FROM metrics WHERE run_id = ? ORDER BY step'),
      putBlobMeta: this.db.prepare("INSERT OR IGNORE INTO blobs (sha256, size, mime, created_at) VALUES (?, ?, ?, ?)"),
      getBlobMeta: this.db.prepare<[string], { sha256: string; size: number; mime: string }>("SELECT sha256, size, mime FROM blobs WHERE sha256 = ?"),
    };
  }

  /** The runner is stopping cleanly while this run is active: its next resume is no crash. */
  noteCleanStop(runId: string): void {
    this.db.prepare("INSERT INTO run_restarts (run_id, clean_stop) VALUES (?, 1) ON CONFLICT(run_id) DO UPDATE SET clean_stop = 1").run(runId);
  }

  /**
   * Called once per start for each unfinished run: counts the runner deaths it was active in (a
   * start after a clean stop counts none) and returns the total.
   */
  countCrash(runId: string): number {
    this.db
      .prepare("INSERT INTO run_restarts (run_id, crashes) VALUES (?, 1) ON CONFLICT(run_id) DO UPDATE SET crashes = crashes + (1 - clean_stop), clean_stop = 0")
      .run(runId);
    return this.db.prepare<[string], { crashes: number }>("SELECT crashes FROM run_restarts WHERE run_id = ?").get(runId)?.crashes ?? 0;
  }

  createRun(run: NewRun): Run {
    this.stmts.insertRun.run({ id: run.id, now: Date.now(), status: run.status ?? "queued", config: JSON.stringify(withoutSecrets(run.config)), envName: run.envName, envHash: run.envHash });
    return this.getRun(run.id)!;
  }

  getRun(id: string): Run | null {
    const row = this.stmts.getRun.get(id);
    return row ? toRun(row) : null;
  }

  listRuns(): Run[] {
    return this.stmts.listRuns.all().map(toRun);
  }

  updateRunStatus(id: string, status: RunStatus, extra: { summary?: RunSummary; error?: string | null } = {}): void {
    const res = this.stmts.updateRun.run({ id, status, now: Date.now(), summary: extra.summary ? JSON.stringify(extra.summary) : null, error: extra.error ?? null });
    if (res.changes === 0) throw new Error(`no run "${id}" in the store`);
  }

  /** Records the environment a run uses once it is loaded (a run is created before its env finishes loading). */
  setRunEnv(id: string, envName: string, envHash: string): void {
    this.db.prepare("UPDATE runs SET env_name = ?, env_hash = ?, updated_at = ? WHERE id = ?").run(envName, envHash, Date.now(), id);
  }

  /** Summary columns of every trajectory of a run (for run summaries without parsing whole trajectories). */
  runRows(runId: string): (TrajectorySummary & { infraRetries: number; taskIndex: number })[] {
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS}, json_extract(data, '$.infraRetries') AS infra_retries FROM trajectories WHERE run_id = ? ORDER BY task_index, sample_index`)
      .all(runId) as (TrajectoryRow & { infra_retries: number | null })[];
    return rows.map((r) => ({ ...toSummary(r), infraRetries: r.infra_retries ?? 0 }));
  }

  putTrajectory(t: Trajectory): void {
    this.stmts.putTrajectory.run({
      id: t.id,
      runId: t.runId,
      taskId: t.taskId,
      taskIndex: t.taskIndex,
      groupId: t.groupId,
      sampleIndex: t.sampleIndex,
      status: t.status,
      stopReason: t.stopReason,
      reward: t.reward.total,
      advantage: t.advantage,
      components: JSON.stringify(t.reward.components),
      turns: t.turns.length,
      toolCalls: countToolCalls(t),
      error: trajectoryErrorText(t),
      rewardErrors: t.reward.errors.length,
      durationMs: t.timings.totalMs,
      finishedAt: t.finishedAt,
      data: JSON.stringify(t),
    });
  }

  getTrajectory(id: string): Trajectory | null {
    const row = this.stmts.getTrajectory.get(id);
    return row ? (JSON.parse(row.data) as Trajectory) : null;
  }

  /** Every trajectory of a run in task/sample order (full objects; for export, rescore, resume). */
  *iterateTrajectories(runId: string): Generator<Trajectory> {
    const stmt = this.db.prepare<[string], { data: string }>("SELECT data FROM trajectories WHERE run_id = ? ORDER BY task_index, sample_index");
    for (const row of stmt.iterate(runId)) yield JSON.parse(row.data) as Trajectory;
  }

  /** Stores one group's advantages and tells live viewers in the same commit (a `group.advantages` event). */
  setGroupAdvantages(runId: string, groupId: string, updates: { id: string; advantage: number | null; componentAdvantages: Record<string, number> }[], source: AdvantageSource): void {
    this.transaction(() => {
      const src = JSON.stringify(source);
      for (const u of updates) this.stmts.setAdvantage.run({ id: u.id, advantage: u.advantage, components: JSON.stringify(u.componentAdvantages), source: src });
      this.appendEvent(runId, "group.advantages", { groupId, items: updates.map((u) => ({ trajectoryId: u.id, advantage: u.advantage })) });
    });
  }

  /**
   * Stores the trainer's per-token logprobs on turns (`policy.trainerLogprobs`; a null entry leaves
   * that turn alone) and tells live viewers in the same commit (a `trajectory.logprobs` event).
   */
  setTrainerLogprobs(runId: string, step: number, items: { id: string; turns: (number[] | null)[] }[]): void {
    if (items.length === 0) return;
    this.transaction(() => {
      for (const { id, turns } of items) {
        turns.forEach((lps, k) => {
          if (lps) this.stmts.setTurnJson.run({ id, path: `$.turns[${k}].policy.trainerLogprobs`, value: JSON.stringify(lps) });
        });
      }
      this.appendEvent(runId, "trajectory.logprobs", { step, trajectoryIds: items.map((i) => i.id) });
    });
  }

  queryTrajectories(q: TrajectoryQuery): { items: TrajectorySummary[]; total: number; seq: number } {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (q.runId !== undefined) {
      where.push("run_id = @runId");
      params.runId = q.runId;
    }
    if (q.taskId !== undefined) {
      where.push("task_id = @taskId");
      params.taskId = q.taskId;
    }
    if (q.groupId !== undefined) {
      where.push("group_id = @groupId");
      params.groupId = q.groupId;
    }
    if (q.minReward !== undefined) {
      where.push("reward >= @minReward");
      params.minReward = q.minReward;
    }
    if (q.maxReward !== undefined) {
      where.push("reward <= @maxReward");
      params.maxReward = q.maxReward;
    }
    if (q.hasError !== undefined) where.push(q.hasError ? "error IS NOT NULL" : "error IS NULL");
    if (q.text) {
      // instr(lower(...)) instead of LIKE so % and _ in the search text are literal.
      where.push("instr(lower(data), @text) > 0");
      params.text = q.text.toLowerCase();
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM trajectories ${clause}`).get(params) as { n: number }).n;
    const limit = Math.max(0, Math.min(q.limit ?? 100, 10_000));
    const offset = Math.max(0, q.offset ?? 0);
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM trajectories ${clause} ORDER BY run_id, task_index, sample_index LIMIT ${limit} OFFSET ${offset}`)
      .all(params) as TrajectoryRow[];
    // Read in the same synchronous call as the rows: no event can be committed in between.
    const seq = (this.db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM events").get() as { seq: number }).seq;
    return { items: rows.map(toSummary), total, seq };
  }

  putBlob(bytes: Uint8Array, mime: string): BlobRef {
    const { sha256, size } = this.blobs.put(bytes);
    this.stmts.putBlobMeta.run(sha256, size, mime, Date.now());
    return { sha256, size, mime };
  }

  getBlob(sha256: string): { bytes: Buffer; mime: string } | null {
    const meta = this.stmts.getBlobMeta.get(sha256);
    const bytes = this.blobs.get(sha256);
    if (!bytes) return null;
    return { bytes, mime: meta?.mime ?? "application/octet-stream" };
  }

  /** Appends one event; `data` is checked at compile time against the schema of `type`. */
  appendEvent<T extends RunEventType>(runId: string, type: T, data: RunEventDataOf<T>): RunEventOf<T> {
    const ts = Date.now();
    const res = this.stmts.insertEvent.run(runId, ts, type, JSON.stringify(data));
    // TypeScript cannot see that {type: T, data: RunEventDataOf<T>} is the union member for T.
    const event = { seq: Number(res.lastInsertRowid), runId, ts, type, data } as RunEventOf<T>;
    // Live listeners hear an event only once it is committed.
    if (this.db.inTransaction) this.pendingEvents.push(event);
    else this.notify(event);
    return event;
  }

  private notify(event: RunEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure (a closed socket) must not break the writer.
      }
    }
  }

  /** Runs `fn` in one transaction; events appended inside reach live listeners after the commit. */
  transaction<T>(fn: () => T): T {
    let result: T;
    try {
      result = this.db.transaction(fn)();
    } catch (err) {
      this.pendingEvents = [];
      throw err;
    }
    const events = this.pendingEvents;
    this.pendingEvents = [];
    for (const e of events) this.notify(e);
    return result;
  }

  eventsAfter(seq: number, opts: { runId?: string; limit?: number } = {}): RunEvent[] {
    const limit = Math.max(1, Math.min(opts.limit ?? 1000, 100_000));
    const rows = opts.runId ? this.stmts.eventsAfterRun.all(seq, opts.runId, limit) : this.stmts.eventsAfter.all(seq, limit);
    return rows.map(toEvent);
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  appendMetrics(runId: string, step: number, values: Record<string, number>): MetricPoint {
    const ts = Date.now();
    this.stmts.putMetrics.run(runId, step, ts, JSON.stringify(values));
    return { runId, step, ts, values };
  }

  /** Forgets a run's metrics after `step` (a training run resumed from an earlier checkpoint redoes those steps). */
  deleteMetricsAfter(runId: string, step: number): number {
    return this.stmts.deleteMetricsAfter.run(runId, step).changes;
  }

  metricSeries(runId: string): MetricPoint[] {
    return this.stmts.metricSeries.all(runId).map((r) => ({ runId: r.run_id, step: r.step, ts: r.ts, values: JSON.parse(r.values) as Record<string, number> }));
  }

  close(): void {
    this.listeners.clear();
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating when needed) the store under `home` (default: AGENTRL_HOME or ~/.agentrl). */
export function openStore(home?: string): Store {
  return new Store(home ?? homeDir());
}
