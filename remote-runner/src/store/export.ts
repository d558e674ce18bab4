import type { TrainTrajectory, Trajectory } from "@agentrl/protocol";
import { countToolCalls, trajectoryMessages } from "@agentrl/protocol";
import { trainSegments, turnStateKeys } from "../training/train-sequence.js";

/**
 * One row of `agentrl export --format trajectories`. Column types are the same on every row (free-form
 * values such as the task and tool arguments are JSON strings; components are a list of structs), so
 * Hugging Face `datasets` loads the file with `load_dataset("json", data_files=...)` without type clashes.
 */
export interface ExportRow {
  id: string;
  run_id: string;
  task_id: string;
  group_id: string;
  sample_index: number;
  status: string;
  stop_reason: string;
  reward: number | null;
  advantage: number | null;
  components: { name: string; value: number; weight: number }[];
  reward_errors: { reward: string; kind: string; message: string }[];
  error: string | null;
  messages: { role: string; content: string; tool_calls: { id: string; name: string; arguments: string }[]; tool_call_id: string | null }[];
  task: string;
  num_turns: number;
  num_tool_calls: number;
  env_hash: string;
  duration_ms: number;
}

export function toExportRow(t: Trajectory): ExportRow {
  return {
    id: t.id,
    run_id: t.runId,
    task_id: t.taskId,
    group_id: t.groupId,
    sample_index: t.sampleIndex,
    status: t.status,
    stop_reason: t.stopReason,
    reward: t.reward.total,
    advantage: t.advantage,
    components: Object.entries(t.reward.components).map(([name, value]) => ({ name, value, weight: t.reward.weights[name] ?? 0 })),
    reward_errors: t.reward.errors.map((e) => ({ reward: e.reward, kind: e.kind, message: e.message })),
    error: t.error ? `${t.error.kind}: ${t.error.message}` : null,
    messages: trajectoryMessages(t).map((m) => ({
      role: m.role,
      content: m.content,
      tool_calls: (m.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: c.rawArguments })),
      tool_call_id: m.toolCallId ?? null,
    })),
    task: JSON.stringify(t.task),
    num_turns: t.turns.length,
    num_tool_calls: countToolCalls(t),
    env_hash: t.provenance.envHash,
    duration_ms: t.timings.totalMs,
  };
}

/**
 * The training record of a trajectory (contract with the Python trainer): its token sequences with
 * the policy turns marked (see trainSegments), per-turn rewards when the environment gives them, and
 * what each turn saw. A skip reason when it cannot be trained on (no reward, or turns without token ids).
 */
export function toTrainRecord(t: Trajectory, failedReward: number | null = null): { record: TrainTrajectory } | { skip: string } {
  // An episode the policy itself failed (error.policyCaused) trains as failedReward, so failing is
  // penalized rather than silently dropped (survivorship bias); null leaves it out like the rest.
  const failed = t.reward.total === null && t.error?.policyCaused === true && failedReward !== null;
  const reward = failed ? failedReward : t.reward.total;
  if (reward === null) return { skip: t.error ? `${t.error.kind} error` : "no reward total (reward error)" };
  const seq = trainSegments(t.turns);
  if ("skip" in seq) return seq;
  const record: TrainTrajectory = {
    trajectory_id: t.id,
    task_id: t.taskId,
    group_id: t.groupId,
    sample_index: t.sampleIndex,
    reward,
    components: failed ? {} : t.reward.components,
    component_weights: t.reward.weights,
    segments: seq.segments,
    turn_states: turnStateKeys(t.prompt, t.turns),
  };
  if (t.turns.some((turn) => turn.reward !== undefined)) record.turn_rewards = t.turns.map((turn) => turn.reward ?? 0);
  return { record };
}
