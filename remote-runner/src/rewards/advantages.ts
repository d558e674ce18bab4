import type { RewardComposition } from "@agentrl/protocol";

export interface GroupMember {
  id: string;
  total: number | null;
  components: Record<string, number>;
  weights: Record<string, number>;
}

export interface AdvantageResult {
  id: string;
  advantage: number | null;
  componentAdvantages: Record<string, number>;
}

const EPS = 1e-6;

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Group-relative advantages for one group (the samples of one task).
 * weighted_sum (GRPO): normalize the composed total within the group.
 * gdpo: normalize each component within the group first, then take the weighted sum of the
 * normalized components (and normalize that sum again), so components with different scales or
 * sparsity do not collapse into the same advantage (GDPO).
 * Members without a total (reward errors, failed episodes) get null and are left out of the statistics.
 */
export function groupAdvantages(members: GroupMember[], mode: RewardComposition): AdvantageResult[] {
  const scored = members.filter((m) => m.total !== null);
  const out = new Map<string, AdvantageResult>(members.map((m) => [m.id, { id: m.id, advantage: null, componentAdvantages: {} }]));
  if (scored.length === 0) return [...out.values()];
  const names = [...new Set(scored.flatMap((m) => Object.keys(m.components)))].sort();
  const compAdv = new Map<string, Record<string, number>>(scored.map((m) => [m.id, {}]));
  for (const name of names) {
    const xs = scored.map((m) => m.components[name] ?? 0);
    const { mean, std } = meanStd(xs);
    scored.forEach((m, i) => {
      (compAdv.get(m.id) as Record<string, number>)[name] = std < EPS ? 0 : ((xs[i] as number) - mean) / (std + EPS);
    });
  }
  let adv: number[];
  if (mode === "gdpo") {
    const sums = scored.map((m) => names.reduce((s, n) => s + (compAdv.get(m.id)?.[n] ?? 0) * (m.weights[n] ?? 0), 0));
    const { mean, std } = meanStd(sums);
    adv = sums.map((s) => (std < EPS ? 0 : (s - mean) / (std + EPS)));
  } else {
    const totals = scored.map((m) => m.total as number);
    const { mean, std } = meanStd(totals);
    adv = totals.map((t) => (std < EPS ? 0 : (t - mean) / (std + EPS)));
  }
  scored.forEach((m, i) => out.set(m.id, { id: m.id, advantage: adv[i] as number, componentAdvantages: compAdv.get(m.id) ?? {} }));
  return [...out.values()];
}

/** True when every scored member of the group has the same total (a GRPO step learns nothing from it). */
export function isZeroVariance(members: GroupMember[]): boolean {
  const totals = members.filter((m) => m.total !== null).map((m) => m.total as number);
  if (totals.length < 2) return false;
  return meanStd(totals).std < EPS;
}
