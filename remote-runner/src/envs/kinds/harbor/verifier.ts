import type { RewardResult } from "@agentrl/protocol";
import type { Sandbox, SandboxProvider, SandboxSpec } from "../../../sandbox/types.js";
import { KindTaskError } from "../types.js";
import { readFolder, type HarborTask } from "./task-folder.js";

/** What the verifier did, stored as the trajectory's `verifier_report` artifact. */
export interface VerifierReport {
  task: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
  /** Which file the reward came from. */
  rewardFile: "reward.txt" | "reward.json" | null;
  rewards: Record<string, number>;
  notes: string[];
}

const TAIL = 4000;

/**
 * Reads the reward as Harbor defines it: /logs/verifier/reward.txt (one number) first, else
 * reward.json (an object of numbers; "reward" is the total, the other keys are logged components;
 * a single key is the total). Non-binary values are kept as they are.
 */
export function parseReward(txt: string | null, json: string | null, taskId: string): { file: "reward.txt" | "reward.json"; rewards: Record<string, number>; total: number } {
  if (txt !== null) {
    const v = Number(txt.trim());
    if (txt.trim() === "" || !Number.isFinite(v)) throw new KindTaskError(`task "${taskId}": /logs/verifier/reward.txt holds ${JSON.stringify(txt.trim().slice(0, 100))}, not a number. Fix: make tests/test.sh write one number, e.g. echo 1 > /logs/verifier/reward.txt`);
    return { file: "reward.txt", rewards: { reward: v }, total: v };
  }
  if (json !== null) {
    let doc: unknown;
    try {
      doc = JSON.parse(json);
    } catch (err) {
      throw new KindTaskError(`task "${taskId}": /logs/verifier/reward.json is not valid JSON (${(err as Error).message}). Fix: write an object of numbers, e.g. {"reward": 0.5}`);
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new KindTaskError(`task "${taskId}": /logs/verifier/reward.json must be an object of numbers. Fix: write e.g. {"reward": 0.5, "tests_passed": 3}`);
    const rewards: Record<string, number> = {};
    for (const [k, v] of Object.entries(doc)) if (typeof v === "number" && Number.isFinite(v)) rewards[k] = v;
    const keys = Object.keys(rewards);
    const total = rewards.reward ?? (keys.length === 1 ? rewards[keys[0] as string] : undefined);
    if (total === undefined) throw new KindTaskError(`task "${taskId}": /logs/verifier/reward.json has ${keys.length ? `the numbers ${keys.join(", ")} but no "reward"` : "no numbers"}. Fix: add "reward": <the total>`);
    return { file: "reward.json", rewards, total };
  }
  throw new KindTaskError(`task "${taskId}": tests/test.sh wrote no reward (neither /logs/verifier/reward.txt nor reward.json). Fix: make test.sh write the reward on every path, e.g. 0 when a test fails`);
}

async function readOptional(sb: Sandbox, file: string): Promise<string | null> {
  const r = await sb.exec({ cmd: ["cat", file], timeoutMs: 10_000, maxOutputBytes: 1 << 20 });
  return r.exitCode === 0 ? r.stdout : null;
}

/**
 * Runs the task's tests where the model cannot reach: a fresh container from the episode's final
 * filesystem (its processes are gone), with /tests and /logs/verifier emptied of anything the agent
 * left there, then the task's tests/ uploaded and tests/test.sh run with the verifier time limit,
 * a clean HOME and no user site-packages.
 */
export async function runVerifier(opts: {
  task: HarborTask;
  provider: SandboxProvider;
  snapshot: Parameters<SandboxProvider["fromSnapshot"]>[0];
  spec: Omit<SandboxSpec, "image">;
  workdir: string;
  notes: string[];
}): Promise<{ reward: RewardResult; report: VerifierReport }> {
  const { task, workdir } = opts;
  const t0 = performance.now();
  const timeoutMs = task.config.verifierTimeoutSec * 1000;
  const sb = await opts.provider.fromSnapshot(opts.snapshot, { ...opts.spec, workdir, execTimeoutMs: timeoutMs + 30_000 });
  try {
    const reset = await sb.exec({ cmd: ["bash", "-c", "chmod -R u+rwX /tests /logs 2>/dev/null; find /tests -mindepth 1 -delete && rm -rf /logs/verifier && mkdir -p /logs/verifier /tmp/agentrl-verifier-home"], timeoutMs: 60_000 });
    if (reset.exitCode !== 0) throw new KindTaskError(`task "${task.id}": could not prepare /tests and /logs/verifier for the tests: ${reset.stderr.trim().slice(-300)}`);
    const tests = readFolder(`${task.dir}/tests`);
    await sb.writeDir("/tests", tests);
    const env = { ...task.config.verifierEnv, HOME: "/tmp/agentrl-verifier-home", PYTHONNOUSERSITE: "1" };
    const r = await sb.exec({ cmd: ["bash", "--noprofile", "--norc", "/tests/test.sh"], cwd: workdir, env, timeoutMs, maxOutputBytes: 1 << 20 });
    const report: VerifierReport = {
      task: task.id,
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      stdoutTail: r.stdout.slice(-TAIL),
      stderrTail: r.stderr.slice(-TAIL),
      rewardFile: null,
      rewards: {},
      notes: opts.notes,
    };
    if (r.timedOut) throw new KindTaskError(`task "${task.id}": tests/test.sh did not finish within [verifier] timeout_sec = ${task.config.verifierTimeoutSec} s. Fix: raise timeout_sec in task.toml or make the tests faster`, true);
    let parsed;
    try {
      parsed = parseReward(await readOptional(sb, "/logs/verifier/reward.txt"), await readOptional(sb, "/logs/verifier/reward.json"), task.id);
    } catch (err) {
      if (err instanceof KindTaskError) err.message += ` (test.sh exited ${r.exitCode}; its output ends: ${(r.stderr || r.stdout).trim().slice(-300)})`;
      throw err;
    }
    report.rewardFile = parsed.file;
    report.rewards = parsed.rewards;
    const components: Record<string, number> = {};
    const weights: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed.rewards)) {
      const name = k === "reward" ? "harbor" : `harbor:${k}`;
      components[name] = v;
      weights[name] = 0;
    }
    // The total is Harbor's reward; the other numbers of reward.json are logged (weight 0).
    components.harbor = parsed.total;
    weights.harbor = 1;
    return { reward: { total: parsed.total, components, weights, errors: [], durationMs: performance.now() - t0 }, report };
  } finally {
    await sb.destroy().catch(() => {});
  }
}
