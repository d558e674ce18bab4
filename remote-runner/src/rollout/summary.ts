import type { RunSummary } from "@agentrl/protocol";
import type { Store } from "../store/store.js";

function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

/** Figures of a run from its stored trajectories; rates use `wallMs` and `episodesThisCall` (the work done by this process). */
export function summarizeRun(store: Store, runId: string, opts: { episodes: number; wallMs: number; episodesThisCall: number; turnsThisCall: number }): RunSummary {
  const rows = store.runRows(runId);
  const rewards = rows.map((r) => r.reward).filter((r): r is number => r !== null);
  const componentSums = new Map<string, { sum: number; n: number }>();
  for (const r of rows) {
    if (r.reward === null) continue;
    for (const [k, v] of Object.entries(r.components)) {
      const c = componentSums.get(k) ?? { sum: 0, n: 0 };
      c.sum += v;
      c.n++;
      componentSums.set(k, c);
    }
  }
  const groups = new Map<string, number[]>();
  for (const r of rows) if (r.reward !== null) groups.set(r.groupId, [...(groups.get(r.groupId) ?? []), r.reward]);
  let zeroVar = 0;
  for (const xs of groups.values()) if (xs.length >= 2 && std(xs) < 1e-6) zeroVar++;
  const secs = Math.max(opts.wallMs, 1) / 1000;
  return {
    episodes: opts.episodes,
    trajectories: rows.length,
    errors: rows.filter((r) => r.error !== null).length,
    agentErrors: rows.filter((r) => r.status === "agent_error").length,
    envErrors: rows.filter((r) => r.status === "env_error").length,
    infraErrors: rows.filter((r) => r.status === "infra_error").length,
    rewardErrors: rows.filter((r) => r.rewardErrors > 0).length,
    infraRetries: rows.reduce((s, r) => s + r.infraRetries, 0),
    meanReward: rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null,
    componentMeans: Object.fromEntries([...componentSums].map(([k, c]) => [k, c.sum / c.n])),
    zeroVarianceGroups: zeroVar,
    groups: groups.size,
    meanTurns: rows.length ? rows.reduce((s, r) => s + r.turns, 0) / rows.length : 0,
    meanToolCalls: rows.length ? rows.reduce((s, r) => s + r.toolCalls, 0) / rows.length : 0,
    durationMs: opts.wallMs,
    episodesPerS: opts.episodesThisCall / secs,
    stepsPerS: opts.turnsThisCall / secs,
  };
}
