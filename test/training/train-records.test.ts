// Which trajectories of a step reach the trainer, with what reward: the policy's own failures are
// trained as failedReward, infrastructure failures are left out and counted.
import { describe, expect, it } from "vitest";
import type { Trajectory } from "@agentrl/protocol";
import { stepRecords, trainedAdvantages, trainerLogprobUpdates } from "../../remote-runner/src/training/train-records.js";
import { makeTrajectory } from "../store/trajectory-fixture.js";

const NO_REWARD: Trajectory["reward"] = { total: null, components: {}, weights: {}, errors: [], durationMs: 0 };

function sampled(i: number, over: Partial<Trajectory> = {}): Trajectory {
  const t = makeTrajectory("r", i, { groupId: "r:g", reward: { total: i / 10, components: { correct: i / 10 }, weights: { correct: 2 }, errors: [], durationMs: 1 }, ...over });
  const turn = t.turns[0];
  if (turn) turn.policy = { latencyMs: 1, promptTokenIds: [1, 2, 3], completionTokenIds: [4, 5], completionLogprobs: [-0.5, -0.25] };
  return t;
}

const batch = (): Trajectory[] => [
  sampled(5),
  sampled(7),
  // the conversation outgrew the context on turn 2: the policy's failure
  sampled(1, { status: "agent_error", stopReason: "policy_error", reward: NO_REWARD, error: { kind: "policy", message: "policy http error: context", policyCaused: true } }),
  // the policy service was down: not the policy's failure
  sampled(2, { status: "agent_error", stopReason: "policy_error", reward: NO_REWARD, error: { kind: "policy", message: "policy transport error" } }),
  sampled(3, { status: "infra_error", stopReason: "infra_error", reward: NO_REWARD, error: { kind: "infra", message: "container died" } }),
];

describe("step records", () => {
  it("a policy-caused failure trains as reward 0 (every component 0, the batch's weights); infra failures are left out and counted", () => {
    const s = stepRecords(batch());
    expect(s.records.map((r) => [r.trajectory_id, r.reward])).toEqual([
      ["r:5:0", 0.5],
      ["r:7:0", 0.7],
      ["r:1:0", 0],
    ]);
    expect(s.records[2]).toMatchObject({ components: { correct: 0 }, component_weights: { correct: 2 }, segments: [{ completion_token_ids: [4, 5] }] });
    expect(s).toMatchObject({ failedTrained: 1, skippedInfra: 1, skippedOther: 1 });
  });

  it("failedReward is configurable, and null leaves policy failures out too", () => {
    expect(stepRecords(batch(), -1).records[2]).toMatchObject({ trajectory_id: "r:1:0", reward: -1, components: { correct: -1 } });
    const none = stepRecords(batch(), null);
    expect(none.records.map((r) => r.trajectory_id)).toEqual(["r:5:0", "r:7:0"]);
    expect(none).toMatchObject({ failedTrained: 0, skippedInfra: 1, skippedOther: 2 });
  });

  it("reads the advantages the trainer used, with its estimator; anything else is refused", () => {
    const got = trainedAdvantages({ step: 1, estimator: "rloo", trajectory_advantages: { a: 0.5, b: -0.5 } });
    expect(got?.source).toEqual({ estimator: "rloo", by: "trainer" });
    expect([...(got?.byId ?? [])]).toEqual([["a", 0.5], ["b", -0.5]]);
    expect(trainedAdvantages({ step: 1, estimator: "ppo", trajectory_advantages: {} })).toBeNull();
  });

  it("puts the trainer's list k on turn k when it has that turn's token count; a trajectory that disagrees is left out and named", () => {
    const [a, b, c] = [sampled(5), sampled(7), sampled(8)];
    const got = trainerLogprobUpdates([a, b, c], { step: 1, trajectory_logprobs: { [a.id]: [[-0.5, -0.3]], [b.id]: [[-0.5]], [c.id]: [[-1], [-2]] } });
    expect(got.items).toEqual([{ id: a.id, turns: [[-0.5, -0.3]] }]);
    expect(got.mismatched).toEqual([`${b.id}: turn 0 has 1 logprobs for 2 tokens`, `${c.id}: 2 turns of logprobs for 1 turns`]);
    // not the trainer's shape: nothing stored
    expect(trainerLogprobUpdates([a], { step: 1, trajectory_logprobs: { [a.id]: [["x"]] } }).items).toEqual([]);
  });
});
