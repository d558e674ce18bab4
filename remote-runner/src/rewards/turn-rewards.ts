/** Each reward's score of every turn of an episode (rewards that return `turns`), with its weight. */
export type TurnScores = Record<string, { weight: number; values: number[] }>;

/**
 * Gated step rewards: they count only when the episode's outcome reaches the threshold, else they
 * are all 0 (no threshold: they always count). An agent then cannot farm step rewards on episodes
 * that fail.
 */
export function gateStepRewards(steps: readonly number[], outcome: number | null, threshold: number | undefined): number[] {
  if (threshold === undefined) return [...steps];
  return steps.map((s) => (outcome !== null && outcome >= threshold ? s : 0));
}

/** Per turn: the weighted sum of the rewards' turn scores (gated by the outcome) and each score. */
export function turnRewards(scores: TurnScores, turns: number, outcome: number | null, gate?: number): { reward: number; components: Record<string, number> }[] {
  const sums = Array.from({ length: turns }, (_, i) => Object.values(scores).reduce((s, r) => s + r.weight * (r.values[i] ?? 0), 0));
  const gated = gateStepRewards(sums, outcome, gate);
  return gated.map((reward, i) => ({ reward, components: Object.fromEntries(Object.entries(scores).map(([name, r]) => [name, r.values[i] ?? 0])) }));
}
