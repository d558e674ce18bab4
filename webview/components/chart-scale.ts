/**
 * The y range of a chart from its data: a chart of values that all lie in [0, 1] (rewards, rates,
 * fractions) is drawn on exactly [0, 1]; anything else on its own min..max with 5% headroom, so a
 * small quantity is never flattened against a large fixed axis.
 */
export function yRange(series: ArrayLike<number | null | undefined>[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series)
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  if (min === Infinity) return [0, 1];
  if (min >= 0 && max <= 1) return [0, 1];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.05;
  // A quantity that cannot be negative (counts, seconds) keeps 0 as its floor.
  return [min >= 0 ? Math.max(0, min - pad) : min - pad, max + pad];
}

const LABELS: Record<string, string> = {
  reward: "mean reward",
  reward_mean: "mean reward",
  reward_std: "reward spread (std)",
  zero_variance: "zero-variance group",
  groups_done: "groups done",
  turns_mean: "turns per episode",
  tool_calls_mean: "tool calls per episode",
  rollout_s: "rollout time (s)",
  train_s: "update time (s)",
  skipped_trajectories: "trajectories skipped",
  updated: "policy updated",
  tokens_per_s: "tokens per second",
  grad_norm: "gradient norm",
  clip_frac: "clipped fraction",
  kl: "KL to reference",
  loss: "loss",
  entropy: "entropy",
  lr: "learning rate",
  logprob_drift_mean: "mean |sampler − trainer| logprob",
  logprob_drift_max: "max |sampler − trainer| logprob",
};

/** What a metric is called on a chart's legend: the reward component's own name, or words instead of the key. */
export function metricLabel(key: string): string {
  const known = LABELS[key];
  if (known) return known;
  const component = /^(?:reward|component)[./](.+)$/.exec(key);
  if (component) return `${component[1]} (reward component)`;
  return key.replace(/[._]+/g, " ");
}
