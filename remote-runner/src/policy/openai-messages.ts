import type { BlobRef, Message } from "@agentrl/protocol";

/** A content part of a user message (OpenAI vision format). */
export type WirePart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

/** A message in the OpenAI chat-completions wire format. */
export type WireMessage =
  | { role: "system" | "user"; content: string }
  | { role: "user"; content: WirePart[] }
  | { role: "assistant"; content: string | null; tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[] }
  | { role: "tool"; tool_call_id: string; content: string };

/**
 * Converts the conversation to the wire format. Assistant turns whose calls were written as
 * `<tool_call>` text go back verbatim, with their results as a user `<tool_response>` message (what
 * Hermes-format chat templates expect); native calls use `tool_calls` and `tool` messages.
 */
export function toWireMessages(messages: Message[], resolveImage?: (ref: BlobRef) => string | undefined): WireMessage[] {
  const out: WireMessage[] = [];
  // Screenshots: tool messages cannot carry images, so the newest tool images follow as one user
  // message of image parts; older screenshots are left out (a few turns of 1024x768 PNGs would fill
  // any context) and the text says so.
  let lastImages = -1;
  messages.forEach((m, i) => {
    if (m.role === "tool" && m.images?.length) lastImages = i;
  });
  const imageMessage = (m: Message): WireMessage | null => {
    const urls = (m.images ?? []).map((ref) => resolveImage?.(ref)).filter((u): u is string => Boolean(u));
    if (!urls.length) return null;
    return { role: "user", content: [{ type: "text", text: `Screen after ${m.name ?? "the last action"}:` }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))] };
  };
  let pendingImage: WireMessage | null = null;
  let textResults: string[] = [];
  let textMode = false;
  const flush = (): void => {
    if (textResults.length) out.push({ role: "user", content: textResults.map((r) => `<tool_response>\n${r}\n</tool_response>`).join("\n") });
    textResults = [];
  };
  for (const [i, m] of messages.entries()) {
    if (m.role === "tool") {
      const omitted = m.images?.length && i !== lastImages ? `${m.content}\n[earlier screenshot not shown]` : m.content;
      if (textMode) textResults.push(omitted);
      else out.push({ role: "tool", tool_call_id: m.toolCallId ?? "", content: omitted });
      if (i === lastImages) pendingImage = imageMessage(m);
      continue;
    }
    flush();
    if (pendingImage) out.push(pendingImage);
    pendingImage = null;
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
      // The opening screen goes along only until a tool has shown a newer one.
      const urls = m.role === "user" && lastImages < 0 ? (m.images ?? []).map((ref) => resolveImage?.(ref)).filter((u): u is string => Boolean(u)) : [];
      if (urls.length) out.push({ role: "user", content: [{ type: "text", text: m.content }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))] });
      else out.push({ role: m.role, content: m.content });
    }
  }
  flush();
  if (pendingImage) out.push(pendingImage);
  return out;
}
