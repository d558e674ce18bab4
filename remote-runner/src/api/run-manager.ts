import path from "node:path";
import type { CreateRunRequest, PolicyConfig, RescoreReport, RescoreRequest, Run, RunConfig } from "@agentrl/protocol";
import { loadEnvironment, type LoadedEnvironment } from "../envs/load.js";
import { EnvLoadError } from "../envs/errors.js";
import { createPolicy } from "../policy/create.js";
import type { Policy } from "../policy/types.js";
import { rescoreRun } from "../rewards/rescore.js";
import { resolveEnvImage } from "../rollout/image.js";
import { resumeRun, selectTasks, startRun, type RunDeps, type RunHandle } from "../rollout/engine.js";
import { SandboxPool } from "../sandbox/pool.js";
import type { SandboxProvider } from "../sandbox/types.js";
import type { Store } from "../store/store.js";
import type { EnvironmentRegistry } from "./environments.js";
import { ApiError } from "./errors.js";
import type { FairLimiter } from "./fair-limiter.js";

export interface RunManagerDeps {
  store: Store;
  envs: EnvironmentRegistry;
  limiter: FairLimiter;
  provider: SandboxProvider;
  /** Warm sandboxes kept per active run (they sit outside the limit, which counts sandboxes in use). */
  warmPerRun?: number;
  log: (line: string) => void;
}

export interface RecoveryReport {
  resumed: { runId: string; kept: number; previousStatus: string }[];
  failed: { runId: string; error: string }[];
}

/** Message of the log event written once a run has ended and its warm sandboxes are gone. */
export const SANDBOXES_RELEASED = "run ended; its sandboxes are released";

/** Statuses of a run the server was executing when it stopped. */
const UNFINISHED = new Set(["queued", "running", "paused"]);

/**
 * The runs this server executes: starts them through the rollout engine with the global fair
 * limiter, keeps their handles for pause / resume / cancel, and after a restart picks up every run
 * the previous process left unfinished.
 */
export class RunManager {
  private readonly active = new Map<string, RunHandle>();
  private readonly pools = new Map<string, SandboxPool>();
  private readonly tracked = new Map<string, Promise<void>>();
  private closing = false;

  constructor(private readonly deps: RunManagerDeps) {}

  async create(req: CreateRunRequest): Promise<Run> {
    const dir = this.deps.envs.folderOf(req.env);
    if (!dir) throw new ApiError(404, "environment_not_found", `No uploaded environment ${req.env}. Fix: upload the bundle with POST /v1/environments first and use the sha256 it returns.`, "body.env");
    const config: RunConfig = { envDir: dir, policy: req.policy, group: req.group, concurrency: req.concurrency, kind: "rollout" };
    if (req.tasks !== undefined) config.tasks = req.tasks;
    if (req.taskIds !== undefined) config.taskIds = req.taskIds;
    if (req.maxTurns !== undefined) config.maxTurns = req.maxTurns;
    if (req.rewardComposition !== undefined) config.rewardComposition = req.rewardComposition;
    if (req.maxInfraRetries !== undefined) config.maxInfraRetries = req.maxInfraRetries;
    if (req.name !== undefined) config.name = req.name;
    // Load and check before answering, so a broken env or policy is a 400 now, not a failed run later.
    let env: LoadedEnvironment;
    try {
      env = await loadEnvironment(dir);
    } catch (err) {
      if (err instanceof EnvLoadError) throw new ApiError(400, "invalid_environment", err.message, "body.env");
      throw err;
    }
    const policy = this.policyFor(config.policy, dir);
    try {
      selectTasks(env, config);
    } catch (err) {
      throw new ApiError(400, "invalid_field", (err as Error).message, req.taskIds ? "body.taskIds" : "body.tasks");
    }
    const pool = this.newPool();
    const handle = startRun(this.deps.store, config, { ...this.runDeps(pool), env, policy });
    this.track(handle, pool);
    return this.deps.store.getRun(handle.runId) as Run;
  }

  pause(id: string): Run {
    this.handleOf(id).pause();
    return this.deps.store.getRun(id) as Run;
  }

  resume(id: string): Run {
    this.handleOf(id).resume();
    return this.deps.store.getRun(id) as Run;
  }

  cancel(id: string): Run {
    const h = this.handleOf(id);
    h.cancel();
    this.deps.limiter.dropWaiters(id, `run ${id} was cancelled`);
    return this.deps.store.getRun(id) as Run;
  }

  /**
   * Re-runs the rewards of a stored run: with a newly uploaded bundle's rewards, or the run's own.
   * Refused while the run is active, when its trajectories are still changing.
   */
  async rescore(id: string, req: RescoreRequest): Promise<RescoreReport> {
    const run = this.deps.store.getRun(id);
    if (!run) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
    if (this.active.has(id)) throw new ApiError(409, "run_active", `Run ${id} is ${run.status}; rescore it once it has ended (or cancel it first).`);
    const dir = req.env ? this.deps.envs.folderOf(req.env) : run.config.envDir;
    if (!dir) throw new ApiError(404, "environment_not_found", `No uploaded environment ${req.env}. Fix: upload the changed bundle with POST /v1/environments first.`, "body.env");
    let env: LoadedEnvironment;
    try {
      env = await loadEnvironment(dir);
    } catch (err) {
      if (err instanceof EnvLoadError) throw new ApiError(400, "invalid_environment", err.message, "body.env");
      throw err;
    }
    const image = await resolveEnvImage(env, this.deps.log);
    // Only rewards that touch a sandbox get one, so no warm containers.
    const pool = new SandboxPool(this.deps.provider, { warm: 0 });
    try {
      return await rescoreRun(this.deps.store, id, { env, sandboxes: pool, image, save: req.save ?? false });
    } finally {
      await pool.close();
    }
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** Resolves when every active run has ended and its warm sandboxes are gone. */
  async settled(): Promise<void> {
    while (this.tracked.size > 0) await Promise.allSettled([...this.tracked.values()]);
  }

  /**
   * After a crash: every run left queued, running or paused is marked with a log event and
   * resumed; the engine removes the run's leftover containers and re-runs only the episodes
   * without a finished trajectory. A run that was paused comes back paused.
   */
  recover(): RecoveryReport {
    const report: RecoveryReport = { resumed: [], failed: [] };
    for (const run of this.deps.store.listRuns().reverse()) {
      if (!UNFINISHED.has(run.status) || this.active.has(run.id)) continue;
      const kept = this.deps.store.queryTrajectories({ runId: run.id, limit: 1 }).total;
      this.deps.store.appendEvent(run.id, "log", {
        level: "warn",
        message: `runner restarted while the run was ${run.status}; resuming: ${kept} finished trajectories kept, episodes that were in flight run again`,
      });
      try {
        const policy = this.policyFor(run.config.policy, run.config.envDir);
        const pool = this.newPool();
        const handle = resumeRun(this.deps.store, run.id, { ...this.runDeps(pool), policy });
        this.track(handle, pool);
        if (run.status === "paused") handle.pause();
        report.resumed.push({ runId: run.id, kept, previousStatus: run.status });
        this.deps.log(`recovered run ${run.id} (was ${run.status}, ${kept} trajectories kept)`);
      } catch (err) {
        const message = `could not resume after a restart: ${(err as Error).message}`;
        this.deps.store.updateRunStatus(run.id, "failed", { error: message });
        this.deps.store.appendEvent(run.id, "run.status", { status: "failed", error: message });
        report.failed.push({ runId: run.id, error: message });
      }
    }
    return report;
  }

  /** Each run has its own warm pool, closed with the run, so no warm container outlives it. */
  private newPool(): SandboxPool {
    return new SandboxPool(this.deps.provider, { warm: this.deps.warmPerRun ?? 2, refillConcurrency: 2 });
  }

  private runDeps(pool: SandboxPool): Omit<RunDeps, "env" | "policy"> {
    return { sandboxes: pool, limiter: this.deps.limiter, log: this.deps.log };
  }

  /** A remote caller's scripted policy file must come from its own uploaded bundle, not the runner's disk. */
  private policyFor(config: PolicyConfig, envDir: string): Policy {
    const spec = config.spec.trim();
    if (spec.startsWith("scripted:")) {
      const file = path.resolve(envDir, spec.slice("scripted:".length));
      if (!file.startsWith(envDir + path.sep)) throw new ApiError(400, "invalid_field", "policy.spec scripted:FILE must name a file inside the uploaded environment bundle.", "body.policy.spec");
    }
    try {
      return createPolicy(config, envDir);
    } catch (err) {
      throw new ApiError(400, "invalid_field", (err as Error).message, "body.policy.spec");
    }
  }

  private track(handle: RunHandle, pool: SandboxPool): void {
    this.active.set(handle.runId, handle);
    this.pools.set(handle.runId, pool);
    const tracked = handle.done
      .catch((err: unknown) => this.deps.log(`run ${handle.runId} failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(async () => {
        this.deps.limiter.dropWaiters(handle.runId);
        await pool.close().catch(() => {});
        // After the final status: tells watchers (and tests) that no container of the run is left.
        if (!this.closing) this.deps.store.appendEvent(handle.runId, "log", { level: "info", message: SANDBOXES_RELEASED });
        this.pools.delete(handle.runId);
        this.active.delete(handle.runId);
        this.tracked.delete(handle.runId);
      });
    this.tracked.set(handle.runId, tracked.then(() => undefined));
  }

  /** Closes the warm pools (server shutdown); runs still active resume at the next start. */
  async closePools(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => {})));
  }

  private handleOf(id: string): RunHandle {
    const h = this.active.get(id);
    if (h) return h;
    const run = this.deps.store.getRun(id);
    if (!run) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
    throw new ApiError(409, "run_not_active", `Run ${id} is ${run.status}, not active on this runner; only queued, running or paused runs can be paused, resumed or cancelled.`);
  }
}
