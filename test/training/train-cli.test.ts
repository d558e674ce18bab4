// `agentrl train` end to end with a tiny random model (mechanics, not quality): the real trainer
// process, rollouts through the engine, updates on the sampled tokens, metrics in the store,
// a checkpoint, and a resume that continues the step count.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../remote-runner/src/store/store.js";
import { makeTinyModel } from "../helpers/tiny-model.js";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "../..");
const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-train-home-"));
const MODEL = path.join(HOME, "tiny-llama");

async function train(args: string[]): Promise<{ steps: number; reward_first: number; reward_last: number; tokens_per_s: number; checkpoint: string; run_id: string; status: string }> {
  const r = await run(process.execPath, ["--import", "tsx", path.join(ROOT, "remote-runner/src/cli/main.ts"), "train", path.join(ROOT, "examples/addition"), "--model", MODEL, "--lora-rank", "4", "--max-tokens", "8", "--group", "4", "--tasks-per-step", "2", "--concurrency", "8", "--json", ...args], {
    cwd: ROOT,
    env: { ...process.env, AGENTRL_HOME: HOME },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(r.stdout.trim().split("\n").pop() as string);
}

/**
 * Every turn of every trajectory of a step's rollout run carries the trainer's logprob of each token
 * it sampled; the trainer is the sampler here, so they read the sampled ones back; a
 * `trajectory.logprobs` event on the rollout run names them.
 */
function expectTrainerLogprobs(store: Store, rolloutRunId: string): void {
  const rows = store.runRows(rolloutRunId);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    for (const turn of store.getTrajectory(row.id)?.turns ?? []) {
      const { completionLogprobs: sampled = [], trainerLogprobs: trainer = [] } = turn.policy;
      expect(trainer.length).toBe(turn.policy.completionTokenIds?.length);
      trainer.forEach((lp, i) => expect(Math.abs(lp - (sampled[i] as number))).toBeLessThan(1e-3));
    }
  }
  const events = store.eventsAfter(0, { runId: rolloutRunId, limit: 10_000 }).flatMap((e) => (e.type === "trajectory.logprobs" ? [e.data] : []));
  expect(events).toHaveLength(1);
  expect(new Set(events[0]?.trajectoryIds)).toEqual(new Set(rows.map((r) => r.id)));
}

beforeAll(() => {
  makeTinyModel(MODEL);
});

afterAll(() => fs.rmSync(HOME, { recursive: true, force: true }));

describe("agentrl train", () => {
  it("names a bad estimator or trainer option and the fix, before any trainer starts", async () => {
    for (const [args, re] of [
      [["--algo", "ppo"], /estimator must be one of \["grpo","rloo","drgrpo","gdpo"\]\. Fix: --algo takes/],
      [["--trainer-options", '{"lrr": 1}'], /trainer options\.lrr is not a known field/],
      [["--trainer-options", "{micro"], /--trainer-options is not valid JSON/],
      [["--failed-reward", "zero"], /--failed-reward zero is not a number\. Fix: pass a number such as 0, or 'skip'/],
      [["--loss-agg", "mean"], /loss_agg must be one of \["auto","token","sequence","constant"\]/],
      [["--nproc", "0"], /--nproc must be a whole number ≥ 1, got "0"\. Fix: pass --nproc 1, 2/],
      // On CPU a trainer process is one core: more processes than cores are refused with the count.
      [["--nproc", "1000"], /--nproc 1000 is more than the \d+ (CPU cores \(on CPU each trainer process takes one core\)|CUDA GPUs) of this machine\. Fix: pass --nproc \d+ or fewer/],
      [["--nnodes", "2"], /needs the rendezvous address\. Fix: pass --rdzv-endpoint HOST:PORT/],
      [["--max-staleness", "-1"], /--max-staleness must be a whole number ≥ 0, got "-1"/],
      [["--max-staleness", "17"], /--max-staleness must be <= 16/],
    ] as const) {
      const err = await train([...args, "--steps", "1"]).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toMatch(re);
      expect(err?.stderr).not.toMatch(/trainer ready/);
    }
  });

  it("trains, records per-step metrics under the training run, checkpoints, and resumes where it stopped", async () => {
    const first = await train(["--steps", "2", "--lr", "0.05", "--keep-zero-variance"]);
    expect(first.steps).toBe(2);
    for (const k of ["reward_first", "reward_last", "tokens_per_s"] as const) expect(Number.isFinite(first[k])).toBe(true);
    expect(fs.readdirSync(first.checkpoint)).toEqual(expect.arrayContaining(["adapter", "dcp", "trainer_state.json"]));
    expect(fs.readdirSync(path.join(first.checkpoint, "adapter"))).toEqual(expect.arrayContaining(["adapter_model.safetensors", "adapter_config.json"]));

    const store = openStore(HOME);
    try {
      const trainRun = store.getRun(first.run_id);
      expect(trainRun?.config.kind).toBe("train");
      expect(trainRun?.status).toBe("finished");
      const series = store.metricSeries(first.run_id);
      expect(series.map((p) => p.step)).toEqual([1, 2]);
      for (const p of series) {
        expect(p.values.logprob_drift_max).toBeLessThan(1e-3);
        expect(p.values).toHaveProperty("loss");
        expect(p.values).toHaveProperty("kl");
        expect(p.values).toHaveProperty("entropy");
        expect(p.values).toHaveProperty("reward");
      }
      // Each step's rollouts are a run whose trajectories carry the sampled token ids.
      const rollouts = store.listRuns().filter((r) => r.config.name?.startsWith(`${first.run_id} step`));
      expect(rollouts).toHaveLength(2);
      const row = store.runRows(rollouts[0]?.id as string)[0];
      const t = store.getTrajectory(row?.id as string);
      expect(t?.turns[0]?.policy.completionTokenIds?.length).toBeGreaterThan(0);
      expect(t?.turns[0]?.policy.completionLogprobs?.length).toBe(t?.turns[0]?.policy.completionTokenIds?.length);
      // ...and, once the step trained on them, the trainer's logprob of each of those tokens.
      for (const r of rollouts) expectTrainerLogprobs(store, r.id);
    } finally {
      store.close();
    }

    // Synchronous (the default): step 2's rollouts start after step 1's update is recorded.
    expect(firstEventSeq(rolloutOf(first.run_id, 2))).toBeGreaterThan(metricsEventSeq(first.run_id, 1));

    // The checkpoint keeps its trainer options (zero-variance groups kept); this step drops them again,
    // so the tiny model's all-zero rewards skip its update.
    const resumed = await train(["--steps", "1", "--resume", first.checkpoint, "--trainer-options", '{"drop_zero_variance": true}']);
    expect(resumed.steps).toBe(1);
    const store2 = openStore(HOME);
    try {
      const series = store2.metricSeries(resumed.run_id);
      expect(series.map((p) => p.step)).toEqual([3]);
      // Drift is measured on every step, also one whose update is skipped (zero-variance groups dropped).
      expect(series[0]?.values.logprob_drift_max).toBeLessThan(1e-3);
      // a step with no group of varied rewards takes no update, and says so
      const v = series[0]?.values ?? {};
      expect(v.updated).toBe(v.zero_variance_groups === v.groups ? 0 : 1);
      const [rollout] = store2.listRuns().filter((r) => r.config.name?.startsWith(`${resumed.run_id} step`));
      expectTrainerLogprobs(store2, rollout?.id as string);
    } finally {
      store2.close();
    }
  });

  it("trains with --nproc 2: two trainer processes under torchrun (FSDP2, gloo on CPU), each writing its shard of the checkpoint", async () => {
    const r = await train(["--nproc", "2", "--steps", "2", "--lr", "0.05", "--keep-zero-variance"]);
    expect(r.steps).toBe(2);
    expect(r.status).toBe("finished");
    expect(fs.readdirSync(path.join(r.checkpoint, "dcp")).filter((f) => f.endsWith(".distcp"))).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(path.join(r.checkpoint, "trainer_state.json"), "utf8"))).toMatchObject({ step: 2, world_size: 2 });
    const store = openStore(HOME);
    try {
      const series = store.metricSeries(r.run_id);
      expect(series.map((p) => p.step)).toEqual([1, 2]);
      for (const p of series) expect(Number.isFinite(p.values.loss)).toBe(true);
    } finally {
      store.close();
    }
  }, 300_000);

  it("rolls out ahead under --max-staleness 1: step 2's rollouts start before step 1's update ends, staleness stays within the bound", async () => {
    const r = await train(["--steps", "3", "--lr", "0.05", "--keep-zero-variance", "--max-staleness", "1"]);
    expect(r.steps).toBe(3);
    // Ordered by the durable log's global seq, not by clocks: the overlap is a fact of the loop.
    expect(firstEventSeq(rolloutOf(r.run_id, 2))).toBeLessThan(metricsEventSeq(r.run_id, 1));
    expect(firstEventSeq(rolloutOf(r.run_id, 3))).toBeLessThan(metricsEventSeq(r.run_id, 2));
    const store = openStore(HOME);
    try {
      const series = store.metricSeries(r.run_id);
      expect(series.map((p) => p.step)).toEqual([1, 2, 3]);
      for (const p of series) {
        expect(p.values.max_staleness).toBe(1);
        expect(p.values.staleness_max).toBeLessThanOrEqual(1);
        expect(p.values.stale_trajectories_dropped).toBe(0);
        for (const k of ["trainer_idle_share", "rollout_idle_share"]) expect(p.values[k]).toBeGreaterThanOrEqual(0);
      }
      // Step 2 was launched on the policy before update 1: its turns record that (or a newer) version.
      const versions = store.runRows(rolloutOf(r.run_id, 2)).flatMap((row) => store.getTrajectory(row.id)?.turns.map((t) => t.policyVersion) ?? []);
      expect(versions.length).toBeGreaterThan(0);
      for (const v of versions) expect([0, 1]).toContain(v);
    } finally {
      store.close();
    }
  });
});

function withStore<T>(fn: (store: ReturnType<typeof openStore>) => T): T {
  const store = openStore(HOME);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** The rollout run of a training run's step. */
function rolloutOf(trainRunId: string, step: number): string {
  const run = withStore((s) => s.listRuns().find((x) => x.config.name === `${trainRunId} step ${step}`));
  if (!run) throw new Error(`no rollout run for step ${step} of ${trainRunId}`);
  return run.id;
}

function firstEventSeq(runId: string): number {
  return withStore((s) => s.eventsAfter(0, { runId, limit: 1 })[0]?.seq ?? Infinity);
}

function metricsEventSeq(runId: string, step: number): number {
  const e = withStore((s) => s.eventsAfter(0, { runId, limit: 100_000 }).find((x) => x.type === "run.metrics" && x.data.step === step));
  if (!e) throw new Error(`no run.metrics event for step ${step}`);
  return e.seq;
}
