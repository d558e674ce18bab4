// Token-exact multi-turn: a 5-turn episode through the real engine (a tool in a Docker sandbox)
// against the real trainer server (tiny random model). Every later turn's prompt extends the
// episode's token sequence; the trajectory trains as one sequence whose policy spans are exactly
// the sampled tokens and whose context is exactly what the environment returned; the trainer's
// recomputed logprobs equal the sampler's on the whole trajectory (drift 0), and the runner stores
// each turn's slice of them on that turn.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenAIPolicy } from "../../remote-runner/src/policy/openai.js";
import type { Policy, PolicyRequest, PolicyResponse } from "../../remote-runner/src/policy/types.js";
import { toTrainRecord } from "../../remote-runner/src/store/export.js";
import { trainerEnv, trainerPython } from "../../remote-runner/src/training/python-env.js";
import { trainerLogprobUpdates } from "../../remote-runner/src/training/train-records.js";
import { TrainerServer } from "../../remote-runner/src/training/trainer-process.js";
import { makeTinyModel } from "../helpers/tiny-model.js";
import { harness, rollout, tempDir, writeFiles, type Harness } from "../rollout/support.js";

const ENV = `
import { defineEnvironment, defineReward, defineTool } from "@agentrl/sdk";
const lookup = defineTool<{ key: string }>({
  name: "lookup",
  description: "Look a code up.",
  parameters: { type: "object", properties: { key: { type: "string" } }, required: ["key"] },
  command: ({ key }) => ["python3", "-c", "import sys; print('code of ' + sys.argv[1] + ' is ' + str(7 * len(sys.argv[1])))", key],
});
export default defineEnvironment({
  name: "five-turns", kind: "tool", system: "Look codes up.", tools: [lookup], maxTurns: 5, stopOnNoToolCalls: false,
  stepTimeoutMs: 20_000, episodeTimeoutMs: 600_000,
  rewards: [defineReward({ name: "one", score: () => 1 })],
});
`;

/**
 * The tiny random model writes noise, never a tool call; this wrapper adds one call per turn (what a
 * trained model would write), so the real tool runs and its output comes back. The tokens are
 * untouched: what the model sampled is what is recorded and continued.
 */
class CallingPolicy implements Policy {
  readonly name = "calling";
  constructor(private readonly inner: Policy) {}
  async chat(req: PolicyRequest): Promise<PolicyResponse> {
    const r = await this.inner.chat(req);
    return { ...r, toolCalls: [{ id: `call_${req.turn}`, name: "lookup", argumentsText: JSON.stringify({ key: "k".repeat(req.turn + 1) }) }], toolCallSource: "native" };
  }
}

/** The tokenizer's decoding of token id lists (the tiny model has SmolLM2's tokenizer). */
function decode(model: string, lists: number[][]): string[] {
  const py = "import json, sys\nfrom transformers import AutoTokenizer\nt = AutoTokenizer.from_pretrained(sys.argv[1])\nprint(json.dumps([t.decode(x) for x in json.load(sys.stdin)]))";
  return JSON.parse(execFileSync(trainerPython(), ["-c", py, model], { input: JSON.stringify(lists), env: trainerEnv() }).toString()) as string[];
}

let h: Harness;
let trainer: TrainerServer;
let model: string;
const dir = tempDir("token-exact");

beforeAll(async () => {
  h = await harness();
  model = makeTinyModel(path.join(dir, "tiny"));
  trainer = await TrainerServer.start({ model, outputDir: path.join(dir, "out"), logFile: path.join(dir, "trainer.log"), loraRank: 4, maxTokens: 6, options: { drop_zero_variance: false } });
}, 600_000);

afterAll(async () => {
  await trainer?.stop();
  await h?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("token-exact multi-turn", () => {
  it("a 5-turn trajectory trains as one sequence of exactly the sampled and returned tokens, with drift 0", async () => {
    const envDir = writeFiles(path.join(dir, "env"), { "env.ts": ENV, "tasks.jsonl": '{"id": "t1", "prompt": "Find the codes."}\n' });
    const inner = new OpenAIPolicy({ baseUrl: trainer.url, model: trainer.model, apiKey: trainer.token, returnTokenIds: true, maxTokens: 6, temperature: 1 });
    const r = await rollout(h, envDir, { policy: { spec: trainer.url }, tasks: 1, group: 1 }, { policy: new CallingPolicy(inner) });
    const t = r.trajectories[0];
    expect(t?.status).toBe("finished");
    if (!t) return;
    expect(t.turns).toHaveLength(5);
    expect(t.turns.slice(1).map((x) => x.policy.tokenExact)).toEqual([true, true, true, true]);

    const rec = toTrainRecord(t);
    if (!("record" in rec)) throw new Error(rec.skip);
    expect(rec.record.segments).toHaveLength(1);
    const seg = rec.record.segments[0];
    if (!seg?.turn_spans) throw new Error("no turn spans");
    const last = t.turns[4]?.policy;
    // the sequence is what the policy saw at its last turn plus what it sampled there
    expect([...seg.prompt_token_ids, ...seg.completion_token_ids]).toEqual([...(last?.promptTokenIds ?? []), ...(last?.completionTokenIds ?? [])]);
    expect(seg.prompt_token_ids).toEqual(t.turns[0]?.policy.promptTokenIds);
    // each policy span is exactly what that turn sampled, with its logprobs
    expect(seg.turn_spans).toHaveLength(5);
    seg.turn_spans.forEach(([a, b], k) => {
      expect(seg.completion_token_ids.slice(a, b)).toEqual(t.turns[k]?.policy.completionTokenIds);
      expect(seg.logprobs.slice(a, b)).toEqual(t.turns[k]?.policy.completionLogprobs);
    });
    // between the spans: the tool's output from the sandbox, as the chat template renders a result
    const gaps = seg.turn_spans.slice(1).map(([a], k) => seg.completion_token_ids.slice((seg.turn_spans?.[k] as [number, number])[1], a));
    const texts = decode(model, gaps);
    texts.forEach((text, k) => {
      const out = `code of ${"k".repeat(k + 1)} is ${7 * (k + 1)}`;
      expect(t.turns[k]?.observations[0]?.content.trim()).toBe(out);
      expect(text).toMatch(new RegExp(`^(<\\|im_end\\|>)?\\n<\\|im_start\\|>user\\n<tool_response>\\n${out}\\n</tool_response><\\|im_end\\|>\\n<\\|im_start\\|>assistant\\n$`));
    });

    // the trainer recomputes the sampler's logprobs on the whole trajectory: drift 0 (float rounding)
    const m = await trainer.trainStep([rec.record], 1);
    expect(m.completion_tokens).toBe(t.turns.reduce((n, x) => n + (x.policy.completionTokenIds?.length ?? 0), 0));
    console.log(`5-turn trajectory: ${seg.completion_token_ids.length} tokens after the prompt, drift max ${String(m.logprob_drift_max)}`);
    expect(m.logprob_drift_max).toBeLessThan(1e-4);
    expect(m.drift_warning).toBeUndefined();

    // The runner stores them on the turns (real SQLite): turn k gets the trainer's logprobs of exactly
    // the tokens turn k sampled, sliced out of the one sequence by the trainer.
    const { items, mismatched } = trainerLogprobUpdates([t], m);
    expect(mismatched).toEqual([]);
    const before = h.store.getTrajectory(t.id);
    h.store.setTrainerLogprobs(t.runId, 1, items);
    const stored = h.store.getTrajectory(t.id);
    expect(stored?.turns).toHaveLength(5);
    stored?.turns.forEach((turn, k) => {
      const sampled = t.turns[k]?.policy.completionLogprobs ?? [];
      expect(turn.policy.trainerLogprobs).toHaveLength(sampled.length);
      turn.policy.trainerLogprobs?.forEach((lp, i) => expect(Math.abs(lp - (sampled[i] as number))).toBeLessThan(1e-4));
    });
    // only that key changed; the viewers were told
    const without = (x: typeof stored) => x && { ...x, turns: x.turns.map((turn) => ({ ...turn, policy: { ...turn.policy, trainerLogprobs: undefined } })) };
    expect(without(stored)).toEqual(without(before));
    expect(h.store.eventsAfter(0, { runId: t.runId, limit: 10_000 }).filter((e) => e.type === "trajectory.logprobs").map((e) => e.data)).toEqual([{ step: 1, trajectoryIds: [t.id] }]);
  }, 600_000);
});
