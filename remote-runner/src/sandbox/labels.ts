import fs from "node:fs";
import os from "node:os";

/** Every container the runner creates carries these, so a restarted runner can find what a crash left. */
export const LABEL_MANAGED = "agentrl.managed";
export const LABEL_HOST = "agentrl.host";
export const LABEL_PID = "agentrl.pid";
/** The owner's process start time: tells a live owner from a recycled pid. */
export const LABEL_PID_START = "agentrl.pidstart";
export const LABEL_RUN = "agentrl.run";
export const LABEL_SNAPSHOT = "agentrl.snapshot";

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or null. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function ownerLabels(): Record<string, string> {
  return {
    [LABEL_MANAGED]: "1",
    [LABEL_HOST]: os.hostname(),
    [LABEL_PID]: String(process.pid),
    [LABEL_PID_START]: processStartTime(process.pid) ?? "",
  };
}

/** True when the labels name a runner process on this host that is gone. */
export function ownerIsDead(labels: Record<string, string>): boolean {
  if (labels[LABEL_HOST] !== os.hostname()) return false; // another machine's runner: not ours to judge
  const pid = Number(labels[LABEL_PID]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  const start = processStartTime(pid);
  if (start === null) return true;
  return Boolean(labels[LABEL_PID_START]) && start !== labels[LABEL_PID_START];
}
