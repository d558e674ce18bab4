import { describe, expect, it } from "vitest";
import { groupAdvantages, isZeroVariance } from "../../remote-runner/src/rewards/advantages.js";
import { otcToolScore } from "../../sdk/src/graders.js";
import { answersEqual, extractTagged } from "../../sdk/src/answer.js";

const W = { a: 1, b: 1 };

describe("group advantages", () => {
  it("GRPO normalizes the total within the group; equal totals give 0", () => {
    const res = groupAdvantages(
      [
        { id: "1", total: 1, components: {}, weights: {} },
        { id: "2", total: 0, components: {}, weights: {} },
        { id: "3", total: null, components: {}, weights: {} },
      ],
      "weighted_sum",
    );
    expect(res[0]?.advantage).toBeCloseTo(1, 4);
    expect(res[1]?.advantage).toBeCloseTo(-1, 4);
    expect(res[2]?.advantage).toBeNull();
    const flat = groupAdvantages([{ id: "1", total: 0.5, components: {}, weights: {} }, { id: "2", total: 0.5, components: {}, weights: {} }], "weighted_sum");
    expect(flat.map((r) => r.advantage)).toEqual([0, 0]);
    expect(isZeroVariance([{ id: "1", total: 0.5, components: {}, weights: {} }, { id: "2", total: 0.5, components: {}, weights: {} }])).toBe(true);
  });

  it("GDPO normalizes each component first, so different reward combinations stay apart", () => {
    // Component a is dense and large, b is sparse and small. Under GRPO samples 2 and 3 have the same
    // total and the same advantage; under GDPO, b's rarity makes sample 3's success count for more.
    const members = [
      { id: "1", total: 0, components: { a: 0, b: 0 }, weights: W },
      { id: "2", total: 1, components: { a: 1, b: 0 }, weights: W },
      { id: "3", total: 1, components: { a: 0, b: 1 }, weights: W },
      { id: "4", total: 1, components: { a: 1, b: 0 }, weights: W },
    ];
    const grpo = groupAdvantages(members, "weighted_sum");
    expect(grpo[1]?.advantage).toBeCloseTo(grpo[2]?.advantage ?? NaN, 9);
    const gdpo = groupAdvantages(members, "gdpo");
    expect(gdpo[2]?.advantage ?? 0).toBeGreaterThan(gdpo[1]?.advantage ?? 0);
    expect(gdpo[2]?.componentAdvantages.b).toBeCloseTo(Math.sqrt(3), 3);
    const sum = gdpo.reduce((s, r) => s + (r.advantage ?? 0), 0);
    expect(sum).toBeCloseTo(0, 6);
  });
});

describe("graders", () => {
  it("OTC tool score: 1 at the optimal count, less for more or fewer calls, 0 for none when a call is needed", () => {
    expect(otcToolScore(1, 1)).toBeCloseTo(1, 9);
    expect(otcToolScore(2, 1)).toBeLessThan(1);
    expect(otcToolScore(2, 1)).toBeGreaterThan(otcToolScore(5, 1));
    expect(otcToolScore(0, 1)).toBe(0);
    expect(otcToolScore(0, 0)).toBe(1);
    expect(otcToolScore(3, 0)).toBeLessThan(1);
  });

  it("answers compare numerically when both are numbers", () => {
    expect(answersEqual("1,104", "1104")).toBe(true);
    expect(answersEqual("1104.0", 1104)).toBe(true);
    expect(answersEqual("1105", "1104")).toBe(false);
    expect(answersEqual("Paris ", "paris")).toBe(true);
    expect(extractTagged("a <answer>1</answer> b <answer> 2 </answer>")).toBe("2");
    expect(extractTagged("none")).toBeNull();
  });
});
