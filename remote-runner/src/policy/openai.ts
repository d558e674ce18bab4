import type { PolicyInfo, ToolSpec } from "@agentrl/protocol";
import { parseHermesToolCalls, renderHermesTools } from "./hermes.js";
import { toWireMessages, type WireMessage } from "./openai-messages.js";
import { cappedChunks, cappedText, sseData } from "./sse.js";
import { extendsIds } from "../util/token-ids.js";
import { PolicyError, type Policy, type PolicyRequest, type PolicyResponse, type RawToolCall } from "./types.js";

/**
 * What one answer may hold. The policy is an adversary (or just broken): without caps one answer
 * can take the runner's memory (a 450 MB answer took it past 3 GB).
 */
export interface PolicyLimits {
  /** Bytes of one response body, streamed or not. */
  maxResponseBytes: number;
  /** Tool calls in one turn. */
  maxToolCalls: number;
  /** Entries of the token id and logprob arrays of one answer. */
  maxTokens: number;
}

export const DEFAULT_POLICY_LIMITS: PolicyLimits = { maxResponseBytes: 32 << 20, maxToolCalls: 64, maxTokens: 1 << 17 };

export interface OpenAIPolicyOptions {
  /** Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (a bare host gets /v1). */
  baseUrl: string;
  model?: string;
  apiKey?: string;
  stream?: boolean;
  toolFormat?: "native" | "hermes" | "auto";
  temperature?: number;
  maxTokens?: number;
  /** Time limit of one request, in ms (default 120 s). */
  timeoutMs?: number;
  /** Retries after transport failures, time-outs, 5xx and 429 (default 3). 4xx are never retried. */
  retries?: number;
  /** Initial backoff delay in ms, doubled per retry (default 250). */
  backoffMs?: number;
  /** Ask for `prompt_token_ids`, `token_ids` and logprobs (vLLM-compatible servers, the built-in policy server). */
  returnTokenIds?: boolean;
  /** Caps on one answer (defaults: DEFAULT_POLICY_LIMITS). */
  limits?: Partial<PolicyLimits>;
  /** Why the runner's own key was not sent (a host outside --policy-allow): added to 401/403 errors. */
  withheld?: string;
}

interface WireToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface WireChoice {
  message?: { content?: string | null; tool_calls?: WireToolCall[] };
  delta?: { content?: string | null; tool_calls?: WireToolCall[] };
  finish_reason?: string | null;
  token_ids?: number[];
  logprobs?: { content?: { logprob: number; token?: string }[] | null } | null;
}

interface WireResponse {
  model?: string;
  choices?: WireChoice[];
  prompt_token_ids?: number[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string };
}

export function normalizeBaseUrl(url: string): string {
  const u = new URL(url);
  let p = u.pathname.replace(/\/+$/, "");
  if (p === "") p = "/v1";
  if (p.endsWith("/chat/completions")) p = p.slice(0, -"/chat/completions".length);
  return `${u.origin}${p}`;
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

function overLimit(what: string, n: number, max: number, fix: string): PolicyError {
  return new PolicyError("limit", `the policy's answer has ${n} ${what}; the runner takes at most ${max}. Fix: ${fix}`);
}

/** Accumulates a streamed (or whole) response into one message. */
class Accumulator {
  content = "";
  calls = new Map<number, { id: string; name: string; args: string }>();
  finishReason: string | undefined;
  model: string | undefined;
  promptTokenIds: number[] | undefined;
  completionTokenIds: number[] | undefined;
  logprobs: number[] | undefined;
  tokens: string[] | undefined;
  usage: PolicyInfo["usage"];

  constructor(private readonly limits: PolicyLimits) {}

  add(r: WireResponse, streamed: boolean): void {
    if (r.error) throw new PolicyError("protocol", `the server sent an error: ${r.error.message ?? JSON.stringify(r.error)}`);
    this.model ??= r.model;
    if (r.prompt_token_ids) this.promptTokenIds = r.prompt_token_ids;
    if (r.usage && typeof r.usage.prompt_tokens === "number") this.usage = { promptTokens: r.usage.prompt_tokens, completionTokens: r.usage.completion_tokens ?? 0 };
    const c = r.choices?.[0];
    if (!c) return;
    const part = streamed ? c.delta : c.message;
    if (part?.content) this.content += part.content;
    for (const [i, tc] of (part?.tool_calls ?? []).entries()) {
      const idx = tc.index ?? i;
      const cur = this.calls.get(idx) ?? { id: "", name: "", args: "" };
      if (tc.id) cur.id = tc.id;
      if (tc.function?.name) cur.name += tc.function.name;
      if (tc.function?.arguments) cur.args += tc.function.arguments;
      this.calls.set(idx, cur);
      if (this.calls.size > this.limits.maxToolCalls) {
        throw overLimit("tool calls in one turn", this.calls.size, this.limits.maxToolCalls, "ask the model for fewer calls per turn (or raise limits.maxToolCalls)");
      }
    }
    if (c.finish_reason) this.finishReason = c.finish_reason;
    const ids = Array.isArray(c.token_ids) ? c.token_ids : [];
    const lps = Array.isArray(c.logprobs?.content) ? c.logprobs.content : [];
    // Checked before copying: a huge array must not be spread (or kept) at all.
    const n = Math.max((this.completionTokenIds?.length ?? 0) + ids.length, (this.logprobs?.length ?? 0) + lps.length, this.promptTokenIds?.length ?? 0);
    if (n > this.limits.maxTokens) throw overLimit("tokens", n, this.limits.maxTokens, "lower max_tokens (or raise limits.maxTokens)");
    if (ids.length) {
      const into = (this.completionTokenIds ??= []);
      for (const t of ids) into.push(t);
    }
    if (lps.length) {
      const into = (this.logprobs ??= []);
      for (const x of lps) into.push(x.logprob);
      // Token texts only when every entry has one; kept only if they end up aligned with the logprobs.
      if (lps.every((x) => typeof x.token === "string")) {
        const texts = (this.tokens ??= []);
        for (const x of lps) texts.push(x.token ?? "");
      }
    }
  }
}

/**
 * A policy behind any OpenAI-compatible chat-completions endpoint (vLLM, SGLang, llama.cpp, hosted
 * APIs, the built-in policy server). Streaming or not, per-request time limit, retries with
 * exponential backoff for transport failures only.
 */
export class OpenAIPolicy implements Policy {
  readonly name: string;
  readonly baseUrl: string;
  private model: string | undefined;
  private readonly opts: OpenAIPolicyOptions;
  private readonly limits: PolicyLimits;

  constructor(opts: OpenAIPolicyOptions) {
    this.opts = opts;
    this.limits = { ...DEFAULT_POLICY_LIMITS, ...opts.limits };
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    this.model = opts.model;
    this.name = this.baseUrl;
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { "content-type": "application/json" };
    if (this.opts.apiKey) h.authorization = `Bearer ${this.opts.apiKey}`;
    return h;
  }

  /** The model to ask for: configured, else the first one the server lists. */
  async resolveModel(signal?: AbortSignal): Promise<string> {
    if (this.model) return this.model;
    try {
      const res = await fetch(`${this.baseUrl}/models`, { headers: this.headers(), signal: signal ?? AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
      if (res.ok) {
        const body = (await res.json()) as { data?: { id?: string }[] };
        const id = body.data?.[0]?.id;
        if (id) return (this.model = id);
      }
    } catch {
      // Servers without /models still serve chat completions; fall through to a placeholder name.
    }
    return (this.model = "default");
  }

  private body(req: PolicyRequest, model: string): Record<string, unknown> {
    const format = this.opts.toolFormat ?? "auto";
    let messages: WireMessage[] = toWireMessages(req.messages, req.resolveImage);
    const tools: ToolSpec[] = req.tools;
    const body: Record<string, unknown> = { model, stream: Boolean(this.opts.stream) };
    if (format === "hermes" && tools.length) {
      const section = renderHermesTools(tools);
      const first = messages[0];
      messages = first && first.role === "system" ? [{ role: "system", content: `${first.content}\n\n${section}` }, ...messages.slice(1)] : [{ role: "system", content: section }, ...messages];
    } else if (tools.length) {
      body.tools = tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
    }
    body.messages = messages;
    if (this.opts.temperature !== undefined) body.temperature = this.opts.temperature;
    if (this.opts.maxTokens !== undefined) body.max_tokens = this.opts.maxTokens;
    if (this.opts.returnTokenIds) {
      body.return_token_ids = true;
      body.logprobs = true;
      // The built-in server continues the exact token sequence; others ignore the field and re-render
      // the messages, which the answer's prompt ids show (tokenExact: false).
      if (req.prefixTokenIds?.length) body.prefix_token_ids = req.prefixTokenIds;
    }
    if (this.opts.stream) body.stream_options = { include_usage: true };
    return body;
  }

  private async once(req: PolicyRequest, model: string): Promise<Accumulator> {
    const timeoutMs = this.opts.timeoutMs ?? 120_000;
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    const onAbort = (): void => ctl.abort();
    req.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await fetch(`${this.baseUrl}/chat/completions`, { method: "POST", headers: this.headers(), body: JSON.stringify(this.body(req, model)), signal: ctl.signal });
      const overCap: (bytes: number) => PolicyError = (bytes) =>
        overLimit("bytes (or more)", bytes, this.limits.maxResponseBytes, "lower max_tokens, or check the server at " + this.baseUrl + " (or raise limits.maxResponseBytes)");
      if (!res.ok) {
        const text = (await cappedText(res.body, 64 << 10, overCap).catch(() => "")).slice(0, 500);
        const hint = (res.status === 401 || res.status === 403) && this.opts.withheld ? ` (${this.opts.withheld})` : "";
        throw new PolicyError("http", `${this.baseUrl}/chat/completions answered HTTP ${res.status}: ${text}${hint}`, res.status);
      }
      const acc = new Accumulator(this.limits);
      if (this.opts.stream) {
        if (!res.body) throw new PolicyError("protocol", "streaming response without a body");
        for await (const payload of sseData(cappedChunks(res.body, this.limits.maxResponseBytes, overCap))) {
          let chunk: WireResponse;
          try {
            chunk = JSON.parse(payload) as WireResponse;
          } catch {
            throw new PolicyError("protocol", `the server streamed an event that is not JSON: ${payload.slice(0, 200)}`);
          }
          acc.add(chunk, true);
        }
      } else {
        const text = await cappedText(res.body, this.limits.maxResponseBytes, overCap);
        let parsed: WireResponse;
        try {
          parsed = JSON.parse(text) as WireResponse;
        } catch {
          throw new PolicyError("protocol", `the server's response is not JSON: ${text.slice(0, 200)}`);
        }
        if (!parsed.choices?.length) throw new PolicyError("protocol", `the server's response has no choices: ${text.slice(0, 200)}`);
        acc.add(parsed, false);
      }
      return acc;
    } catch (err) {
      if (err instanceof PolicyError) throw err;
      if (req.signal.aborted) throw new PolicyError("aborted", "the episode was cancelled");
      if (timedOut) throw new PolicyError("timeout", `no complete answer from ${this.baseUrl} within ${timeoutMs} ms`);
      throw new PolicyError("transport", `cannot reach ${this.baseUrl}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ""}`);
    } finally {
      clearTimeout(timer);
      req.signal.removeEventListener("abort", onAbort);
    }
  }

  async chat(req: PolicyRequest): Promise<PolicyResponse> {
    const model = await this.resolveModel();
    const retries = this.opts.retries ?? 3;
    const backoff = this.opts.backoffMs ?? 250;
    const started = performance.now();
    let attempt = 0;
    for (;;) {
      try {
        const acc = await this.once(req, model);
        return this.toResponse(acc, req, performance.now() - started, attempt);
      } catch (err) {
        const e = err as PolicyError;
        const retryable = e.kind === "transport" || e.kind === "timeout" || (e.kind === "http" && e.status !== undefined && isRetryableStatus(e.status));
        if (!retryable || attempt >= retries || req.signal.aborted) {
          throw new PolicyError(e.kind, attempt > 0 ? `${e.message} (after ${attempt + 1} attempts)` : e.message, e.status, attempt + 1);
        }
        attempt++;
        const delay = backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private toResponse(acc: Accumulator, req: PolicyRequest, latencyMs: number, retries: number): PolicyResponse {
    let toolCalls: RawToolCall[] = [...acc.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({ id: c.id || `call_${req.turn}_${i}`, name: c.name, argumentsText: c.args || "{}" }));
    let source: "native" | "text" = "native";
    const format = this.opts.toolFormat ?? "auto";
    if (toolCalls.length === 0 && format !== "native" && acc.content.includes("<tool_call>")) {
      toolCalls = parseHermesToolCalls(acc.content, `call_${req.turn}`);
      source = "text";
    }
    const info: PolicyInfo = { model: acc.model ?? this.model, latencyMs, retries };
    if (acc.finishReason) info.finishReason = acc.finishReason;
    if (acc.promptTokenIds) info.promptTokenIds = acc.promptTokenIds;
    if (acc.promptTokenIds && req.prefixTokenIds?.length) info.tokenExact = extendsIds(acc.promptTokenIds, req.prefixTokenIds);
    if (acc.completionTokenIds) info.completionTokenIds = acc.completionTokenIds;
    if (acc.logprobs) info.completionLogprobs = acc.logprobs;
    if (acc.tokens && acc.tokens.length === acc.logprobs?.length) info.completionTokens = acc.tokens;
    if (acc.usage) info.usage = acc.usage;
    return { content: acc.content, toolCalls, toolCallSource: source, info };
  }
}
