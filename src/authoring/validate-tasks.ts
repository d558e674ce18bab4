import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler, type ValueError } from "@sinclair/typebox/compiler";
import { Task } from "@agentrl/protocol";

export interface LineProblem {
  /** 0-based line. */
  line: number;
  /** Column range of the offending text on that line. */
  start: number;
  end: number;
  message: string;
}

// The same TypeBox schema the runner validates with, compiled once.
// (The cast bridges the CJS/ESM typings of TypeBox's Kind symbol; at run time it is the same object.)
const checker = TypeCompiler.Compile(Task as unknown as TSchema);

function describe(e: ValueError): string {
  const field = e.path ? `"${e.path.slice(1).replace(/\//g, ".")}"` : "the task";
  return `${field}: ${e.message}. Fix: see the task schema (id, prompt or messages, answer, metadata).`;
}

/** Column range of a field's value on the line (so the squiggle sits on the offending field). */
function rangeOf(raw: string, instancePath: string): [number, number] {
  const key = instancePath.split("/")[1];
  if (key) {
    const i = raw.indexOf(`"${key}"`);
    if (i >= 0) return [i, i + key.length + 2];
  }
  return [0, raw.length];
}

/**
 * Checks a tasks.jsonl text line by line against the task schema: JSON syntax, required fields,
 * types, one of prompt/messages, duplicate ids. Each problem names the line and the fix.
 */
export function validateTasksJsonl(text: string): LineProblem[] {
  const problems: LineProblem[] = [];
  const seen = new Map<string, number>();
  text.split(/\n/).forEach((rawLine, line) => {
    const raw = rawLine.replace(/\r$/, "");
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.push({ line, start: 0, end: raw.length, message: `Line ${line + 1} is not valid JSON (${err instanceof Error ? err.message : String(err)}). Fix: one JSON object per line.` });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push({ line, start: 0, end: raw.length, message: `Line ${line + 1} is ${Array.isArray(value) ? "an array" : typeof value}, not a task object. Fix: write {"id": "...", "prompt": "..."}.` });
      return;
    }
    if (!checker.Check(value)) {
      for (const e of checker.Errors(value)) {
        const [start, end] = rangeOf(raw, e.path);
        problems.push({ line, start, end, message: describe(e) });
      }
    }
    const t = value as { id?: unknown; prompt?: unknown; messages?: unknown; instruction?: unknown };
    // Same rule as the runner's loader: OSWorld tasks' `instruction` is their prompt.
    if (t.prompt === undefined && t.messages === undefined && typeof t.instruction !== "string") {
      problems.push({ line, start: 0, end: raw.length, message: 'The task has neither "prompt" nor "messages" (nor an OSWorld "instruction"). Fix: add "prompt": "the question".' });
    }
    if (typeof t.id === "string") {
      const first = seen.get(t.id);
      if (first !== undefined) {
        const [start, end] = rangeOf(raw, "/id");
        problems.push({ line, start, end, message: `Duplicate task id "${t.id}" (first on line ${first + 1}). Fix: task ids must be unique.` });
      } else seen.set(t.id, line);
    }
  });
  return problems;
}
