import fs from "node:fs";
import * as vscode from "vscode";
import type { ExtensionServices } from "../services";
import { pickRun } from "./pick-run";

/** Export Trajectories: a run's trajectories as JSONL (the runner's export) to a file the user picks. */
export async function exportTrajectories(svc: ExtensionServices, arg?: unknown): Promise<void> {
  const client = await svc.registry.client();
  const runId = await pickRun(client, arg);
  if (!runId) return;
  const target = await vscode.window.showSaveDialog({ title: "Export trajectories", defaultUri: vscode.Uri.file(`${vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "."}/trajectories-${runId.slice(0, 8)}.jsonl`), filters: { JSONL: ["jsonl"] } });
  if (!target) return;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting run ${runId.slice(0, 8)}…`, cancellable: true }, async (_p, cancel) => {
    const abort = new AbortController();
    cancel.onCancellationRequested(() => abort.abort());
    const data = await client.exportRun(runId, abort.signal);
    fs.writeFileSync(target.fsPath, data);
    svc.log(`exported run ${runId} to ${target.fsPath} (${data.length} bytes)`);
  });
  void vscode.window.showInformationMessage(`AgentRL: exported to ${vscode.workspace.asRelativePath(target)}.`);
}
