import fs from "node:fs";
import path from "node:path";
import type { RunConfig } from "@agentrl/protocol";
import { homeDir } from "../config/paths.js";
import { loadEnvironment } from "../envs/load.js";
import { startRun } from "../rollout/engine.js";
import { resolveEnvImage } from "../rollout/image.js";
import { localSandboxes } from "../rollout/local.js";
import { toTrainRecord } from "../store/export.js";
import type { Store } from "../store/store.js";
import { firstLastMeans, taskSchedule } from "./task-schedule.js";
import { TrainerServer, type TrainStepResult } from "./trainer-process.js";

export interface TrainingOptions {
  envDir: string;
  model?: string;
  steps: number;
  group: number;
  tasksPerStep: number;
  concurrency: number;
  seed: number;
  temperature: number;
  maxTokens: number;
  loraRank?: number;
  resume?: string;
  /** Trainer options (estimator, lr, eps_low, eps_high, kl_beta, loss_agg, drop_zero_variance, micro_batch). */
  trainer: Record<string, unknown>;
  log?: (line: string) => void;
  onStep?: (s: StepReport) => void;
}

export interface StepReport {
  step: number;
  rolloutRunId: string;
  rewardMean: number;
  trained: number;
  skipped: number;
  metrics: TrainStepResult;
  rolloutS: number;
  trainS: number;
}

export interface TrainingResult {
  runId: string;
  steps: number;
  reward_first: number;
  reward_last: number;
  tokens_per_s: number;
  checkpoint: string;
  rewards: number[];
}

function newTrainRunId(): string {
  const d = new Date();
  const stamp = d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `train-${stamp}-${Math.random().toString(16).slice(2, 8)}`;
}

function numericMetrics(m: TrainStepResult, prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === "number" && Number.isFinite(v)) out[`${prefix}${k}`] = v;
    else if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, numericMetrics(v as TrainStepResult, `${prefix}${k}.`));
  }
  return out;
}

/**
 * A training run: each step rolls out groups on the current policy (the trainer process serves
 * generation), turns the scored trajectories into training records on the exact sampled tokens,
 * and takes one policy update. Per-step metrics go to the store and the event stream under the
 * training run; each step's rollouts are a run of their own, named after it.
 */
export async function runTraining(store: Store, o: TrainingOptions): Promise<TrainingResult> {
  const log = o.log ?? (() => {});
  const env = await loadEnvironment(o.envDir);
  const runId = newTrainRunId();
  const outDir = path.join(homeDir(), "training", runId);
  fs.mkdirSync(outDir, { recursive: true });
  const policyBase = { temperature: o.temperature, maxTokens: o.maxTokens, returnTokenIds: true, toolFormat: "auto" as const, timeoutMs: 600_000 };
  const config: RunConfig = {
    envDir: path.resolve(o.envDir),
    policy: { spec: "trainer", ...policyBase },
    group: o.group,
    concurrency: o.concurrency,
    kind: "train",
    name: `train ${env.info.name} (${o.steps} steps, group ${o.group})`,
  };
  store.createRun({ id: runId, config, envName: env.info.name, envHash: env.envHash, status: "running" });
  store.appendEvent(runId, "run.status", { status: "running" });
  log(`training run ${runId}; trainer output in ${outDir}`);
  const trainer = await TrainerServer.start({
    model: o.model,
    seed: o.seed,
    resume: o.resume,
    outputDir: outDir,
    logFile: path.join(outDir, "trainer.log"),
    options: o.trainer,
    loraRank: o.loraRank,
    maxTokens: o.maxTokens,
  });
  log(`trainer ready at ${trainer.url} (model ${trainer.model}, step ${trainer.startStep})`);
  const image = await resolveEnvImage(env, log);
  const sandboxes = await localSandboxes({ warm: Math.min(o.concurrency, 4) });
  const schedule = taskSchedule(env.tasks.map((t) => t.id), o.tasksPerStep, o.steps, o.seed, trainer.startStep);
  const rewards: number[] = [];
  const tokensPerS: number[] = [];
  // The trainer counts updates and refuses a step number out of order, so a skipped step does not take a number.
  let updates = 0;
  try {
    for (let k = 0; k < o.steps; k++) {
      const step = trainer.startStep + k + 1;
      const t0 = performance.now();
      const handle = startRun(
        store,
        { ...config, kind: "rollout", taskIds: schedule[k], name: `${runId} step ${step}`, policy: { spec: trainer.url, model: trainer.model, ...policyBase } },
        { sandboxes: sandboxes.pool, env, image, log },
      );
      const summary = await handle.done;
      const rolloutS = (performance.now() - t0) / 1000;
      const records = [];
      let skipped = 0;
      for (const row of store.runRows(handle.runId)) {
        const t = store.getTrajectory(row.id);
        const r = t ? toTrainRecord(t) : { skip: "missing" };
        if ("record" in r) records.push(r.record);
        else skipped++;
      }
      const rewardMean = summary.meanReward ?? 0;
      rewards.push(rewardMean);
      if (records.length === 0) {
        // Every episode failed before the policy answered (time limits on a loaded machine, a policy error):
        // nothing to learn from; say so and go on rather than lose the run.
        const message = `step ${step}: no trajectory could be trained on (${skipped} skipped; see \`agentrl export ${handle.runId} --format train\` for the reasons); no update this step`;
        log(message);
        store.appendEvent(runId, "log", { level: "warn", message });
        store.appendMetrics(runId, step, { reward: rewardMean, rollout_s: rolloutS, skipped_trajectories: skipped, updated: 0 });
        continue;
      }
      const t1 = performance.now();
      const metrics = await trainer.trainStep(records, trainer.startStep + (++updates));
      const trainS = (performance.now() - t1) / 1000;
      if (typeof metrics.tokens_per_s === "number") tokensPerS.push(metrics.tokens_per_s);
      const values: Record<string, number> = { ...numericMetrics(metrics), reward: rewardMean, rollout_s: rolloutS, train_s: trainS, skipped_trajectories: skipped };
      for (const [c, v] of Object.entries(summary.componentMeans)) values[`reward.${c}`] = v;
      store.appendMetrics(runId, step, values);
      store.appendEvent(runId, "run.metrics", { step, values, rolloutRunId: handle.runId });
      const report = { step, rolloutRunId: handle.runId, rewardMean, trained: records.length, skipped, metrics, rolloutS, trainS };
      o.onStep?.(report);
    }
    const ckpt = await trainer.checkpoint(path.join(outDir, "checkpoint"));
    const { first, last } = firstLastMeans(rewards);
    store.updateRunStatus(runId, "finished");
    store.appendEvent(runId, "run.status", { status: "finished", checkpoint: ckpt.dir });
    return {
      runId,
      steps: rewards.length,
      reward_first: first,
      reward_last: last,
      tokens_per_s: tokensPerS.length ? tokensPerS.reduce((a, b) => a + b, 0) / tokensPerS.length : 0,
      checkpoint: ckpt.dir,
      rewards,
    };
  } catch (err) {
    store.updateRunStatus(runId, "failed", { error: (err as Error).message });
    store.appendEvent(runId, "run.status", { status: "failed", error: (err as Error).message });
    throw err;
  } finally {
    await sandboxes.close();
    await trainer.stop();
  }
}
