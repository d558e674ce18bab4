import type { PolicyInfo } from "@agentrl/protocol";

/** |sampler − trainer| logprob past which a token is flagged (e^0.5 ≈ 1.65× probability ratio). */
export const DRIFT_THRESHOLD = 0.5;

export interface LensToken {
  index: number;
  /** The token's text, or its id when the server gave no text. */
  text: string;
  sampler: number;
  trainer: number | null;
  /** sampler − trainer; null without a trainer logprob. */
  diff: number | null;
  entropy: number | null;
  flagged: boolean;
}

export interface Lens {
  tokens: LensToken[];
  hasTrainer: boolean;
  hasEntropy: boolean;
  flagged: number;
  meanAbsDiff: number | null;
  maxAbsDiff: number | null;
}

/**
 * One policy turn's generated tokens with the sampler's logprob, the trainer's (when the turn was
 * trained on), their difference and the entropy where known; tokens drifting past `threshold`
 * flagged. Null when the turn has no logprobs (a server that does not return them).
 */
export function tokenLens(info: PolicyInfo, threshold = DRIFT_THRESHOLD): Lens | null {
  const lp = info.completionLogprobs;
  if (!lp?.length) return null;
  const trainer = info.trainerLogprobs?.length === lp.length ? info.trainerLogprobs : undefined;
  const entropy = info.completionEntropies?.length === lp.length ? info.completionEntropies : undefined;
  const tokens = lp.map((sampler, i): LensToken => {
    const t = trainer?.[i] ?? null;
    const diff = t === null ? null : sampler - t;
    return {
      index: i,
      text: info.completionTokens?.[i] ?? `#${info.completionTokenIds?.[i] ?? i}`,
      sampler,
      trainer: t,
      diff,
      entropy: entropy?.[i] ?? null,
      flagged: diff !== null && Math.abs(diff) > threshold,
    };
  });
  const diffs = tokens.map((t) => t.diff).filter((d): d is number => d !== null).map(Math.abs);
  return {
    tokens,
    hasTrainer: Boolean(trainer),
    hasEntropy: Boolean(entropy),
    flagged: tokens.filter((t) => t.flagged).length,
    meanAbsDiff: diffs.length ? diffs.reduce((a, b) => a + b, 0) / diffs.length : null,
    maxAbsDiff: diffs.length ? Math.max(...diffs) : null,
  };
}

/**
 * A token's background: with trainer logprobs, how far the two disagree (0 → none, the threshold
 * and beyond → full); without, how unlikely the sampled token was (probability 1 → none, 0 → full).
 * Returned as a 0..1 strength for a CSS colour-mix, so both themes keep their own colours.
 */
export function tokenHeat(t: LensToken, threshold = DRIFT_THRESHOLD): number {
  if (t.diff !== null) return Math.min(1, Math.abs(t.diff) / threshold);
  return Math.min(1, 1 - Math.exp(t.sampler));
}
