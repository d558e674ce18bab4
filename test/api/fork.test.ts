// Fork from turn N through the runner API with real Docker sandboxes: a calculator trajectory is
// branched at its second turn, the first turn's tool call replayed in a fresh sandbox, the second
// replaced by a typed tool call (or a typed answer), and the branch scored by the env's rewards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForkStarted, Run, RunEvent, Trajectory } from "@agentrl/protocol";
import { RunnerError, type RunnerClient } from "../../remote-runner/src/api/client.js";
import type { Runner } from "../../remote-runner/src/api/runner-server.js";
import { startTestRunner, uploadCalculator } from "./runner-fixture.js";

let runner: Runner;
let client: RunnerClient;
let close: () => Promise<void>;
let original: Trajectory;

function ended(runId: string): Promise<void> {
  return new Promise((resolve) => {
    const done = (e: RunEvent): boolean => e.type === "run.status" && ["finished", "failed", "cancelled"].includes(e.data.status);
    if (runner.store.eventsAfter(0, { runId, limit: 100_000 }).some(done)) return resolve();
    const off = runner.store.onEvent((e) => {
      if (e.runId === runId && done(e)) {
        off();
        resolve();
      }
    });
  });
}

beforeAll(async () => {
  ({ runner, client, close } = await startTestRunner({ maxSandboxes: 2 }));
  const env = await uploadCalculator(client);
  const run: Run = await client.createRun({ env, policy: { spec: "scripted:reference.jsonl" }, tasks: 1, group: 1, concurrency: 1 });
  await ended(run.id);
  original = runner.store.getTrajectory(`${run.id}:0:0`)!;
});
afterAll(async () => {
  await close();
});

async function fork(body: unknown): Promise<Trajectory> {
  const started = await client.json<ForkStarted>("POST", `/v1/trajectories/${encodeURIComponent(original.id)}/fork`, body);
  expect(started).toMatchObject({ restoredBy: "replay", replayedToolCalls: 1 });
  await ended(started.runId);
  return runner.store.getTrajectory(started.trajectoryId)!;
}

describe("fork from turn N", () => {
  it("branches at turn 2 with a typed tool call: turn 1 replayed in a fresh sandbox, the typed call run, the branch scored and linked to its parent", async () => {
    expect(original.turns).toHaveLength(2);
    expect(original.reward.total).toBe(1);
    const branch = await fork({ turn: 1, action: { toolCalls: [{ name: "calculate", arguments: { expression: "92 * 12 + 1" } }] } });
    expect(branch.parent).toEqual({ trajectoryId: original.id, turn: 1, restoredBy: "replay" });
    expect(branch.taskId).toBe(original.taskId);
    // Turn 1 is the original's tool call, run again in the branch's own sandbox.
    expect(branch.turns[0]?.assistant.toolCalls?.[0]).toMatchObject({ name: "calculate", arguments: { expression: "92 * 12" } });
    expect(branch.turns[0]?.observations[0]?.content).toContain("1104");
    // Turn 2 is the typed call, run in that sandbox.
    expect(branch.turns[1]?.assistant.toolCalls?.[0]).toMatchObject({ name: "calculate", arguments: { expression: "92 * 12 + 1" } });
    expect(branch.turns[1]?.observations[0]?.content).toContain("1105");
    // Scored by the env's rewards: no answer given, so not correct.
    expect(branch.status).toBe("finished");
    expect(branch.reward.components.correct).toBe(0);
    expect(branch.reward.total).not.toBeNull();
    expect(branch.reward.total!).toBeLessThan(original.reward.total!);
  });

  it("branches at turn 2 with a typed answer that scores like the original's", async () => {
    const branch = await fork({ turn: 1, action: { content: "<answer>1104</answer>" } });
    expect(branch.turns.map((t) => t.assistant.content)).toEqual([original.turns[0]!.assistant.content, "<answer>1104</answer>"]);
    expect(branch.reward.components.correct).toBe(1);
  });

  it("refuses a fork past the end or with nothing to play, naming the fix", async () => {
    for (const [body, re] of [
      [{ turn: 9, action: { content: "x" } }, /turn 9 is past the trajectory's 2 turns/],
      [{ turn: 1 }, /needs an action typed for the turn, a policy to continue with, or both/],
    ] as const) {
      const err = await client.json("POST", `/v1/trajectories/${encodeURIComponent(original.id)}/fork`, body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunnerError);
      expect((err as RunnerError).message).toMatch(re);
    }
  });
});
