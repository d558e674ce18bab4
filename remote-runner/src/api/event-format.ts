import type { RunEvent } from "@agentrl/protocol";

function str(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** One readable line per event for `agentrl logs`. */
export function formatEvent(e: RunEvent): string {
  const time = new Date(e.ts).toISOString().slice(11, 23);
  const d = (e.data ?? {}) as Record<string, unknown>;
  let text: string;
  switch (e.type) {
    case "run.status":
      text = `status ${str(d.status)}${d.error ? `: ${str(d.error)}` : ""}`;
      break;
    case "trajectory.started":
      text = `started ${str(d.trajectoryId)} (task ${str(d.taskId)}, sample ${str(d.sampleIndex)}${Number(d.attempt) > 0 ? `, attempt ${str(d.attempt)}` : ""})`;
      break;
    case "trajectory.turn":
      text = `turn ${str(d.turn)} of ${str(d.trajectoryId)}${Array.isArray(d.toolCalls) && d.toolCalls.length ? ` tools ${d.toolCalls.join(",")}` : ""}`;
      break;
    case "trajectory.finished":
      text = `finished ${str(d.id)} reward ${d.reward === null ? "n/a" : str(d.reward)} (${str(d.turns)} turns${d.error ? `, error ${str(d.error)}` : ""})`;
      break;
    case "run.metrics":
      text = `metrics step ${str(d.step)} ${Object.entries((d.values ?? {}) as Record<string, number>).map(([k, v]) => `${k}=${Number(v).toFixed(3)}`).join(" ")}`;
      break;
    case "log":
      text = `${str(d.level)}: ${str(d.message)}`;
      break;
    default:
      text = JSON.stringify(e.data);
  }
  return `${String(e.seq).padStart(7)} ${time} ${e.runId} ${text}`;
}

export const TERMINAL_STATUSES = new Set(["finished", "failed", "cancelled"]);

/** True for the event that ends a run. */
export function isRunEnd(e: RunEvent): boolean {
  return e.type === "run.status" && TERMINAL_STATUSES.has(String((e.data as { status?: unknown })?.status));
}
