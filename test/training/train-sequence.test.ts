// The training record of a multi-turn trajectory: token-exact turns join one sequence with their
// spans marked; a turn whose prompt does not extend the sequence starts a new one.
import type { Trajectory, Turn } from "@agentrl/protocol";
import { describe, expect, it } from "vitest";
import { toTrainRecord } from "../../remote-runner/src/store/export.js";
import { trainSegments } from "../../remote-runner/src/training/train-sequence.js";

function turn(index: number, prompt: number[], completion: number[], extra: Partial<Turn> = {}): Turn {
  return {
    index,
    startedAt: 0,
    durationMs: 1,
    assistant: { role: "assistant", content: "" },
    policy: { latencyMs: 1, promptTokenIds: prompt, completionTokenIds: completion, completionLogprobs: completion.map((c) => -c / 100) },
    observations: [{ toolCallId: "c", tool: "t", content: `obs ${index}`, durationMs: 1 }],
    ...extra,
  };
}

describe("training sequences", () => {
  it("token-exact turns are one sequence: sampled tokens in spans, the environment's tokens between them", () => {
    const turns = [turn(0, [1, 2], [3, 4]), turn(1, [1, 2, 3, 4, 50, 51], [5]), turn(2, [1, 2, 3, 4, 50, 51, 5, 60], [6, 7])];
    const r = trainSegments(turns);
    if (!("segments" in r)) throw new Error(r.skip);
    expect(r.segments).toEqual([
      {
        prompt_token_ids: [1, 2],
        completion_token_ids: [3, 4, 50, 51, 5, 60, 6, 7],
        logprobs: [-0.03, -0.04, 0, 0, -0.05, 0, -0.06, -0.07],
        turn_spans: [
          [0, 2],
          [4, 5],
          [6, 8],
        ],
      },
    ]);
  });

  it("a turn whose server re-rendered the history starts a sequence of its own", () => {
    const r = trainSegments([turn(0, [1, 2], [3, 4]), turn(1, [1, 2, 9, 4, 50], [5])]);
    if (!("segments" in r)) throw new Error(r.skip);
    expect(r.segments.map((s) => [s.prompt_token_ids, s.turn_spans])).toEqual([
      [[1, 2], [[0, 2]]],
      [[1, 2, 9, 4, 50], [[0, 1]]],
    ]);
    expect(trainSegments([turn(0, [1], [2], { policy: { latencyMs: 1 } })])).toEqual({ skip: expect.stringMatching(/turn 0 has no token ids/) });
  });

  it("the record carries per-turn rewards and what each turn saw", () => {
    const turns = [turn(0, [1, 2], [3], { reward: 0.25 }), turn(1, [1, 2, 3, 40], [5])];
    const t = { id: "x", taskId: "t", groupId: "g", sampleIndex: 0, prompt: [{ role: "user", content: "q" }], turns, reward: { total: 1, components: {}, weights: {}, errors: [], durationMs: 0 } } as unknown as Trajectory;
    const r = toTrainRecord(t);
    if (!("record" in r)) throw new Error(r.skip);
    expect(r.record.turn_rewards).toEqual([0.25, 0]);
    expect(r.record.turn_states).toHaveLength(2);
    expect(new Set(r.record.turn_states).size).toBe(2);
  });
});
