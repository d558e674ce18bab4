// BFCL import: entries and possible answers become tasks with declared tools; a rollout against a
// local OpenAI-compatible server records the calls and the functionCallMatch grader scores them.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importBfcl, normalizeBfclSchema, type BfclAnswer } from "../../remote-runner/src/envs/bfcl.js";
import { functionCallsMatch } from "../../sdk/src/function-call-grader.js";
import { startFakeOpenAI } from "../policy/fake-openai-server.js";
import { harness, rollout, tempDir, writeFiles, type Harness } from "../rollout/support.js";

const ENTRIES = [
  {
    id: "parallel_0",
    question: [[{ role: "user", content: "Find the area of triangles with base 10 height 5, and base 4 height 3." }]],
    function: [
      {
        name: "geometry.triangle_area",
        description: "Area of a triangle.",
        parameters: { type: "dict", properties: { base: { type: "integer" }, height: { type: "float" }, unit: { type: "string" }, tags: { type: "tuple", items: { type: "any" } } }, required: ["base", "height"] },
      },
    ],
  },
  { id: "simple_1", question: [[{ role: "user", content: "What is 5 factorial?" }]], function: [{ name: "math.factorial", description: "n!", parameters: { type: "dict", properties: { number: { type: "integer" } }, required: ["number"] } }] },
];
const ANSWERS: BfclAnswer[] = [
  { id: "parallel_0", ground_truth: [{ "geometry.triangle_area": { base: [10], height: [5, 5.0], unit: ["units", ""] } }, { "geometry.triangle_area": { base: [4], height: [3], unit: ["units", ""] } }] },
  { id: "simple_1", ground_truth: [{ "math.factorial": { number: [5] } }] },
];

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

describe("BFCL import", () => {
  it("normalizes Python-ish types and dotted names", () => {
    expect(normalizeBfclSchema(ENTRIES[0]?.function[0]?.parameters)).toEqual({
      type: "object",
      properties: { base: { type: "integer" }, height: { type: "number" }, unit: { type: "string" }, tags: { type: "array", items: {} } },
      required: ["base", "height"],
    });
    const { tasks, problems } = importBfcl(ENTRIES, ANSWERS);
    expect(problems).toEqual([]);
    expect(tasks[0]?.toolSpecs?.[0]?.name).toBe("geometry_triangle_area");
    expect(tasks[0]?.answer).toEqual([{ geometry_triangle_area: ANSWERS[0]?.ground_truth[0]?.["geometry.triangle_area"] }, { geometry_triangle_area: ANSWERS[0]?.ground_truth[1]?.["geometry.triangle_area"] }]);
    expect(tasks[1]?.messages).toEqual([{ role: "user", content: "What is 5 factorial?" }]);
  });

  it("matches calls against the ground truth in any order, with optional parameters", () => {
    const truth = importBfcl(ENTRIES, ANSWERS).tasks[0]?.answer as Parameters<typeof functionCallsMatch>[1];
    const c = (base: number, height: number, extra: Record<string, unknown> = {}) => ({ name: "geometry_triangle_area", arguments: { base, height, ...extra } });
    expect(functionCallsMatch([c(4, 3), c(10, 5)], truth)).toBe(true);
    expect(functionCallsMatch([c(10, 5, { unit: "Units " }), c(4, 3)], truth)).toBe(true);
    expect(functionCallsMatch([c(10, 5)], truth)).toBe(false);
    expect(functionCallsMatch([c(10, 6), c(4, 3)], truth)).toBe(false);
    expect(functionCallsMatch([c(10, 5, { color: "red" }), c(4, 3)], truth)).toBe(false);
  });

  it("a rollout records parallel calls of task-declared tools and the grader scores them", async () => {
    const { tasks } = importBfcl(ENTRIES, ANSWERS);
    const dir = writeFiles(tempDir("bfcl"), {
      "env.ts": 'import { defineEnvironment, functionCallMatch } from "@agentrl/sdk";\nexport default defineEnvironment({ name: "bfcl", maxTurns: 2, rewards: [functionCallMatch()] });\n',
      "tasks.jsonl": tasks.map((t) => JSON.stringify(t)).join("\n") + "\n",
    });
    const server = await startFakeOpenAI((req) => {
      const q = req.messages[0]?.content ?? "";
      if (q.includes("triangles"))
        return {
          kind: "message",
          toolCalls: [
            { name: "geometry_triangle_area", arguments: '{"base": 10, "height": 5}' },
            { name: "geometry_triangle_area", arguments: '{"base": 4, "height": 3, "unit": "units"}' },
          ],
        };
      return { kind: "message", toolCalls: [{ name: "math_factorial", arguments: '{"number": 6}' }] };
    });
    try {
      const r = await rollout(h, dir, { policy: { spec: server.url } });
      const [tri, fact] = r.trajectories;
      expect(tri?.stopReason).toBe("tool_stop");
      expect(tri?.turns[0]?.assistant.toolCalls).toHaveLength(2);
      expect(tri?.turns[0]?.observations).toHaveLength(2);
      expect(tri?.reward.total).toBe(1);
      expect(fact?.reward.total).toBe(0);
      expect(server.requests[0]?.tools?.map((t) => t.function.name)).toEqual(["geometry_triangle_area"]);
      // No tool touched a sandbox, so no container was started.
      expect(tri?.timings.sandboxAcquireMs).toBe(0);
      expect(fs.existsSync(path.join(dir, "tasks.jsonl"))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
