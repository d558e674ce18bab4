// Rewards over real rollouts: errors and endless loops are recorded per trajectory and the run goes
// on; command rewards run inside the Docker sandbox; components and weights compose.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rescoreRun } from "../../remote-runner/src/rewards/rescore.js";
import { toTrainRecord } from "../../remote-runner/src/store/export.js";
import { loadEnvironment } from "../../remote-runner/src/envs/load.js";
import { resolveEnvImage } from "../../remote-runner/src/rollout/image.js";
import { harness, rollout, tempDir, writeFiles, type Harness } from "../rollout/support.js";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

function envDir(rewards: string, extra = ""): string {
  return writeFiles(tempDir("rw"), {
    "env.ts": `
import { defineEnvironment, defineTool, defineReward } from "@agentrl/sdk";
${extra}
const write = defineTool<{ text: string }>({
  name: "write_note",
  description: "write a note file in the sandbox",
  parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  command: ({ text }) => ["sh", "-c", 'printf %s "$1" > note.txt && echo saved', "sh", text],
});
export default defineEnvironment({ name: "rw", tools: [write], maxTurns: 3, rewardTimeoutMs: 800, rewards: [${rewards}] });`,
    "tasks.jsonl": '{"id":"t1","prompt":"write hello","answer":"hello"}\n{"id":"t2","prompt":"write bye","answer":"bye"}\n',
    "script.jsonl": '{"task_id":"t1","turns":[{"tool_calls":[{"name":"write_note","arguments":{"text":"hello"}}]},{"content":"done"}]}\n{"task_id":"t2","turns":[{"tool_calls":[{"name":"write_note","arguments":{"text":"nope"}}]},{"content":"done"}]}\n',
  });
}

describe("reward failures", () => {
  it("a reward that throws, one that loops forever and one that returns garbage are recorded; the others still score and the run finishes", async () => {
    const dir = envDir(
      `defineReward({ name: "ok", weight: 1, score: () => 0.5 }),
       defineReward({ name: "throws", weight: 0, score: () => { throw new Error("reward bug here"); } }),
       defineReward({ name: "loops", weight: 0, score: () => { for (;;) {} } }),
       defineReward({ name: "hangs", weight: 0, timeoutMs: 300, score: () => new Promise(() => {}) }),
       defineReward({ name: "garbage", weight: 0, score: () => "yes" as never })`,
    );
    const t0 = performance.now();
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "script.jsonl")}` }, group: 2, concurrency: 4 });
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(r.summary.trajectories).toBe(4);
    expect(r.summary.rewardErrors).toBe(4);
    for (const t of r.trajectories) {
      expect(t.status).toBe("finished");
      const byName = Object.fromEntries(t.reward.errors.map((e) => [e.reward, e]));
      expect(byName.throws).toMatchObject({ kind: "threw", message: "reward bug here" });
      expect(byName.loops).toMatchObject({ kind: "timeout", message: expect.stringMatching(/within 800 ms/) });
      expect(byName.hangs).toMatchObject({ kind: "timeout", message: expect.stringMatching(/within 300 ms/) });
      expect(byName.garbage).toMatchObject({ kind: "invalid_result" });
      // The failures had weight 0 (logged metrics), so the total stands.
      expect(t.reward.total).toBe(0.5);
    }
  });

  it("a weighted reward that fails leaves the total null (never a silent 0) and the group's advantages skip it", async () => {
    const dir = envDir(`defineReward({ name: "ok", score: () => 1 }), defineReward({ name: "flaky", score: (ctx) => { if (ctx.task.id === "t2") throw new Error("flaky"); return 1; } })`);
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "script.jsonl")}` }, group: 2 });
    const t2 = r.trajectories.filter((t) => t.taskId === "t2");
    expect(t2.map((t) => t.reward.total)).toEqual([null, null]);
    expect(t2.map((t) => t.advantage)).toEqual([null, null]);
    expect(r.summary.meanReward).toBe(2);
  });
});

describe("rewards that return numbers no trainer should see", () => {
  it("NaN, ±Infinity and 1e308 (plain, as a component, or printed by a command) are reward errors; the trajectory gets no total and no training record", async () => {
    const bad: Record<string, string> = { nan: "NaN", inf: "Infinity", neginf: "-Infinity", huge: "1e308" };
    const rewards = Object.entries(bad).map(([name, v]) => `defineReward({ name: "${name}", weight: 0.1, score: (ctx) => ctx.task.id === "t1" ? ${v} : 1 })`);
    rewards.push(`defineReward({ name: "parts", weight: 0.1, score: (ctx) => ({ components: { x: ctx.task.id === "t1" ? NaN : 1 } }) })`);
    rewards.push(`defineReward({ name: "printed", weight: 0.1, parse: "number", command: (task) => ["sh", "-c", task.id === "t1" ? "echo 1e308" : "echo 1"] })`);
    const dir = envDir(rewards.join(",\n"));
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "script.jsonl")}` } });
    const t1 = r.trajectories.find((t) => t.taskId === "t1");
    const t2 = r.trajectories.find((t) => t.taskId === "t2");
    expect(t1?.reward.total).toBeNull();
    const byName = Object.fromEntries((t1?.reward.errors ?? []).map((e) => [e.reward, e]));
    expect(Object.keys(byName).sort()).toEqual(["huge", "inf", "nan", "neginf", "parts", "printed"]);
    for (const [name, v] of Object.entries(bad)) expect(byName[name]).toMatchObject({ kind: "invalid_result", message: expect.stringContaining(`returned ${v === "1e308" ? "1e+308" : v}; a reward must return a finite number within ±1e+9`) });
    expect(byName.parts?.message).toMatch(/component "x" is NaN, not a finite number within/);
    expect(byName.printed).toMatchObject({ kind: "invalid_result", message: expect.stringContaining("returned 1e+308") });
    expect(Object.values(t1?.reward.components ?? {}).every((v) => Number.isFinite(v) && Math.abs(v) <= 1e9)).toBe(true);
    // The trajectory never reaches the trainer; its neighbour with sane values does.
    expect(t1 && toTrainRecord(t1)).toEqual({ skip: "no reward total (reward error)" });
    expect(t2?.reward.total).toBeCloseTo(0.6, 9);
  });
});

describe("rewards that use the sandbox", () => {
  it("command rewards and function rewards reading files see the episode's container", async () => {
    const dir = envDir(
      `defineReward({ name: "file_ok", weight: 0.5, command: (task) => ["sh", "-c", 'test "$(cat note.txt)" = "$1"', "sh", String(task.answer)] }),
       defineReward({ name: "read", weight: 0.5, score: async (ctx) => (await ctx.sandbox.readFile("note.txt")) === ctx.task.answer }),
       defineReward({ name: "parts", weight: 0, score: async (ctx) => { const r = await ctx.sandbox.exec(["wc", "-c", "note.txt"]); return { components: { bytes: Number(r.stdout.trim().split(" ")[0]), calls: ctx.toolCalls }, weights: { bytes: 1, calls: 2 } }; } }),
       defineReward({ name: "count", weight: 0, parse: "number", command: "cat note.txt | wc -c" })`,
    );
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "script.jsonl")}` } });
    const [t1, t2] = r.trajectories;
    expect(t1?.reward.components).toEqual({ file_ok: 1, read: 1, "parts.bytes": 5, "parts.calls": 1, count: 5 });
    expect(t1?.reward.weights).toMatchObject({ "parts.bytes": 0, "parts.calls": 0 });
    expect(t1?.reward.total).toBe(1);
    expect(t2?.reward.components).toMatchObject({ file_ok: 0, read: 0, count: 4 });
    expect(t2?.reward.total).toBe(0);
    expect(t1?.timings.sandboxMs).toBeGreaterThan(0);
  });

  it("rescore re-runs changed rewards over a stored run and reports before and after", async () => {
    const dir = envDir(`defineReward({ name: "len", score: (ctx) => ctx.finalAnswer.length > 100 ? 1 : 0 })`);
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "script.jsonl")}` }, group: 2 });
    expect(r.summary.meanReward).toBe(0);
    // The user edits the reward: now it checks the note instead.
    const changed = envDir(`defineReward({ name: "len", command: (task) => ["sh", "-c", 'test -n "$1"', "sh", String(task.answer)] }), defineReward({ name: "by_task", score: (ctx) => ctx.task.id === "t1" ? 1 : 0 })`);
    const env = await loadEnvironment(changed, { git: false });
    const report = await rescoreRun(h.store, r.runId, { env, sandboxes: h.pool, image: await resolveEnvImage(env), save: true });
    expect(report.rescored).toBe(4);
    expect(report.rows.map((x) => [x.taskId, x.before, x.after])).toEqual([
      ["t1", 0, 2],
      ["t1", 0, 2],
      ["t2", 0, 1],
      ["t2", 0, 1],
    ]);
    expect(report.meanBefore).toBe(0);
    expect(report.meanAfter).toBe(1.5);
    // The advantages say which estimator gave them: the rollout's (the env's weighted sum: grpo, by the runner).
    expect(report.advantagesBefore).toEqual({ estimator: "grpo", by: "runner" });
    expect(report.estimator).toBe("grpo");
    const stored = h.store.getTrajectory(r.trajectories[0]?.id ?? "");
    expect(stored?.reward.total).toBe(2);
    expect(stored?.advantageSource).toEqual({ estimator: "grpo", by: "runner" });
    expect(h.store.queryTrajectories({ runId: r.runId, minReward: 1.5 }).total).toBe(2);
  });
});

describe("per-turn rewards", () => {
  it("rewards that score each turn set the turns' rewards, gated by the outcome", async () => {
    const dir = writeFiles(tempDir("turns"), {
      "env.ts": `
import { defineEnvironment, defineTool, defineReward } from "@agentrl/sdk";
const write = defineTool<{ text: string }>({
  name: "write_note", description: "write a note", parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  command: ({ text }) => ["sh", "-c", 'printf %s "$1" > note.txt && echo saved', "sh", text],
});
export default defineEnvironment({
  name: "turns", tools: [write], maxTurns: 3, turnRewardGate: 0.5,
  rewards: [
    defineReward({ name: "correct", score: (ctx) => ctx.turns[0]?.assistant.toolCalls?.[0]?.arguments.text === ctx.task.answer }),
    defineReward({ name: "progress", weight: 0.2, score: (ctx) => ({ components: { any: 1 }, turns: ctx.turns.map((t) => (t.assistant.toolCalls?.length ? 0.5 : 0)) }) }),
    defineReward({ name: "short", weight: 0, score: () => ({ components: { x: 1 }, turns: [1] }) }),
  ],
});`,
      "tasks.jsonl": '{"id":"t1","prompt":"write hello","answer":"hello"}\n{"id":"t2","prompt":"write bye","answer":"bye"}\n',
      "script.jsonl": '{"task_id":"t1","turns":[{"tool_calls":[{"name":"write_note","arguments":{"text":"hello"}}]},{"content":"done"}]}\n{"task_id":"t2","turns":[{"tool_calls":[{"name":"write_note","arguments":{"text":"nope"}}]},{"content":"done"}]}\n',
    });
    const r = await rollout(h, dir, { policy: { spec: `scripted:${path.join(dir, "script.jsonl")}` } });
    const byTask = Object.fromEntries(r.trajectories.map((t) => [t.taskId, t]));
    // t1 solved it (total 1.2 >= 0.5): the tool turn earns 0.2 * 0.5; t2 failed (0.2 < 0.5): gated to 0
    expect(byTask.t1?.turns.map((t) => t.reward)).toEqual([0.1, 0]);
    expect(byTask.t2?.turns.map((t) => t.reward)).toEqual([0, 0]);
    expect(byTask.t2?.turns.map((t) => t.rewardComponents)).toEqual([{ progress: 0.5 }, { progress: 0 }]);
    // a reward whose turns do not match the episode's is an invalid result, named
    expect(byTask.t1?.reward.errors).toEqual([expect.objectContaining({ reward: "short", kind: "invalid_result", message: expect.stringMatching(/one score per turn of the episode \(2\)/) })]);
  });
});
