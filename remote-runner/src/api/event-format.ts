import type { RunEvent, RunEventOf } from "@agentrl/protocol";

/** One readable line per event for `agentrl logs`. */
export function formatEvent(e: RunEvent): string {
  const time = new Date(e.ts).toISOString().slice(11, 23);
  return `${String(e.seq).padStart(7)} ${time} ${e.runId} ${eventText(e)}`;
}

function eventText(e: RunEvent): string {
  switch (e.type) {
    case "run.status":
      return `status ${e.data.status}${e.data.error ? `: ${e.data.error}` : ""}${e.data.checkpoint ? ` (checkpoint ${e.data.checkpoint})` : ""}`;
    case "trajectory.started":
      return `started ${e.data.trajectoryId} (task ${e.data.taskId}, sample ${e.data.sampleIndex}${e.data.attempt > 0 ? `, attempt ${e.data.attempt}` : ""})`;
    case "trajectory.turn":
      return `turn ${e.data.turn} of ${e.data.trajectoryId}${e.data.toolCalls.length ? ` tools ${e.data.toolCalls.join(",")}` : ""}`;
    case "trajectory.finished":
      return `finished ${e.data.id} reward ${e.data.reward === null ? "n/a" : e.data.reward} (${e.data.turns} turns${e.data.error ? `, error ${e.data.error}` : ""})`;
    case "run.metrics":
      return `metrics step ${e.data.step} ${Object.entries(e.data.values).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(" ")}`;
    case "group.advantages":
      return `advantages of ${e.data.groupId}: ${e.data.items.map((i) => (i.advantage === null ? "n/a" : i.advantage.toFixed(3))).join(" ")}`;
    case "trajectory.logprobs":
      return `trainer logprobs of step ${e.data.step} stored on ${e.data.trajectoryIds.length} trajectories`;
    case "trajectory.phase":
      return `${e.data.trajectoryId} turn ${e.data.turn} waits on ${e.data.phase}${e.data.detail ? ` (${e.data.detail})` : ""}`;
    case "episode.stalled":
      return `STALLED ${e.data.trajectoryId} (task ${e.data.taskId}, sample ${e.data.sampleIndex}): ${Math.round(e.data.sinceMs / 1000)} s waiting on ${e.data.phase}${e.data.detail ? ` (${e.data.detail})` : ""} at turn ${e.data.turn}`;
    case "log":
      return `${e.data.level}: ${e.data.message}`;
  }
}

export const TERMINAL_STATUSES = new Set(["finished", "failed", "cancelled"]);

/** True for the event that ends a run. */
export function isRunEnd(e: RunEvent): e is RunEventOf<"run.status"> {
  return e.type === "run.status" && TERMINAL_STATUSES.has(e.data.status);
}
