import { describe, expect, it } from "vitest";
import { firstLastMeans, taskSchedule } from "../../remote-runner/src/training/task-schedule.js";

describe("training task schedule", () => {
  const ids = ["a", "b", "c", "d", "e"];

  it("covers every task once per pass, deterministically for a seed", () => {
    const s = taskSchedule(ids, 5, 3, 7);
    expect(s).toHaveLength(3);
    for (const step of s) expect([...step].sort()).toEqual(ids);
    expect(taskSchedule(ids, 5, 3, 7)).toEqual(s);
    expect(taskSchedule(ids, 5, 3, 8)).not.toEqual(s);
  });

  it("continues where a resumed run left off", () => {
    const full = taskSchedule(ids, 2, 6, 3);
    expect(taskSchedule(ids, 2, 2, 3, 4)).toEqual(full.slice(4));
  });

  it("averages the first and last 20% of steps, at least one step each", () => {
    expect(firstLastMeans([0, 0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1, 1])).toEqual({ first: 0.1, last: 1 });
    expect(firstLastMeans([0.3, 0.9])).toEqual({ first: 0.3, last: 0.9 });
  });

  it("refuses an environment without tasks", () => {
    expect(() => taskSchedule([], 2, 2, 0)).toThrow(/no tasks to train on/);
  });
});
