import type { ToolSpec } from "@agentrl/protocol";
import type { RawToolCall } from "./types.js";

const BLOCK = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;

/**
 * Parses Hermes/Qwen-style tool calls from text: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`
 * (an unclosed last block counts, since a stop sequence may cut the closing tag). A block that is not
 * valid JSON still yields a call with `parseError`, so the model is told what was wrong.
 */
export function parseHermesToolCalls(text: string, idPrefix: string): RawToolCall[] {
  const calls: RawToolCall[] = [];
  let i = 0;
  for (const m of text.matchAll(BLOCK)) {
    const body = (m[1] ?? "").trim();
    const id = `${idPrefix}_${i++}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      calls.push({ id, name: "", argumentsText: body, parseError: `the text inside <tool_call> is not valid JSON (${(err as Error).message})` });
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      calls.push({ id, name: "", argumentsText: body, parseError: 'a <tool_call> must hold a JSON object {"name": ..., "arguments": {...}}' });
      continue;
    }
    const obj = parsed as Record<string, unknown>;
    const name = typeof obj.name === "string" ? obj.name : "";
    const args = obj.arguments ?? obj.parameters ?? {};
    calls.push({
      id,
      name,
      argumentsText: typeof args === "string" ? args : JSON.stringify(args),
      ...(name ? {} : { parseError: 'the <tool_call> object has no "name" string' }),
    });
  }
  return calls;
}

/** The system-prompt section that describes tools to a model without native tool calling (Hermes format). */
export function renderHermesTools(tools: ToolSpec[]): string {
  const lines = tools.map((t) => JSON.stringify({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
  return [
    "# Tools",
    "",
    "You may call one or more functions to assist with the user query.",
    "",
    "You are provided with function signatures within <tools></tools> XML tags:",
    "<tools>",
    ...lines,
    "</tools>",
    "",
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:",
    "<tool_call>",
    '{"name": <function-name>, "arguments": <args-json-object>}',
    "</tool_call>",
  ].join("\n");
}
