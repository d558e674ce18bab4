import type { RewardError, RewardResult } from "@agentrl/protocol";
import type { RewardContext, SandboxHandle } from "@agentrl/sdk";
import { isBundleFunction, type EnvDescription } from "../envs/description.js";
import { EnvCodeError, type EnvHost } from "../envs/host.js";
import type { TurnScores } from "./turn-rewards.js";
import { MAX_ABS_REWARD } from "./advantages.js";
import { locateInBundle } from "./source-location.js";
import { RewardCodeError, RewardTimeoutError, type RewardWorkerPool } from "./worker-pool.js";

/** Everything a reward sees except the sandbox and the judge (capabilities that stay in the main thread). */
export type RewardInput = Omit<RewardContext, "sandbox" | "judge">;

/** A usable reward value: a boolean, or a finite number within ±MAX_ABS_REWARD (NaN, ±Infinity and 1e308 are bugs in the reward). */
function toNumber(v: unknown): number | null {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= MAX_ABS_REWARD) return v;
  return null;
}

/** A reward's per-turn scores (`turns`): one finite number or boolean per turn of the episode. */
function turnValues(raw: unknown, turns: number): number[] | string {
  if (!Array.isArray(raw) || raw.length !== turns) return `turns must list one score per turn of the episode (${turns}), got ${JSON.stringify(raw)?.slice(0, 80)}`;
  const out = raw.map(toNumber);
  const bad = out.findIndex((v) => v === null);
  return bad >= 0 ? `turns[${bad}] is ${JSON.stringify(raw[bad])}, not a finite number` : (out as number[]);
}

/** How a bad value reads in an error (JSON.stringify would print NaN and Infinity as null). */
function show(v: unknown): string {
  return typeof v === "number" ? String(v) : (JSON.stringify(v)?.slice(0, 100) ?? String(v));
}

const RANGE = `a finite number within ±${MAX_ABS_REWARD.toExponential()}`;

/** Adds one reward's value to the components; returns an error text when the value is not usable. */
function addValue(name: string, weight: number, value: unknown, components: Record<string, number>, weights: Record<string, number>, turnScores?: { scores: TurnScores; turns: number }): string | null {
  const n = toNumber(value);
  if (n !== null) {
    components[name] = n;
    weights[name] = weight;
    return null;
  }
  if (value && typeof value === "object" && "components" in value) {
    const v = value as { components: Record<string, unknown>; weights?: Record<string, unknown>; turns?: unknown };
    if (v.turns !== undefined && turnScores) {
      const t = turnValues(v.turns, turnScores.turns);
      if (typeof t === "string") return t;
      turnScores.scores[name] = { weight, values: t };
    }
    const out: Record<string, number> = {};
    for (const [k, raw] of Object.entries(v.components ?? {})) {
      const c = toNumber(raw);
      if (c === null) return `component "${k}" is ${show(raw)}, not ${RANGE}; fix the reward so it returns one`;
      out[k] = c;
    }
    for (const [k, c] of Object.entries(out)) {
      const w = toNumber(v.weights?.[k] ?? 1);
      components[`${name}.${k}`] = c;
      weights[`${name}.${k}`] = weight * (w ?? 1);
    }
    return null;
  }
  return `returned ${show(value)}; a reward must return ${RANGE}, a boolean, or { components: {...}, weights?: {...} }`;
}

type DescribedReward = EnvDescription["rewards"][number];

/** A command reward's command: given as data, or built by its `command(task)` in the env host's process. */
async function commandOf(r: DescribedReward & { command: unknown }, task: RewardInput["task"], host: EnvHost, timeoutMs: number): Promise<string | string[]> {
  const c = r.command;
  if (isBundleFunction(c)) return host.rewardCommand(r.name, task, timeoutMs);
  if (typeof c === "string" || (Array.isArray(c) && c.every((a) => typeof a === "string"))) return c as string | string[];
  throw new Error(`reward "${r.name}" has a command that is neither a string, an array of strings nor a function`);
}

/**
 * Runs every reward of an environment over one finished episode. Function rewards run in reward
 * processes (hard time limit); command rewards run in the sandbox. A reward that throws, times out or
 * returns garbage becomes a RewardError; the total is null when a weighted reward failed.
 */
export async function scoreEpisode(opts: {
  rewards: DescribedReward[];
  input: RewardInput;
  sandbox: SandboxHandle;
  pool: RewardWorkerPool;
  /** Where command builders of the env run (bundle code never runs in the runner). */
  host: EnvHost;
  defaultTimeoutMs: number;
  /** Filled with the rewards' per-turn scores (rewards that return `turns`). */
  turnScores?: TurnScores;
}): Promise<RewardResult> {
  const t0 = performance.now();
  const components: Record<string, number> = {};
  const weights: Record<string, number> = {};
  const errors: RewardError[] = [];
  let weightedFailure = false;
  for (const r of opts.rewards) {
    const weight = r.weight ?? 1;
    const timeoutMs = r.timeoutMs ?? opts.defaultTimeoutMs;
    let value: unknown;
    try {
      if ("score" in r && isBundleFunction(r.score)) {
        value = await opts.pool.run(r.name, opts.input, opts.sandbox, timeoutMs);
      } else if ("command" in r) {
        const res = await opts.sandbox.exec(await commandOf(r, opts.input.task, opts.host, timeoutMs), { timeoutMs });
        if (res.timedOut) throw new RewardTimeoutError(`reward command did not finish within ${timeoutMs} ms`);
        if ((r as { parse?: string }).parse === "number") {
          const last = res.stdout.trim().split("\n").pop() ?? "";
          const n = Number(last);
          if (last === "" || !Number.isFinite(n)) throw new Error(`the command's last output line "${last.slice(0, 80)}" is not a number (exit ${res.exitCode})`);
          value = n;
        } else value = res.exitCode === 0 ? 1 : 0;
      } else throw new Error(`reward "${r.name}" has neither a score function nor a command`);
    } catch (err) {
      const timeout = err instanceof RewardTimeoutError || (err instanceof EnvCodeError && err.timeout);
      const error: RewardError = { reward: r.name, kind: timeout ? "timeout" : "threw", message: (err as Error)?.message ?? String(err) };
      const location = err instanceof RewardCodeError && err.bundleStack ? locateInBundle(err.bundleStack, opts.pool.bundlePath) : undefined;
      if (location) error.location = location;
      errors.push(error);
      if (weight > 0) weightedFailure = true;
      continue;
    }
    const problem = addValue(r.name, weight, value, components, weights, opts.turnScores && { scores: opts.turnScores, turns: opts.input.turns.length });
    if (problem) {
      errors.push({ reward: r.name, kind: "invalid_result", message: problem });
      if (weight > 0) weightedFailure = true;
    }
  }
  const sum = Object.entries(components).reduce((s, [k, v]) => s + v * (weights[k] ?? 0), 0);
  // Rounded so 0.7 + 0.2 + 0.1 reads as 1, not 0.9999999999999999.
  const total = weightedFailure ? null : Math.round(sum * 1e12) / 1e12;
  return { total, components, weights, errors, durationMs: performance.now() - t0 };
}
