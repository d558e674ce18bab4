import { describe, expect, it } from "vitest";
import { compareRuns } from "./compare-runs.js";

const row = (taskId: string, sampleIndex: number, reward: number | null) => ({ id: `${taskId}:${sampleIndex}`, taskId, sampleIndex, reward });

describe("compareRuns", () => {
  it("puts tasks side by side, lists the flipped ones first and never calls an unscored task flipped", () => {
    const a = { id: "A", rows: [row("t1", 0, 0), row("t1", 1, 0), row("t2", 0, 1), row("t3", 0, 0.4), row("t4", 0, null), row("t5", 0, 1)] };
    const b = { id: "B", rows: [row("t1", 1, 1), row("t1", 0, 0.5), row("t2", 0, 0), row("t3", 0, 0.45), row("t4", 0, 1), row("t6", 0, 1)] };
    const c = compareRuns(a, b, 0.5);
    expect(c.tasks.map((t) => [t.taskId, t.flip])).toEqual([
      ["t2", "lost"],
      ["t1", "gained"],
      ["t3", null],
      ["t4", null],
      ["t5", null],
      ["t6", null],
    ]);
    const t1 = c.tasks.find((t) => t.taskId === "t1")!;
    expect(t1).toMatchObject({ a: { mean: 0, samples: 2, solved: false }, b: { mean: 0.75, samples: 2, solved: true, trajectoryIds: ["t1:0", "t1:1"] }, delta: 0.75 });
    // t4 was not scored in A (its only sample failed before scoring): no flip, no delta.
    expect(c.tasks.find((t) => t.taskId === "t4")).toMatchObject({ delta: null, flip: null });
    expect(c).toMatchObject({ shared: 4, gained: 1, lost: 1 });
    // Means over the shared tasks that both sides scored: t1, t2, t3.
    expect(c.meanA).toBeCloseTo((0 + 1 + 0.4) / 3);
    expect(c.meanB).toBeCloseTo((0.75 + 0 + 0.45) / 3);
    // The threshold decides what counts as solved.
    expect(compareRuns(a, b, 0.42).tasks.find((t) => t.taskId === "t3")?.flip).toBe("gained");
  });
});
