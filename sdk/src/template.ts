import type { Message } from "@agentrl/protocol";
import type { RewardContext } from "./reward.js";

/** The conversation as plain text for a grader prompt: one `[role] content` block per message, tool calls included. */
export function transcript(messages: Message[]): string {
  return messages
    .map((m) => {
      const calls = (m.toolCalls ?? []).map((c) => `\n→ ${c.name}(${c.rawArguments})`).join("");
      return `[${m.role}${m.name ? ` ${m.name}` : ""}] ${m.content}${calls}`;
    })
    .join("\n\n");
}

function lookup(root: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = root;
  for (const key of dotted.split(".")) {
    if (v === null || typeof v !== "object" || !(key in v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * Fills `{{path}}` placeholders from the reward context. Paths: `task.<field>` (any task field, e.g.
 * `task.prompt`, `task.answer`, `task.metadata.rubric`), `finalAnswer`, `trajectory` (the whole
 * conversation as text), `prompt` (the opening messages as text), and OpenAI RFT's names
 * `item.<field>` (= task) and `sample.output_text` (= final answer). Strings go in as they are,
 * other values as JSON. A placeholder that names nothing is an error, never an empty string, so a
 * typo cannot silently blind the grader.
 */
export function renderTemplate(template: string, ctx: Pick<RewardContext, "task" | "finalAnswer" | "messages" | "prompt">): string {
  const root: Record<string, unknown> = {
    task: ctx.task,
    item: ctx.task,
    finalAnswer: ctx.finalAnswer,
    sample: { output_text: ctx.finalAnswer },
    trajectory: transcript(ctx.messages ?? []),
    prompt: transcript(ctx.prompt ?? []),
  };
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, path: string) => {
    const v = lookup(root, path);
    if (v === undefined) throw new Error(`the template placeholder {{${path}}} names nothing (task "${ctx.task.id}"). Fix: use task.<field>, finalAnswer, trajectory, prompt, item.<field> or sample.output_text`);
    return typeof v === "string" ? v : JSON.stringify(v);
  });
}
