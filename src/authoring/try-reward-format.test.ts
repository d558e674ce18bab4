import { describe, expect, it } from "vitest";
import type { TryRewardReport } from "@agentrl/protocol";
import { errorSites, trySummary, tryTable } from "./try-reward-format";

const report: TryRewardReport = {
  runId: "run-1",
  reward: "draft",
  envHash: "h",
  available: 3,
  mean: 1,
  min: 1,
  max: 1,
  errors: 2,
  rows: [
    { id: "a", taskId: "t1", sampleIndex: 0, value: 1, components: { draft: 1 }, errors: [], durationMs: 1 },
    { id: "b", taskId: "t2", sampleIndex: 0, value: null, components: {}, errors: [{ reward: "draft", kind: "threw", message: "bug | here", location: { file: "env.ts", line: 12, column: 7 } }], durationMs: 1 },
    { id: "c", taskId: "t2", sampleIndex: 1, value: null, components: {}, errors: [{ reward: "draft", kind: "threw", message: "bug | here", location: { file: "env.ts", line: 12, column: 7 } }], durationMs: 1 },
  ],
};

describe("Try on stored trajectories: what the editor shows", () => {
  it("a summary line, a table row per trajectory, and one error site per line that threw (0-based for the editor)", () => {
    expect(trySummary(report)).toBe("draft on 3 trajectories of run-1: mean 1.000 · min 1.000 · max 1.000 · 2 errors");
    expect(tryTable(report).split("\n")).toHaveLength(5);
    expect(tryTable(report)).toContain("| t2 | 1 | n/a |  | threw: bug \\| here (env.ts:12) |");
    expect(errorSites(report, "/envs/calc")).toEqual([{ file: "/envs/calc/env.ts", line: 11, column: 6, message: "bug | here", trajectories: 2 }]);
  });
});
