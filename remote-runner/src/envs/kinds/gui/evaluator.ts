import type { Desktop } from "./desktop.js";
import { sandboxTableReader } from "./files.js";
import { GETTERS, type GetterContext } from "./getters.js";
import { METRICS } from "./metrics.js";
import type { Getter, OSWorldTask } from "./osworld-task.js";
import { runSetupSteps } from "./setup-steps.js";

export interface Evaluation {
  /** 0..1 */
  score: number;
  /** Score of each metric, keyed `<index>:<func>`. */
  metrics: Record<string, number>;
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Scores a finished episode the way OSWorld does: run `postconfig`, get each result/expected with
 * its getter, apply each metric, combine with `conj` (and: all must pass → min; or: max).
 * `infeasible` tasks score 1 only when the agent's last action was FAIL.
 */
export async function evaluateOSWorld(task: OSWorldTask, desktop: Desktop, lastAction: string | null, downloads?: Map<string, Uint8Array>): Promise<Evaluation> {
  const ev = task.evaluator;
  const funcs = asList(ev.func);
  if (funcs.length === 1 && funcs[0] === "infeasible") {
    return { score: lastAction === "FAIL" ? 1 : 0, metrics: { "0:infeasible": lastAction === "FAIL" ? 1 : 0 } };
  }
  // An infeasible task's agent must not claim FAIL on a feasible one either.
  if (lastAction === "FAIL") return { score: 0, metrics: Object.fromEntries(funcs.map((f, i) => [`${i}:${f}`, 0])) };
  if (ev.postconfig?.length) await runSetupSteps(ev.postconfig, desktop, `${task.id} postconfig`, { downloads });
  const ctx: GetterContext = { desktop, downloads, readTable: sandboxTableReader(desktop.sandbox) };
  const results = asList(ev.result);
  const expecteds = asList(ev.expected);
  const options = asList(ev.options);
  const metrics: Record<string, number> = {};
  const scores: number[] = [];
  for (let i = 0; i < funcs.length; i++) {
    const func = funcs[i] as string;
    const get = async (g: Getter | undefined) => (g ? (GETTERS[g.type] as (typeof GETTERS)[string])(g, ctx) : undefined);
    const result = await get(results.length > 1 ? results[i] : results[0]);
    const expected = await get(expecteds.length > 1 ? expecteds[i] : expecteds[0]);
    const metric = METRICS[func];
    if (!metric) throw new Error(`unsupported metric "${func}"`);
    const s = Math.max(0, Math.min(1, await metric(result, expected, (options.length > 1 ? options[i] : options[0]) ?? {})));
    metrics[`${i}:${func}`] = s;
    scores.push(s);
  }
  const score = (ev.conj ?? "and") === "and" ? Math.min(...scores) : Math.max(...scores);
  return { score, metrics };
}
