import type { ExecResult } from "@agentrl/protocol";

/** What the model sees of a command: stdout, then stderr and the exit code when it failed. */
export function formatExecResult(r: ExecResult): string {
  const parts: string[] = [];
  if (r.stdout) parts.push(r.stdout.replace(/\n$/, ""));
  if (r.stderr && (r.exitCode !== 0 || !r.stdout)) parts.push(`[stderr]\n${r.stderr.replace(/\n$/, "")}`);
  if (r.timedOut) parts.push(`[timed out after ${Math.round(r.durationMs)} ms]`);
  else if (r.oomKilled) parts.push("[killed: out of memory]");
  else if (r.exitCode !== 0) parts.push(`[exit code ${r.exitCode ?? "none (killed)"}]`);
  if (r.truncated) parts.push("[output truncated]");
  return parts.join("\n") || "(no output)";
}
