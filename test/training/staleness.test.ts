// The staleness bound of asynchronous rollouts (pure): a trajectory is as old as its oldest turn's
// policy, groups are dropped whole, and the idle clocks count overlapping spans once.
import type { Trajectory } from "@agentrl/protocol";
import { describe, expect, it } from "vitest";
import { applyStalenessBound, BusyClock, trajectoryStaleness } from "../../remote-runner/src/training/staleness.js";

function traj(id: string, groupId: string, versions: (number | undefined)[]): Trajectory {
  return { id, groupId, turns: versions.map((v) => (v === undefined ? {} : { policyVersion: v })) } as unknown as Trajectory;
}

describe("staleness bound", () => {
  it("measures a trajectory by its oldest turn, with unversioned turns at the launch version", () => {
    expect(trajectoryStaleness(traj("a", "g", [3, 4]), 5, 9), "oldest turn v3, current v5").toBe(2);
    expect(trajectoryStaleness(traj("a", "g", [undefined, 5]), 5, 4), "the unversioned turn counts as launched at v4").toBe(1);
    expect(trajectoryStaleness(traj("a", "g", []), 5, 5)).toBe(0);
  });

  it("drops a whole group when one member is too stale, keeps the rest, and reports mean and max over all", () => {
    const ts = [traj("a1", "A", [4, 5]), traj("a2", "A", [2, 5]), traj("b1", "B", [4]), traj("b2", "B", [5])];
    const r = applyStalenessBound(ts, 5, 1, 5);
    expect(r.kept.map((t) => t.id)).toEqual(["b1", "b2"]);
    expect(r.droppedGroups).toBe(1);
    expect(r.droppedTrajectories).toBe(2);
    expect(r.max).toBe(3);
    expect(r.mean).toBeCloseTo((1 + 3 + 1 + 0) / 4);
    expect(applyStalenessBound(ts, 5, 3, 5).kept).toHaveLength(4);
    expect(applyStalenessBound(ts, 5, 0, 5).kept).toHaveLength(0);
  });
});

describe("busy clock", () => {
  it("counts overlapping spans once and includes the span in progress", () => {
    let now = 0;
    const c = new BusyClock(() => now);
    c.start(); // 0
    now = 10;
    c.start(); // overlapping from 10
    now = 20;
    c.stop();
    now = 30;
    c.stop(); // busy 0..30
    now = 50;
    c.start();
    now = 55;
    expect(c.read()).toBe(35);
    c.stop();
    c.stop(); // an extra stop is ignored
    now = 70;
    expect(c.read()).toBe(35);
  });
});
