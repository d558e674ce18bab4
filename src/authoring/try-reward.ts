import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import type { TryRewardReport } from "@agentrl/protocol";
import { describeEnvSource } from "../environments/find-environments";
import { uploadEnvironment } from "../environments/upload-environment";
import { envDirOf } from "../commands/score-stored-trajectories";
import type { ExtensionServices } from "../services";
import { errorSites, trySummary, tryTable } from "./try-reward-format";

/**
 * Shows a tried reward's results where it is written: a summary after the reward's line (hover:
 * every trajectory's value, components and error), and each error at the line that threw, as a
 * decoration and in the Problems panel (the summary too, as information). Cleared when the file changes.
 */
export class TryRewardView implements vscode.Disposable {
  private readonly summary = vscode.window.createTextEditorDecorationType({ after: { margin: "0 0 0 2em", color: new vscode.ThemeColor("editorCodeLens.foreground") } });
  private readonly thrown = vscode.window.createTextEditorDecorationType({ after: { margin: "0 0 0 2em", color: new vscode.ThemeColor("errorForeground") }, isWholeLine: true, backgroundColor: new vscode.ThemeColor("diffEditor.removedLineBackground") });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("agentrl-try");
  private readonly shown = new Map<string, { summary: vscode.DecorationOptions[]; thrown: vscode.DecorationOptions[] }>();
  private readonly subs: vscode.Disposable[];

  constructor() {
    this.subs = [
      vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length && this.clear(e.document.uri.fsPath)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.paint()),
    ];
  }

  show(report: TryRewardReport, rewardFile: string, rewardLine: number, envDir: string): void {
    this.shown.clear();
    this.diagnostics.clear();
    const table = new vscode.MarkdownString(tryTable(report));
    this.add(rewardFile).summary.push({ range: new vscode.Range(rewardLine, 0, rewardLine, 0), renderOptions: { after: { contentText: `▸ ${trySummary(report)}` } }, hoverMessage: table });
    // The summary is also an Information problem: decorations are not reachable by keyboard or screen reader.
    const info = new vscode.Diagnostic(new vscode.Range(rewardLine, 0, rewardLine, Number.MAX_SAFE_INTEGER), trySummary(report), vscode.DiagnosticSeverity.Information);
    info.source = "AgentRL try";
    const byFile = new Map<string, vscode.Diagnostic[]>([[rewardFile, [info]]]);
    for (const site of errorSites(report, envDir)) {
      const range = new vscode.Range(site.line, site.column, site.line, Number.MAX_SAFE_INTEGER);
      const text = `reward "${report.reward}" threw on ${site.trajectories} of ${report.rows.length} trajectories: ${site.message}`;
      this.add(site.file).thrown.push({ range, renderOptions: { after: { contentText: `✗ ${text}` } }, hoverMessage: table });
      const d = new vscode.Diagnostic(range, text, vscode.DiagnosticSeverity.Error);
      d.source = "AgentRL try";
      byFile.set(site.file, [...(byFile.get(site.file) ?? []), d]);
    }
    for (const [file, ds] of byFile) this.diagnostics.set(vscode.Uri.file(file), ds);
    this.paint();
  }

  private add(file: string): { summary: vscode.DecorationOptions[]; thrown: vscode.DecorationOptions[] } {
    const entry = this.shown.get(file) ?? { summary: [], thrown: [] };
    this.shown.set(file, entry);
    return entry;
  }

  private clear(file: string): void {
    if (!this.shown.delete(file)) return;
    this.diagnostics.delete(vscode.Uri.file(file));
    this.paint();
  }

  private paint(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const entry = this.shown.get(editor.document.uri.fsPath);
      editor.setDecorations(this.summary, entry?.summary ?? []);
      editor.setDecorations(this.thrown, entry?.thrown ?? []);
    }
  }

  dispose(): void {
    for (const d of [this.summary, this.thrown, this.diagnostics, ...this.subs]) d.dispose();
  }
}

/**
 * "Try on stored trajectories" (CodeLens on a reward): saves the file, uploads the env as it is now,
 * and has the runner score that one reward on a chosen run's trajectories (or one picked
 * trajectory), without a full rescore and without storing anything; the results show inline.
 */
export async function tryRewardOnStored(svc: ExtensionServices, view: TryRewardView, uri?: vscode.Uri, reward?: string, line?: number): Promise<TryRewardReport | undefined> {
  const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.uri.fsPath;
  const dir = file ? envDirOf(file) : null;
  if (!file || !dir || !reward) throw new Error("Try on stored trajectories works on a reward in an environment folder (env.ts above it). Fix: use the CodeLens above a reward.");
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
  const env = describeEnvSource(path.join(dir, "env.ts"), fs.readFileSync(path.join(dir, "env.ts"), "utf8"));
  const client = await svc.registry.client();
  const runs = (await client.listRuns()).items.filter((r) => r.envName === env.name && r.status === "finished" && (r.summary?.trajectories ?? 0) > 0).sort((a, b) => b.createdAt - a.createdAt);
  if (runs.length === 0) throw new Error(`No finished run of ${env.name} on ${svc.registry.active.name} to try "${reward}" on. Fix: run "AgentRL: Run One Episode" first.`);
  const run = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.config.name ?? r.id, description: `${r.id} · ${r.summary?.trajectories ?? 0} trajectories · mean ${r.summary?.meanReward?.toFixed(3) ?? "n/a"}`, run: r })),
    { title: `Try "${reward}" on stored trajectories (1/2): run`, matchOnDescription: true },
  );
  if (!run) return undefined;
  const page = await client.trajectories(run.run.id, { limit: 500 });
  const finished = page.items.filter((t) => t.status === "finished");
  const all = { label: `All trajectories (${finished.length})`, description: "", ids: undefined as string[] | undefined };
  const scope = await vscode.window.showQuickPick([all, ...finished.map((t) => ({ label: `${t.taskId} #${t.sampleIndex}`, description: `reward ${t.reward?.toFixed(3) ?? "n/a"} · ${t.id}`, ids: [t.id] }))], { title: `Try "${reward}" on stored trajectories (2/2): which` });
  if (!scope) return undefined;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `AgentRL: trying ${reward} on ${scope.ids ? "one trajectory" : `${finished.length} trajectories`}…`, cancellable: true }, async (_p, cancel) => {
    const abort = new AbortController();
    cancel.onCancellationRequested(() => abort.abort());
    const sha = await uploadEnvironment(client, env, abort.signal);
    const report = await client.tryReward(run.run.id, { env: sha, reward, ...(scope.ids ? { trajectoryIds: scope.ids } : {}) }, abort.signal);
    svc.log(`tried ${trySummary(report)}`);
    view.show(report, file, line ?? 0, dir);
    return report;
  });
}
