import type { Task } from "@agentrl/protocol";
import { defineReward, type RewardContext, type RewardDefinition } from "./reward.js";
import { renderTemplate } from "./template.js";

/** One chat request to the runner's judge model (always sampled at temperature 0). */
export interface JudgeRequest {
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  /** Most tokens of the reply (default 512). */
  maxTokens?: number;
  /** Time limit of the request in ms (default 60 000); past it the reward fails. */
  timeoutMs?: number;
}

export interface JudgeReply {
  content: string;
  /** The answer came from the runner's cache (same model, messages and max tokens seen before). */
  cached: boolean;
}

/**
 * The runner's LLM judge: an OpenAI-compatible endpoint the runner is configured with
 * (AGENTRL_JUDGE_URL, AGENTRL_JUDGE_MODEL, AGENTRL_JUDGE_API_KEY). The runner makes the HTTP call on
 * the reward's behalf, so the endpoint and its key never enter bundle code; replies are cached by
 * the hash of the request.
 */
export interface JudgeHandle {
  complete(req: JudgeRequest): Promise<JudgeReply>;
}

/**
 * The score in a judge's reply: a JSON object with a numeric `score` (`{"score": 7, "reason": …}`),
 * a `<score>7</score>` tag, or a last line `Score: 7` / `7`. Anything else is an error: a judge that
 * rambles must not be read as 0.
 */
export function parseJudgeScore(reply: string): number {
  const json = [...reply.matchAll(/\{[^{}]*"score"[^{}]*\}/g)].pop();
  if (json) {
    try {
      const v = (JSON.parse(json[0]) as { score?: unknown }).score;
      const n = typeof v === "string" ? Number(v) : v;
      if (typeof n === "number" && Number.isFinite(n)) return n;
    } catch {
      // fall through to the other forms
    }
  }
  const tag = [...reply.matchAll(/<score>\s*(-?\d+(?:\.\d+)?)\s*<\/score>/g)].pop();
  if (tag?.[1]) return Number(tag[1]);
  const last = reply.trim().split("\n").pop()?.trim() ?? "";
  const line = /^(?:\**score\**\s*[:=]\s*)?(-?\d+(?:\.\d+)?)\**$/i.exec(last);
  if (line?.[1]) return Number(line[1]);
  throw new Error(`the judge's reply has no score (expected {"score": N}, <score>N</score> or a last line "Score: N"): ${JSON.stringify(reply.slice(0, 200))}`);
}

function checkRange(range: [number, number], who: string): void {
  if (!(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] < range[1])) throw new Error(`${who}: range must be [min, max] with min < max (got ${JSON.stringify(range)})`);
}

/** Asks the judge and returns its score mapped from `range` onto [0, 1]; a reply out of range or without a score throws (a reward error). */
export async function judgeScore(ctx: Pick<RewardContext, "judge">, messages: JudgeRequest["messages"], range: [number, number], opts: { maxTokens?: number; timeoutMs?: number } = {}): Promise<number> {
  if (!ctx.judge) throw new Error("no judge in this reward context. Fix: run the reward through an AgentRL runner with AGENTRL_JUDGE_URL set");
  const reply = await ctx.judge.complete({ messages, maxTokens: opts.maxTokens, timeoutMs: opts.timeoutMs });
  const score = parseJudgeScore(reply.content);
  if (score < range[0] || score > range[1]) throw new Error(`the judge scored ${score}, outside the range [${range[0]}, ${range[1]}]`);
  return (score - range[0]) / (range[1] - range[0]);
}

const DEFAULT_JUDGE_PROMPT = `Task:
{{task.prompt}}

Conversation:
{{trajectory}}

Final answer:
{{finalAnswer}}`;

function judgeSystem(range: [number, number], instructions: string): string {
  return `${instructions}\nReply with one JSON object and nothing else: {"reason": "<one sentence>", "score": <a number from ${range[0]} to ${range[1]}>}.`;
}

/**
 * An LLM judge (OpenAI RFT's `score_model`, verifiers' JudgeRubric): the runner's judge model reads
 * a prompt rendered from the episode and answers with a score in `range`; the reward is that score
 * mapped onto [0, 1]. Temperature 0, a time limit, and replies cached by content, so rescoring the
 * same trajectories costs nothing. A judge that fails, times out, or answers without a score or
 * out of range gives a reward error on that trajectory, never a silent 0.
 *
 * Placeholders in `prompt`: see {@link renderTemplate} (`{{task.prompt}}`, `{{task.answer}}`,
 * `{{finalAnswer}}`, `{{trajectory}}`, `{{item.*}}`, `{{sample.output_text}}`).
 *
 * @example
 * judge({
 *   name: "helpful",
 *   instructions: "Grade how well the answer solves the task; 10 = fully correct and clear.",
 *   prompt: "Question: {{task.prompt}}\nReference: {{task.answer}}\nAnswer: {{finalAnswer}}",
 *   range: [0, 10],
 * })
 */
export function judge<TTask extends Task = Task>(opts: {
  name?: string;
  weight?: number;
  /** What the judge is asked to grade (the system prompt; the reply format is added to it). */
  instructions?: string;
  /** Template of the user message (default: the task prompt, the conversation and the final answer). */
  prompt?: string;
  /** Scores the judge may give (default [0, 1]). */
  range?: [number, number];
  /** Judge request time limit in ms (default 60 000). */
  timeoutMs?: number;
  maxTokens?: number;
}): RewardDefinition<TTask> {
  const range = opts.range ?? [0, 1];
  checkRange(range, "judge");
  const system = judgeSystem(range, opts.instructions ?? "You grade an AI assistant's work on a task.");
  return defineReward<TTask>({
    name: opts.name ?? "judge",
    weight: opts.weight ?? 1,
    score: (ctx) =>
      judgeScore(ctx, [{ role: "system", content: system }, { role: "user", content: renderTemplate(opts.prompt ?? DEFAULT_JUDGE_PROMPT, ctx) }], range, { maxTokens: opts.maxTokens, timeoutMs: opts.timeoutMs }),
  });
}

export interface RubricCriterion {
  /** Component name (reported as `<rubric name>.<criterion name>`). */
  name: string;
  /** What the judge checks, e.g. "The answer cites the file it changed". */
  description: string;
  /** Relative weight (default 1); weights are normalized to sum to 1. */
  weight?: number;
}

/**
 * A rubric: each criterion judged on its own (in parallel, scores in [0, 1]), reported as one
 * component per criterion, combined by the criteria's weights (normalized to sum to 1, so the
 * rubric's total stays in [0, 1]). Any criterion the judge fails on makes the reward an error.
 *
 * @example
 * rubric({
 *   name: "review",
 *   criteria: [
 *     { name: "correct", description: "The final answer matches the reference {{task.answer}}.", weight: 3 },
 *     { name: "explains", description: "The answer says why, in one or two sentences." },
 *   ],
 * })
 */
export function rubric<TTask extends Task = Task>(opts: {
  name?: string;
  weight?: number;
  criteria: RubricCriterion[];
  /** Template of the episode shown with each criterion (default: task prompt, conversation, final answer). */
  prompt?: string;
  timeoutMs?: number;
  maxTokens?: number;
}): RewardDefinition<TTask> {
  if (opts.criteria.length === 0) throw new Error("rubric: give at least one criterion");
  const names = new Set<string>();
  for (const c of opts.criteria) {
    if (names.has(c.name)) throw new Error(`rubric: criterion "${c.name}" appears twice`);
    names.add(c.name);
    if (c.weight !== undefined && !(c.weight >= 0)) throw new Error(`rubric: criterion "${c.name}" has weight ${c.weight}; weights must be ≥ 0`);
  }
  const sum = opts.criteria.reduce((s, c) => s + (c.weight ?? 1), 0);
  if (!(sum > 0)) throw new Error("rubric: the criteria's weights sum to 0");
  const system = judgeSystem([0, 1], "You check one criterion of an AI assistant's work on a task: 1 when it is fully met, 0 when not, in between for partly.");
  return defineReward<TTask>({
    name: opts.name ?? "rubric",
    weight: opts.weight ?? 1,
    score: async (ctx) => {
      const episode = renderTemplate(opts.prompt ?? DEFAULT_JUDGE_PROMPT, ctx);
      const scores = await Promise.all(
        opts.criteria.map((c) =>
          judgeScore(ctx, [{ role: "system", content: system }, { role: "user", content: `${episode}\n\nCriterion: ${renderTemplate(c.description, ctx)}` }], [0, 1], { maxTokens: opts.maxTokens, timeoutMs: opts.timeoutMs }),
        ),
      );
      return {
        components: Object.fromEntries(opts.criteria.map((c, i) => [c.name, scores[i] ?? 0])),
        weights: Object.fromEntries(opts.criteria.map((c) => [c.name, (c.weight ?? 1) / sum])),
      };
    },
  });
}
