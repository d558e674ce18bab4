import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { batchAdvantages, groupAdvantages, isEstimator, isZeroVariance, MAX_ABS_REWARD } from "../../remote-runner/src/rewards/advantages.js";
import { otcToolScore } from "../../sdk/src/graders.js";
import { answersEqual, extractTagged } from "../../sdk/src/answer.js";

const W = { a: 1, b: 1 };

interface GoldenCase {
  name: string;
  estimator: string;
  groups: { rewards: number[]; components?: Record<string, number>[]; weights?: Record<string, number> }[];
  expected: number[][];
}
const GOLDEN = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../protocol/golden/advantages.json"), "utf8")) as { tolerance: number; max_abs_reward: number; cases: GoldenCase[] };

describe("group advantages: the golden cases the trainer's pytest reads too", () => {
  it.each(GOLDEN.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    if (!isEstimator(c.estimator)) throw new Error(`golden case names unknown estimator ${c.estimator}`);
    const groups = c.groups.map((g, gi) => g.rewards.map((r, i) => ({ id: `${gi}:${i}`, total: r, components: g.components?.[i] ?? {}, weights: g.weights ?? {} })));
    const got = batchAdvantages(groups, c.estimator).map((g) => g.map((a) => a.advantage));
    expect(got.length).toBe(c.expected.length);
    got.forEach((g, gi) => g.forEach((a, i) => expect(Math.abs((a as number) - (c.expected[gi]?.[i] as number))).toBeLessThanOrEqual(GOLDEN.tolerance)));
  });

  it("the reward bound is the trainer's", () => {
    expect(MAX_ABS_REWARD).toBe(GOLDEN.max_abs_reward);
  });

  it("members without a total get null and stay out of the statistics; equal totals give 0", () => {
    const res = groupAdvantages(
      [
        { id: "1", total: 1, components: {}, weights: {} },
        { id: "2", total: 0, components: {}, weights: {} },
        { id: "3", total: null, components: {}, weights: {} },
      ],
      "grpo",
    );
    // sample std of [1, 0] is 0.7071: +-0.5 / 0.7071
    expect(res[0]?.advantage).toBeCloseTo(0.70711, 4);
    expect(res[1]?.advantage).toBeCloseTo(-0.70711, 4);
    expect(res[2]?.advantage).toBeNull();
    const flat = groupAdvantages([{ id: "1", total: 0.5, components: {}, weights: {} }, { id: "2", total: 0.5, components: {}, weights: {} }], "grpo");
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
    const grpo = groupAdvantages(members, "grpo");
    expect(grpo[1]?.advantage).toBeCloseTo(grpo[2]?.advantage ?? NaN, 9);
    const gdpo = groupAdvantages(members, "gdpo");
    expect(gdpo[2]?.advantage ?? 0).toBeGreaterThan(gdpo[1]?.advantage ?? 0);
    expect(gdpo[2]?.componentAdvantages.b).toBeCloseTo(1.5, 4); // (1 - .25) / sample std .5
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
