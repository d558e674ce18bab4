// Rollouts of the calculator environment (tools run in real Docker sandboxes) against a local
// OpenAI-compatible server: native and text tool calls, streaming, garbage, hangs and 500s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainRecord } from "../../remote-runner/src/store/export.js";
import { stepRecords } from "../../remote-runner/src/training/train-records.js";
import { CALCULATOR_DIR, harness, rollout, type Harness } from "../rollout/support.js";
import { expressionOf, lastToolResult, startFakeOpenAI, type Reply, type WireRequest } from "./fake-openai-server.js";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

/** A competent fake model: call calculate with the question's expression, then answer with the tool's result. */
function solver(req: WireRequest): Reply {
  const result = lastToolResult(req);
  if (result === null) return { kind: "message", toolCalls: [{ name: "calculate", arguments: JSON.stringify({ expression: expressionOf(req) }) }] };
  return { kind: "message", content: `<answer>${result.trim()}</answer>` };
}

describe("rollouts against an OpenAI-compatible server", () => {
  it("native tool calls: the tool runs in the sandbox, token ids and logprobs are recorded", async () => {
    const server = await startFakeOpenAI(solver);
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, returnTokenIds: true }, tasks: 3, group: 2 });
      expect(r.summary.trajectories).toBe(6);
      expect(r.summary.errors).toBe(0);
      for (const t of r.trajectories) {
        expect(t.reward.total).toBeCloseTo(1, 9);
        expect(t.turns).toHaveLength(2);
        // The calculator's answer came from python3 inside the container, not from the fake server.
        const obs = t.turns[0]?.observations[0];
        expect(obs?.exitCode).toBe(0);
        expect(obs?.content.trim()).toBe(String(t.task.answer));
        expect(t.turns[0]?.assistant.toolCalls?.[0]?.arguments).toEqual({ expression: expect.any(String) });
        const p = t.turns[0]?.policy;
        expect(p?.promptTokenIds?.length).toBeGreaterThan(10);
        expect(p?.completionLogprobs?.length).toBe(p?.completionTokenIds?.length);
        // The token texts the server sent, aligned with the logprobs, for the token lens.
        expect(p?.completionTokens).toEqual(p?.completionTokenIds?.map((id) => `<${id}>`));
        // This server re-renders the history from the messages: the second turn is recorded as not
        // token-exact and trains as a sequence of its own.
        expect(t.turns[1]?.policy.tokenExact).toBe(false);
        const rec = toTrainRecord(t);
        expect("record" in rec && rec.record.segments.length).toBe(2);
      }
      // The request carried the tools natively and asked for token ids.
      expect(server.requests[0]?.tools?.[0]?.function.name).toBe("calculate");
      expect(server.requests[0]?.return_token_ids).toBe(true);
      // Later turns offer the episode's token sequence to continue (servers that take it append only the new messages).
      expect(server.requests[0]?.prefix_token_ids).toBeUndefined();
      expect(server.requests.find((q) => q.messages.some((m) => m.role === "tool"))?.prefix_token_ids?.length).toBeGreaterThan(10);
      // The second request shows the tool result as a `tool` message answering the call id.
      const second = server.requests.find((q) => q.messages.some((m) => m.role === "tool"));
      const toolMsg = second?.messages.find((m) => m.role === "tool");
      const callMsg = second?.messages.find((m) => m.tool_calls);
      expect(toolMsg?.tool_call_id).toBe(callMsg?.tool_calls?.[0]?.id);
    } finally {
      await server.close();
    }
  });

  it("text tool calls (Hermes format): tools go in the system prompt, calls are parsed from <tool_call> text", async () => {
    const server = await startFakeOpenAI((req) => {
      const result = lastToolResult(req);
      if (result === null) return { kind: "message", content: `Let me compute.\n<tool_call>\n{"name": "calculate", "arguments": {"expression": "${expressionOf(req)}"}}\n</tool_call>` };
      return { kind: "message", content: `<answer>${result.trim()}</answer>` };
    });
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, toolFormat: "hermes" }, tasks: 2 });
      expect(r.summary.errors).toBe(0);
      expect(r.summary.meanReward).toBeCloseTo(1, 9);
      const first = server.requests[0];
      expect(first?.tools).toBeUndefined();
      expect(first?.messages[0]?.content).toContain("<tools>");
      const t = r.trajectories[0];
      expect(t?.turns[0]?.assistant.toolCallSource).toBe("text");
      expect(t?.turns[0]?.assistant.toolCalls?.[0]?.name).toBe("calculate");
      // The follow-up request replays the raw text and gives the result as a <tool_response>.
      const followUp = server.requests.find((q) => q.messages.some((m) => (m.content ?? "").includes("<tool_response>")));
      expect(followUp?.messages.find((m) => m.role === "assistant")?.content).toContain("<tool_call>");
    } finally {
      await server.close();
    }
  });

  it("streaming: content and tool-call deltas are assembled, token ids too", async () => {
    const server = await startFakeOpenAI(solver);
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, stream: true, returnTokenIds: true }, tasks: 2 });
      expect(server.requests.every((q) => q.stream === true)).toBe(true);
      expect(r.summary.errors).toBe(0);
      expect(r.summary.meanReward).toBeCloseTo(1, 9);
      const turn0 = r.trajectories[0]?.turns[0];
      const meta = r.trajectories[0]?.task.metadata as { expression: string };
      expect(turn0?.assistant.toolCalls?.[0]?.arguments).toEqual({ expression: meta.expression });
      expect(turn0?.policy.completionTokenIds?.length).toBeGreaterThan(0);
      expect(r.trajectories[0]?.turns[1]?.assistant.content).toMatch(/^<answer>-?\d+<\/answer>$/);
    } finally {
      await server.close();
    }
  });

  it("garbage from the model becomes observations that say what was wrong, and the episode goes on", async () => {
    const server = await startFakeOpenAI((req) => {
      const turn = req.messages.filter((m) => m.role === "assistant").length;
      if (turn === 0) return { kind: "message", toolCalls: [{ name: "calculate", arguments: "{expression: 2+2" }] };
      if (turn === 1) return { kind: "message", toolCalls: [{ name: "calcluate", arguments: '{"expression": "1+1"}' }] };
      if (turn === 2) return { kind: "message", toolCalls: [{ name: "calculate", arguments: '{"expression": 42}' }] };
      return { kind: "message", content: "<answer>nonsense</answer>" };
    });
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url }, tasks: 1 });
      const t = r.trajectories[0];
      expect(t?.status).toBe("finished");
      expect(t?.turns.map((x) => x.observations[0]?.error ?? null)).toEqual(["invalid_json", "unknown_tool", "invalid_arguments", null]);
      expect(t?.turns[0]?.observations[0]?.content).toMatch(/not valid JSON/);
      expect(t?.turns[1]?.observations[0]?.content).toMatch(/unknown tool "calcluate".*calculate/);
      expect(t?.turns[2]?.observations[0]?.content).toMatch(/expression must be string/);
      // The model was shown each complaint in the next request.
      expect(server.requests[1]?.messages.some((m) => m.role === "tool" && (m.content ?? "").includes("not valid JSON"))).toBe(true);
      expect(t?.reward.total).toBe(0.1 * 0); // "nonsense" is not a number: no format credit, not correct
      expect(t?.reward.components.correct).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("a server that hangs: each request times out, retries are bounded, the trajectory records a policy error and the run finishes", async () => {
    const server = await startFakeOpenAI(() => ({ kind: "hang" }));
    try {
      const t0 = performance.now();
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, timeoutMs: 300, retries: 1 }, tasks: 2 });
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(r.summary.trajectories).toBe(2);
      expect(r.summary.agentErrors).toBe(2);
      expect(r.summary.infraErrors).toBe(0);
      for (const t of r.trajectories) {
        expect(t.status).toBe("agent_error");
        expect(t.error?.kind).toBe("policy");
        expect(t.error?.message).toMatch(/timeout.*within 300 ms.*after 2 attempts/);
        expect(t.reward.total).toBeNull();
      }
      expect(server.requests).toHaveLength(4); // 2 episodes × (1 try + 1 retry)
    } finally {
      await server.close();
    }
  });

  it("500s are retried with backoff and the episode succeeds; a 400 is not retried", async () => {
    let failures = 0;
    const server = await startFakeOpenAI((req) => {
      if (failures < 2) {
        failures++;
        return { kind: "status", status: 500 };
      }
      return solver(req);
    });
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, retries: 3 }, tasks: 1 });
      expect(r.summary.errors).toBe(0);
      expect(r.trajectories[0]?.reward.total).toBeCloseTo(1, 9);
      expect(r.trajectories[0]?.turns[0]?.policy.retries).toBe(2);
    } finally {
      await server.close();
    }
    const bad = await startFakeOpenAI(() => ({ kind: "status", status: 400, body: '{"error":{"message":"bad request: unknown field"}}' }));
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: bad.url, retries: 3 }, tasks: 1 });
      expect(bad.requests).toHaveLength(1);
      expect(r.trajectories[0]?.error?.message).toMatch(/HTTP 400.*unknown field/);
    } finally {
      await bad.close();
    }
  });

  it("a response that is not JSON is a policy error, not a crash", async () => {
    const server = await startFakeOpenAI(() => ({ kind: "raw", body: "<html>oops</html>" }));
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, retries: 0 }, tasks: 1 });
      expect(r.trajectories[0]?.error?.message).toMatch(/not JSON/);
      expect(r.summary.trajectories).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("failures the policy caused", () => {
  it("a request refused after the first turn (context overflow) is the policy's failure and trains as reward 0; one refused on the first turn is not", async () => {
    const server = await startFakeOpenAI((req) => {
      const overflow = { kind: "status", status: 400, body: JSON.stringify({ error: { message: "maximum context length exceeded" } }) } as const;
      if (expressionOf(req).includes("+")) return lastToolResult(req) === null ? solver(req) : overflow; // grows the context, then overflows
      return overflow; // refused before the policy wrote anything: the environment's prompt
    });
    try {
      const r = await rollout(h, CALCULATOR_DIR, { policy: { spec: server.url, returnTokenIds: true }, tasks: 6 });
      const grown = r.trajectories.filter((t) => t.turns.length === 1);
      const refused = r.trajectories.filter((t) => t.turns.length === 0);
      expect(grown.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const t of grown) expect(t.error).toMatchObject({ kind: "policy", policyCaused: true });
      for (const t of refused) expect(t.error?.policyCaused).toBeUndefined();
      const s = stepRecords(r.trajectories);
      expect(s.records.map((x) => x.reward)).toEqual(grown.map(() => 0));
      expect(s).toMatchObject({ failedTrained: grown.length, skippedOther: refused.length, skippedInfra: 0 });
    } finally {
      await server.close();
    }
  });
});
