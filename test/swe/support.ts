// Helpers of the SWE tests: drive the swe kind's hooks with real sandboxes and scripted tool calls.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BlobRef, Task, Turn } from "@agentrl/protocol";
import type { AnyTool } from "@agentrl/sdk";
import type { KindSandbox, ScoringKindInstance } from "../../remote-runner/src/envs/kinds/types.js";
import type { SweScore } from "../../remote-runner/src/envs/kinds/swe/scorer.js";
import type { ScriptTurn } from "../../remote-runner/src/envs/kinds/swe/reference.js";
import type { Sandbox, SandboxProvider } from "../../remote-runner/src/sandbox/types.js";

export const SWE_MINI_DIR = path.resolve(__dirname, "../../examples/swe-mini");
export const TEST_LABELS = { "agentrl.test": "swe" };

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `agentrl-swe-${prefix}-`));
}

export function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export function sweMiniTasks(): Task[] {
  return readJsonl<Task>(path.join(SWE_MINI_DIR, "tasks.jsonl"));
}

export function referenceScripts(): Map<string, ScriptTurn[]> {
  return new Map(readJsonl<{ task_id: string; turns: ScriptTurn[] }>(path.join(SWE_MINI_DIR, "reference.jsonl")).map((e) => [e.task_id, e.turns]));
}

/** The SDK's view of a sandbox, as the engine gives it to tools. */
export function handleOf(sb: Sandbox): KindSandbox {
  return {
    use: (fn) => fn(sb),
    exec: (cmd, o = {}) => sb.exec({ cmd, stdin: o.stdin, cwd: o.cwd, env: o.env, timeoutMs: o.timeoutMs }),
    readFile: async (p) => (await sb.readFile(p)).toString("utf8"),
    writeFile: (p, c) => sb.writeFile(p, c),
  };
}

/** Blobs kept in memory (the store's putBlob contract: content-addressed refs). */
export class MemoryBlobs {
  readonly data = new Map<string, Buffer>();
  put = (data: Buffer, mime: string): BlobRef => {
    const sha256 = createHash("sha256").update(data).digest("hex");
    this.data.set(sha256, data);
    return { sha256, size: data.length, mime };
  };
}

/**
 * One episode without a policy server: the sandbox the kind asks for, the scripted tool calls run
 * through the kind's tools, then the kind's finishing step (patch out, fresh container, hidden tests).
 */
export async function runScripted(kind: ScoringKindInstance<SweScore>, provider: SandboxProvider, task: Task, script: ScriptTurn[]) {
  const spec = await kind.sandboxSpec(task, { image: "unused", labels: TEST_LABELS });
  const sb = await provider.create(spec);
  const tools = new Map<string, AnyTool>(kind.tools.map((t) => [t.name, t]));
  const turns: Turn[] = [];
  const outputs: string[] = [];
  try {
    const sandbox = handleOf(sb);
    for (const [index, st] of script.entries()) {
      const observations = [];
      for (const [i, call] of st.tool_calls.entries()) {
        const tool = tools.get(call.name);
        if (!tool || !("run" in tool)) throw new Error(`no runner tool ${call.name}`);
        const out = await tool.run(call.arguments, { task, state: {}, sandbox, turn: index, signal: new AbortController().signal });
        const content = typeof out === "string" ? out : out.output;
        outputs.push(content);
        observations.push({ toolCallId: `c${index}_${i}`, tool: call.name, content, durationMs: 0 });
      }
      turns.push({ index, startedAt: Date.now(), durationMs: 0, assistant: { role: "assistant", content: st.content }, policy: { latencyMs: 0 }, observations });
    }
    const blobs = new MemoryBlobs();
    const result = await kind.finish({ task, turns, sandbox, labels: TEST_LABELS, putBlob: blobs.put });
    return { ...result, outputs, blobs };
  } finally {
    await sb.destroy();
  }
}
