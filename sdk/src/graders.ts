import { Ajv } from "ajv";
import type { Task } from "@agentrl/protocol";
import { defineReward, type RewardContext, type RewardDefinition } from "./reward.js";
import { answersEqual, extractTagged } from "./answer.js";

type Extract<TTask extends Task> = (ctx: RewardContext<TTask>) => string | null;

/** Default extraction: the last `<answer>` tag of the final answer, else the whole final answer. */
export function defaultExtract(ctx: RewardContext): string | null {
  return extractTagged(ctx.finalAnswer) ?? (ctx.finalAnswer.trim() || null);
}

/** 1 when the extracted answer equals the task's expected answer (numbers compared numerically). */
export function exactMatch<TTask extends Task = Task>(opts: {
  name?: string;
  weight?: number;
  expected?: (task: TTask) => unknown;
  extract?: Extract<TTask>;
  caseSensitive?: boolean;
} = {}): RewardDefinition<TTask> {
  return defineReward<TTask>({
    name: opts.name ?? "exact_match",
    weight: opts.weight ?? 1,
    score: (ctx) => {
      const expected = opts.expected ? opts.expected(ctx.task) : ctx.task.answer;
      if (expected === undefined || expected === null) throw new Error(`task "${ctx.task.id}" has no answer to compare with (add an "answer" field or pass expected)`);
      const got = (opts.extract ?? (defaultExtract as Extract<TTask>))(ctx);
      return got !== null && answersEqual(got, expected, { caseSensitive: opts.caseSensitive });
    },
  });
}

/** 1 when the final answer (or the extracted text) matches the pattern. */
export function regexMatch<TTask extends Task = Task>(opts: { name?: string; weight?: number; pattern: RegExp | string; extract?: Extract<TTask> }): RewardDefinition<TTask> {
  const re = typeof opts.pattern === "string" ? new RegExp(opts.pattern) : opts.pattern;
  return defineReward<TTask>({
    name: opts.name ?? "regex_match",
    weight: opts.weight ?? 1,
    score: (ctx) => {
      const text = opts.extract ? opts.extract(ctx) : ctx.finalAnswer;
      re.lastIndex = 0;
      return text !== null && re.test(text);
    },
  });
}

/** 1 when the extracted answer parses as JSON and validates against the schema. */
export function jsonSchemaValid<TTask extends Task = Task>(opts: { name?: string; weight?: number; schema: Record<string, unknown>; extract?: Extract<TTask> }): RewardDefinition<TTask> {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(opts.schema);
  return defineReward<TTask>({
    name: opts.name ?? "json_schema_valid",
    weight: opts.weight ?? 1,
    score: (ctx) => {
      const text = (opts.extract ?? (defaultExtract as Extract<TTask>))(ctx);
      if (text === null) return 0;
      try {
        return validate(JSON.parse(text)) ? 1 : 0;
      } catch {
        return 0;
      }
    },
  });
}

/**
 * Format credit: 1 when the final assistant message contains exactly one answer in the expected
 * shape (by default one `<answer>…</answer>` tag whose content matches `content`).
 */
export function formatReward<TTask extends Task = Task>(opts: { name?: string; weight?: number; tag?: string; content?: RegExp } = {}): RewardDefinition<TTask> {
  const tag = opts.tag ?? "answer";
  return defineReward<TTask>({
    name: opts.name ?? "format",
    weight: opts.weight ?? 1,
    score: (ctx) => {
      const count = [...ctx.finalAnswer.matchAll(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, "g"))].length;
      if (count !== 1) return 0;
      const inner = extractTagged(ctx.finalAnswer, tag) ?? "";
      return opts.content ? opts.content.test(inner) : inner.length > 0;
    },
  });
}

/**
 * OTC-style tool-call efficiency (Wang et al., "Acting Less is Reasoning More"): 1 when the episode
 * used the optimal number of tool calls n, decaying as it uses more (or fewer) calls m; multiplied by
 * correctness so a wrong answer earns nothing for being cheap.
 */
export function otcToolScore(m: number, n: number, c = 1): number {
  if (n <= 0) return m === 0 ? 1 : Math.cos((m * Math.PI) / (2 * m + c));
  if (m === 0) return 0;
  const f = (2 * n * m) / (m + n);
  return Math.max(0, Math.sin((f * Math.PI) / (2 * n)));
}

export function toolEfficiency<TTask extends Task = Task>(opts: {
  name?: string;
  weight?: number;
  /** Optimal number of tool calls for the task (default: task.metadata.optimalToolCalls, else 1). */
  optimal?: (task: TTask) => number;
  /** Correctness gate; default: exact match of the answer against task.answer. */
  correct?: (ctx: RewardContext<TTask>) => boolean;
} = {}): RewardDefinition<TTask> {
  return defineReward<TTask>({
    name: opts.name ?? "tool_efficiency",
    weight: opts.weight ?? 1,
    score: (ctx) => {
      const correct = opts.correct
        ? opts.correct(ctx)
        : (() => {
            const got = defaultExtract(ctx);
            return got !== null && ctx.task.answer !== undefined && answersEqual(got, ctx.task.answer);
          })();
      if (!correct) return 0;
      const meta = ctx.task.metadata as { optimalToolCalls?: unknown } | undefined;
      const n = opts.optimal ? opts.optimal(ctx.task) : typeof meta?.optimalToolCalls === "number" ? meta.optimalToolCalls : 1;
      return otcToolScore(ctx.toolCalls, n);
    },
  });
}
