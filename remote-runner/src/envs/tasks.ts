import fs from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { Task } from "@agentrl/protocol";
import type { EnvIssue } from "./errors.js";

const validateTask = new Ajv({ allErrors: true, strict: false }).compile(Task);

/** OSWorld tasks carry `instruction`; the engine's opening message uses `prompt`. */
function instructionAsPrompt(task: Task): Task {
  return task.prompt === undefined && task.messages === undefined && typeof task.instruction === "string" ? { ...task, prompt: task.instruction } : task;
}

export interface LoadedTasks {
  tasks: Task[];
  /** 1-based line of each task in the file. */
  lines: number[];
  issues: EnvIssue[];
}

/**
 * Reads a JSONL dataset. Every broken line is reported with its line number (nothing is silently
 * skipped); blank lines are allowed. `knownTools` checks each task's `tools` list.
 */
export function loadTasks(file: string, opts: { displayName?: string; knownTools?: string[] } = {}): LoadedTasks {
  const name = opts.displayName ?? path.basename(file);
  if (!fs.existsSync(file)) {
    return { tasks: [], lines: [], issues: [{ file: name, message: `the tasks file ${file} does not exist`, fix: "create it with one JSON object per line, each with an `id` and a `prompt`" }] };
  }
  const text = fs.readFileSync(file, "utf8");
  const tasks: Task[] = [];
  const lines: number[] = [];
  const issues: EnvIssue[] = [];
  const seen = new Map<string, number>();
  const rows = text.split(/\r?\n/);
  rows.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      issues.push({ file: name, line, message: `invalid JSON (${(err as Error).message})`, fix: "make the line one complete JSON object (JSONL: no line breaks inside an object, no trailing commas)" });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push({ file: name, line, message: `expected a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`, fix: 'write the task as an object such as {"id": "t1", "prompt": "..."}' });
      return;
    }
    if (!validateTask(value)) {
      for (const e of validateTask.errors ?? []) {
        const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : ((e.params as { missingProperty?: string }).missingProperty ?? "");
        issues.push({ file: name, line, field: field || undefined, message: `task ${e.message ?? "is invalid"}`, fix: field === "id" ? 'give every task a non-empty string "id"' : `correct "${field}" to match the task schema` });
      }
      return;
    }
    // OSWorld tasks say `instruction`; it is the prompt.
    const task = instructionAsPrompt(value as Task);
    if (task.prompt === undefined && task.messages === undefined) {
      issues.push({ file: name, line, field: "prompt", message: `task "${task.id}" has neither "prompt" nor "messages"`, fix: 'add "prompt": "the question" (or a "messages" array)' });
      return;
    }
    const prev = seen.get(task.id);
    if (prev !== undefined) {
      issues.push({ file: name, line, field: "id", message: `duplicate task id "${task.id}" (first on line ${prev})`, fix: "give every task a unique id" });
      return;
    }
    seen.set(task.id, line);
    if (task.tools && opts.knownTools) {
      const declared = new Set([...opts.knownTools, ...(task.toolSpecs ?? []).map((t) => t.name)]);
      for (const t of task.tools) {
        if (!declared.has(t)) {
          issues.push({ file: name, line, field: "tools", message: `task "${task.id}" lists unknown tool "${t}" (the environment has: ${[...declared].join(", ") || "no tools"})`, fix: "use one of the environment's tool names, or define the tool in env.ts" });
        }
      }
    }
    tasks.push(task);
    lines.push(line);
  });
  if (tasks.length === 0 && issues.length === 0) issues.push({ file: name, message: "the tasks file has no tasks", fix: "add at least one JSON object line" });
  return { tasks, lines, issues };
}
