import fs from "node:fs";
import path from "node:path";
import type { RunConfig } from "@agentrl/protocol";
import type { LoadedEnvironment } from "../envs/load.js";
import type { Store } from "../store/store.js";
import { runLocally } from "./local.js";

export interface PreflightCheck {
  policy: string;
  runId: string;
  trajectories: number;
  errors: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  expected: string;
  ok: boolean;
}

export interface PreflightReport {
  ok: boolean;
  env: string;
  checks: PreflightCheck[];
  problems: string[];
}

/** Scripted reference solutions in the env folder: JSONL files whose name contains "reference". */
export function findReferenceScripts(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /reference/i.test(f) && /\.jsonl?$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Reward calibration before training (the R2E-Gym "untouched repository scores 1.0" failure):
 * every noop trajectory must score exactly 0, and the reference solution must average at least
 * `threshold` with no errors. Problems name the tasks that fail.
 */
export async function preflight(store: Store, env: LoadedEnvironment, opts: { tasks?: number; threshold: number; concurrency: number; log?: (l: string) => void }): Promise<PreflightReport> {
  const problems: string[] = [];
  const checks: PreflightCheck[] = [];
  const refs = findReferenceScripts(env.dir);
  if (refs.length === 0) problems.push(`no reference solution in ${env.dir}. Fix: add a scripted policy file whose name contains "reference" (e.g. reference.jsonl, one {"task_id", "turns"} per task)`);
  const policies = [{ spec: "noop", expected: "every reward = 0" }, ...refs.map((r) => ({ spec: `scripted:${r}`, expected: `mean ≥ ${opts.threshold}, no errors` }))];
  for (const p of policies) {
    const config: RunConfig = { envDir: env.dir, policy: { spec: p.spec }, group: 1, concurrency: opts.concurrency, kind: "preflight", name: `preflight ${p.spec === "noop" ? "noop" : path.basename(p.spec)}` };
    if (opts.tasks !== undefined) config.tasks = opts.tasks;
    const { runId, summary } = await runLocally(store, env, config, { log: opts.log });
    const rows = store.runRows(runId);
    const rewards = rows.map((r) => r.reward).filter((x): x is number => x !== null);
    const label = p.spec === "noop" ? "noop" : path.basename(p.spec);
    let ok: boolean;
    if (p.spec === "noop") {
      const nonzero = rows.filter((r) => r.reward !== null && r.reward !== 0);
      ok = nonzero.length === 0 && summary.errors === 0;
      if (nonzero.length) problems.push(`noop scores above 0 on ${nonzero.length} task(s): ${nonzero.slice(0, 10).map((r) => `${r.taskId}=${r.reward}`).join(", ")} — the reward can be earned without doing the task`);
    } else {
      const low = rows.filter((r) => r.reward === null || r.reward < opts.threshold);
      ok = summary.errors === 0 && summary.meanReward !== null && summary.meanReward >= opts.threshold;
      if (!ok) problems.push(`${label} scores mean ${summary.meanReward ?? "n/a"} (< ${opts.threshold}) or has errors; low tasks: ${low.slice(0, 10).map((r) => `${r.taskId}=${r.reward ?? r.error}`).join(", ")}`);
    }
    if (summary.errors > 0) {
      const errs = rows.filter((r) => r.error).slice(0, 5);
      problems.push(`${label}: ${summary.errors} trajectories with errors, e.g. ${errs.map((r) => `${r.taskId}: ${r.error}`).join("; ")}`);
    }
    checks.push({
      policy: label,
      runId,
      trajectories: summary.trajectories,
      errors: summary.errors,
      mean: summary.meanReward,
      min: rewards.length ? Math.min(...rewards) : null,
      max: rewards.length ? Math.max(...rewards) : null,
      expected: p.expected,
      ok,
    });
  }
  return { ok: problems.length === 0 && checks.every((c) => c.ok), env: env.info.name, checks, problems };
}
