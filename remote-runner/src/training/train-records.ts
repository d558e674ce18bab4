import { isTrainerTurnLogprobs, type AdvantageSource, type TrainTrajectory, type Trajectory } from "@agentrl/protocol";
import { isEstimator } from "../rewards/advantages.js";
import { toTrainRecord } from "../store/export.js";
import type { TrainStepResult } from "./trainer-process.js";

/** What one step sends to the trainer, and what it left out and why. */
export interface StepRecords {
  records: TrainTrajectory[];
  /** Episodes the policy failed (context overflow, ...) that train as `failedReward`. */
  failedTrained: number;
  /** Left out because the infrastructure failed them (container died, policy service down or slow). */
  skippedInfra: number;
  /** Left out for any other reason (reward errors, no token ids, policy failures when failedReward is null). */
  skippedOther: number;
}

/**
 * The training records of a step's trajectories. A failed episode the policy caused gets
 * `failedReward` (default 0) and, where the batch has reward components (GDPO reads them), every
 * component at that value, so it counts as the worst sample of its group instead of vanishing.
 */
export function stepRecords(trajectories: Trajectory[], failedReward: number | null = 0): StepRecords {
  const out: StepRecords = { records: [], failedTrained: 0, skippedInfra: 0, skippedOther: 0 };
  const failed: TrainTrajectory[] = [];
  for (const t of trajectories) {
    const r = toTrainRecord(t, failedReward);
    if ("skip" in r) {
      if (t.error?.kind === "infra") out.skippedInfra++;
      else out.skippedOther++;
      continue;
    }
    out.records.push(r.record);
    if (t.reward.total === null) failed.push(r.record);
  }
  out.failedTrained = failed.length;
  const names = [...new Set(out.records.flatMap((r) => Object.keys(r.components)))];
  for (const r of failed) {
    r.components = Object.fromEntries(names.map((n) => [n, r.reward]));
    r.component_weights = Object.fromEntries(names.map((n) => [n, out.records.find((x) => n in x.component_weights)?.component_weights[n] ?? 1]));
  }
  return out;
}

/** The advantages the trainer says it trained each trajectory with, and the estimator's name. */
export function trainedAdvantages(metrics: TrainStepResult): { source: AdvantageSource; byId: Map<string, number> } | null {
  const est = metrics.estimator;
  const adv = metrics.trajectory_advantages;
  if (typeof est !== "string" || !isEstimator(est) || !adv || typeof adv !== "object") return null;
  const byId = new Map<string, number>();
  for (const [id, v] of Object.entries(adv)) if (typeof v === "number" && Number.isFinite(v)) byId.set(id, v);
  return { source: { estimator: est, by: "trainer" }, byId };
}

/** What a step's trainer logprobs give to store: per trajectory, its turns' lists; and what did not fit. */
export interface TrainerLogprobUpdates {
  items: { id: string; turns: (number[] | null)[] }[];
  /** Trajectories whose lists do not match their turns (turn count or a turn's token count), with why. */
  mismatched: string[];
}

/**
 * Pairs the trainer's per-turn logprobs (`trajectory_logprobs`, already sliced by turn spans in the
 * trainer) with the trajectories' turns: list k goes on turn k when its length is that turn's number
 * of sampled tokens; a trajectory where any turn disagrees is left out whole and named.
 */
export function trainerLogprobUpdates(trajectories: readonly Trajectory[], metrics: TrainStepResult): TrainerLogprobUpdates {
  const out: TrainerLogprobUpdates = { items: [], mismatched: [] };
  const raw = metrics.trajectory_logprobs;
  if (!isTrainerTurnLogprobs(raw)) return out;
  for (const t of trajectories) {
    const lists = raw[t.id];
    if (!lists) continue;
    if (lists.length !== t.turns.length) {
      out.mismatched.push(`${t.id}: ${lists.length} turns of logprobs for ${t.turns.length} turns`);
      continue;
    }
    const bad = t.turns.findIndex((turn, k) => lists[k]?.length !== (turn.policy.completionTokenIds?.length ?? 0));
    if (bad >= 0) {
      out.mismatched.push(`${t.id}: turn ${bad} has ${lists[bad]?.length} logprobs for ${t.turns[bad]?.policy.completionTokenIds?.length ?? 0} tokens`);
      continue;
    }
    out.items.push({ id: t.id, turns: lists });
  }
  return out;
}
