import path from "node:path";
import type { PolicyConfig } from "@agentrl/protocol";
import { NoopPolicy } from "./noop.js";
import { OpenAIPolicy } from "./openai.js";
import { ScriptedPolicy } from "./scripted.js";
import type { Policy } from "./types.js";

/** Builds the policy a run names: `noop`, `scripted:FILE` (relative to `baseDir`), or an http(s) URL. */
export function createPolicy(config: PolicyConfig, baseDir = process.cwd()): Policy {
  const spec = config.spec.trim();
  if (spec === "noop") return new NoopPolicy();
  if (spec.startsWith("scripted:")) {
    const file = spec.slice("scripted:".length);
    if (!file) throw new Error('scripted policy needs a file: --policy scripted:PATH. Fix: name the JSONL file of scripted turns');
    return new ScriptedPolicy(path.resolve(baseDir, file));
  }
  if (/^https?:\/\//.test(spec)) {
    return new OpenAIPolicy({
      baseUrl: spec,
      model: config.model,
      apiKey: config.apiKey ?? process.env.AGENTRL_POLICY_API_KEY ?? process.env.OPENAI_API_KEY,
      stream: config.stream,
      toolFormat: config.toolFormat,
      temperature: config.temperature,
      maxTokens: config.maxTokens,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      returnTokenIds: config.returnTokenIds,
    });
  }
  throw new Error(`unknown policy "${spec}". Fix: use noop, scripted:FILE, or the http(s) URL of an OpenAI-compatible server`);
}
