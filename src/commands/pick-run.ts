import * as vscode from "vscode";
import type { RunnerClient } from "../../remote-runner/src/api/client";

/** The run a command acts on: given (tree item / argument) or picked from the runner's runs, newest first. */
export async function pickRun(client: RunnerClient, arg?: unknown, title = "Pick a run"): Promise<string | undefined> {
  if (arg && typeof arg === "object" && "runId" in arg && typeof (arg as { runId: unknown }).runId === "string") return (arg as { runId: string }).runId;
  if (arg && typeof arg === "object" && "id" in arg && "config" in arg) return (arg as { id: string }).id;
  const { items } = await client.listRuns();
  if (!items.length) {
    void vscode.window.showErrorMessage('The runner has no runs yet. Fix: run "AgentRL: Run One Episode" first.');
    return undefined;
  }
  const sorted = [...items].sort((a, b) => b.createdAt - a.createdAt);
  if (sorted.length === 1) return sorted[0]!.id;
  const pick = await vscode.window.showQuickPick(
    sorted.map((r) => ({ label: r.config.name || r.envName, description: `${r.status} · ${r.summary?.trajectories ?? 0} traj`, detail: r.id, id: r.id })),
    { title },
  );
  return pick?.id;
}
