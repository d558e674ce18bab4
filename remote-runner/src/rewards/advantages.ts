import type { Estimator, RewardComposition } from "@agentrl/protocol";

/**
 * The runner's copy of the trainer's advantage estimators (remote-runner/trainer/agentrl_trainer/
 * advantages.py is the reference). Both are checked against protocol/golden/advantages.json, so the
 * numbers the inspector and `agentrl rescore` show are the numbers the trainer would use.
 */

export interface GroupMember {
  id: string;
  total: number | null;
  components: Record<string, number>;
  weights: Record<string, number>;
}

export interface AdvantageResult {
  id: string;
  advantage: number | null;
  /** Each component normalized within the group (what GDPO sums); shown per component in the inspector. */
  componentAdvantages: Record<string, number>;
}

export const ESTIMATORS: readonly Estimator[] = ["grpo", "rloo", "drgrpo", "gdpo"];
const EPS = 1e-6;
const TOL = 1e-9;
/** The largest reward magnitude accepted (the trainer's MAX_ABS_REWARD; both pinned by the golden file). */
export const MAX_ABS_REWARD = 1e9;

/** The estimator a rollout run's advantages follow when no training run chose one. */
export function estimatorFor(composition: RewardComposition): Estimator {
  return composition === "gdpo" ? "gdpo" : "grpo";
}

export function isEstimator(name: string): name is Estimator {
  return (ESTIMATORS as readonly string[]).includes(name);
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample (n - 1) standard deviation, as the trainer and TRL use; 0 for one sample. */
function sampleStd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

function flat(xs: number[]): boolean {
  return xs.length < 2 || Math.max(...xs) - Math.min(...xs) <= TOL;
}

function componentNames(members: GroupMember[]): string[] {
  return [...new Set(members.flatMap((m) => Object.keys(m.components)))].sort();
}

/** Each component normalized within the group; a component that does not vary gives 0. */
function componentAdvantages(scored: GroupMember[]): Record<string, number>[] {
  const out = scored.map(() => ({}) as Record<string, number>);
  for (const name of componentNames(scored)) {
    const xs = scored.map((m) => m.components[name] ?? 0);
    const [m, s, zero] = [mean(xs), sampleStd(xs), flat(xs)];
    xs.forEach((x, i) => ((out[i] as Record<string, number>)[name] = zero ? 0 : (x - m) / (s + EPS)));
  }
  return out;
}

/** A group's advantages before any batch-level step (gdpo: the weighted sum of normalized components). */
function groupStage(scored: GroupMember[], estimator: Estimator, comps: Record<string, number>[]): { values: number[]; zeroVariance: boolean } {
  if (estimator === "gdpo") {
    const names = componentNames(scored);
    const zeroVariance = names.every((n) => flat(scored.map((m) => m.components[n] ?? 0)));
    const w = scored[0]?.weights ?? {};
    return { zeroVariance, values: comps.map((c) => names.reduce((s, n) => s + (w[n] ?? 1) * (c[n] ?? 0), 0)) };
  }
  const r = scored.map((m) => m.total as number);
  if (flat(r)) return { zeroVariance: true, values: r.map(() => 0) };
  const m = mean(r);
  if (estimator === "grpo") return { zeroVariance: false, values: r.map((x) => (x - m) / (sampleStd(r) + EPS)) };
  if (estimator === "rloo") return { zeroVariance: false, values: r.map((x) => ((x - m) * r.length) / (r.length - 1)) };
  return { zeroVariance: false, values: r.map((x) => x - m) }; // drgrpo
}

/**
 * Advantages of a batch of groups, as the trainer computes them. grpo: (r - mean) / (std + eps);
 * rloo: r minus the mean of the others; drgrpo: r - mean; gdpo: per group each component normalized,
 * the weighted sum, then that sum normalized over the batch. A group that does not vary gets 0 and is
 * left out of gdpo's batch statistics. Members without a total (reward errors, failed episodes) get
 * null and are left out of their group's statistics.
 */
export function batchAdvantages(groups: GroupMember[][], estimator: Estimator): AdvantageResult[][] {
  const live: { g: number; i: number; v: number }[] = [];
  const results = groups.map((members, g) => {
    const scored = members.filter((m) => m.total !== null);
    const comps = componentAdvantages(scored);
    const stage = scored.length ? groupStage(scored, estimator, comps) : { values: [], zeroVariance: true };
    const byId = new Map(scored.map((m, i) => [m.id, i]));
    return members.map((m): AdvantageResult => {
      const i = byId.get(m.id);
      if (i === undefined) return { id: m.id, advantage: null, componentAdvantages: {} };
      const v = stage.zeroVariance ? 0 : (stage.values[i] as number);
      if (!stage.zeroVariance) live.push({ g, i: members.indexOf(m), v });
      return { id: m.id, advantage: v, componentAdvantages: comps[i] ?? {} };
    });
  });
  if (estimator === "gdpo" && live.length > 1) {
    const xs = live.map((x) => x.v);
    const [m, s] = [mean(xs), sampleStd(xs)];
    for (const x of live) (results[x.g]?.[x.i] as AdvantageResult).advantage = (x.v - m) / (s + EPS);
  }
  return results;
}

/** One group on its own (a batch of one group). */
export function groupAdvantages(members: GroupMember[], estimator: Estimator): AdvantageResult[] {
  return batchAdvantages([members], estimator)[0] ?? [];
}

/** True when every scored member of the group has the same total (a GRPO step learns nothing from it). */
export function isZeroVariance(members: GroupMember[]): boolean {
  const totals = members.filter((m) => m.total !== null).map((m) => m.total as number);
  return totals.length >= 2 && flat(totals);
}
