import { describe, expect, it } from "vitest";
import { chartGroups } from "./MetricsCharts";
import { fmtSigned } from "../util/format";
import { tokenHeat, tokenLens } from "./token-lens";

describe("token lens", () => {
  const info = {
    latencyMs: 1,
    completionTokenIds: [11, 12, 13, 14],
    completionTokens: ["The", " answer", " is", " 4"],
    completionLogprobs: [-0.1, -2.0, -0.05, -1.2],
    trainerLogprobs: [-0.12, -1.1, -0.05, -1.25],
    completionEntropies: [0.3, 1.9, 0.1, 1.0],
  };

  it("lines up sampler and trainer logprobs per token and flags the tokens that drift past the threshold", () => {
    const lens = tokenLens(info)!;
    expect(lens.tokens.map((t) => [t.text, t.diff === null ? null : Number(t.diff.toFixed(2)), t.entropy, t.flagged])).toEqual([
      ["The", 0.02, 0.3, false],
      [" answer", -0.9, 1.9, true],
      [" is", 0, 0.1, false],
      [" 4", 0.05, 1.0, false],
    ]);
    expect(lens).toMatchObject({ hasTrainer: true, hasEntropy: true, flagged: 1 });
    expect(lens.maxAbsDiff).toBeCloseTo(0.9);
    expect(lens.meanAbsDiff).toBeCloseTo((0.02 + 0.9 + 0 + 0.05) / 4);
    // A lower threshold flags more.
    expect(tokenLens(info, 0.04)!.flagged).toBe(2);
  });

  it("without trainer logprobs (not trained yet) shows sampler surprise and flags nothing; without logprobs, no lens", () => {
    const lens = tokenLens({ ...info, trainerLogprobs: undefined })!;
    expect(lens.hasTrainer).toBe(false);
    expect(lens.flagged).toBe(0);
    expect(tokenHeat(lens.tokens[0]!)).toBeCloseTo(1 - Math.exp(-0.1));
    // Misaligned arrays are not trusted: a trainer array of another length is ignored.
    expect(tokenLens({ ...info, trainerLogprobs: [-1] })!.hasTrainer).toBe(false);
    // Ids stand in for text a server did not send.
    expect(tokenLens({ ...info, completionTokens: undefined })!.tokens[0]!.text).toBe("#11");
    expect(tokenLens({ latencyMs: 1 })).toBeNull();
  });

  it("charts the trainer's per-step drift on a chart of its own", () => {
    expect(chartGroups(["kl", "logprob_drift_max", "logprob_drift_mean", "reward"]).map((g) => [g.title, g.keys])).toEqual([
      ["reward (mean and spread per component)", ["reward"]],
      ["sampler vs trainer logprob drift", ["logprob_drift_max", "logprob_drift_mean"]],
      ["training: kl", ["kl"]],
    ]);
  });
});

describe("signed numbers", () => {
  it("a difference that rounds to zero reads +0, never -0", () => {
    expect(fmtSigned(-3e-7, 4)).toBe("+0.0000");
    expect(fmtSigned(-0.00006, 4)).toBe("-0.0001");
    expect(fmtSigned(0.25, 2)).toBe("+0.25");
  });
});
