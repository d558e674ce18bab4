import crypto from "node:crypto";
import path from "node:path";
import type { RunConfig, RunSummary, Task, Trajectory } from "@agentrl/protocol";
import { oracleFor } from "../envs/kinds/registry.js";
import { loadEnvironment, type LoadedEnvironment } from "../envs/load.js";
import { createPolicy } from "../policy/create.js";
import type { Policy } from "../policy/types.js";
import { batchAdvantages, estimatorFor, groupAdvantages, isZeroVariance, type GroupMember } from "../rewards/advantages.js";
import { RewardWorkerPool } from "../rewards/worker-pool.js";
import { LABEL_RUN } from "../sandbox/labels.js";
import type { SandboxSpec } from "../sandbox/types.js";
import { trajectorySummary, type Store } from "../store/store.js";
import { EpisodeCancelled, runEpisode, type EpisodeRuntime, type SandboxSource } from "./episode.js";
import { resolveEnvImage } from "./image.js";
import { removeRunContainers } from "./run-containers.js";
import { summarizeRun } from "./summary.js";
import { LiveEpisodeRegistry } from "./live-episodes.js";
import { PauseGate } from "../util/pause-gate.js";

export interface RunDeps {
  /** Where episodes get sandboxes (a SandboxPool). */
  sandboxes: SandboxSource & { prewarm?(spec: SandboxSpec, count: number): Promise<void> };
  /** Global fair limiter shared by several runs (the runner service passes one). */
  limiter?: { acquire(runId: string): Promise<() => void> };
  /** An already loaded environment (else it is loaded from config.envDir). */
  env?: LoadedEnvironment;
  /** A policy object (else built from config.policy). */
  policy?: Policy;
  /** Sandbox image (else resolved from the environment). */
  image?: string;
  /** Start this many sandboxes before the first episode. */
  prewarm?: number;
  rewardWorkers?: number;
  /** Called after each stored trajectory (progress bars). */
  onTrajectory?: (t: Trajectory, progress: { done: number; total: number }) => void;
  /** Removes containers labelled with a run before it resumes (default: through the Docker engine). */
  removeRunContainers?: (runId: string) => Promise<number>;
  log?: (line: string) => void;
  /** Where the run's in-flight episodes are kept for the API (the runner service passes one for all runs). */
  live?: LiveEpisodeRegistry;
  /** The policy version served right now (training runs; else config.policy.policyVersion): stamped on each turn. */
  policyVersion?: () => number;
}

export interface RunHandle {
  runId: string;
  done: Promise<RunSummary>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

interface Episode {
  task: Task;
  taskIndex: number;
  sampleIndex: number;
}

export function newRunId(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, "0");
  return `run-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${crypto.randomBytes(3).toString("hex")}`;
}

/** The tasks a run uses: `taskIds` when given, else the first `tasks`, else all. */
export function selectTasks(env: LoadedEnvironment, config: RunConfig): { task: Task; index: number }[] {
  const all = env.tasks.map((task, index) => ({ task, index }));
  if (config.taskIds?.length) {
    const byId = new Map(all.map((t) => [t.task.id, t]));
    return config.taskIds.map((id) => {
      const t = byId.get(id);
      if (!t) throw new Error(`task "${id}" is not in ${path.basename(env.tasksFile)}. Fix: use one of its ids`);
      return t;
    });
  }
  if (config.tasks !== undefined) {
    if (config.tasks > all.length) throw new Error(`--tasks ${config.tasks} asks for more tasks than ${path.basename(env.tasksFile)} has (${all.length}). Fix: use --tasks ${all.length} or fewer`);
    return all.slice(0, config.tasks);
  }
  return all;
}

/** Runs the episodes; shared by startRun and resumeRun. */
class RunController implements RunHandle {
  readonly done: Promise<RunSummary>;
  private readonly abort = new AbortController();
  private readonly gate = new PauseGate();

  constructor(
    readonly runId: string,
    private readonly store: Store,
    private readonly config: RunConfig,
    private readonly deps: RunDeps,
    prepare: () => Promise<{ env: LoadedEnvironment; skip: Set<string> }>,
  ) {
    this.done = prepare()
      .then(({ env, skip }) => this.execute(env, skip))
      .catch((err: unknown) => {
        // Whatever stopped the run (env load, policy, image, store), the run row says so.
        if (this.store.getRun(runId)?.status !== "failed") {
          const message = (err as Error)?.message ?? String(err);
          this.store.updateRunStatus(runId, "failed", { error: message });
          this.store.appendEvent(runId, "run.status", { status: "failed", error: message });
        }
        throw err;
      });
    // A caller that only watches events must not crash the process with an unhandled rejection.
    this.done.catch(() => {});
  }

  pause(): void {
    if (this.abort.signal.aborted || !this.gate.close()) return;
    this.store.updateRunStatus(this.runId, "paused");
    this.store.appendEvent(this.runId, "run.status", { status: "paused" });
  }

  resume(): void {
    if (!this.gate.open()) return;
    this.store.updateRunStatus(this.runId, "running");
    this.store.appendEvent(this.runId, "run.status", { status: "running" });
  }

  cancel(): void {
    this.abort.abort();
    this.gate.open();
  }

  private async execute(env: LoadedEnvironment, skip: Set<string>): Promise<RunSummary> {
    const { store, config, deps, runId } = this;
    const log = deps.log ?? (() => {});
    const started = performance.now();
    const selected = selectTasks(env, config);
    const episodes: Episode[] = [];
    for (const { task, index } of selected) for (let s = 0; s < config.group; s++) episodes.push({ task, taskIndex: index, sampleIndex: s });
    const todo = episodes.filter((e) => !skip.has(`${e.taskIndex}:${e.sampleIndex}`));
    const policy = deps.policy ?? createPolicy(config.policy, process.cwd(), { oracle: oracleFor(env) });
    const image = deps.image ?? (await resolveEnvImage(env, log));
    const sandboxSpec: SandboxSpec = {
      image,
      labels: { [LABEL_RUN]: runId },
      execTimeoutMs: env.info.stepTimeoutMs,
      ...(env.def.sandbox?.limits ? { limits: env.def.sandbox.limits } : {}),
      ...(env.def.sandbox?.env ? { env: env.def.sandbox.env } : {}),
      ...(env.def.sandbox?.workdir ? { workdir: env.def.sandbox.workdir } : {}),
    };
    const rewardPool = new RewardWorkerPool(env.compiled.bundlePath, deps.rewardWorkers ?? Math.max(1, Math.min(config.concurrency, 4)));
    const registry = deps.live ?? new LiveEpisodeRegistry();
    const live = registry.open(runId, store, config.stallAfterS);
    const rt: EpisodeRuntime = {
      env,
      policy,
      store,
      rewardPool,
      sandboxes: deps.sandboxes,
      sandboxSpec,
      maxTurns: config.maxTurns ?? env.info.maxTurns,
      maxInfraRetries: config.maxInfraRetries ?? 2,
      policyVersion: deps.policyVersion ?? (() => config.policy.policyVersion),
      signal: this.abort.signal,
      live,
    };
    // A run paused before it got here stays paused.
    const initial = this.gate.paused ? "paused" : "running";
    store.updateRunStatus(runId, initial);
    store.appendEvent(runId, "run.status", { status: initial });
    if (deps.prewarm && deps.sandboxes.prewarm) await deps.sandboxes.prewarm(sandboxSpec, Math.min(deps.prewarm, todo.length)).catch(() => {});

    // Group bookkeeping: advantages are computed once every sample of a task is stored.
    const groupSize = new Map<string, number>();
    for (const r of store.runRows(runId)) if (skip.has(`${r.taskIndex}:${r.sampleIndex}`)) groupSize.set(r.groupId, (groupSize.get(r.groupId) ?? 0) + 1);
    let groupsDone = [...groupSize.values()].filter((n) => n >= config.group).length;
    const estimator = estimatorFor(config.rewardComposition ?? env.info.rewardComposition);
    const groupMembers = (groupId: string): GroupMember[] =>
      store.queryTrajectories({ runId, groupId, limit: 10_000 }).items.map((s) => ({ id: s.id, total: s.reward, components: s.components, weights: store.getTrajectory(s.id)?.reward.weights ?? {} }));
    const finishGroup = (groupId: string): void => {
      const members = groupMembers(groupId);
      // GDPO's last step normalizes over the batch: the group's values until the run ends (below).
      store.setGroupAdvantages(runId, groupId, groupAdvantages(members, estimator), { estimator, by: "runner" });
      groupsDone++;
      const rewards = members.map((m) => m.total).filter((x): x is number => x !== null);
      const mean = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : 0;
      const values = { reward_mean: mean, reward_std: Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rewards.length)), zero_variance: isZeroVariance(members) ? 1 : 0, groups_done: groupsDone };
      store.appendMetrics(runId, groupsDone, values);
      store.appendEvent(runId, "run.metrics", { step: groupsDone, values });
    };

    let next = 0;
    let doneCount = episodes.length - todo.length;
    let turnsThisCall = 0;
    let finishedThisCall = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        await this.gate.wait();
        if (this.abort.signal.aborted) return;
        const ep = todo[next++];
        if (!ep) return;
        const release = deps.limiter ? await deps.limiter.acquire(runId) : () => {};
        try {
          if (this.abort.signal.aborted) return;
          const groupId = `${runId}:${ep.taskIndex}`;
          const trajectory = await runEpisode(
            { runId, trajectoryId: `${runId}:${ep.taskIndex}:${ep.sampleIndex}`, groupId, task: ep.task, taskIndex: ep.taskIndex, sampleIndex: ep.sampleIndex },
            rt,
          );
          if (config.fork) trajectory.parent = config.fork; // a branch names what it was forked from
          // One commit for the trajectory and its event: a reader never sees one without the other.
          store.transaction(() => {
            store.putTrajectory(trajectory);
            store.appendEvent(runId, "trajectory.finished", trajectorySummary(trajectory));
          });
          turnsThisCall += trajectory.turns.length;
          finishedThisCall++;
          doneCount++;
          const n = (groupSize.get(groupId) ?? 0) + 1;
          groupSize.set(groupId, n);
          if (n === config.group) finishGroup(groupId);
          deps.onTrajectory?.(trajectory, { done: doneCount, total: episodes.length });
        } catch (err) {
          if (err instanceof EpisodeCancelled) return;
          throw err;
        } finally {
          release();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, config.concurrency) }, () => worker()));
    } catch (err) {
      this.abort.abort();
      const message = (err as Error)?.message ?? String(err);
      store.updateRunStatus(runId, "failed", { error: message });
      store.appendEvent(runId, "run.status", { status: "failed", error: message });
      throw err;
    } finally {
      registry.close(runId);
      await rewardPool.close();
    }
    if (estimator === "gdpo") {
      const done = [...groupSize].filter(([, n]) => n >= config.group).map(([g]) => g);
      const all = batchAdvantages(done.map(groupMembers), estimator);
      done.forEach((g, i) => store.setGroupAdvantages(runId, g, all[i] ?? [], { estimator, by: "runner" }));
    }
    const summary = summarizeRun(store, runId, { episodes: episodes.length, wallMs: performance.now() - started, episodesThisCall: finishedThisCall, turnsThisCall });
    const status = this.abort.signal.aborted ? "cancelled" : "finished";
    store.updateRunStatus(runId, status, { summary });
    store.appendEvent(runId, "run.status", { status, summary });
    log(`run ${runId} ${status}: ${summary.trajectories} trajectories, ${summary.errors} errors, mean reward ${summary.meanReward ?? "n/a"}`);
    return summary;
  }
}

/**
 * Starts a run (tasks × group size) and returns at once; `done` resolves with the summary. The run
 * row exists from the first moment (status queued), so callers can watch its events.
 */
export function startRun(store: Store, config: RunConfig, deps: RunDeps, opts: { runId?: string } = {}): RunHandle {
  const runId = opts.runId ?? newRunId();
  store.createRun({ id: runId, config, envName: deps.env?.info.name ?? path.basename(path.resolve(config.envDir)), envHash: deps.env?.envHash ?? "", status: "queued" });
  store.appendEvent(runId, "run.status", { status: "queued" });
  return new RunController(runId, store, config, deps, async () => {
    const env = deps.env ?? (await loadEnvironment(config.envDir));
    store.setRunEnv(runId, env.info.name, env.envHash);
    return { env, skip: new Set() };
  });
}

/**
 * Continues a run that stopped (crash, cancel): removes containers labelled with it, then runs only
 * the episodes with no stored trajectory (and those that ended in an infrastructure error).
 */
export function resumeRun(store: Store, runId: string, deps: RunDeps): RunHandle {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no run "${runId}" in the store. Fix: list runs with \`agentrl runs\` or the API`);
  return new RunController(runId, store, run.config, deps, async () => {
    await (deps.removeRunContainers ?? removeRunContainers)(runId);
    const env = deps.env ?? (await loadEnvironment(run.config.envDir));
    if (run.envHash && env.envHash !== run.envHash) {
      store.appendEvent(runId, "log", { level: "warn", message: `the environment changed since the run started (bundle ${run.envHash.slice(0, 12)} → ${env.envHash.slice(0, 12)}); new trajectories record the new hash` });
    }
    const skip = new Set(store.runRows(runId).filter((r) => r.status !== "infra_error").map((r) => `${r.taskIndex}:${r.sampleIndex}`));
    return { env, skip };
  });
}
