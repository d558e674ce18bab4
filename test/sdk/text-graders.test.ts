// stringCheck and textSimilarity (OpenAI RFT's string_check / text_similarity). BLEU and ROUGE are
// checked against values the reference implementations computed (similarity-golden.json says which).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bleu, rougeL, rougeN, similarity, stringCheck, stringCheckPasses, textSimilarity, type AnyReward, type RewardContext } from "../../sdk/src/index";

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, "similarity-golden.json"), "utf8")) as { cases: { candidate: string; reference: string; bleu: number; rouge_1: number; rouge_2: number; rouge_l: number }[] };

/** Runs a function reward's score (these graders are all function rewards). */
async function run(r: AnyReward, c: RewardContext): Promise<unknown> {
  if (!("score" in r)) throw new Error(`${r.name} is not a function reward`);
  return r.score(c);
}

function ctx(finalAnswer: string, task: Record<string, unknown>): RewardContext {
  return { task: { id: "t", ...task }, finalAnswer, prompt: [], turns: [], messages: [], toolCalls: 0, stopReason: "stop", sandbox: undefined as never };
}

describe("stringCheck", () => {
  it("eq, ne, like and ilike as OpenAI RFT defines them", () => {
    expect(stringCheckPasses("eq", "Paris", "Paris")).toBe(true);
    expect(stringCheckPasses("eq", "paris", "Paris")).toBe(false);
    expect(stringCheckPasses("ne", "Lyon", "Paris")).toBe(true);
    expect(stringCheckPasses("like", "It is Paris.", "Paris")).toBe(true);
    expect(stringCheckPasses("like", "It is paris.", "Paris")).toBe(false);
    expect(stringCheckPasses("ilike", "It is PARIS.", "paris")).toBe(true);
  });

  it("reads the final answer and the task's answer through templates; a placeholder naming nothing is an error", async () => {
    expect(await run(stringCheck({ operation: "ilike" }), ctx("The capital is PARIS", { answer: "paris" }))).toBe(true);
    expect(await run(stringCheck({ operation: "eq", input: "{{task.city}}", reference: "{{item.answer}}" }), ctx("", { city: "Oslo", answer: "Oslo" }))).toBe(true);
    await expect(run(stringCheck({ operation: "eq", reference: "{{task.nope}}" }), ctx("x", {}))).rejects.toThrow(/\{\{task\.nope\}\} names nothing/);
  });
});

describe("textSimilarity", () => {
  it("BLEU and ROUGE-1/2/L match the reference implementations", () => {
    for (const c of golden.cases) {
      expect(bleu(c.candidate, c.reference)).toBeCloseTo(c.bleu, 9);
      expect(rougeN(c.candidate, c.reference, 1)).toBeCloseTo(c.rouge_1, 9);
      expect(rougeN(c.candidate, c.reference, 2)).toBeCloseTo(c.rouge_2, 9);
      expect(rougeL(c.candidate, c.reference)).toBeCloseTo(c.rouge_l, 9);
    }
  });

  it("fuzzy_match is TheFuzz's ratio (fuzzball): 1 for equal texts, lower with edits", () => {
    expect(similarity("fuzzy_match", "kitten", "kitten")).toBe(1);
    expect(similarity("fuzzy_match", "kitten", "sitting")).toBeCloseTo(0.62, 2);
    expect(similarity("token_set", "fox brown quick", "the quick brown fox")).toBe(1);
  });

  it("with a pass threshold the reward is pass/fail and the similarity a weight-0 component", async () => {
    const r = textSimilarity({ metric: "rouge_l", passThreshold: 0.8 });
    expect(await run(r, ctx("the cat sat on the mat", { answer: "the cat is on the mat" }))).toEqual({ components: { pass: 1, similarity: expect.closeTo(0.8333, 3) }, weights: { pass: 1, similarity: 0 } });
    expect(await run(r, ctx("a dog", { answer: "the cat is on the mat" }))).toMatchObject({ components: { pass: 0 } });
    expect(await run(textSimilarity({ metric: "bleu" }), ctx("the answer is forty two", { answer: "the answer is forty two" }))).toBe(1);
    expect(() => textSimilarity({ metric: "bleu", passThreshold: 2 })).toThrow(/passThreshold must be in \[0, 1\]/);
  });
});
