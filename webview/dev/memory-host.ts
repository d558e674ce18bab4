// An in-memory stand-in for the extension host + runner, used by the webview component tests and the
// render bench: it answers the same typed protocol from generated data, so what is measured is the webview.
import type { HostToWebview, LiveEpisodes, MetricPoint, Run, RunComparison, RunEvent, RunEventDataOf, RunEventType, Trajectory, TrajectorySummary, WebviewMethod, WebviewParams, WebviewResult, WebviewToHost } from "@agentrl/protocol";
import type { Transport } from "../bridge/host-bridge";

export interface MemoryData {
  run: Run;
  summaries: TrajectorySummary[];
  trajectory(id: string): Trajectory;
  metrics: MetricPoint[];
  blobs?: Record<string, string>;
  /** Other runs of the runner (listed beside `run`), and what comparing `run` with one of them gives. */
  otherRuns?: Run[];
  comparisons?: Record<string, RunComparison>;
  /** The run's in-flight episodes, as the runner would list them. */
  live?: LiveEpisodes;
}

const COMPONENTS = { correct: 0.7, tool_efficiency: 0.2, format: 0.1 };

/** A run of `n` trajectories in groups of `group`, rewards varying per sample, advantages group-normalized. */
export function syntheticRun(n: number, opts: { group?: number; turns?: number; runId?: string } = {}): MemoryData {
  const group = opts.group ?? 4;
  const turnsPer = opts.turns ?? 2;
  const runId = opts.runId ?? "run-bench";
  const summaries: TrajectorySummary[] = [];
  for (let i = 0; i < n; i++) {
    const task = Math.floor(i / group);
    const sample = i % group;
    const correct = (task * 7 + sample * 3) % 5 === 0 ? 0 : 1;
    const components = { correct, tool_efficiency: sample % 2 ? 0.5 : 1, format: 1 };
    const reward = Object.entries(COMPONENTS).reduce((a, [k, w]) => a + w * components[k as keyof typeof components], 0);
    summaries.push({
      id: `${runId}:${task}:${sample}`,
      runId,
      taskId: `task-${String(task).padStart(5, "0")}`,
      taskIndex: task,
      groupId: `${runId}:${task}`,
      sampleIndex: sample,
      status: "finished",
      stopReason: "final_answer",
      reward,
      components,
      advantage: null,
      turns: turnsPer,
      toolCalls: turnsPer - 1,
      error: null,
      rewardErrors: 0,
      durationMs: 1000 + (i % 17) * 40,
      finishedAt: 1_700_000_000_000 + i,
    });
  }
  for (let g = 0; g < n; g += group) {
    const xs = summaries.slice(g, g + group);
    const m = xs.reduce((a, t) => a + (t.reward ?? 0), 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, t) => a + ((t.reward ?? 0) - m) ** 2, 0) / xs.length);
    for (const t of xs) t.advantage = sd > 1e-9 ? ((t.reward ?? 0) - m) / sd : 0;
  }
  const byId = new Map(summaries.map((s) => [s.id, s]));
  const run: Run = {
    id: runId,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_100_000,
    status: "finished",
    config: { envDir: "/envs/calculator", policy: { spec: "scripted:reference.jsonl" }, group, concurrency: 4, name: "bench run" },
    envName: "calculator",
    envHash: "0".repeat(64),
    summary: null,
    error: null,
  };
  return {
    run,
    summaries,
    trajectory: (id) => {
      // Rows emitted later (a live run) are looked up in the list itself.
      const s = byId.get(id) ?? summaries.find((t) => t.id === id);
      if (!s) throw new Error(`No trajectory ${id}`);
      return fullTrajectory(s, turnsPer);
    },
    metrics: Array.from({ length: 50 }, (_, step) => ({ runId, step, ts: step * 1000, values: { reward_mean: 0.5 + 0.4 * Math.sin(step / 8), reward_std: 0.2, turns_mean: 2 + (step % 3), tool_calls_mean: 1 } })),
  };
}

/** A full trajectory for a summary: alternating tool-call turns and observations, ending with an answer. */
export function fullTrajectory(s: TrajectorySummary, turns: number): Trajectory {
  return {
    id: s.id,
    runId: s.runId,
    taskId: s.taskId,
    taskIndex: s.taskIndex,
    groupId: s.groupId,
    sampleIndex: s.sampleIndex,
    status: s.status,
    stopReason: s.stopReason,
    task: { id: s.taskId, prompt: "What is 92 * 12?" },
    prompt: [
      { role: "system", content: "You are a careful assistant." },
      { role: "user", content: "What is 92 * 12? Use the calculate tool." },
    ],
    tools: [{ name: "calculate", description: "Evaluate arithmetic", parameters: { type: "object" } }],
    turns: Array.from({ length: turns }, (_, i) => {
      const last = i === turns - 1;
      const id = `call-${i}`;
      return {
        index: i,
        startedAt: 0,
        durationMs: 120,
        assistant: last ? { role: "assistant" as const, content: "The result is <answer>1104</answer>" } : { role: "assistant" as const, content: "", toolCalls: [{ id, name: "calculate", arguments: { expression: `92 * 12 + ${i}` }, rawArguments: "" }] },
        policy: { latencyMs: 80 },
        observations: last ? [] : [{ toolCallId: id, tool: "calculate", content: String(1104 + i), durationMs: 30, exitCode: 0 }],
      };
    }),
    reward: { total: s.reward, components: s.components, weights: COMPONENTS, errors: [], durationMs: 3 },
    advantage: s.advantage,
    componentAdvantages: {},
    infraRetries: 0,
    infraErrors: [],
    provenance: { envName: "calculator", envHash: "0".repeat(64), codeHash: "0".repeat(64), protocolVersion: "1" },
    startedAt: 0,
    finishedAt: s.finishedAt,
    timings: { totalMs: s.durationMs, policyMs: 100, sandboxMs: 50, toolMs: 30, rewardMs: 3, sandboxAcquireMs: 5 },
  };
}

export interface MemoryHost {
  transport: Transport;
  /** Every request the webview made, in order (tests assert on paging and filters). */
  requests: { method: WebviewMethod; params: unknown }[];
  push(m: HostToWebview): void;
  /** The last event seq, as the runner's store would report with each page. */
  seq: number;
  /**
   * Appends one run event the way the runner does: the data changes first (a trajectory row is
   * stored in (taskIndex, sampleIndex) order, advantages set), then the event is pushed.
   */
  emit<T extends RunEventType>(type: T, data: RunEventDataOf<T>): void;
}

/** What an event changes in the data the host serves (the runner stores first, then tells). */
function applyToData(data: MemoryData, e: RunEvent): void {
  if (e.type === "trajectory.finished") {
    const xs = data.summaries;
    const at = xs.findIndex((t) => t.id === e.data.id);
    if (at >= 0) xs[at] = e.data;
    else {
      let i = xs.length;
      while (i > 0 && (xs[i - 1]!.taskIndex > e.data.taskIndex || (xs[i - 1]!.taskIndex === e.data.taskIndex && xs[i - 1]!.sampleIndex > e.data.sampleIndex))) i--;
      xs.splice(i, 0, e.data);
    }
  } else if (e.type === "group.advantages") {
    const byId = new Map(e.data.items.map((i) => [i.trajectoryId, i.advantage]));
    for (const t of data.summaries) {
      const a = byId.get(t.id);
      if (a !== undefined) t.advantage = a;
    }
  } else if (e.type === "run.metrics") {
    data.metrics.push({ runId: data.run.id, step: e.data.step, ts: e.ts, values: e.data.values });
  }
}

/** Answers the webview's requests from `data`, asynchronously like postMessage. */
export function memoryHost(data: MemoryData): MemoryHost {
  let listener: ((m: HostToWebview) => void) | null = null;
  const requests: MemoryHost["requests"] = [];
  const handlers: { [M in WebviewMethod]: (p: WebviewParams<M>) => WebviewResult<M> } = {
    listRuns: () => ({ items: [data.run, ...(data.otherRuns ?? [])] }),
    run: () => data.run,
    trajectoryPage: ({ query }) => {
      let xs = data.summaries;
      if (query.groupId) xs = xs.filter((t) => t.groupId === query.groupId);
      if (query.taskId) xs = xs.filter((t) => t.taskId === query.taskId);
      if (query.minReward !== undefined) xs = xs.filter((t) => (t.reward ?? -Infinity) >= query.minReward!);
      if (query.maxReward !== undefined) xs = xs.filter((t) => (t.reward ?? Infinity) <= query.maxReward!);
      if (query.hasError !== undefined) xs = xs.filter((t) => (t.error !== null) === query.hasError);
      if (query.text) {
        const q = query.text.toLowerCase();
        xs = xs.filter((t) => JSON.stringify(data.trajectory(t.id).turns).toLowerCase().includes(q) || t.taskId.includes(q));
      }
      const off = query.offset ?? 0;
      return { items: xs.slice(off, off + (query.limit ?? 100)), total: xs.length, seq: host.seq };
    },
    trajectory: ({ id }) => data.trajectory(id),
    metrics: () => ({ items: data.metrics }),
    liveEpisodes: ({ runId }) => data.live ?? { runId, stallAfterMs: 0, episodes: [], policy: { state: "idle", lastAnswerAgoMs: null, lastError: null, waiting: 0, longestWaitMs: 0 } },
    killEpisode: ({ runId, trajectoryId }) => {
      const live = data.live;
      if (!live?.episodes.some((e) => e.trajectoryId === trajectoryId)) throw new Error(`Episode "${trajectoryId}" is not in flight in run ${runId}`);
      live.episodes = live.episodes.filter((e) => e.trajectoryId !== trajectoryId);
      return live;
    },
    forkTrajectory: () => {
      throw new Error("the in-memory host runs no episodes; forks are tested against the runner");
    },
    compareRuns: ({ b }) => {
      const c = data.comparisons?.[b];
      if (!c) throw new Error(`no comparison with ${b}`);
      return c;
    },
    events: () => ({ items: [] }),
    blob: ({ sha256 }) => {
      const url = data.blobs?.[sha256];
      if (!url) throw new Error(`no blob ${sha256}`);
      return { dataUrl: url };
    },
    openRewardSource: () => ({ opened: true }),
    follow: ({ runId }) => ({ following: runId !== null }),
  };
  const host: MemoryHost = {
    requests,
    seq: 0,
    emit: (type, payload) => {
      // As in the runner's store: {type, data} of one type is that union member.
      const event = { seq: ++host.seq, runId: data.run.id, ts: Date.now(), type, data: payload } as RunEvent;
      applyToData(data, event);
      host.push({ kind: "runEvent", event });
    },
    push: (m) => queueMicrotask(() => listener?.(m)),
    transport: {
      post: (m: WebviewToHost) => {
        if (m.kind !== "request") return;
        requests.push({ method: m.method, params: m.params });
        queueMicrotask(() => {
          try {
            const result = (handlers[m.method] as (p: unknown) => unknown)(m.params);
            listener?.({ kind: "response", id: m.id, ok: true, result });
          } catch (err) {
            listener?.({ kind: "response", id: m.id, ok: false, error: (err as Error).message });
          }
        });
      },
      listen: (h) => {
        listener = h;
        return () => (listener = null);
      },
    },
  };
  return host;
}
