import fs from "node:fs";
import { parseHermesToolCalls } from "./hermes.js";
import { PolicyError, type Policy, type PolicyRequest, type PolicyResponse, type RawToolCall } from "./types.js";

/** One scripted assistant turn: text and/or tool calls; `arguments` as a string is sent verbatim (to script garbage). */
export interface ScriptedTurn {
  content?: string;
  tool_calls?: { name: string; arguments: Record<string, unknown> | string }[];
}

export interface ScriptEntry {
  task_id: string;
  turns: ScriptedTurn[];
}

/**
 * Reads a script: JSONL, one `{"task_id": ..., "turns": [...]}` per line; `"task_id": "*"` applies to
 * tasks without their own entry. Errors name the file and line.
 */
export function loadScript(file: string): Map<string, ScriptedTurn[]> {
  if (!fs.existsSync(file)) throw new Error(`scripted policy file ${file} does not exist. Fix: pass scripted:PATH to an existing JSONL file`);
  const map = new Map<string, ScriptedTurn[]>();
  fs.readFileSync(file, "utf8")
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (!raw.trim()) return;
      let entry: ScriptEntry;
      try {
        entry = JSON.parse(raw) as ScriptEntry;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message}). Fix: one {"task_id": ..., "turns": [...]} object per line`, { cause: err });
      }
      if (typeof entry.task_id !== "string" || !Array.isArray(entry.turns)) {
        throw new Error(`${file}:${i + 1}: expected {"task_id": string, "turns": [...]}. Fix: add the missing field`);
      }
      map.set(entry.task_id, entry.turns);
    });
  return map;
}

/** Replays scripted turns: turn k of the episode gets the script's turn k for that task; after the last, an empty answer. */
export class ScriptedPolicy implements Policy {
  readonly name: string;
  private readonly turnsFor: (taskId: string) => ScriptedTurn[] | undefined;

  /** Replays `file`; or, given `source`, the turns it gives per task (the oracle: each task's reference solution). */
  constructor(
    readonly file: string,
    private readonly source?: { name: string; turnsFor(taskId: string): ScriptedTurn[] | undefined; missing(taskId: string): string },
  ) {
    this.name = source?.name ?? `scripted:${file}`;
    if (source) this.turnsFor = (id) => source.turnsFor(id);
    else {
      const script = loadScript(file);
      this.turnsFor = (id) => script.get(id) ?? script.get("*");
    }
  }

  async chat(req: PolicyRequest): Promise<PolicyResponse> {
    const turns = this.turnsFor(req.taskId);
    if (!turns) throw new PolicyError("script", this.source ? this.source.missing(req.taskId) : `the script ${this.file} has no entry for task "${req.taskId}" (and no "*" entry)`);
    const turn = turns[req.turn];
    const started = performance.now();
    if (!turn) return { content: "", toolCalls: [], toolCallSource: "native", info: { model: "scripted", finishReason: "stop", latencyMs: 0 } };
    const content = turn.content ?? "";
    let toolCalls: RawToolCall[];
    let source: "native" | "text" = "native";
    if (turn.tool_calls) {
      toolCalls = turn.tool_calls.map((c, i) => ({
        id: `call_${req.turn}_${i}`,
        name: c.name,
        argumentsText: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {}),
      }));
    } else {
      toolCalls = parseHermesToolCalls(content, `call_${req.turn}`);
      if (toolCalls.length) source = "text";
    }
    return { content, toolCalls, toolCallSource: source, info: { model: "scripted", finishReason: toolCalls.length ? "tool_calls" : "stop", latencyMs: performance.now() - started } };
  }
}
