import type { Trajectory } from "@agentrl/protocol";

/** A complete stored trajectory (task i, one tool-calling turn, reward i / 10) for store and training tests. */
export function makeTrajectory(runId: string, i: number, over: Partial<Trajectory> = {}): Trajectory {
  return {
    id: `${runId}:${i}:0`,
    runId,
    taskId: `task-${i}`,
    taskIndex: i,
    groupId: `${runId}:${i}`,
    sampleIndex: 0,
    status: "finished",
    stopReason: "final_answer",
    task: { id: `task-${i}`, prompt: "p" },
    prompt: [{ role: "user", content: `question ${i}` }],
    tools: [],
    turns: [
      {
        index: 0,
        startedAt: 1,
        durationMs: 2,
        assistant: { role: "assistant", content: i === 3 ? "the answer is 100% <answer>3</answer>" : `answer ${i}`, toolCalls: [{ id: "c", name: "calc", arguments: { x: i }, rawArguments: `{"x":${i}}` }] },
        policy: { latencyMs: 1 },
        observations: [{ toolCallId: "c", tool: "calc", content: String(i), durationMs: 1 }],
      },
    ],
    reward: { total: i / 10, components: { correct: i / 10 }, weights: { correct: 1 }, errors: [], durationMs: 1 },
    advantage: null,
    infraRetries: 0,
    infraErrors: [],
    provenance: { envName: "x", envHash: "h", codeHash: "c", protocolVersion: "1.0" },
    startedAt: 1,
    finishedAt: 2 + i,
    timings: { totalMs: 5, policyMs: 1, sandboxMs: 1, toolMs: 1, rewardMs: 1, sandboxAcquireMs: 0 },
    ...over,
  };
}
