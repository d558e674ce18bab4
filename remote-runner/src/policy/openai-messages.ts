import type { Message } from "@agentrl/protocol";

/** A message in the OpenAI chat-completions wire format. */
export type WireMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[] }
  | { role: "tool"; tool_call_id: string; content: string };

/**
 * Converts the conversation to the wire format. Assistant turns whose calls were written as
 * `<tool_call>` text go back verbatim, with their results as a user `<tool_response>` message (what
 * Hermes-format chat templates expect); native calls use `tool_calls` and `tool` messages.
 */
export function toWireMessages(messages: Message[]): WireMessage[] {
  const out: WireMessage[] = [];
  let textResults: string[] = [];
  let textMode = false;
  const flush = (): void => {
    if (textResults.length) out.push({ role: "user", content: textResults.map((r) => `<tool_response>\n${r}\n</tool_response>`).join("\n") });
    textResults = [];
  };
  for (const m of messages) {
    if (m.role === "tool") {
      if (textMode) textResults.push(m.content);
      else out.push({ role: "tool", tool_call_id: m.toolCallId ?? "", content: m.content });
      continue;
    }
    flush();
    if (m.role === "assistant") {
      textMode = m.toolCallSource === "text";
      if (!textMode && m.toolCalls?.length) {
        out.push({
          role: "assistant",
          content: m.content || null,
          tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.rawArguments } })),
        });
      } else out.push({ role: "assistant", content: m.content });
    } else {
      textMode = false;
      out.push({ role: m.role, content: m.content });
    }
  }
  flush();
  return out;
}
