/**
 * `agentrl bench rollout`: rollout throughput of the calculator example with its scripted reference
 * policy at several concurrency levels (tools run in real Docker sandboxes), the engine's own
 * overhead per step (turn time minus policy and sandbox time), the engine alone (a `run` tool in the env host,
 * no Docker), and store write throughput.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunConfig, Trajectory } from "@agentrl/protocol";
import { loadEnvironment } from "../remote-runner/src/envs/load.js";
import { startRun } from "../remote-runner/src/rollout/engine.js";
import { runLocally } from "../remote-runner/src/rollout/local.js";
import { resolveEnvImage } from "../remote-runner/src/rollout/image.js";
import { openStore, type Store } from "../remote-runner/src/store/store.js";
import { summarize, type Summary } from "./stats.js";

export interface RolloutLevel {
  concurrency: number;
  episodes: number;
  steps: number;
  errors: number;
  /** Tool calls that came back as errors (timeouts, invalid arguments): the agent's view, not run errors. */
  observation_errors: number;
  mean_reward: number | null;
  wall_s: number;
  episodes_per_s: number;
  steps_per_s: number;
  /** Turn time minus policy latency minus time inside the sandbox (validation, dispatch, events, store). */
  engine_overhead_per_step_ms: Summary;
  sandbox_ms_per_step: Summary;
  sandbox_acquire_ms: Summary;
  reward_ms: Summary;
}

export interface RolloutBenchResult {
  env: string;
  levels: RolloutLevel[];
  /** A `run` tool, no sandbox: the engine's own ceiling (policy, tools and rewards in bundle processes, store, events). */
  engine_only: RolloutLevel & { cpu_ms_per_episode: number };
  store: { trajectories: number; writes_per_s: number; writes_per_s_median: number; writes_per_cpu_s: number; bytes_per_trajectory: number; target_writes_per_s: number; ok: boolean };
  machine: { cpus: number; node: string; load_avg_1m: number };
}

/** examples/calculator of this checkout: looked up from the working folder and from the CLI's own location. */
function calculatorDir(): string {
  const starts = [process.cwd(), path.dirname(process.argv[1] ?? process.cwd())];
  for (const start of starts) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "examples", "calculator");
      if (fs.existsSync(path.join(candidate, "env.ts"))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error("examples/calculator not found. Fix: run the bench from the AgentRL Studio checkout");
}

function level(store: Store, runId: string, concurrency: number, wallMs: number): RolloutLevel {
  const trajectories = [...store.iterateTrajectories(runId)];
  const overhead: number[] = [];
  const sandboxPerStep: number[] = [];
  for (const t of trajectories) {
    for (const turn of t.turns) {
      const sandboxMs = turn.observations.reduce((s, o) => s + (o.sandboxMs ?? 0), 0);
      overhead.push(Math.max(0, turn.durationMs - turn.policy.latencyMs - sandboxMs));
      if (turn.observations.length) sandboxPerStep.push(sandboxMs);
    }
  }
  const steps = trajectories.reduce((s, t) => s + t.turns.length, 0);
  const observationErrors = trajectories.reduce((s, t) => s + t.turns.reduce((n, turn) => n + turn.observations.filter((o) => o.error).length, 0), 0);
  const rewards = trajectories.map((t) => t.reward.total).filter((x): x is number => x !== null);
  return {
    concurrency,
    episodes: trajectories.length,
    steps,
    errors: trajectories.filter((t) => t.error || t.reward.errors.length).length,
    observation_errors: observationErrors,
    mean_reward: rewards.length ? Math.round((rewards.reduce((a, b) => a + b, 0) / rewards.length) * 1000) / 1000 : null,
    wall_s: Math.round(wallMs) / 1000,
    episodes_per_s: Math.round((trajectories.length / (wallMs / 1000)) * 100) / 100,
    steps_per_s: Math.round((steps / (wallMs / 1000)) * 100) / 100,
    engine_overhead_per_step_ms: summarize(overhead),
    sandbox_ms_per_step: summarize(sandboxPerStep),
    sandbox_acquire_ms: summarize(trajectories.map((t) => t.timings.sandboxAcquireMs)),
    reward_ms: summarize(trajectories.map((t) => t.timings.rewardMs)),
  };
}

/** An environment whose tool is a `run` function (in the env host's process): measures the engine without Docker in the way. */
function engineOnlyEnv(dir: string, tasks: number): string {
  fs.writeFileSync(
    path.join(dir, "env.ts"),
    `import { defineEnvironment, defineTool, exactMatch } from "@agentrl/sdk";
const add = defineTool<{ a: number; b: number }>({ name: "add", description: "add two numbers", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] }, run: ({ a, b }) => String(a + b) });
export default defineEnvironment({ name: "engine-only", tools: [add], maxTurns: 3, rewards: [exactMatch({ name: "correct" })] });
`,
  );
  const lines: string[] = [];
  const script: string[] = [];
  for (let i = 0; i < tasks; i++) {
    lines.push(JSON.stringify({ id: `t${i}`, prompt: `add ${i} and ${i + 1}`, answer: String(2 * i + 1) }));
    script.push(JSON.stringify({ task_id: `t${i}`, turns: [{ tool_calls: [{ name: "add", arguments: { a: i, b: i + 1 } }] }, { content: `<answer>${2 * i + 1}</answer>` }] }));
  }
  fs.writeFileSync(path.join(dir, "tasks.jsonl"), lines.join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "reference.jsonl"), script.join("\n") + "\n");
  return dir;
}

export function sampleTrajectory(i: number): Trajectory {
  const expr = `${i} * 17 + 3`;
  return {
    id: `bench:${i}:0`,
    runId: "bench",
    taskId: `calc-${i}`,
    taskIndex: i,
    groupId: `bench:${i}`,
    sampleIndex: 0,
    status: "finished",
    stopReason: "final_answer",
    task: { id: `calc-${i}`, prompt: `What is ${expr}? Use the calculate tool, then give the final number inside <answer></answer> tags.`, answer: String(i * 17 + 3), metadata: { expression: expr, optimalToolCalls: 1 } },
    prompt: [
      { role: "system", content: "You are a careful assistant that solves arithmetic questions. Call the calculate tool with the expression, then reply with only the final number inside <answer></answer> tags." },
      { role: "user", content: `What is ${expr}? Use the calculate tool, then give the final number inside <answer></answer> tags.` },
    ],
    tools: [{ name: "calculate", description: "Evaluate an arithmetic expression", parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] } }],
    turns: [
      {
        index: 0,
        startedAt: Date.now(),
        durationMs: 12.5,
        assistant: { role: "assistant", content: "", toolCallSource: "native", toolCalls: [{ id: "call_0_0", name: "calculate", arguments: { expression: expr }, rawArguments: JSON.stringify({ expression: expr }) }] },
        policy: { model: "m", finishReason: "tool_calls", latencyMs: 3, promptTokenIds: Array.from({ length: 120 }, (_, k) => k), completionTokenIds: Array.from({ length: 20 }, (_, k) => k), completionLogprobs: Array.from({ length: 20 }, () => -0.1) },
        observations: [{ toolCallId: "call_0_0", tool: "calculate", content: String(i * 17 + 3), exitCode: 0, durationMs: 8, sandboxMs: 7 }],
      },
      {
        index: 1,
        startedAt: Date.now(),
        durationMs: 2,
        assistant: { role: "assistant", content: `The result is <answer>${i * 17 + 3}</answer>`, toolCallSource: "native" },
        policy: { model: "m", finishReason: "stop", latencyMs: 2 },
        observations: [],
      },
    ],
    reward: { total: 1, components: { correct: 1, tool_efficiency: 1, format: 1 }, weights: { correct: 0.7, tool_efficiency: 0.2, format: 0.1 }, errors: [], durationMs: 3 },
    advantage: null,
    infraRetries: 0,
    infraErrors: [],
    provenance: { envName: "calculator", envHash: "a".repeat(64), codeHash: "b".repeat(64), protocolVersion: "1.0" },
    startedAt: Date.now(),
    finishedAt: Date.now(),
    timings: { totalMs: 20, policyMs: 5, sandboxMs: 7, toolMs: 8, rewardMs: 3, sandboxAcquireMs: 1 },
  };
}

export async function runRolloutBench(opts: { concurrency?: number[]; episodes?: number; storeWrites?: number; log?: (l: string) => void } = {}): Promise<RolloutBenchResult> {
  const log = opts.log ?? (() => {});
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-rollout-"));
  const store = openStore(home);
  try {
    const env = await loadEnvironment(calculatorDir());
    const image = await resolveEnvImage(env, log);
    const levels: RolloutLevel[] = [];
    for (const c of opts.concurrency ?? [1, 4, 16, 32]) {
      // Enough episodes that the level runs in steady state for a while: at least 4 rounds of C.
      const episodes = Math.max(opts.episodes ?? 48, 4 * c);
      const group = 4;
      const tasks = Math.ceil(episodes / group);
      if (tasks > env.tasks.length) throw new Error(`the calculator has ${env.tasks.length} tasks; ${tasks} needed`);
      const config: RunConfig = { envDir: env.dir, policy: { spec: `scripted:${path.join(env.dir, "reference.jsonl")}` }, tasks, group, concurrency: c, kind: "rollout", name: `bench c=${c}` };
      log(`concurrency ${c}: ${tasks * group} episodes…`);
      const { runId, wallMs } = await runLocally(store, env, config, { image });
      const l = level(store, runId, c, wallMs);
      log(`  ${l.episodes_per_s} episodes/s, ${l.steps_per_s} steps/s, engine overhead p50 ${l.engine_overhead_per_step_ms.p50} ms/step, errors ${l.errors}`);
      levels.push(l);
    }
    const eoDir = engineOnlyEnv(fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-engine-")), 400);
    const eoEnv = await loadEnvironment(eoDir, { git: false });
    const eoConfig: RunConfig = { envDir: eoDir, policy: { spec: `scripted:${path.join(eoDir, "reference.jsonl")}` }, group: 4, concurrency: 32, kind: "rollout", name: "bench engine-only" };
    log("engine only (run tool in the env host, no sandbox): 1600 episodes at concurrency 32…");
    // No Docker at all: a sandbox source that fails if the env ever asks for a container.
    const noSandbox = { acquire: () => Promise.reject(new Error("the engine-only env must not use a sandbox")), release: async () => {} };
    const eoCpu0 = process.cpuUsage();
    const eoStart = performance.now();
    const eoHandle = startRun(store, eoConfig, { sandboxes: noSandbox, env: eoEnv, image: "none" });
    await eoHandle.done;
    const eoWall = performance.now() - eoStart;
    const eoCpu = process.cpuUsage(eoCpu0);
    const engineOnly = { ...level(store, eoHandle.runId, 32, eoWall), cpu_ms_per_episode: Math.round(((eoCpu.user + eoCpu.system) / 1000 / 1600) * 100) / 100 };
    log(`  ${engineOnly.episodes_per_s} episodes/s, ${engineOnly.steps_per_s} steps/s, ${engineOnly.cpu_ms_per_episode} ms CPU per episode`);

    // Three passes of n single-transaction writes into a fresh store each; best and median reported,
    // because on a shared machine the wall figure mostly measures the neighbours.
    const n = opts.storeWrites ?? 5000;
    const sample = Array.from({ length: n }, (_, i) => sampleTrajectory(i));
    const passes: { perS: number; perCpuS: number }[] = [];
    for (let pass = 0; pass < 3; pass++) {
      const writeStore = openStore(fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-bench-store-")));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (const t of sample) writeStore.putTrajectory(t);
      const writeMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      writeStore.close();
      passes.push({ perS: Math.round(n / (writeMs / 1000)), perCpuS: Math.round(n / ((cpu.user + cpu.system) / 1e6)) });
    }
    const sorted = [...passes].sort((a, b) => b.perS - a.perS);
    const writesPerS = sorted[0]?.perS ?? 0;
    const medianPerS = sorted[1]?.perS ?? 0;
    const writesPerCpuS = Math.max(...passes.map((p) => p.perCpuS));
    log(`store: best ${writesPerS}, median ${medianPerS} trajectories/s wall; ${writesPerCpuS} per CPU-second (one transaction each)`);
    return {
      env: "examples/calculator",
      levels,
      engine_only: engineOnly,
      store: { trajectories: n, writes_per_s: writesPerS, writes_per_s_median: medianPerS, writes_per_cpu_s: writesPerCpuS, bytes_per_trajectory: JSON.stringify(sample[0]).length, target_writes_per_s: 2000, ok: writesPerS >= 2000 },
      machine: { cpus: os.cpus().length, node: process.version, load_avg_1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10 },
    };
  } finally {
    store.close();
  }
}
