import path from "node:path";
import { REDACTED_SECRET, type PolicyConfig } from "@agentrl/protocol";
import { LAZY_POLICIES, LazyPolicy, type LazyKind } from "./lazy.js";
import { NoopPolicy } from "./noop.js";
import { OpenAIPolicy } from "./openai.js";
import { ScriptedPolicy, type ScriptedTurn } from "./scripted.js";
import type { Policy } from "./types.js";

/** Where `oracle` finds each task's reference solution (the environment's kind). */
export interface OracleSource {
  reference(taskId: string): ScriptedTurn[] | null;
}

export interface CreatePolicyOptions {
  /**
   * Hosts the runner's own key (AGENTRL_POLICY_API_KEY / OPENAI_API_KEY) may be sent to. Absent:
   * any (the operator named the URL on the command line). The server passes its `--policy-allow`
   * list, so a caller cannot point the runner at a host of theirs and collect its key.
   */
  ownKeyHosts?: readonly string[];
  /** Where `oracle` finds each task's reference solution (the environment's kind). */
  oracle?: OracleSource;
}

/** The bearer key for a policy URL: the run's own, else the runner's where that host is allowed. */
function policyKey(config: PolicyConfig, url: URL, opts: CreatePolicyOptions): { apiKey?: string; withheld?: string } {
  if (config.apiKey && config.apiKey !== REDACTED_SECRET) return { apiKey: config.apiKey };
  const own = process.env.AGENTRL_POLICY_API_KEY ?? process.env.OPENAI_API_KEY;
  if (!own) return {};
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (!opts.ownKeyHosts || opts.ownKeyHosts.some((h) => h.toLowerCase() === host)) return { apiKey: own };
  return {
    withheld: `the runner's own API key is sent only to hosts named by \`agentrl serve --policy-allow\` (${opts.ownKeyHosts.join(", ") || "none"}), not to ${host}. Fix: start the runner with --policy-allow ${host}, or send policy.apiKey with the run`,
  };
}

/**
 * Builds the policy a run names: `noop`, `scripted:FILE` (relative to `baseDir`), `oracle` (each
 * task's reference solution as its environment kind gives it, e.g. a Harbor task's solution/solve.sh),
 * `lazy:KIND[:FILE]` (see lazy.ts), or an http(s) URL.
 */
export function createPolicy(config: PolicyConfig, baseDir = process.cwd(), opts: CreatePolicyOptions = {}): Policy {
  const oracle = opts.oracle;
  const spec = config.spec.trim();
  if (spec === "noop") return new NoopPolicy();
  if (spec === "oracle") {
    if (!oracle) throw new Error("--policy oracle needs an environment whose kind gives reference solutions. Fix: use scripted:FILE with a reference script");
    return new ScriptedPolicy("oracle", {
      name: "oracle",
      turnsFor: (id) => oracle.reference(id) ?? undefined,
      missing: (id) => `task "${id}" has no reference solution for --policy oracle (a Harbor task needs solution/solve.sh). Fix: add one, or leave the task out with --tasks`,
    });
  }
  if (spec.startsWith("scripted:")) {
    const file = spec.slice("scripted:".length);
    if (!file) throw new Error('scripted policy needs a file: --policy scripted:PATH. Fix: name the JSONL file of scripted turns');
    return new ScriptedPolicy(path.resolve(baseDir, file));
  }
  if (spec.startsWith("lazy:")) {
    const [kind = "", ...rest] = spec.slice("lazy:".length).split(":");
    if (!(LAZY_POLICIES as readonly string[]).includes(kind)) throw new Error(`unknown lazy policy "${kind}". Fix: use lazy:${LAZY_POLICIES.join(", lazy:")}`);
    const file = rest.join(":");
    return new LazyPolicy(kind as LazyKind, file ? path.resolve(baseDir, file) : undefined);
  }
  if (/^https?:\/\//.test(spec)) {
    const key = policyKey(config, new URL(spec), opts);
    return new OpenAIPolicy({
      baseUrl: spec,
      model: config.model,
      ...key,
      stream: config.stream,
      toolFormat: config.toolFormat,
      temperature: config.temperature,
      maxTokens: config.maxTokens,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      returnTokenIds: config.returnTokenIds,
    });
  }
  throw new Error(`unknown policy "${spec}". Fix: use noop, oracle, scripted:FILE, lazy:KIND, or the http(s) URL of an OpenAI-compatible server`);
}
