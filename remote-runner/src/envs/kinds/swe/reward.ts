import type { RewardResult, Turn } from "@agentrl/protocol";
import { gateStepRewards } from "../../../rewards/turn-rewards.js";
import type { SweScore } from "./scorer.js";

/** Weights of the SWE reward components; `files_modified` and the hack signals are logged with weight 0. */
export const SWE_WEIGHTS = { resolved: 0.5, fail_to_pass: 0.5, pass_to_pass_regressions: -0.5 } as const;

export interface GatedStepRewards {
  /** Weight of the accumulated step rewards in the total. */
  weight: number;
  /** The outcome (fraction of FAIL_TO_PASS passing, with no PASS_TO_PASS regression) that must be reached for step rewards to count. */
  threshold: number;
  /** Step reward of a turn that successfully edits a source (non-test) file. */
  perEdit?: number;
}

/** Per-turn progress signal: a successful edit of a source file through str_replace or create. */
export function stepRewards(turns: Turn[], perEdit = 0.1): number[] {
  return turns.map((t) => {
    const edited = t.observations.some((o) => (o.tool === "str_replace" || o.tool === "create") && /^(Edited|Created) /.test(o.content) && !/\/(tests?)\/|\/test_[^/]*\.py\b|conftest\.py/.test(o.content.split("\n")[0] ?? ""));
    return edited ? perEdit : 0;
  });
}

/** Gated accumulation: step rewards count only when the outcome clears the threshold (else 0), capped at 1. */
export function gatedAccumulate(steps: number[], outcome: number, threshold: number): number {
  return Math.min(1, gateStepRewards(steps, outcome, threshold).reduce((a, b) => a + b, 0));
}

/**
 * The reward of a scored SWE episode: resolved (0/1), the fraction of FAIL_TO_PASS passing, and the
 * fraction of PASS_TO_PASS tests the patch broke (negative weight), so an untouched repository scores
 * exactly 0, the gold patch 1, and a fix that breaks a passing test less than a clean fix.
 */
export function sweReward(score: SweScore, extra: { filesModified: number; testFilesTouched: number; turns: Turn[]; gated?: GatedStepRewards; durationMs: number }): RewardResult {
  const f2p = score.failToPass.total ? score.failToPass.passed / score.failToPass.total : 0;
  const regress = score.passToPass.total ? score.passToPass.broken.length / score.passToPass.total : 0;
  const components: Record<string, number> = {
    resolved: score.resolved ? 1 : 0,
    fail_to_pass: f2p,
    pass_to_pass_regressions: regress,
    files_modified: extra.filesModified,
    test_files_touched: extra.testFilesTouched,
    patch_applied: score.patchApplied ? 1 : 0,
  };
  const weights: Record<string, number> = { ...SWE_WEIGHTS, files_modified: 0, test_files_touched: 0, patch_applied: 0 };
  if (extra.gated) {
    const steps = stepRewards(extra.turns, extra.gated.perEdit);
    const outcome = regress > 0 ? 0 : f2p;
    components.step_rewards = gatedAccumulate(steps, outcome, extra.gated.threshold);
    components.step_rewards_ungated = Math.min(1, steps.reduce((a, b) => a + b, 0));
    weights.step_rewards = extra.gated.weight;
    weights.step_rewards_ungated = 0;
  }
  const total = Object.entries(components).reduce((s, [k, v]) => s + v * (weights[k] ?? 0), 0);
  return { total, components, weights, errors: [], durationMs: extra.durationMs };
}
