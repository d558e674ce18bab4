import crypto from "node:crypto";
import type { Message } from "@agentrl/protocol";
import type { JudgeHandle, JudgeReply, JudgeRequest } from "@agentrl/sdk";
import { OpenAIPolicy } from "../policy/openai.js";

/**
 * The judge capability rewards get (`ctx.judge`): the runner makes the chat-completions call on the
 * reward's behalf, so the endpoint and its API key come from the runner's configuration and never
 * reach bundle code (which only sees this narrow `complete`). Requests are validated and bounded
 * (they come from bundle code), sent at temperature 0 through the same OpenAI-compatible client
 * the policies use, and answers are cached by the hash of (model, messages, max tokens).
 */
export interface JudgeConfig {
  baseUrl: string;
  model?: string;
  apiKey?: string;
  /** Answers kept (least recently used dropped first). */
  cacheEntries?: number;
}

const LIMITS = { messages: 64, chars: 200_000, maxTokens: 4096, timeoutMs: 300_000 };

/** The runner's judge from its environment (AGENTRL_JUDGE_URL, AGENTRL_JUDGE_MODEL, AGENTRL_JUDGE_API_KEY); none without a URL. */
export function judgeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): JudgeConfig | undefined {
  const baseUrl = env.AGENTRL_JUDGE_URL;
  if (!baseUrl) return undefined;
  return { baseUrl, model: env.AGENTRL_JUDGE_MODEL || undefined, apiKey: env.AGENTRL_JUDGE_API_KEY || undefined };
}

/** Checks a judge request that came from bundle code; throws naming what is wrong. */
export function validateJudgeRequest(raw: unknown): Required<Pick<JudgeRequest, "messages">> & { maxTokens: number; timeoutMs: number } {
  if (!raw || typeof raw !== "object") throw new Error("judge request must be an object { messages, maxTokens?, timeoutMs? }");
  const { messages, maxTokens, timeoutMs } = raw as Record<string, unknown>;
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > LIMITS.messages) throw new Error(`judge request needs 1 to ${LIMITS.messages} messages`);
  let chars = 0;
  const out: JudgeRequest["messages"] = [];
  for (const m of messages as unknown[]) {
    const { role, content } = (m ?? {}) as Record<string, unknown>;
    if ((role !== "system" && role !== "user" && role !== "assistant") || typeof content !== "string") throw new Error('judge messages must be { role: "system" | "user" | "assistant", content: string }');
    chars += content.length;
    out.push({ role, content });
  }
  if (chars > LIMITS.chars) throw new Error(`judge request has ${chars} characters; the limit is ${LIMITS.chars}. Fix: shorten the prompt template (e.g. leave {{trajectory}} out)`);
  const num = (v: unknown, dflt: number, max: number, what: string): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) throw new Error(`judge ${what} must be an integer from 1 to ${max} (got ${JSON.stringify(v)})`);
    return v;
  };
  return { messages: out, maxTokens: num(maxTokens, 512, LIMITS.maxTokens, "maxTokens"), timeoutMs: num(timeoutMs, 60_000, LIMITS.timeoutMs, "timeoutMs") };
}

export class JudgeClient implements JudgeHandle {
  /** HTTP requests made and answers served from the cache (in-flight duplicates included). */
  readonly stats = { requests: 0, cacheHits: 0 };
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly config: JudgeConfig) {}

  async complete(raw: JudgeRequest): Promise<JudgeReply> {
    const req = validateJudgeRequest(raw);
    const key = crypto.createHash("sha256").update(JSON.stringify([this.config.baseUrl, this.config.model ?? "", req.messages, req.maxTokens])).digest("hex");
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.cacheHits++;
      this.cache.delete(key);
      this.cache.set(key, hit);
      return { content: await hit, cached: true };
    }
    const answer = this.ask(req);
    this.cache.set(key, answer);
    while (this.cache.size > (this.config.cacheEntries ?? 4096)) this.cache.delete(this.cache.keys().next().value as string);
    try {
      return { content: await answer, cached: false };
    } catch (err) {
      this.cache.delete(key);
      throw err;
    }
  }

  private async ask(req: ReturnType<typeof validateJudgeRequest>): Promise<string> {
    this.stats.requests++;
    const client = new OpenAIPolicy({ baseUrl: this.config.baseUrl, model: this.config.model, apiKey: this.config.apiKey, temperature: 0, maxTokens: req.maxTokens, timeoutMs: req.timeoutMs, stream: false, toolFormat: "native", retries: 2 });
    const messages: Message[] = req.messages.map((m) => ({ role: m.role, content: m.content }));
    try {
      const res = await client.chat({ messages, tools: [], taskId: "judge", sampleIndex: 0, turn: 0, signal: AbortSignal.timeout(req.timeoutMs) });
      return res.content;
    } catch (err) {
      throw new Error(`the judge endpoint failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** The runner's judge, or a handle whose every call fails naming the fix (so `judge` graders report a reward error). */
export function runnerJudge(config: JudgeConfig | undefined = judgeConfigFromEnv()): JudgeHandle {
  if (config) return new JudgeClient(config);
  return {
    complete: () => Promise.reject(new Error("this runner has no judge endpoint. Fix: start the runner with AGENTRL_JUDGE_URL (an OpenAI-compatible base URL), and AGENTRL_JUDGE_MODEL / AGENTRL_JUDGE_API_KEY if it needs them")),
  };
}
