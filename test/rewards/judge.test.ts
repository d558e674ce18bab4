// judge and rubric graders through the real reward path (env bundle → worker thread → the runner's
// judge capability → an OpenAI-compatible server, here the local fake that stands in for a hosted API).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RewardResult } from "@agentrl/protocol";
import type { SandboxHandle } from "@agentrl/sdk";
import { loadEnvironment, type LoadedEnvironment } from "../../remote-runner/src/envs/load.js";
import { JudgeClient, runnerJudge } from "../../remote-runner/src/rewards/judge-client.js";
import { scoreEpisode, type RewardInput } from "../../remote-runner/src/rewards/score.js";
import { RewardWorkerPool } from "../../remote-runner/src/rewards/worker-pool.js";
import { startFakeOpenAI, type FakeServer, type WireRequest } from "../policy/fake-openai-server.js";
import { tempDir, useTempHome, writeFiles } from "../rollout/support.js";

/** The "model": scores by what the user message says, so each case picks its reply. */
function reply(req: WireRequest): string {
  const user = req.messages.find((m) => m.role === "user")?.content ?? "";
  if (user.includes("Criterion: is polite")) return '{"reason": "polite", "score": 1}';
  if (user.includes("Criterion: is short")) return 'Reasoning first.\n{"reason": "a bit long", "score": 0.5}';
  if (user.includes("ANSWER: good")) return '{"reason": "right", "score": 8}';
  if (user.includes("ANSWER: over")) return '{"score": 12}';
  if (user.includes("ANSWER: tagged")) return "It is fine. <score>3</score>";
  return "I like this answer a lot.";
}

const sandbox: SandboxHandle = {
  exec: () => Promise.reject(new Error("no sandbox in this test")),
  readFile: () => Promise.reject(new Error("no sandbox in this test")),
  writeFile: () => Promise.reject(new Error("no sandbox in this test")),
};

let server: FakeServer;
let env: LoadedEnvironment;
beforeAll(async () => {
  useTempHome();
  server = await startFakeOpenAI((req) => (req.messages.some((m) => m.content?.includes("ANSWER: fail")) ? { kind: "status", status: 400 } : { kind: "message", content: reply(req) }));
  const dir = writeFiles(tempDir("judge"), {
    "env.ts": `import { defineEnvironment, judge, rubric } from "@agentrl/sdk";
export default defineEnvironment({
  name: "judged",
  rewards: [
    judge({ name: "quality", instructions: "Grade the answer.", prompt: "Q: {{task.prompt}} ANSWER: {{finalAnswer}}", range: [0, 10] }),
    rubric({ name: "style", weight: 0, prompt: "ANSWER: {{finalAnswer}}", criteria: [{ name: "polite", description: "is polite", weight: 3 }, { name: "short", description: "is short" }] }),
  ],
});`,
    "tasks.jsonl": '{"id":"t1","prompt":"say hi"}\n',
  });
  env = await loadEnvironment(dir, { git: false });
}, 60_000);
afterAll(async () => {
  await server.close();
});

function input(finalAnswer: string): RewardInput {
  return { task: { id: "t1", prompt: "say hi" }, prompt: [{ role: "user", content: "say hi" }], turns: [], messages: [{ role: "user", content: "say hi" }, { role: "assistant", content: finalAnswer }], finalAnswer, toolCalls: 0, stopReason: "stop" };
}

async function score(pool: RewardWorkerPool, finalAnswer: string): Promise<RewardResult> {
  return scoreEpisode({ rewards: env.def.rewards, input: input(finalAnswer), sandbox, pool, host: env.host, defaultTimeoutMs: 20_000 });
}

describe("judge and rubric graders", () => {
  it("parse the judge's score onto [0, 1], judge each rubric criterion as a component, at temperature 0; a second scoring comes from the cache", async () => {
    const client = new JudgeClient({ baseUrl: server.url, model: "judge-model" });
    const pool = new RewardWorkerPool(env.compiled.bundlePath, 2, client);
    try {
      const first = await score(pool, "good");
      expect(first.errors).toEqual([]);
      expect(first.components).toEqual({ quality: 0.8, "style.polite": 1, "style.short": 0.5 });
      expect(first.weights).toMatchObject({ "style.polite": 0, "style.short": 0 });
      expect(first.total).toBe(0.8);
      expect(server.requests).toHaveLength(3);
      for (const r of server.requests) expect(r).toMatchObject({ model: "judge-model", temperature: 0 });
      expect(server.requests[0]?.messages[1]?.content).toBe("Q: say hi ANSWER: good");
      expect(client.stats).toEqual({ requests: 3, cacheHits: 0 });
      const again = await score(pool, "good");
      expect(again.components).toEqual(first.components);
      expect(server.requests).toHaveLength(3);
      expect(client.stats).toEqual({ requests: 3, cacheHits: 3 });
      expect((await score(pool, "tagged")).components.quality).toBeCloseTo(0.3, 10);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("an out-of-range score, a reply without a score, and a failing endpoint are reward errors, never a silent 0", async () => {
    const pool = new RewardWorkerPool(env.compiled.bundlePath, 2, new JudgeClient({ baseUrl: server.url }));
    try {
      const over = await score(pool, "over");
      expect(over.total).toBeNull();
      expect(over.errors.find((e) => e.reward === "quality")).toMatchObject({ kind: "threw", message: expect.stringMatching(/scored 12, outside the range \[0, 10\]/) });
      const garbage = await score(pool, "meh");
      expect(garbage.errors.find((e) => e.reward === "quality")?.message).toMatch(/reply has no score/);
      expect(garbage.components.quality).toBeUndefined();
      const failed = await score(pool, "fail");
      expect(failed.errors.find((e) => e.reward === "quality")?.message).toMatch(/judge endpoint failed/);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("a runner without a judge endpoint reports the fix; bad requests from bundle code are refused", async () => {
    const pool = new RewardWorkerPool(env.compiled.bundlePath, 1, runnerJudge(undefined));
    try {
      const r = await score(pool, "good");
      expect(r.errors.find((e) => e.reward === "quality")?.message).toMatch(/AGENTRL_JUDGE_URL/);
    } finally {
      await pool.close();
    }
    const client = new JudgeClient({ baseUrl: server.url });
    await expect(client.complete({ messages: [] })).rejects.toThrow(/1 to 64 messages/);
    await expect(client.complete({ messages: [{ role: "user", content: "x".repeat(200_001) }] })).rejects.toThrow(/limit is 200000/);
    await expect(client.complete({ messages: [{ role: "user", content: "hi" }], maxTokens: 10_000_000 })).rejects.toThrow(/maxTokens must be an integer from 1 to 4096/);
  }, 60_000);
});
