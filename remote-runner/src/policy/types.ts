import type { BlobRef, Message, PolicyInfo, ToolSpec } from "@agentrl/protocol";

/** A tool call as the policy produced it, before validation. `parseError` when the call text was not JSON. */
export interface RawToolCall {
  id: string;
  name: string;
  argumentsText: string;
  parseError?: string;
}

export interface PolicyRequest {
  messages: Message[];
  tools: ToolSpec[];
  taskId: string;
  sampleIndex: number;
  turn: number;
  signal: AbortSignal;
  /**
   * The episode's token sequence so far (the previous turn's prompt ids and sampled ids), for servers
   * that continue it (`prefix_token_ids`): only the messages after the last assistant turn are rendered.
   */
  prefixTokenIds?: number[];
  /** Turns a message's image (a stored screenshot) into a data URL; images are left out without it. */
  resolveImage?: (ref: BlobRef) => string | undefined;
}

export interface PolicyResponse {
  /** The assistant text (for text tool calls: the raw text including `<tool_call>` blocks). */
  content: string;
  toolCalls: RawToolCall[];
  toolCallSource: "native" | "text";
  info: PolicyInfo;
}

export interface Policy {
  readonly name: string;
  chat(req: PolicyRequest): Promise<PolicyResponse>;
}

/** `limit`: the answer passed one of the runner's caps (bytes, tool calls, tokens); the message names it. */
export type PolicyErrorKind = "timeout" | "transport" | "http" | "protocol" | "script" | "aborted" | "limit";

/** The policy could not produce a turn (after retries where they apply). Never an agent mistake. */
export class PolicyError extends Error {
  constructor(
    readonly kind: PolicyErrorKind,
    message: string,
    readonly status?: number,
    readonly attempts = 1,
  ) {
    super(message);
    this.name = "PolicyError";
  }
}
