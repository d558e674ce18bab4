import fs from "node:fs";
import type { Task } from "@agentrl/protocol";
import { SweTaskError } from "./errors.js";
import { taskFromSweBench } from "./instance.js";

/**
 * Reads SWE-bench instances as published (a JSON array, one JSON object, or JSONL; the test lists may
 * be JSON strings) and returns tasks.jsonl text. Every bad instance is reported with its position.
 */
export function importSweBench(text: string, source = "input", extra: Parameters<typeof taskFromSweBench>[1] = {}): { tasks: Task[]; jsonl: string } {
  const trimmed = text.trim();
  let rows: unknown[];
  if (trimmed.startsWith("[")) rows = JSON.parse(trimmed) as unknown[];
  else if (trimmed.startsWith("{") && !trimmed.includes("\n{")) rows = [JSON.parse(trimmed)];
  else rows = trimmed.split(/\r?\n/).filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch (err) {
      throw new SweTaskError("invalid_task", `${source}:${i + 1}: invalid JSON (${(err as Error).message}). Fix: one instance object per line`);
    }
  });
  const problems: string[] = [];
  const tasks: Task[] = [];
  rows.forEach((r, i) => {
    try {
      tasks.push(taskFromSweBench(r, extra));
    } catch (err) {
      problems.push(`${source} #${i + 1}: ${(err as Error).message}`);
    }
  });
  if (problems.length) throw new SweTaskError("invalid_task", problems.join("\n"));
  return { tasks, jsonl: tasks.map((t) => JSON.stringify(t)).join("\n") + "\n" };
}

export function importSweBenchFile(file: string, extra: Parameters<typeof taskFromSweBench>[1] = {}): { tasks: Task[]; jsonl: string } {
  return importSweBench(fs.readFileSync(file, "utf8"), file, extra);
}
