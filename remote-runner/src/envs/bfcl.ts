import type { Task, ToolSpec } from "@agentrl/protocol";

/** One entry of a BFCL dataset file (Berkeley Function-Calling Leaderboard). */
export interface BfclEntry {
  id: string;
  question: { role: string; content: string }[][] | { role: string; content: string }[];
  function: { name: string; description?: string; parameters?: Record<string, unknown> }[] | { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** One entry of a BFCL possible-answer file. */
export interface BfclAnswer {
  id: string;
  ground_truth: Record<string, Record<string, unknown[]>>[];
}

const TYPE_MAP: Record<string, string> = { dict: "object", float: "number", tuple: "array", int: "integer", bool: "boolean", str: "string", list: "array" };

/** BFCL schemas use Python-ish types ("dict", "float", "tuple", "any"); this rewrites them as JSON Schema. */
export function normalizeBfclSchema(schema: unknown): Record<string, unknown> {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === "type" && typeof v === "string") {
      if (v === "any") continue;
      out.type = TYPE_MAP[v] ?? v;
    } else if (k === "properties" && v && typeof v === "object") {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, s]) => [p, normalizeBfclSchema(s)]));
    } else if (k === "items") out.items = normalizeBfclSchema(v);
    else if (k === "additionalProperties" && typeof v === "object") out.additionalProperties = normalizeBfclSchema(v);
    else out[k] = v;
  }
  // Python defaults such as "optional" markers are not JSON Schema keywords that ajv knows; keep only data.
  return out;
}

/** OpenAI tool names allow only [A-Za-z0-9_-]; BFCL uses dotted names such as "math.factorial". */
export function bfclToolName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

/**
 * Converts BFCL entries (and their possible answers, when given) into tasks: the first question
 * turn becomes the opening messages, the functions become task-declared tools (calls are
 * recorded, not executed), and the ground truth becomes `answer` for the functionCallMatch grader.
 */
export function importBfcl(entries: BfclEntry[], answers: BfclAnswer[] = []): { tasks: Task[]; problems: string[] } {
  const byId = new Map(answers.map((a) => [a.id, a]));
  const tasks: Task[] = [];
  const problems: string[] = [];
  for (const e of entries) {
    if (!e || typeof e.id !== "string") {
      problems.push(`an entry has no string "id": ${JSON.stringify(e).slice(0, 80)}`);
      continue;
    }
    const turns = Array.isArray(e.question?.[0]) ? (e.question as { role: string; content: string }[][]) : [e.question as { role: string; content: string }[]];
    const first = turns[0];
    if (!first?.length) {
      problems.push(`${e.id}: "question" has no messages`);
      continue;
    }
    if (turns.length > 1) problems.push(`${e.id}: multi-turn BFCL entry; only the first of ${turns.length} user turns is imported`);
    const fns = Array.isArray(e.function) ? e.function : [e.function];
    const toolSpecs: ToolSpec[] = fns.map((f) => ({ name: bfclToolName(f.name), description: f.description ?? f.name, parameters: { type: "object", properties: {}, ...normalizeBfclSchema(f.parameters) } }));
    const task: Task = {
      id: e.id,
      messages: first.map((m) => ({ role: m.role === "system" ? "system" : m.role === "assistant" ? "assistant" : "user", content: m.content })),
      toolSpecs,
      metadata: { source: "bfcl", functionNames: Object.fromEntries(fns.map((f) => [bfclToolName(f.name), f.name])) },
    };
    const a = byId.get(e.id);
    if (a) task.answer = a.ground_truth.map((call) => Object.fromEntries(Object.entries(call).map(([name, params]) => [bfclToolName(name), params])));
    tasks.push(task);
  }
  return { tasks, problems };
}
