import { ratio, token_set_ratio } from "fuzzball";
import type { Task } from "@agentrl/protocol";
import { defineReward, type RewardDefinition } from "./reward.js";
import { renderTemplate } from "./template.js";

/**
 * OpenAI RFT `string_check` operations: `eq` equal, `ne` not equal, `like` the input contains the
 * reference, `ilike` the same ignoring case.
 */
export type StringCheckOperation = "eq" | "ne" | "like" | "ilike";

export function stringCheckPasses(operation: StringCheckOperation, input: string, reference: string): boolean {
  switch (operation) {
    case "eq":
      return input === reference;
    case "ne":
      return input !== reference;
    case "like":
      return input.includes(reference);
    case "ilike":
      return input.toLowerCase().includes(reference.toLowerCase());
  }
}

/**
 * OpenAI RFT's `string_check`: 1 when the operation holds between `input` and `reference`, else 0.
 *
 * @example
 * // 1 when the final answer mentions the task's city, in any case:
 * stringCheck({ name: "mentions_city", operation: "ilike", reference: "{{task.answer}}" })
 */
export function stringCheck<TTask extends Task = Task>(opts: {
  name?: string;
  weight?: number;
  operation: StringCheckOperation;
  /** Template of the text checked (default `{{sample.output_text}}`, the final answer). */
  input?: string;
  /** Template of the text it is checked against (default `{{item.answer}}`, the task's answer). */
  reference?: string;
}): RewardDefinition<TTask> {
  return defineReward<TTask>({
    name: opts.name ?? "string_check",
    weight: opts.weight ?? 1,
    score: (ctx) => stringCheckPasses(opts.operation, renderTemplate(opts.input ?? "{{sample.output_text}}", ctx), renderTemplate(opts.reference ?? "{{item.answer}}", ctx)),
  });
}

/** Lower-cased runs of letters and digits, punctuation dropped (rouge-score's tokenization, widened to any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = tokens.slice(i, i + n).join("\u0001");
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

function overlap(a: Map<string, number>, b: Map<string, number>): number {
  let n = 0;
  for (const [g, c] of a) n += Math.min(c, b.get(g) ?? 0);
  return n;
}

/**
 * Sentence BLEU (Papineni et al.) with up to 4-grams, uniform weights, the brevity penalty, and
 * add-one smoothing of the higher n-gram precisions (Lin & Och's smoothing 2, the usual choice for
 * single sentences, where an unmatched 4-gram would otherwise zero the score). In [0, 1].
 */
export function bleu(candidate: string, reference: string, maxN = 4): number {
  const c = tokenize(candidate);
  const r = tokenize(reference);
  if (c.length === 0 || r.length === 0) return 0;
  let logSum = 0;
  for (let n = 1; n <= maxN; n++) {
    const cand = ngramCounts(c, n);
    const total = Math.max(0, c.length - n + 1);
    const matched = overlap(cand, ngramCounts(r, n));
    const p = n === 1 ? (total === 0 ? 0 : matched / total) : (matched + 1) / (total + 1);
    if (p === 0) return 0;
    logSum += Math.log(p) / maxN;
  }
  const bp = c.length >= r.length ? 1 : Math.exp(1 - r.length / c.length);
  return bp * Math.exp(logSum);
}

function f1(matched: number, candTotal: number, refTotal: number): number {
  if (matched === 0 || candTotal === 0 || refTotal === 0) return 0;
  const p = matched / candTotal;
  const r = matched / refTotal;
  return (2 * p * r) / (p + r);
}

/** ROUGE-N F1 (Lin 2004): clipped n-gram overlap. In [0, 1]. */
export function rougeN(candidate: string, reference: string, n: number): number {
  const c = tokenize(candidate);
  const r = tokenize(reference);
  return f1(overlap(ngramCounts(c, n), ngramCounts(r, n)), Math.max(0, c.length - n + 1), Math.max(0, r.length - n + 1));
}

/** ROUGE-L F1: the longest common subsequence of tokens. In [0, 1]. */
export function rougeL(candidate: string, reference: string): number {
  const c = tokenize(candidate);
  const r = tokenize(reference);
  let prev = new Array<number>(r.length + 1).fill(0);
  for (const tc of c) {
    const row = new Array<number>(r.length + 1).fill(0);
    for (let j = 1; j <= r.length; j++) row[j] = tc === r[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, row[j - 1] ?? 0);
    prev = row;
  }
  return f1(prev[r.length] ?? 0, c.length, r.length);
}

/** The metrics of OpenAI RFT's `text_similarity` that need no model. */
export type SimilarityMetric = "fuzzy_match" | "token_set" | "bleu" | "rouge_1" | "rouge_2" | "rouge_3" | "rouge_4" | "rouge_5" | "rouge_l";

/** The similarity of two texts by `metric`, in [0, 1]. fuzzy_match and token_set are fuzzball's (TheFuzz's) ratio and token-set ratio. */
export function similarity(metric: SimilarityMetric, candidate: string, reference: string): number {
  switch (metric) {
    case "fuzzy_match":
      return ratio(candidate, reference, { full_process: false }) / 100;
    case "token_set":
      return token_set_ratio(candidate, reference) / 100;
    case "bleu":
      return bleu(candidate, reference);
    case "rouge_l":
      return rougeL(candidate, reference);
    default:
      return rougeN(candidate, reference, Number(metric.slice("rouge_".length)));
  }
}

/**
 * OpenAI RFT's `text_similarity`: how close the final answer is to a reference text. Without
 * `passThreshold` the reward is the similarity itself; with it, the reward is 1 when the similarity
 * reaches the threshold (else 0) and the similarity is logged beside it as a weight-0 component.
 *
 * @example
 * // Summaries graded against the task's reference summary; pass at ROUGE-L 0.5:
 * textSimilarity({ metric: "rouge_l", reference: "{{task.summary}}", passThreshold: 0.5 })
 */
export function textSimilarity<TTask extends Task = Task>(opts: {
  name?: string;
  weight?: number;
  metric: SimilarityMetric;
  /** Template of the text graded (default `{{sample.output_text}}`, the final answer). */
  input?: string;
  /** Template of the reference text (default `{{item.answer}}`). */
  reference?: string;
  /** Turns the reward into pass/fail at this similarity, in [0, 1]. */
  passThreshold?: number;
}): RewardDefinition<TTask> {
  if (opts.passThreshold !== undefined && !(opts.passThreshold >= 0 && opts.passThreshold <= 1)) throw new Error(`textSimilarity: passThreshold must be in [0, 1] (got ${opts.passThreshold})`);
  return defineReward<TTask>({
    name: opts.name ?? "text_similarity",
    weight: opts.weight ?? 1,
    score: (ctx) => {
      const s = similarity(opts.metric, renderTemplate(opts.input ?? "{{sample.output_text}}", ctx), renderTemplate(opts.reference ?? "{{item.answer}}", ctx));
      if (opts.passThreshold === undefined) return s;
      return { components: { pass: s >= opts.passThreshold ? 1 : 0, similarity: s }, weights: { pass: 1, similarity: 0 } };
    },
  });
}
