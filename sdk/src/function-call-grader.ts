import type { Task } from "@agentrl/protocol";
import { defineReward, type RewardContext, type RewardDefinition } from "./reward.js";

/** BFCL-style ground truth: a list of calls, each `{function_name: {param: [allowed values]}}`; "" in a list means the parameter may be left out. */
export type FunctionCallGroundTruth = Record<string, Record<string, unknown[]>>[];

function norm(v: unknown): unknown {
  if (typeof v === "string") return v.trim().toLowerCase();
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, norm(x)]));
  return v;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

function callMatches(call: { name: string; arguments: Record<string, unknown> | null }, name: string, params: Record<string, unknown[]>): boolean {
  const args = call.arguments;
  if (call.name !== name || !args) return false;
  for (const key of Object.keys(args)) if (!(key in params)) return false;
  for (const [key, allowed] of Object.entries(params)) {
    if (!(key in args)) {
      if (!allowed.includes("")) return false;
      continue;
    }
    if (!allowed.some((a) => a !== "" && sameValue(args[key], a))) return false;
  }
  return true;
}

/** True when the calls match the ground truth one to one, in any order (parallel calls). */
export function functionCallsMatch(calls: { name: string; arguments: Record<string, unknown> | null }[], truth: FunctionCallGroundTruth): boolean {
  if (calls.length !== truth.length) return false;
  const used = new Set<number>();
  for (const gt of truth) {
    const [name, params] = Object.entries(gt)[0] ?? ["", {}];
    const i = calls.findIndex((c, idx) => !used.has(idx) && callMatches(c, name, params));
    if (i < 0) return false;
    used.add(i);
  }
  return true;
}

/** Grades function calling (BFCL AST-style): every call of the episode against `task.answer` (the ground truth). */
export function functionCallMatch<TTask extends Task = Task>(opts: { name?: string; weight?: number; truth?: (task: TTask) => FunctionCallGroundTruth } = {}): RewardDefinition<TTask> {
  return defineReward<TTask>({
    name: opts.name ?? "function_calls",
    weight: opts.weight ?? 1,
    score: (ctx: RewardContext<TTask>) => {
      const truth = opts.truth ? opts.truth(ctx.task) : (ctx.task.answer as FunctionCallGroundTruth | undefined);
      if (!Array.isArray(truth)) throw new Error(`task "${ctx.task.id}" has no ground-truth call list in "answer"`);
      const calls = ctx.turns.flatMap((t) => t.assistant.toolCalls ?? []);
      return functionCallsMatch(calls, truth);
    },
  });
}
