import path from "node:path";
import type { CreateRunRequest, ForkRequest, ForkStarted, LiveEpisodes, PolicyConfig, RescoreReport, RescoreRequest, Run, RunConfig, TryRewardReport, TryRewardRequest } from "@agentrl/protocol";
import { oracleFor } from "../envs/kinds/registry.js";
import { loadEnvironment, type LoadedEnvironment } from "../envs/load.js";
import { EnvLoadError } from "../envs/errors.js";
import { createPolicy, type OracleSource } from "../policy/create.js";
import type { Policy } from "../policy/types.js";
import { rescoreRun } from "../rewards/rescore.js";
import { tryReward } from "../rewards/try-reward.js";
import { resolveEnvImage } from "../rollout/image.js";
import { resumeRun, selectTasks, startRun, type RunDeps, type RunHandle } from "../rollout/engine.js";
import { forkPolicy } from "../rollout/fork.js";
import { LiveEpisodeRegistry } from "../rollout/live-episodes.js";
import { SandboxPool } from "../sandbox/pool.js";
import { checkGeneration } from "../training/generation.js";
import { checkTrainerProcesses } from "../training/trainer-process.js";
import { newTrainRunId, resumeTraining, startTraining, trainingConfig, trainingDir, type TrainingDeps, type TrainingHandle } from "../training/training-run.js";
import type { SandboxProvider } from "../sandbox/types.js";
import type { Store } from "../store/store.js";
import type { EnvironmentRegistry } from "./environments.js";
import { ApiError } from "./errors.js";
import type { FairLimiter } from "./fair-limiter.js";

export interface RunManagerDeps {
  store: Store;
  /** The runner's data folder: training runs write their checkpoints under it. */
  home: string;
  /** Training runs at once (each holds a model in a trainer process). Default 1. */
  maxTrainingRuns?: number;
  envs: EnvironmentRegistry;
  limiter: FairLimiter;
  provider: SandboxProvider;
  /** Warm sandboxes kept per active run (they sit outside the limit, which counts sandboxes in use). */
  warmPerRun?: number;
  /** Hosts the runner's own policy API key may be sent to (`agentrl serve --policy-allow`); default none. */
  policyAllow?: readonly string[];
  log: (line: string) => void;
}

export interface RecoveryReport {
  resumed: { runId: string; kept: number; previousStatus: string }[];
  failed: { runId: string; error: string }[];
  /** Unfinished runs not resumed (`--no-resume`). */
  left: string[];
}

/** A run active while the runner went down this many times is failed instead of resumed. */
export const MAX_CRASHES = 2;

/** Message of the log event written once a run has ended and its warm sandboxes are gone. */
export const SANDBOXES_RELEASED = "run ended; its sandboxes are released";

/** Loads an uploaded environment; one that does not load is the request's fault (400), named. */
async function loadForRequest(dir: string): Promise<LoadedEnvironment> {
  try {
    return await loadEnvironment(dir);
  } catch (err) {
    if (err instanceof EnvLoadError) throw new ApiError(400, "invalid_environment", err.message, "body.env");
    throw err;
  }
}

/** What the manager needs of a rollout run and of a training run alike. */
type ActiveRun = Pick<RunHandle, "runId" | "pause" | "resume" | "cancel"> & { done: Promise<unknown>; detach?: () => Promise<void> };

/** Statuses of a run the server was executing when it stopped. */
const UNFINISHED = new Set(["queued", "running", "paused"]);

/**
 * The runs this server executes: starts them through the rollout engine with the global fair
 * limiter, keeps their handles for pause / resume / cancel, and after a restart picks up every run
 * the previous process left unfinished.
 */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private readonly training = new Map<string, TrainingHandle>();
  private readonly pools = new Map<string, SandboxPool>();
  private readonly tracked = new Map<string, Promise<void>>();
  /** In-flight episodes of every run here (a training run's step runs included). */
  private readonly live = new LiveEpisodeRegistry();
  private closing = false;

  constructor(private readonly deps: RunManagerDeps) {}

  async create(req: CreateRunRequest): Promise<Run> {
    const dir = this.deps.envs.folderOf(req.env);
    if (!dir) throw new ApiError(404, "environment_not_found", `No uploaded environment ${req.env}. Fix: upload the bundle with POST /v1/environments first and use the sha256 it returns.`, "body.env");
    if (req.kind === "train") return this.createTraining(req, dir);
    if (req.train) throw new ApiError(400, "invalid_field", 'body.train is only for a training run. Fix: set "kind": "train", or leave train out for a rollout run.', "body.train");
    if (!req.policy) throw new ApiError(400, "invalid_field", "body.policy is required for a rollout run. Fix: send the policy (an OpenAI-compatible URL, scripted:FILE, oracle or noop), or set \"kind\": \"train\" to train on the runner's trainer.", "body.policy");
    const config: RunConfig = { envDir: dir, policy: req.policy, group: req.group, concurrency: req.concurrency, kind: "rollout" };
    if (req.tasks !== undefined) config.tasks = req.tasks;
    if (req.taskIds !== undefined) config.taskIds = req.taskIds;
    if (req.maxTurns !== undefined) config.maxTurns = req.maxTurns;
    if (req.rewardComposition !== undefined) config.rewardComposition = req.rewardComposition;
    if (req.maxInfraRetries !== undefined) config.maxInfraRetries = req.maxInfraRetries;
    if (req.stallAfterS !== undefined) config.stallAfterS = req.stallAfterS;
    if (req.name !== undefined) config.name = req.name;
    // Load and check before answering, so a broken env or policy is a 400 now, not a failed run later.
    const env = await loadForRequest(dir);
    const policy = this.policyFor(config.policy, dir, oracleFor(env));
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

  /**
   * A training run: the runner starts its trainer (the model in a Python process that serves the
   * rollouts and takes the updates); rollouts share the fair limiter with every other run.
   */
  private async createTraining(req: CreateRunRequest, dir: string): Promise<Run> {
    const params = req.train;
    if (!params) throw new ApiError(400, "invalid_field", 'body.train is required for a training run. Fix: send {"steps": N, "tasksPerStep": T} (and trainer options) in body.train.', "body.train");
    if (req.policy) throw new ApiError(400, "invalid_field", "body.policy is not used by a training run: the runner's trainer serves the policy being trained. Fix: leave policy out; set the model, temperature and maxTokens in body.train.", "body.policy");
    if (req.tasks !== undefined || req.taskIds !== undefined) throw new ApiError(400, "invalid_field", "a training run picks its tasks per step (body.train.tasksPerStep, seeded by body.train.seed). Fix: leave tasks and taskIds out.", req.tasks !== undefined ? "body.tasks" : "body.taskIds");
    // A run whose final status is written has freed its trainer, even if its cleanup is still finishing.
    const busy = [...this.training.keys()].filter((id) => UNFINISHED.has(this.deps.store.getRun(id)?.status ?? ""));
    if (busy.length >= (this.deps.maxTrainingRuns ?? 1)) {
      throw new ApiError(409, "trainer_busy", `This runner is already training (run ${busy.join(", ")}); each training run holds a model in memory. Fix: wait for it to end, or pause or cancel it.`);
    }
    try {
      checkGeneration(params);
    } catch (err) {
      throw new ApiError(400, "invalid_field", (err as Error).message, "body.train.engine");
    }
    await checkTrainerProcesses(params).catch((err: unknown) => {
      throw new ApiError(400, "invalid_field", (err as Error).message, "body.train.nproc");
    });
    const env = await loadForRequest(dir);
    const config = trainingConfig(env, dir, params, req.group, req.concurrency, req.name);
    if (req.maxTurns !== undefined) config.maxTurns = req.maxTurns;
    if (req.rewardComposition !== undefined) config.rewardComposition = req.rewardComposition;
    if (req.maxInfraRetries !== undefined) config.maxInfraRetries = req.maxInfraRetries;
    if (req.stallAfterS !== undefined) config.stallAfterS = req.stallAfterS;
    const image = await resolveEnvImage(env, this.deps.log);
    const pool = this.newPool();
    const runId = newTrainRunId();
    const handle = startTraining(this.deps.store, config, this.trainingDeps(pool, env, image, runId), { runId });
    this.trackTraining(handle, pool);
    return this.deps.store.getRun(handle.runId) as Run;
  }

  private trainingDeps(pool: SandboxPool, env: LoadedEnvironment, image: string, runId: string): TrainingDeps {
    return { sandboxes: pool, limiter: this.deps.limiter, env, image, outDir: trainingDir(this.deps.home, runId), log: this.deps.log, live: this.live };
  }

  private trackTraining(handle: TrainingHandle, pool: SandboxPool): void {
    this.training.set(handle.runId, handle);
    this.track(handle, pool);
    void handle.done.catch(() => {}).finally(() => this.training.delete(handle.runId));
  }

  /** The run's in-flight episodes and its policy's health; empty when the run is not running here. */
  liveEpisodes(id: string): LiveEpisodes {
    if (!this.deps.store.getRun(id)) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
    return this.live.get(id)?.view() ?? { runId: id, stallAfterMs: 0, episodes: [], policy: { state: "idle", lastAnswerAgoMs: null, lastError: null, waiting: 0, longestWaitMs: 0 } };
  }

  /** Stops one in-flight episode: ended as an infrastructure failure, or run again with `requeue`. */
  killEpisode(id: string, trajectoryId: string, requeue: boolean): LiveEpisodes {
    const live = this.live.get(id);
    if (!live?.kill(trajectoryId, requeue)) {
      throw new ApiError(404, "episode_not_running", `Episode ${JSON.stringify(trajectoryId)} is not in flight in run ${id} (it ended, or the run is not running here). Fix: list in-flight episodes with GET /v1/runs/${id}/episodes.`);
    }
    return live.view();
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
  /**
   * Branches a stored trajectory at `req.turn`: a run of one episode on the same task and
   * environment whose sandbox is restored by replaying the recorded tool calls before that turn
   * (no snapshot is kept per turn), then the typed action and/or the chosen policy; scored by the
   * environment's rewards. The branch records its parent.
   */
  async fork(trajectoryId: string, req: ForkRequest): Promise<ForkStarted> {
    const original = this.deps.store.getTrajectory(trajectoryId);
    if (!original) throw new ApiError(404, "trajectory_not_found", `No trajectory ${JSON.stringify(trajectoryId)}.`);
    const parentRun = this.deps.store.getRun(original.runId);
    if (!parentRun) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(original.runId)} for trajectory ${trajectoryId}.`);
    if (req.turn > original.turns.length) throw new ApiError(400, "invalid_field", `turn ${req.turn} is past the trajectory's ${original.turns.length} turns. Fix: fork at a turn from 0 to ${original.turns.length}.`, "body.turn");
    if (!req.action && !req.policy) throw new ApiError(400, "invalid_field", "a fork needs an action typed for the turn, a policy to continue with, or both. Fix: send action {content, toolCalls} and/or policy {spec}.", "body.action");
    const dir = parentRun.config.envDir;
    const env = await loadForRequest(dir);
    const continueWith = req.policy ? this.policyFor(req.policy, dir) : null;
    const fork = { trajectoryId, turn: req.turn, restoredBy: "replay" as const };
    const config: RunConfig = {
      envDir: dir,
      policy: req.policy ?? { spec: "noop" },
      taskIds: [original.taskId],
      group: 1,
      concurrency: 1,
      kind: "rollout",
      name: `fork of ${original.taskId} at turn ${req.turn + 1}`,
      fork,
      ...(parentRun.config.maxTurns !== undefined ? { maxTurns: Math.max(parentRun.config.maxTurns, req.turn + 1) } : {}),
    };
    const taskIndex = selectTasks(env, config)[0]!.index;
    const pool = this.newPool();
    const handle = startRun(this.deps.store, config, { ...this.runDeps(pool), env, policy: forkPolicy(original, req.turn, req.action, continueWith) });
    this.track(handle, pool);
    const replayedToolCalls = original.turns.slice(0, req.turn).reduce((n, t) => n + (t.assistant.toolCalls?.length ?? 0), 0);
    return { runId: handle.runId, trajectoryId: `${handle.runId}:${taskIndex}:0`, restoredBy: fork.restoredBy, replayedToolCalls };
  }

  async rescore(id: string, req: RescoreRequest): Promise<RescoreReport> {
    const run = this.deps.store.getRun(id);
    if (!run) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
    if (this.active.has(id)) throw new ApiError(409, "run_active", `Run ${id} is ${run.status}; rescore it once it has ended (or cancel it first).`);
    const dir = req.env ? this.deps.envs.folderOf(req.env) : run.config.envDir;
    if (!dir) throw new ApiError(404, "environment_not_found", `No uploaded environment ${req.env}. Fix: upload the changed bundle with POST /v1/environments first.`, "body.env");
    const env = await loadForRequest(dir);
    const image = await resolveEnvImage(env, this.deps.log);
    // Only rewards that touch a sandbox get one, so no warm containers.
    const pool = new SandboxPool(this.deps.provider, { warm: 0 });
    try {
      return await rescoreRun(this.deps.store, id, { env, sandboxes: pool, image, save: req.save ?? false });
    } finally {
      await pool.close();
    }
  }

  /** Tries one reward of an uploaded bundle on an ended run's trajectories (nothing stored). */
  async tryReward(id: string, req: TryRewardRequest): Promise<TryRewardReport> {
    const run = this.deps.store.getRun(id);
    if (!run) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
    if (this.active.has(id)) throw new ApiError(409, "run_active", `Run ${id} is ${run.status}; try rewards on it once it has ended.`);
    const dir = this.deps.envs.folderOf(req.env);
    if (!dir) throw new ApiError(404, "environment_not_found", `No uploaded environment ${req.env}. Fix: upload the bundle with POST /v1/environments first.`, "body.env");
    const env = await loadForRequest(dir);
    const image = await resolveEnvImage(env, this.deps.log);
    const pool = new SandboxPool(this.deps.provider, { warm: 0 });
    try {
      return await tryReward(this.deps.store, id, req, { env, sandboxes: pool, image });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(400, "invalid_field", (err as Error).message, "body.reward");
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
   * without a finished trajectory. A run that was paused comes back paused. A run that was active
   * while the runner went down MAX_CRASHES times is failed instead (else an env that kills the
   * process would take the runner down at every start); `resume: false` leaves them all as they are.
   */
  recover(opts: { resume?: boolean } = {}): RecoveryReport {
    const report: RecoveryReport = { resumed: [], failed: [], left: [] };
    for (const run of this.deps.store.listRuns().reverse()) {
      if (!UNFINISHED.has(run.status) || this.active.has(run.id)) continue;
      if (run.config.parentRunId) {
        // A training step's rollouts: the training run redoes the step from its checkpoint.
        const message = `stopped with training run ${run.config.parentRunId} (runner restart); the step is redone when it resumes`;
        this.deps.store.updateRunStatus(run.id, "cancelled", { error: message });
        this.deps.store.appendEvent(run.id, "run.status", { status: "cancelled", error: message });
        continue;
      }
      if (opts.resume === false) {
        this.deps.store.appendEvent(run.id, "log", { level: "warn", message: "not resumed: the runner started with --no-resume; it resumes at the next start without that flag" });
        report.left.push(run.id);
        continue;
      }
      const crashes = this.deps.store.countCrash(run.id);
      if (crashes >= MAX_CRASHES) {
        const message = `the runner went down ${crashes} times while this run was active (an env that exits or crashes the process, or kill -9), so it is not resumed again. Fix: check the environment's code (process.exit, native crashes) and start a new run`;
        this.deps.store.updateRunStatus(run.id, "failed", { error: message });
        this.deps.store.appendEvent(run.id, "run.status", { status: "failed", error: message });
        report.failed.push({ runId: run.id, error: message });
        continue;
      }
      const kept = this.deps.store.queryTrajectories({ runId: run.id, limit: 1 }).total;
      this.deps.store.appendEvent(run.id, "log", {
        level: "warn",
        message: `runner restarted while the run was ${run.status}; resuming: ${kept} finished trajectories kept, episodes that were in flight run again`,
      });
      try {
        const pool = this.newPool();
        let handle: ActiveRun;
        if (run.config.kind === "train") {
          handle = this.resumeTrainingRun(run, pool);
        } else {
          // The oracle needs the loaded environment's kind: the engine builds it when it loads the env.
          const policy = run.config.policy.spec.trim() === "oracle" ? undefined : this.policyFor(run.config.policy, run.config.envDir);
          handle = resumeRun(this.deps.store, run.id, { ...this.runDeps(pool), ...(policy ? { policy } : {}) });
          this.track(handle, pool);
        }
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

  /** A training run after a restart: its environment and image are loaded again, then the loop resumes from its checkpoint. */
  private resumeTrainingRun(run: Run, pool: SandboxPool): ActiveRun {
    const runId = run.id;
    // Loading the environment and image is async; the handle exists at once so pause / cancel work meanwhile.
    let inner: TrainingHandle | null = null;
    let cancelled = false;
    let paused = false;
    const ready = (async () => {
      const env = await loadEnvironment(run.config.envDir);
      const image = await resolveEnvImage(env, this.deps.log);
      inner = resumeTraining(this.deps.store, runId, this.trainingDeps(pool, env, image, runId));
      if (paused) inner.pause();
      if (cancelled) inner.cancel();
      return inner.done;
    })();
    const handle: TrainingHandle = {
      runId,
      done: ready.catch((err: unknown) => {
        if (!inner) {
          const message = `could not resume after a restart: ${(err as Error).message}`;
          this.deps.store.updateRunStatus(runId, "failed", { error: message });
          this.deps.store.appendEvent(runId, "run.status", { status: "failed", error: message });
        }
        throw err;
      }),
      pause: () => (inner ? inner.pause() : void (paused = true)),
      resume: () => (inner ? inner.resume() : void (paused = false)),
      cancel: () => (inner ? inner.cancel() : void (cancelled = true)),
      detach: async () => {
        cancelled = true;
        await (inner as TrainingHandle | null)?.detach();
        await ready.catch(() => {});
      },
    };
    this.trackTraining(handle, pool);
    return handle;
  }

  /** Each run has its own warm pool, closed with the run, so no warm container outlives it. */
  private newPool(): SandboxPool {
    return new SandboxPool(this.deps.provider, { warm: this.deps.warmPerRun ?? 2, refillConcurrency: 2 });
  }

  private runDeps(pool: SandboxPool): Omit<RunDeps, "env" | "policy"> {
    return { sandboxes: pool, limiter: this.deps.limiter, log: this.deps.log, live: this.live };
  }

  /** A remote caller's scripted policy file must come from its own uploaded bundle, not the runner's disk. */
  private policyFor(config: PolicyConfig, envDir: string, oracle?: OracleSource): Policy {
    const spec = config.spec.trim();
    // scripted:FILE and lazy:KIND:FILE read a file: it must be one of the bundle's own.
    const file = spec.startsWith("scripted:") ? spec.slice("scripted:".length) : spec.startsWith("lazy:") ? spec.split(":").slice(2).join(":") : "";
    if (file && !path.resolve(envDir, file).startsWith(envDir + path.sep)) throw new ApiError(400, "invalid_field", "policy.spec FILE must name a file inside the uploaded environment bundle.", "body.policy.spec");
    try {
      return createPolicy(config, envDir, { oracle, ownKeyHosts: this.deps.policyAllow ?? [] });
    } catch (err) {
      throw new ApiError(400, "invalid_field", (err as Error).message, "body.policy.spec");
    }
  }

  private track(handle: ActiveRun, pool: SandboxPool): void {
    this.active.set(handle.runId, handle);
    this.pools.set(handle.runId, pool);
    const tracked = handle.done
      .catch((err: unknown) =>
        this.deps.log(this.closing ? `run ${handle.runId} stopped with the runner; it resumes at the next start` : `run ${handle.runId} failed: ${(err as Error)?.message ?? String(err)}`),
      )
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
    // A clean stop: these runs resume next time without counting a crash against them.
    for (const id of this.active.keys()) this.deps.store.noteCleanStop(id);
    // Training runs stop their trainer and stay unfinished in the store: the next start resumes them.
    await Promise.all([...this.training.values()].map((t) => t.detach()));
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => {})));
  }

  private handleOf(id: string): ActiveRun {
    const h = this.active.get(id);
    if (h) return h;
    const run = this.deps.store.getRun(id);
    if (!run) throw new ApiError(404, "run_not_found", `No run ${JSON.stringify(id)}. Fix: list runs with GET /v1/runs.`);
    throw new ApiError(409, "run_not_active", `Run ${id} is ${run.status}, not active on this runner; only queued, running or paused runs can be paused, resumed or cancelled.`);
  }
}
