import type { Policy, PolicyRequest, PolicyResponse } from "./types.js";

/** The do-nothing policy: one useless answer, no tool calls. Pre-flight requires it to score 0. */
export class NoopPolicy implements Policy {
  readonly name = "noop";
  async chat(_req: PolicyRequest): Promise<PolicyResponse> {
    return { content: "I don't know.", toolCalls: [], toolCallSource: "native", info: { model: "noop", finishReason: "stop", latencyMs: 0 } };
  }
}
