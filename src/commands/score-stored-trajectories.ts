import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import type { RescoreReport, ScoreComparison } from "@agentrl/protocol";
import { describeEnvSource } from "../environments/find-environments";
import { uploadEnvironment } from "../environments/upload-environment";
import { InspectorPanel } from "../inspector/inspector-panel";
import type { ExtensionServices } from "../services";

/** The env folder a reward file belongs to: the nearest folder upwards that holds env.ts. */
export function envDirOf(file: string): string | null {
  let dir = path.dirname(file);
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, "env.ts"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** Runner rescore report → what the inspector's comparison view shows, most-changed first. */
export function toComparison(report: RescoreReport, reward: string, file: string, sampleIndexOf: (id: string) => number): ScoreComparison {
  const items = report.rows
    .filter((r) => !r.skipped)
    .map((r) => ({
      trajectoryId: r.id,
      taskId: r.taskId,
      groupId: r.groupId,
      sampleIndex: sampleIndexOf(r.id),
      before: r.before,
      after: r.after,
      advantageBefore: r.advantageBefore,
      advantageAfter: r.advantageAfter,
      componentsAfter: r.componentsAfter,
      errors: r.errors,
    }))
    .sort((a, b) => Math.abs((b.after ?? 0) - (b.before ?? 0)) - Math.abs((a.after ?? 0) - (a.before ?? 0)));
  return { runId: report.runId, reward, file, scored: report.rescored, changed: report.changed, meanBefore: report.meanBefore, meanAfter: report.meanAfter, items };
}

/**
 * "Score stored trajectories" (CodeLens on a reward): uploads the env as it is now (with the edited
 * reward), has the runner re-run the rewards over the latest run of that env without saving, and
 * shows before/after scores and advantages in the inspector.
 */
export async function scoreStoredTrajectories(svc: ExtensionServices, uri?: vscode.Uri, reward?: string): Promise<ScoreComparison | undefined> {
  const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.uri.fsPath;
  const dir = file ? envDirOf(file) : null;
  if (!file || !dir) {
    void vscode.window.showErrorMessage("This file is not inside an environment folder (no env.ts above it). Fix: open the reward from an env folder.");
    return undefined;
  }
  const env = describeEnvSource(path.join(dir, "env.ts"), fs.readFileSync(path.join(dir, "env.ts"), "utf8"));
  const client = await svc.registry.client();
  const runs = (await client.listRuns()).items.filter((r) => r.envName === env.name && r.status === "finished").sort((a, b) => b.createdAt - a.createdAt);
  // The run open in the inspector when it belongs to this env, else the newest finished one.
  const shown = InspectorPanel.active?.client.baseUrl === client.baseUrl ? InspectorPanel.active.currentRunId : null;
  const run = runs.find((r) => r.id === shown) ?? runs[0];
  if (!run) {
    void vscode.window.showErrorMessage(`No finished run of ${env.name} on ${svc.registry.active.name} to score. Fix: run "AgentRL: Run One Episode" first.`);
    return undefined;
  }
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AgentRL: scoring ${run.summary?.trajectories ?? ""} stored trajectories with the edited ${reward ?? "rewards"}…`, cancellable: true }, async (_p, cancel) => {
    const abort = new AbortController();
    cancel.onCancellationRequested(() => abort.abort());
    const sha = await uploadEnvironment(client, env, abort.signal);
    const report = await client.rescore(run.id, sha, { signal: abort.signal });
    const page = await client.trajectories(run.id, { limit: 1000 });
    const sampleIndex = new Map(page.items.map((t) => [t.id, t.sampleIndex]));
    const comparison = toComparison(report, reward ?? "all rewards", vscode.workspace.asRelativePath(file), (id) => sampleIndex.get(id) ?? 0);
    svc.log(`rescored run ${run.id}: ${comparison.changed}/${comparison.scored} changed, mean ${comparison.meanBefore} → ${comparison.meanAfter}`);
    const panel = await svc.openInspector({ runId: run.id, follow: false });
    panel?.showComparison(comparison);
    return comparison;
  });
}
