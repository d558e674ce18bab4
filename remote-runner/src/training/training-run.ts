import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { RunConfig, TrainParams, Trajectory } from "@agentrl/protocol";
import type { LoadedEnvironment } from "../envs/load.js";
import { startRun, type RunDeps, type RunHandle } from "../rollout/engine.js";
import type { Store } from "../store/store.js";
import { PauseGate } from "../util/pause-gate.js";
import { firstLastMeans, taskSchedule } from "./task-schedule.js";
import { openGeneration, type Generation } from "./generation.js";
import { applyStalenessBound, BusyClock, type StalenessReport } from "./staleness.js";
import { stepRecords, trainedAdvantages, trainerLogprobUpdates } from "./train-records.js";
import type { TrainerServer, TrainStepResult } from "./trainer-process.js";

export interface TrainingDeps {
  /** Where the step rollouts get sandboxes (a SandboxPool). */
  sandboxes: RunDeps["sandboxes"];
  /** The runner's fair limiter; `dropWaiters` frees a cancelled step's queued episodes. */
  limiter?: RunDeps["limiter"] & { dropWaiters?(runId: string, reason?: string): number };
  /** Where each step's rollout run keeps its in-flight episodes (the runner service's registry). */
  live?: RunDeps["live"];
  env: LoadedEnvironment;
  image: string;
  /** The trainer's folder: its log and the checkpoints. */
  outDir: string;
  log?: (line: string) => void;
  /** Awaited: the next step starts after it. */
  onStep?: (s: StepReport) => void | Promise<void>;
}

export interface StepReport {
  step: number;
  rolloutRunId: string;
  rewardMean: number;
  /** Tool calls per episode in this step's rollouts. */
  toolCalls: number;
  trained: number;
  skipped: number;
  metrics: TrainStepResult;
  rolloutS: number;
  trainS: number;
  /** The engine that generated this step's rollouts, and the policy version (updates) they came from. */
  generation: { url: string; model: string; pid?: number; policyVersion: number; /** In-process only: never stored or printed. */ apiKey?: string };
}

export interface TrainingResult {
  runId: string;
  status: "finished" | "cancelled";
  /** Steps this run has taken (all of them, across restarts). */
  steps: number;
  reward_first: number;
  reward_last: number;
  tokens_per_s: number;
  checkpoint: string;
  rewards: number[];
}

/** A training run the caller can pause, resume, cancel, or (server shutdown) leave to be resumed later. */
export interface TrainingHandle {
  runId: string;
  done: Promise<TrainingResult>;
  pause(): void;
  resume(): void;
  cancel(): void;
  /** Stops work without ending the run: the next start resumes it from its last checkpoint. */
  detach(): Promise<void>;
}

/** Where a training run's trainer writes. */
export function trainingDir(home: string, runId: string): string {
  return path.join(home, "training", runId);
}

/** The checkpoint a crashed run resumes from, and the file beside it that says which step it is. */
const LAST = "checkpoint-last";
const STATE_FILE = "agentrl-training.json";

/** A step's rollouts, launched (ahead of the update before it, under --max-staleness) and awaited when the step trains. */
interface Launched {
  step: number;
  handle: RunHandle;
  /** performance.now() at launch. */
  t0: number;
  /** The policy version served at launch: turns without their own version count as it. */
  version: number;
}

interface LoopState {
  /** Steps done (rollouts + update, or a step skipped for lack of data). */
  step: number;
  /** Step numbering origin: a run started from another run's checkpoint continues its numbering. */
  base: number;
}

export function newTrainRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `train-${stamp}-${crypto.randomBytes(3).toString("hex")}`;
}

function numericMetrics(m: TrainStepResult, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === "number" && Number.isFinite(v)) out[`${prefix}${k}`] = v;
    else if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, numericMetrics(v as TrainStepResult, `${prefix}${k}.`));
  }
  return out;
}

/** The newest complete checkpoint of a run (a crash while one was being replaced leaves the old one). */
export function lastCheckpoint(outDir: string): { dir: string; state: LoopState } | null {
  for (const name of [LAST, `${LAST}.old`]) {
    const dir = path.join(outDir, name);
    try {
      const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8")) as LoopState;
      if (Number.isInteger(state.step) && Number.isInteger(state.base)) return { dir, state };
    } catch {
      // absent or half-written: try the older one
    }
  }
  return null;
}

/** The training run config stored with the run (the API's and the CLI's). */
export function trainingConfig(env: LoadedEnvironment, envDir: string, params: TrainParams, group: number, concurrency: number, name?: string): RunConfig {
  return {
    envDir: path.resolve(envDir),
    policy: { spec: "trainer", temperature: params.temperature ?? 1.0, maxTokens: params.maxTokens ?? 96, returnTokenIds: true, toolFormat: "auto" },
    group,
    concurrency,
    kind: "train",
    train: params,
    name: name ?? `train ${env.info.name} (${params.steps} steps, group ${group})`,
  };
}

/**
 * Starts a training run: each step rolls out groups on the current policy (the trainer process
 * serves generation), turns the scored trajectories into training records on the exact sampled
 * tokens, and takes one policy update. Per-step metrics go to the store and the event stream under
 * the training run; each step's rollouts are a run of their own whose `parentRunId` is this run.
 *
 * `from` starts the trainer from a checkpoint of another run (its step numbering continues).
 */
export function startTraining(store: Store, config: RunConfig, deps: TrainingDeps, opts: { runId?: string; from?: string } = {}): TrainingHandle {
  const runId = opts.runId ?? newTrainRunId();
  store.createRun({ id: runId, config, envName: deps.env.info.name, envHash: deps.env.envHash, status: "queued" });
  store.appendEvent(runId, "run.status", { status: "queued" });
  return new TrainingRun(store, runId, config, deps, opts.from ? { dir: opts.from, state: null } : null).handle();
}

/**
 * Picks a training run up after a restart: from its last checkpoint (steps after it are redone and
 * their metrics replaced), or from the start when it had none yet.
 */
export function resumeTraining(store: Store, runId: string, deps: TrainingDeps): TrainingHandle {
  const run = store.getRun(runId);
  if (!run || run.config.kind !== "train" || !run.config.train) throw new Error(`run ${runId} is not a training run`);
  const ckpt = lastCheckpoint(deps.outDir);
  store.deleteMetricsAfter(runId, ckpt?.state.step ?? 0);
  return new TrainingRun(store, runId, run.config, deps, ckpt).handle();
}

class TrainingRun {
  private readonly gate = new PauseGate();
  private readonly abort = new AbortController();
  private detached = false;
  /** Rollout runs in flight, oldest step first: one when synchronous, up to 1 + maxStaleness when not. */
  private inflight: Launched[] = [];
  private readonly rolloutClock = new BusyClock();
  private readonly trainClock = new BusyClock();
  /** Where the last step's interval ended (performance.now()) and both clocks then: idle shares are per interval. */
  private mark = { at: 0, rollout: 0, train: 0 };
  private trainer: TrainerServer | null = null;
  private generation: Generation | null = null;
  /** Set when the generation engine went away mid-step: the step's rollouts are dropped and it is redone. */
  private redo = false;
  /** Updates the trainer has taken (its own step counter). */
  private updates = 0;
  private done: Promise<TrainingResult> | null = null;
  private readonly params: TrainParams;
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly config: RunConfig,
    private readonly deps: TrainingDeps,
    private readonly from: { dir: string; state: LoopState | null } | null,
  ) {
    if (!config.train) throw new Error("a training run needs its train parameters");
    this.params = config.train;
    this.log = deps.log ?? (() => {});
  }

  handle(): TrainingHandle {
    this.done = this.execute();
    // The caller observes `done`; keep an unobserved rejection from crashing the process meanwhile.
    this.done.catch(() => {});
    return {
      runId: this.runId,
      done: this.done,
      pause: () => this.pause(),
      resume: () => this.resume(),
      cancel: () => this.cancel(),
      detach: () => this.detach(),
    };
  }

  private setStatus(status: "running" | "paused", extra: Record<string, unknown> = {}): void {
    this.store.updateRunStatus(this.runId, status);
    this.store.appendEvent(this.runId, "run.status", { status, ...extra });
  }

  pause(): void {
    if (this.abort.signal.aborted || !this.gate.close()) return;
    // The step in flight stops starting episodes; an update in flight finishes first.
    for (const l of this.inflight) l.handle.pause();
    this.setStatus("paused");
  }

  resume(): void {
    if (!this.gate.open()) return;
    for (const l of this.inflight) l.handle.resume();
    this.setStatus("running");
  }

  cancel(): void {
    this.abort.abort();
    this.gate.open();
    this.stopSteps(`training run ${this.runId} was cancelled`);
  }

  async detach(): Promise<void> {
    this.detached = true;
    this.cancel();
    await this.done?.catch(() => {});
  }

  /** Cancels every rollout run in flight (the step being trained and those launched ahead). */
  private stopSteps(reason: string): void {
    for (const { handle } of this.inflight) {
      handle.cancel();
      this.deps.limiter?.dropWaiters?.(handle.runId, reason);
    }
  }

  private async execute(): Promise<TrainingResult> {
    const { store, runId, params, deps, log } = this;
    fs.mkdirSync(deps.outDir, { recursive: true });
    try {
      this.setStatus("running");
      log(`training run ${runId}; trainer output in ${deps.outDir}`);
      const opened = await openGeneration(
        params,
        {
          model: params.model,
          seed: params.seed ?? 0,
          resume: this.from?.dir,
          outputDir: deps.outDir,
          logFile: path.join(deps.outDir, "trainer.log"),
          // The trainer's logprobs are of softmax(logits / T), as the sampler reports them.
          options: { ...(params.temperature ? { temperature: params.temperature } : {}), ...params.trainer },
          loraRank: params.loraRank,
          maxTokens: params.maxTokens ?? 96,
          nproc: params.nproc,
          nnodes: params.nnodes,
          rdzvEndpoint: params.rdzvEndpoint,
          log,
        },
        (message) => this.engineDown(message),
      );
      const trainer = opened.trainer;
      this.trainer = trainer;
      this.generation = opened.generation;
      this.updates = trainer.startStep;
      if (this.abort.signal.aborted) return await this.finish("cancelled", [], []);
      // A crashed run knows its own step; a checkpoint of another run starts a new numbering at its step.
      const state: LoopState = this.from?.state ?? { step: trainer.startStep, base: trainer.startStep };
      const end = state.base + params.steps;
      const message = state.step > state.base ? `resuming at step ${state.step + 1} of ${end} from ${this.from?.dir}` : `trainer ready (model ${trainer.model}, step ${trainer.startStep})`;
      log(message);
      store.appendEvent(runId, "log", { level: "info", message });
      const rewards = store
        .metricSeries(runId)
        .filter((p) => p.step > state.base && p.step <= state.step)
        .map((p) => p.values.reward ?? 0);
      const tokensPerS: number[] = [];
      const schedule = taskSchedule(
        deps.env.tasks.map((t) => t.id),
        params.tasksPerStep,
        end - state.step,
        params.seed ?? 0,
        state.step,
      );
      const every = params.checkpointEvery ?? 1;
      const ahead = params.maxStaleness ?? 0;
      this.mark = { at: performance.now(), rollout: this.rolloutClock.read(), train: this.trainClock.read() };
      for (let step = state.step + 1; step <= end; step++) {
        await this.gate.wait();
        if (this.abort.signal.aborted) break;
        if (!(await this.generationReady())) {
          step--; // paused on the engine: this step again after resume
          continue;
        }
        // This step's rollouts and, asynchronous, those of up to `ahead` later steps: they run while it trains.
        for (let s = (this.inflight.at(-1)?.step ?? step - 1) + 1; s <= Math.min(end, step + ahead); s++) this.launch(s, schedule[s - state.step - 1] ?? []);
        const out = await this.step(trainer);
        if (out === "redo") {
          step--;
          continue;
        }
        if (!out) break; // cancelled mid-step: the step's rollouts are dropped, no update
        rewards.push(out.rewardMean);
        if (out.tokensPerS !== undefined) tokensPerS.push(out.tokensPerS);
        if (step % every === 0 && step < end) await this.checkpoint(trainer, { step, base: state.base });
      }
      return await this.finish(this.abort.signal.aborted ? "cancelled" : "finished", rewards, tokensPerS);
    } catch (err) {
      if (this.detached) throw err;
      const error = (err as Error).message;
      store.updateRunStatus(runId, "failed", { error });
      store.appendEvent(runId, "run.status", { status: "failed", error });
      throw err;
    } finally {
      this.dropInflight("the training run ended");
      await this.generation?.stop();
      await this.trainer?.stop();
    }
  }

  /** The generation engine died or stalled: pause with a message that names it; a resume restarts it. */
  private engineDown(message: string): void {
    if (this.abort.signal.aborted) return;
    this.log(message);
    this.store.appendEvent(this.runId, "log", { level: "error", message });
    if (this.inflight.length) {
      this.redo = true;
      this.stopSteps(message);
    }
    if (this.gate.close()) this.setStatus("paused", { reason: message });
  }

  /** Before a step: the engine serves the current policy (restarted and re-synced if needed); false = paused on it. */
  private async generationReady(): Promise<boolean> {
    try {
      await this.generation?.ready();
      return true;
    } catch (err) {
      this.engineDown(`the generation engine could not be made ready: ${(err as Error).message}`);
      return false;
    }
  }

  /** Starts a step's rollouts on the policy served now; turns record the version live (it moves on while they run). */
  private launch(step: number, taskIds: string[]): void {
    const { store, runId, config, deps, log } = this;
    const gen = this.generation as Generation;
    const version = gen.version;
    // The engine's key goes with the live run only: the store keeps a redacted marker.
    const policy = { ...config.policy, spec: gen.url, apiKey: gen.apiKey, model: gen.model, timeoutMs: 600_000, policyVersion: version };
    const handle = startRun(
      store,
      { ...config, kind: "rollout", train: undefined, parentRunId: runId, taskIds, name: `${runId} step ${step}`, policy },
      { sandboxes: deps.sandboxes, limiter: deps.limiter, env: deps.env, image: deps.image, log, live: deps.live, policyVersion: () => gen.version },
    );
    if (this.gate.paused) handle.pause();
    this.rolloutClock.start();
    handle.done.finally(() => this.rolloutClock.stop()).catch(() => {});
    this.inflight.push({ step, handle, t0: performance.now(), version });
  }

  /** Cancels and forgets every rollout run in flight: their steps are rolled out again. */
  private dropInflight(reason: string): void {
    this.stopSteps(reason);
    this.inflight = [];
  }

  /** One step: the oldest launched rollouts, then one update. Null when cancelled meanwhile. */
  private async step(trainer: TrainerServer): Promise<{ rewardMean: number; tokensPerS?: number } | null | "redo"> {
    const { store, runId, deps, log } = this;
    const gen = this.generation as Generation;
    const launched = this.inflight[0];
    if (!launched) throw new Error("internal: a training step with no rollouts launched");
    const { step, handle, t0 } = launched;
    const summary = await handle.done;
    if (this.abort.signal.aborted) return null;
    // Episodes that met a dead engine failed as policy errors, maybe before its exit was seen: never train on that.
    const problem = this.redo ? null : await gen.problem();
    if (problem) this.engineDown(`${problem}; the rollouts of step ${step} are dropped and the step is redone on resume`);
    if (this.redo || problem) {
      this.redo = false;
      this.dropInflight(`the rollouts of step ${step} are redone`);
      return "redo";
    }
    this.inflight.shift();
    const rolloutS = (performance.now() - t0) / 1000;
    const trajectories = store.runRows(handle.runId).flatMap((row) => store.getTrajectory(row.id) ?? []);
    const stale = applyStalenessBound(trajectories, gen.version, this.params.maxStaleness ?? 0, launched.version);
    const { records, failedTrained, skippedInfra, skippedOther } = stepRecords(stale.kept, this.params.failedReward === undefined ? 0 : this.params.failedReward);
    const skipped = skippedInfra + skippedOther;
    const rewardMean = summary.meanReward ?? 0;
    if (records.length === 0) {
      // Every episode failed before the policy answered (time limits on a loaded machine, a policy
      // error): nothing to learn from; say so and go on rather than lose the run.
      const message = `step ${step}: no trajectory could be trained on (${skipped} skipped, ${stale.droppedTrajectories} older than --max-staleness; see \`agentrl export ${handle.runId} --format train\` for the reasons); no update this step`;
      log(message);
      store.appendEvent(runId, "log", { level: "warn", message });
      const values = { reward: rewardMean, tool_calls: summary.meanToolCalls, rollout_s: rolloutS, skipped_trajectories: skipped, updated: 0, ...this.loopValues(stale) };
      store.appendMetrics(runId, step, values);
      store.appendEvent(runId, "run.metrics", { step, values, rolloutRunId: handle.runId });
      return { rewardMean };
    }
    const t1 = performance.now();
    // The trainer counts updates and refuses one out of order, so a skipped step takes no number there.
    this.trainClock.start();
    const metrics = await trainer.trainStep(records, ++this.updates).finally(() => this.trainClock.stop());
    const trainS = (performance.now() - t1) / 1000;
    // The update stands either way; a failed sync pauses the run and is redone when it resumes.
    await gen.afterUpdate(metrics).catch((err: unknown) => this.engineDown(`vLLM did not get the new policy: ${(err as Error).message}`));
    this.storeTrainedAdvantages(handle.runId, trajectories, metrics);
    this.storeTrainerLogprobs(handle.runId, step, trajectories, metrics);
    const { trajectory_advantages: _perTrajectory, trajectory_logprobs: _perToken, ...scalars } = metrics;
    const values: Record<string, number> = {
      ...numericMetrics(scalars),
      reward: rewardMean,
      tool_calls: summary.meanToolCalls,
      rollout_s: rolloutS,
      train_s: trainS,
      skipped_trajectories: skipped,
      skipped_infra: skippedInfra,
      failed_trained: failedTrained,
      updated: metrics.updated === false ? 0 : 1,
      ...this.loopValues(stale),
    };
    for (const [c, v] of Object.entries(summary.componentMeans)) values[`reward.${c}`] = v;
    delete values.step;
    store.appendMetrics(runId, step, values);
    store.appendEvent(runId, "run.metrics", { step, values, rolloutRunId: handle.runId });
    await deps.onStep?.({ step, rolloutRunId: handle.runId, rewardMean, toolCalls: summary.meanToolCalls, trained: records.length, skipped, metrics, rolloutS, trainS, generation: { url: gen.url, model: gen.model, pid: gen.pid, policyVersion: launched.version, apiKey: gen.apiKey } });
    return { rewardMean, tokensPerS: typeof metrics.tokens_per_s === "number" ? metrics.tokens_per_s : undefined };
  }

  /**
   * Per step: how stale its rollouts were, and the share of the interval since the previous step
   * ended that the trainer and the rollouts each sat idle (asynchronous rollouts fill the trainer's).
   */
  private loopValues(stale: StalenessReport): Record<string, number> {
    const now = performance.now();
    const span = Math.max(1, now - this.mark.at);
    const rollout = this.rolloutClock.read();
    const train = this.trainClock.read();
    const idle = (busy: number): number => Math.min(1, Math.max(0, 1 - busy / span));
    const values = {
      max_staleness: this.params.maxStaleness ?? 0,
      staleness_mean: stale.mean,
      staleness_max: stale.max,
      stale_trajectories_dropped: stale.droppedTrajectories,
      trainer_idle_share: idle(train - this.mark.train),
      rollout_idle_share: idle(rollout - this.mark.rollout),
    };
    this.mark = { at: now, rollout, train };
    return values;
  }

  /** The store keeps, on each trained trajectory, the advantage the update used and the estimator's name. */
  private storeTrainedAdvantages(rolloutRunId: string, trajectories: Trajectory[], metrics: TrainStepResult): void {
    const trained = trainedAdvantages(metrics);
    if (!trained) return;
    const groups = new Map<string, { id: string; advantage: number; componentAdvantages: Record<string, number> }[]>();
    for (const t of trajectories) {
      const a = trained.byId.get(t.id);
      if (a === undefined) continue;
      groups.set(t.groupId, [...(groups.get(t.groupId) ?? []), { id: t.id, advantage: a, componentAdvantages: t.componentAdvantages ?? {} }]);
    }
    for (const [groupId, items] of groups) this.store.setGroupAdvantages(rolloutRunId, groupId, items, trained.source);
  }

  /** The store keeps, on each turn of the step's trajectories, the trainer's logprob of every token it sampled (the token lens). */
  private storeTrainerLogprobs(rolloutRunId: string, step: number, trajectories: Trajectory[], metrics: TrainStepResult): void {
    const { items, mismatched } = trainerLogprobUpdates(trajectories, metrics);
    this.store.setTrainerLogprobs(rolloutRunId, step, items);
    const omitted = typeof metrics.trajectory_logprobs_omitted === "number" ? metrics.trajectory_logprobs_omitted : 0;
    const problems = [
      ...(mismatched.length ? [`the trainer's logprobs do not match the turns of ${mismatched.length} trajectories (not stored): ${mismatched.slice(0, 3).join("; ")}`] : []),
      ...(omitted ? [`${omitted} trajectories got no trainer logprobs (past the trainer's return_logprobs_tokens bound; raise it in the trainer options)`] : []),
    ];
    for (const message of problems) {
      this.log(`step ${step}: ${message}`);
      this.store.appendEvent(this.runId, "log", { level: "warn", message: `step ${step}: ${message}` });
    }
  }

  /** Replaces `checkpoint-last` so that a crash at any moment leaves one complete checkpoint. */
  private async checkpoint(trainer: TrainerServer, state: LoopState): Promise<string> {
    const { outDir } = this.deps;
    const tmp = path.join(outDir, `${LAST}.tmp`);
    const last = path.join(outDir, LAST);
    const old = path.join(outDir, `${LAST}.old`);
    fs.rmSync(tmp, { recursive: true, force: true });
    await trainer.checkpoint(tmp);
    fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state));
    fs.rmSync(old, { recursive: true, force: true });
    if (fs.existsSync(last)) fs.renameSync(last, old);
    fs.renameSync(tmp, last);
    fs.rmSync(old, { recursive: true, force: true });
    this.store.appendEvent(this.runId, "log", { level: "info", message: `checkpoint at step ${state.step}: ${last}` });
    return last;
  }

  private async finish(status: "finished" | "cancelled", rewards: number[], tokensPerS: number[]): Promise<TrainingResult> {
    if (this.detached) throw new Error(`training run ${this.runId} was left to resume at the next start`);
    // The final checkpoint is what was learned, also when cancelled: `agentrl export` and resume take it.
    const ckpt = this.trainer ? await this.trainer.checkpoint(path.join(this.deps.outDir, "checkpoint")) : { dir: "" };
    // The model's memory is free once the run says it has ended: a new training run may start at once.
    await this.generation?.stop();
    await this.trainer?.stop();
    this.store.updateRunStatus(this.runId, status);
    this.store.appendEvent(this.runId, "run.status", { status, checkpoint: ckpt.dir });
    const { first, last } = firstLastMeans(rewards);
    const all = this.store.metricSeries(this.runId);
    return {
      runId: this.runId,
      status,
      steps: all.length,
      reward_first: first,
      reward_last: last,
      tokens_per_s: tokensPerS.length ? tokensPerS.reduce((a, b) => a + b, 0) / tokensPerS.length : 0,
      checkpoint: ckpt.dir,
      rewards,
    };
  }
}
