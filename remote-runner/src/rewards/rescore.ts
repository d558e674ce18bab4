import type { AdvantageSource, Estimator, RewardResult, Trajectory } from "@agentrl/protocol";
import { countToolCalls, trajectoryMessages } from "@agentrl/protocol";
import type { EnvDescription } from "../envs/description.js";
import type { LoadedEnvironment } from "../envs/load.js";
import { EpisodeSandbox } from "../rollout/episode-sandbox.js";
import type { SandboxSource } from "../rollout/episode.js";
import type { SandboxSpec } from "../sandbox/types.js";
import type { Store } from "../store/store.js";
import { batchAdvantages, estimatorFor, type AdvantageResult } from "./advantages.js";
import { scoreEpisode } from "./score.js";
import { RewardWorkerPool } from "./worker-pool.js";

export interface RescoreRow {
  id: string;
  taskId: string;
  groupId: string;
  before: number | null;
  after: number | null;
  componentsBefore: Record<string, number>;
  componentsAfter: Record<string, number>;
  advantageBefore: number | null;
  advantageAfter: number | null;
  errors: string[];
  skipped?: string;
}

export interface RescoreReport {
  runId: string;
  envHash: string;
  trajectories: number;
  rescored: number;
  changed: number;
  meanBefore: number | null;
  meanAfter: number | null;
  saved: boolean;
  /** The estimator of the "after" advantages (the one the stored advantages used, else the env's). */
  estimator: Estimator;
  /** Where the "before" advantages came from (estimator, runner or trainer); null when none were stored. */
  advantagesBefore: AdvantageSource | null;
  rows: RescoreRow[];
}

/** The stored advantages' source, when every trajectory that has one agrees (else the first). */
function storedSource(ts: Trajectory[]): AdvantageSource | null {
  return ts.find((t) => t.advantageSource)?.advantageSource ?? null;
}

function mean(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** The final answer as the engine computed it: a stopping tool's output, else the last non-empty assistant text. */
function finalAnswerOf(t: Trajectory): string {
  if (t.stopReason === "tool_stop") {
    const last = t.turns[t.turns.length - 1];
    const o = last?.observations[last.observations.length - 1];
    if (o) return o.content;
  }
  return [...t.turns].reverse().find((x) => x.assistant.content.trim() !== "")?.assistant.content ?? "";
}

/** What scoring stored trajectories needs: the env (its bundle), sandboxes of its image for rewards that touch one. */
export interface StoredScoring {
  env: LoadedEnvironment;
  sandboxes: SandboxSource;
  image: string;
  concurrency?: number;
  /** Label on the sandboxes (the run id). */
  label: string;
}

/**
 * Runs `rewards` over finished trajectories, `concurrency` at a time. Rewards that touch the
 * sandbox get a fresh container of the env's image (the episode's own is gone), created only when
 * a reward asks for it.
 */
export async function scoreStored(trajectories: Trajectory[], rewards: EnvDescription["rewards"], opts: StoredScoring): Promise<Map<string, RewardResult>> {
  const pool = new RewardWorkerPool(opts.env.compiled.bundlePath, Math.max(1, Math.min(opts.concurrency ?? 4, 4)));
  const spec: SandboxSpec = { image: opts.image, labels: { "agentrl.rescore": opts.label }, execTimeoutMs: opts.env.info.stepTimeoutMs };
  const results = new Map<string, RewardResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const t = trajectories[next++];
      if (!t) return;
      const sandbox = new EpisodeSandbox(() => opts.sandboxes.acquire(spec), (sb) => opts.sandboxes.release(sb), opts.env.info.stepTimeoutMs);
      try {
        results.set(
          t.id,
          await scoreEpisode({
            rewards,
            input: { task: t.task as Trajectory["task"] & { id: string }, prompt: t.prompt, turns: t.turns, messages: trajectoryMessages(t), finalAnswer: finalAnswerOf(t), toolCalls: countToolCalls(t), stopReason: t.stopReason },
            sandbox,
            pool,
            host: opts.env.host,
            defaultTimeoutMs: opts.env.info.rewardTimeoutMs,
          }),
        );
      } finally {
        await sandbox.close();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, () => worker()));
  } finally {
    await pool.close();
  }
  return results;
}

/**
 * Re-runs the environment's (possibly changed) rewards over a stored run and recomputes group
 * advantages. Rewards that touch the sandbox get a fresh container of the env's image (the
 * episode's own container is gone), created only when a reward asks for it.
 */
export async function rescoreRun(
  store: Store,
  runId: string,
  opts: { env: LoadedEnvironment; sandboxes: SandboxSource; image: string; save?: boolean; concurrency?: number },
): Promise<RescoreReport> {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no run "${runId}" in the store (${store.home}). Fix: pass a run id that \`agentrl rollout\` printed`);
  const trajectories = [...store.iterateTrajectories(runId)];
  const newRewards = await scoreStored(trajectories.filter((t) => t.status === "finished"), opts.env.def.rewards, { ...opts, label: runId });
  // Advantages are relative to the group (and, for gdpo, the batch): recompute them all with the
  // new totals, with the estimator the stored advantages used.
  const before = storedSource(trajectories);
  const estimator = before?.estimator ?? estimatorFor(opts.env.info.rewardComposition);
  const groups = new Map<string, Trajectory[]>();
  for (const t of trajectories) groups.set(t.groupId, [...(groups.get(t.groupId) ?? []), t]);
  const members = [...groups.values()].map((ts) =>
    ts.map((t) => {
      const r = newRewards.get(t.id) ?? t.reward;
      return { id: t.id, total: r.total, components: r.components, weights: r.weights };
    }),
  );
  const all = batchAdvantages(members, estimator);
  const advAfter = new Map<string, AdvantageResult>(all.flat().map((a) => [a.id, a]));
  const byGroup = new Map<string, AdvantageResult[]>([...groups.keys()].map((g, i) => [g, all[i] ?? []]));
  const rows: RescoreRow[] = trajectories.map((t) => {
    const r = newRewards.get(t.id);
    const a = advAfter.get(t.id);
    return {
      id: t.id,
      taskId: t.taskId,
      groupId: t.groupId,
      before: t.reward.total,
      after: r ? r.total : t.reward.total,
      componentsBefore: t.reward.components,
      componentsAfter: r ? r.components : t.reward.components,
      advantageBefore: t.advantage,
      advantageAfter: a?.advantage ?? null,
      errors: (r?.errors ?? []).map((e) => `${e.reward} ${e.kind}: ${e.message}`),
      ...(r ? {} : { skipped: `status ${t.status}` }),
    };
  });
  if (opts.save) {
    for (const t of trajectories) {
      const r = newRewards.get(t.id);
      if (r) store.putTrajectory({ ...t, reward: r, provenance: { ...t.provenance } });
    }
    for (const [groupId, res] of byGroup) store.setGroupAdvantages(runId, groupId, res, { estimator, by: "runner" });
    store.appendEvent(runId, "log", { level: "info", message: `rescored ${newRewards.size} trajectories with env ${opts.env.envHash.slice(0, 12)}` });
  }
  return {
    runId,
    envHash: opts.env.envHash,
    trajectories: trajectories.length,
    rescored: newRewards.size,
    changed: rows.filter((r) => r.before !== r.after).length,
    meanBefore: mean(rows.map((r) => r.before)),
    meanAfter: mean(rows.map((r) => r.after)),
    saved: Boolean(opts.save),
    estimator,
    advantagesBefore: before,
    rows,
  };
}
