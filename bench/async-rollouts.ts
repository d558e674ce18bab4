/**
 * `agentrl bench async`: asynchronous rollouts (`--max-staleness 1`) against the synchronous loop
 * a user gets by default, on an environment whose episode times have a long tail, with the
 * embedded model on this machine. Runs alternate (sync, async; then async, sync; ...) so load
 * drift hits both sides; each run is timed from the end of its first step (trainer start and the
 * first rollouts are warm-up) to the end of its last.
 *
 * The long tail: every episode's scoring command sleeps a random 0.1–3 s in its sandbox. (A tool
 * that sleeps would be the same for the loop, but the embedded 135M model rarely calls a tool, so
 * the sleep would seldom run.) The task is examples/addition's, so the final reward says whether
 * training still learns under the staleness bound.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TrainParams } from "@agentrl/protocol";
import { loadEnvironment, type LoadedEnvironment } from "../remote-runner/src/envs/load.js";
import { resolveEnvImage } from "../remote-runner/src/rollout/image.js";
import { localSandboxes } from "../remote-runner/src/rollout/local.js";
import { openStore } from "../remote-runner/src/store/store.js";
import { newTrainRunId, startTraining, trainingConfig, trainingDir } from "../remote-runner/src/training/training-run.js";
import { summarize, type Summary } from "./stats.js";

export interface AsyncRun {
  side: "sync" | "async";
  round: number;
  steps: number;
  /** Steps 2..N per hour of wall time. */
  steps_per_hour: number;
  /** Mean reward of the last step. */
  final_reward: number;
  rewards: number[];
  trainer_idle_share_mean: number;
  staleness_max: number;
  stale_trajectories_dropped: number;
}

export interface AsyncBenchResult {
  env: string;
  steps: number;
  group: number;
  tasks_per_step: number;
  runs: AsyncRun[];
  sync: { steps_per_hour: Summary; final_reward: Summary };
  async: { steps_per_hour: Summary; final_reward: Summary };
  /** async ÷ sync steps per hour, per round (the runs of one round are next to each other in time). */
  ratio_per_round: number[];
  ratio: Summary;
  load_avg_1m_start: number;
  load_avg_1m_end: number;
}

/** examples/addition with a scoring command that sleeps a random 0.1–3 s: the long tail. */
function longTailEnv(root: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-async-bench-"));
  const src = path.join(root, "examples/addition");
  fs.copyFileSync(path.join(src, "tasks.jsonl"), path.join(dir, "tasks.jsonl"));
  const env = fs
    .readFileSync(path.join(src, "env.ts"), "utf8")
    .replace('name: "addition"', 'name: "addition-long-tail"')
    .replace(
      "  rewards: [\n",
      '  rewards: [\n    defineReward({ name: "long_tail", weight: 0, command: "sleep $(python3 -c \'import random; print(round(random.uniform(0.1, 3), 2))\')" }),\n',
    );
  if (!env.includes("long_tail")) throw new Error("examples/addition/env.ts changed shape: the bench could not add its sleeping reward");
  fs.writeFileSync(path.join(dir, "env.ts"), env);
  return dir;
}

/** The environment, loaded once for every run of the bench. */
interface BenchEnv {
  dir: string;
  env: LoadedEnvironment;
  image: string;
}

async function oneRun({ dir: envDir, env, image }: BenchEnv, side: "sync" | "async", round: number, o: { steps: number; group: number; tasksPerStep: number; log: (l: string) => void }): Promise<AsyncRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-async-bench-home-"));
  const store = openStore(home);
  const sandboxes = await localSandboxes({ warm: 4 });
  // The main job's settings (scripts/demo.sh), which learn this task in a few minutes.
  const params: TrainParams = { steps: o.steps, tasksPerStep: o.tasksPerStep, seed: 0, temperature: 1, maxTokens: 12, maxStaleness: side === "async" ? 1 : 0, trainer: { lr: 3e-4, micro_batch: 16 } };
  const ends: number[] = [];
  const rewards: number[] = [];
  const idle: number[] = [];
  let stalenessMax = 0;
  let dropped = 0;
  try {
    const runId = newTrainRunId();
    const handle = startTraining(store, trainingConfig(env, envDir, params, o.group, 16), {
      sandboxes: sandboxes.pool,
      env,
      image,
      outDir: trainingDir(home, runId),
      onStep: (s) => {
        ends.push(performance.now());
        rewards.push(s.rewardMean);
        o.log(`${side} round ${round} step ${s.step}: reward ${s.rewardMean.toFixed(3)}, rollout ${s.rolloutS.toFixed(1)} s, update ${s.trainS.toFixed(1)} s`);
      },
    }, { runId });
    await handle.done;
    for (const p of store.metricSeries(runId)) {
      idle.push(p.values.trainer_idle_share ?? 0);
      stalenessMax = Math.max(stalenessMax, p.values.staleness_max ?? 0);
      dropped += p.values.stale_trajectories_dropped ?? 0;
    }
  } finally {
    await sandboxes.close();
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  if (ends.length < 2) throw new Error(`the ${side} run took ${ends.length} steps: nothing to time (it needs at least 2)`);
  const wallH = ((ends.at(-1) as number) - (ends[0] as number)) / 3_600_000;
  return {
    side,
    round,
    steps: ends.length,
    steps_per_hour: Math.round((ends.length - 1) / wallH),
    final_reward: rewards.at(-1) ?? 0,
    rewards,
    trainer_idle_share_mean: idle.length ? Number((idle.reduce((a, b) => a + b, 0) / idle.length).toFixed(3)) : 0,
    staleness_max: stalenessMax,
    stale_trajectories_dropped: dropped,
  };
}

export async function runAsyncBench(o: { root: string; rounds: number; steps: number; group: number; tasksPerStep: number; log: (l: string) => void }): Promise<AsyncBenchResult> {
  const envDir = longTailEnv(o.root);
  const load0 = os.loadavg()[0] ?? 0;
  const runs: AsyncRun[] = [];
  try {
    const env = await loadEnvironment(envDir);
    const bench: BenchEnv = { dir: envDir, env, image: await resolveEnvImage(env) };
    for (let round = 1; round <= o.rounds; round++) {
      const order: ("sync" | "async")[] = round % 2 ? ["sync", "async"] : ["async", "sync"];
      for (const side of order) runs.push(await oneRun(bench, side, round, o));
    }
  } finally {
    fs.rmSync(envDir, { recursive: true, force: true });
  }
  const of = (side: "sync" | "async", k: "steps_per_hour" | "final_reward"): Summary => summarize(runs.filter((r) => r.side === side).map((r) => r[k]));
  const perRound = Array.from({ length: o.rounds }, (_, i) => {
    const a = runs.find((r) => r.round === i + 1 && r.side === "async");
    const s = runs.find((r) => r.round === i + 1 && r.side === "sync");
    return a && s ? Number((a.steps_per_hour / s.steps_per_hour).toFixed(3)) : NaN;
  });
  return {
    env: "examples/addition + a 0.1–3 s random sleep per episode",
    steps: o.steps,
    group: o.group,
    tasks_per_step: o.tasksPerStep,
    runs,
    sync: { steps_per_hour: of("sync", "steps_per_hour"), final_reward: of("sync", "final_reward") },
    async: { steps_per_hour: of("async", "steps_per_hour"), final_reward: of("async", "final_reward") },
    ratio_per_round: perRound,
    ratio: summarize(perRound),
    load_avg_1m_start: Number(load0.toFixed(2)),
    load_avg_1m_end: Number((os.loadavg()[0] ?? 0).toFixed(2)),
  };
}
