import type { ToolSpec } from "@agentrl/protocol";
import { loadScript, type ScriptedTurn } from "./scripted.js";
import { PolicyError, type Policy, type PolicyRequest, type PolicyResponse, type RawToolCall } from "./types.js";

/**
 * Lazy policies: what an RL policy finds first when a reward can be earned without doing the task.
 * Preflight runs each and fails when any of its trajectories scores above a threshold.
 * - empty: an empty answer;
 * - echo: repeats the task's prompt back;
 * - wrong-value: the reference solution's final answer with its value changed (right format,
 *   wrong value; the reference script names the format);
 * - every-tool: calls every tool once with minimal arguments, then answers nothing;
 * - give-up: gives up at once.
 */
export const LAZY_POLICIES = ["empty", "echo", "wrong-value", "every-tool", "give-up"] as const;
export type LazyKind = (typeof LAZY_POLICIES)[number];

/** Most reward a lazy trajectory may earn before preflight fails (a reward above it pays for not doing the task). */
export const DEFAULT_ADVERSARY_THRESHOLD = 0.5;

/** The lazy policy specs preflight runs; wrong-value only when there is a reference script to imitate. */
export function lazyPolicySpecs(referenceFile: string | undefined): { label: string; spec: string }[] {
  return LAZY_POLICIES.filter((k) => k !== "wrong-value" || referenceFile !== undefined).map((k) => ({ label: `lazy:${k}`, spec: k === "wrong-value" ? `lazy:${k}:${referenceFile}` : `lazy:${k}` }));
}

/** A wrong value in the same format: the last number plus one; else the last `<tag>` content (or the whole text) replaced. */
export function wrongValue(text: string): string {
  const numbers = [...text.matchAll(/-?\d+(?:\.\d+)?/g)];
  const last = numbers.pop();
  if (last?.index !== undefined) {
    const n = Number(last[0]);
    const decimals = last[0].split(".")[1]?.length ?? 0;
    return `${text.slice(0, last.index)}${(n + 1).toFixed(decimals)}${text.slice(last.index + last[0].length)}`;
  }
  const tags = [...text.matchAll(/<(\w+)>([\s\S]*?)<\/\1>/g)];
  const tag = tags.pop();
  if (tag?.index !== undefined) return `${text.slice(0, tag.index)}<${tag[1]}>wrong</${tag[1]}>${text.slice(tag.index + tag[0].length)}`;
  return "wrong";
}

/** The smallest arguments a tool's JSON Schema accepts: each required property at its type's zero value (or first enum value). */
export function minimalArguments(spec: ToolSpec): Record<string, unknown> {
  const params = spec.parameters as { properties?: Record<string, { type?: unknown; enum?: unknown[] }>; required?: unknown };
  const required = Array.isArray(params.required) ? params.required.filter((r): r is string => typeof r === "string") : [];
  const zero: Record<string, unknown> = { string: "", number: 0, integer: 0, boolean: false, array: [], object: {}, null: null };
  return Object.fromEntries(
    required.map((name) => {
      const p = params.properties?.[name] ?? {};
      if (Array.isArray(p.enum) && p.enum.length) return [name, p.enum[0]];
      const type = Array.isArray(p.type) ? p.type[0] : p.type;
      return [name, typeof type === "string" ? (zero[type] ?? "") : ""];
    }),
  );
}

/** The final answer of a scripted reference episode: the last turn's text. */
function finalContent(turns: ScriptedTurn[]): string | undefined {
  return [...turns].reverse().find((t) => (t.content ?? "").trim() !== "")?.content;
}

export class LazyPolicy implements Policy {
  readonly name: string;
  private readonly reference: Map<string, ScriptedTurn[]> | undefined;

  constructor(
    readonly kind: LazyKind,
    referenceFile?: string,
  ) {
    this.name = `lazy:${kind}`;
    if (kind === "wrong-value") {
      if (!referenceFile) throw new Error("lazy:wrong-value needs the reference script whose answers it imitates: lazy:wrong-value:FILE");
      this.reference = loadScript(referenceFile);
    }
  }

  private answer(req: PolicyRequest): { content: string; toolCalls: RawToolCall[] } {
    switch (this.kind) {
      case "empty":
        return { content: "", toolCalls: [] };
      case "give-up":
        return { content: "I give up.", toolCalls: [] };
      case "echo":
        return { content: [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "", toolCalls: [] };
      case "every-tool":
        if (req.turn > 0) return { content: "", toolCalls: [] };
        return { content: "", toolCalls: req.tools.map((t, i) => ({ id: `call_lazy_${i}`, name: t.name, argumentsText: JSON.stringify(minimalArguments(t)) })) };
      case "wrong-value": {
        const turns = this.reference?.get(req.taskId) ?? this.reference?.get("*");
        const final = turns && finalContent(turns);
        if (final === undefined) throw new PolicyError("script", `the reference script has no final answer for task "${req.taskId}" to imitate`);
        return { content: wrongValue(final), toolCalls: [] };
      }
    }
  }

  async chat(req: PolicyRequest): Promise<PolicyResponse> {
    const { content, toolCalls } = this.answer(req);
    return { content, toolCalls, toolCallSource: "native", info: { model: this.name, finishReason: toolCalls.length ? "tool_calls" : "stop", latencyMs: 0 } };
  }
}
