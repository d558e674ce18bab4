import { describe, expect, it } from "vitest";
import type { MetricPoint } from "@agentrl/protocol";
import { metricLabel, yRange } from "./chart-scale";
import { withPoint } from "./MetricsCharts";

describe("chart scales and legends", () => {
  it("draws values in [0, 1] on [0, 1] and anything else on its own span", () => {
    expect(yRange([[0.2, 0.9, null], [0.5]])).toEqual([0, 1]);
    expect(yRange([[]])).toEqual([0, 1]);
    const [lo, hi] = yRange([[10, 110]]);
    expect(lo).toBe(5);
    expect(hi).toBe(115);
    // Negative values (advantages, losses) are not clamped at 0.
    expect(yRange([[-2, 2]])).toEqual([-2.2, 2.2]);
    // A flat series still gets a visible band.
    expect(yRange([[3, 3]])).toEqual([2.7, 3.3]);
  });

  it("names reward components and metrics in words, not keys", () => {
    expect(metricLabel("reward.correct")).toBe("correct (reward component)");
    expect(metricLabel("reward_mean")).toBe("mean reward");
    expect(metricLabel("tokens_per_s")).toBe("tokens per second");
    expect(metricLabel("some_new.metric")).toBe("some new metric");
  });

  it("adds pushed metric points in step order, a repeated step replacing the old point", () => {
    const p = (step: number, v: number): MetricPoint => ({ runId: "r", step, ts: 0, values: { x: v } });
    let pts = [p(1, 1), p(3, 3)];
    pts = withPoint(pts, p(2, 2));
    pts = withPoint(pts, p(3, 30));
    expect(pts.map((q) => [q.step, q.values.x])).toEqual([[1, 1], [2, 2], [3, 30]]);
  });
});
