import fs from "node:fs";
import path from "node:path";
import type { RunConfig } from "@agentrl/protocol";
import type { LoadedEnvironment } from "../envs/load.js";
import { DEFAULT_ADVERSARY_THRESHOLD, lazyPolicySpecs } from "../policy/lazy.js";
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
  /** Lazy and declared adversaries: the trajectories that scored above the threshold (the ones to look at). */
  gamed?: { trajectoryId: string; taskId: string; reward: number }[];
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

/** Scripted adversaries the env declares (`adversaries` in env.ts), else files named adversary*.jsonl. */
export function findAdversaryScripts(env: LoadedEnvironment): string[] {
  const declared = (env.def as { adversaries?: unknown }).adversaries;
  if (Array.isArray(declared)) return declared.filter((f): f is string => typeof f === "string").map((f) => path.resolve(env.dir, f));
  return fs
    .readdirSync(env.dir)
    .filter((f) => /^adversar/i.test(f) && /\.jsonl?$/.test(f))
    .sort()
    .map((f) => path.join(env.dir, f));
}

interface PreflightPolicy {
  spec: string;
  label: string;
  role: "noop" | "reference" | "adversary";
  expected: string;
}

/** noop, the references, the built-in lazy policies (wrong-value imitates the first reference) and the env's adversaries. */
function preflightPolicies(env: LoadedEnvironment, refs: string[], adversaryThreshold: number): PreflightPolicy[] {
  const below = `every reward ≤ ${adversaryThreshold}`;
  const lazy = lazyPolicySpecs(refs[0]).map((l) => ({ ...l, role: "adversary" as const, expected: below }));
  return [
    { spec: "noop", label: "noop", role: "noop", expected: "every reward = 0" },
    ...refs.map((r) => ({ spec: `scripted:${r}`, label: path.basename(r), role: "reference" as const, expected: "" })),
    ...lazy,
    ...findAdversaryScripts(env).map((f) => ({ spec: `scripted:${f}`, label: path.basename(f), role: "adversary" as const, expected: below })),
  ];
}

/**
 * Reward calibration before training (the R2E-Gym "untouched repository scores 1.0" failure):
 * every noop trajectory must score exactly 0, the reference solution must average at least
 * `threshold` with no errors, and no lazy policy (empty answer, echo, right format with a wrong
 * value, every tool once, giving up) nor any adversary the env declares may score above
 * `adversaryThreshold` on any trajectory. Problems name the tasks and trajectories that fail.
 */
export async function preflight(
  store: Store,
  env: LoadedEnvironment,
  opts: { tasks?: number; threshold: number; adversaryThreshold?: number; adversaryTasks?: number; concurrency: number; log?: (l: string) => void },
): Promise<PreflightReport> {
  const problems: string[] = [];
  const checks: PreflightCheck[] = [];
  const refs = findReferenceScripts(env.dir);
  if (refs.length === 0) problems.push(`no reference solution in ${env.dir}. Fix: add a scripted policy file whose name contains "reference" (e.g. reference.jsonl, one {"task_id", "turns"} per task)`);
  const adversaryThreshold = opts.adversaryThreshold ?? DEFAULT_ADVERSARY_THRESHOLD;
  for (const p of preflightPolicies(env, refs, adversaryThreshold)) {
    const config: RunConfig = { envDir: env.dir, policy: { spec: p.spec }, group: 1, concurrency: opts.concurrency, kind: "preflight", name: `preflight ${p.label}` };
    // Adversaries run on a sample of the tasks (a reward that can be gamed usually can be on any task).
    const tasks = p.role === "adversary" ? Math.min(opts.tasks ?? env.tasks.length, opts.adversaryTasks ?? 8, env.tasks.length) : opts.tasks;
    if (tasks !== undefined) config.tasks = tasks;
    const { runId, summary } = await runLocally(store, env, config, { log: opts.log });
    const rows = store.runRows(runId);
    const rewards = rows.map((r) => r.reward).filter((x): x is number => x !== null);
    const check: PreflightCheck = {
      policy: p.label,
      runId,
      trajectories: summary.trajectories,
      errors: summary.errors,
      mean: summary.meanReward,
      min: rewards.length ? Math.min(...rewards) : null,
      max: rewards.length ? Math.max(...rewards) : null,
      expected: p.role === "reference" ? `mean ≥ ${opts.threshold}, no errors` : p.expected,
      ok: true,
    };
    if (p.role === "noop") {
      const nonzero = rows.filter((r) => r.reward !== null && r.reward !== 0);
      check.ok = nonzero.length === 0 && summary.errors === 0;
      if (nonzero.length) problems.push(`noop scores above 0 on ${nonzero.length} task(s): ${nonzero.slice(0, 10).map((r) => `${r.taskId}=${r.reward}`).join(", ")} — the reward can be earned without doing the task`);
    } else if (p.role === "reference") {
      const low = rows.filter((r) => r.reward === null || r.reward < opts.threshold);
      check.ok = summary.errors === 0 && summary.meanReward !== null && summary.meanReward >= opts.threshold;
      if (!check.ok) problems.push(`${p.label} scores mean ${summary.meanReward ?? "n/a"} (< ${opts.threshold}) or has errors; low tasks: ${low.slice(0, 10).map((r) => `${r.taskId}=${r.reward ?? r.error}`).join(", ")}`);
    } else {
      const gamed = rows.filter((r) => r.reward !== null && r.reward > adversaryThreshold);
      check.gamed = gamed.map((r) => ({ trajectoryId: r.id, taskId: r.taskId, reward: r.reward as number }));
      check.ok = gamed.length === 0;
      if (gamed.length) {
        const worst = [...gamed].sort((a, b) => (b.reward ?? 0) - (a.reward ?? 0))[0];
        problems.push(
          `${p.label} scores above ${adversaryThreshold} on ${gamed.length} of ${rows.length} trajectories (worst: task ${worst?.taskId} = ${worst?.reward}, trajectory ${worst?.id} in run ${runId}) — the reward pays for a lazy answer; look at that trajectory (agentrl export ${runId}, or the inspector) and make the reward check the value, not just the form`,
        );
      }
    }
    if (summary.errors > 0 && p.role !== "adversary") {
      const errs = rows.filter((r) => r.error).slice(0, 5);
      problems.push(`${p.label}: ${summary.errors} trajectories with errors, e.g. ${errs.map((r) => `${r.taskId}: ${r.error}`).join("; ")}`);
    }
    checks.push(check);
  }
  return { ok: problems.length === 0 && checks.every((c) => c.ok), env: env.info.name, checks, problems };
}
