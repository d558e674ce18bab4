import * as vscode from "vscode";
import { AgentRlCodeLens } from "./authoring/codelens";
import { TryRewardView, tryRewardOnStored } from "./authoring/try-reward";
import { registerTaskDiagnostics } from "./authoring/task-diagnostics";
import { connectRunner } from "./commands/connect-runner";
import { exportTrajectories } from "./commands/export-trajectories";
import { launchRun } from "./commands/launch-run";
import { newEnvironment } from "./commands/new-environment";
import { pickRun } from "./commands/pick-run";
import { preflight } from "./commands/preflight";
import { runOneEpisode } from "./commands/run-one-episode";
import { scoreStoredTrajectories } from "./commands/score-stored-trajectories";
import { InspectorPanel } from "./inspector/inspector-panel";
import { EMBEDDED_ID, RunnerRegistry } from "./runners/runner-registry";
import type { ExtensionServices } from "./services";
import { EnvironmentsView } from "./views/environments-view";
import { RunStatusBar } from "./views/run-status-bar";
import { RunnersView } from "./views/runners-view";
import { RunsView } from "./views/runs-view";

/** Extension entry point: wires the runner registry, the views, the commands and authoring support. */
export function activate(context: vscode.ExtensionContext): ExtensionServices {
  const output = vscode.window.createOutputChannel("AgentRL");
  const log = (line: string): void => output.appendLine(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const registry = new RunnerRegistry(context, log);
  const envsView = new EnvironmentsView();
  const runsView = new RunsView(registry, log);
  const statusBar = new RunStatusBar();

  const svc: ExtensionServices = {
    registry,
    envsView,
    runsView,
    statusBar,
    log,
    async openInspector({ runId, trajectoryId, follow }) {
      const client = await registry.client();
      const run = runId ?? (await pickRun(client, undefined, "Open Inspector: pick a run"));
      if (!run) return undefined;
      return InspectorPanel.show(context.extensionUri, client, { runnerName: registry.active.name, runId: run, trajectoryId: trajectoryId ?? null, follow: follow ?? false }, log);
    },
  };

  /** Every command reports failures the same way: a message naming the fix, and the detail in the output channel. */
  const command = (id: string, fn: (...args: unknown[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        log(`${id} failed: ${msg}`);
        if (msg !== "Cancelled.") void vscode.window.showErrorMessage(`AgentRL: ${msg}`, "Show Output").then((a) => a && output.show());
        return undefined;
      }
    });

  const watcher = vscode.workspace.createFileSystemWatcher("**/env.ts");
  const tryView = new TryRewardView();
  context.subscriptions.push(
    output,
    registry,
    statusBar,
    watcher,
    watcher.onDidCreate(() => envsView.refresh()),
    watcher.onDidDelete(() => envsView.refresh()),
    watcher.onDidChange(() => envsView.refresh()),
    vscode.window.registerTreeDataProvider("agentrl.environments", envsView),
    vscode.window.registerTreeDataProvider("agentrl.runners", new RunnersView(registry)),
    vscode.window.registerTreeDataProvider("agentrl.runs", runsView),
    vscode.languages.registerCodeLensProvider([{ language: "typescript", scheme: "file" }], new AgentRlCodeLens()),
    command("agentrl.showOutput", () => output.show()),
    command("agentrl.newEnvironment", () => newEnvironment(svc, context.extensionPath)),
    command("agentrl.runOneEpisode", (arg) => runOneEpisode(svc, arg)),
    command("agentrl.preflight", (arg) => preflight(svc, arg)),
    command("agentrl.launchRun", () => launchRun(svc)),
    command("agentrl.connectRunner", () => connectRunner(svc)),
    command("agentrl.openInspector", (arg) => svc.openInspector(arg && typeof arg === "object" && "runId" in arg ? (arg as { runId: string }) : arg && typeof arg === "object" && "id" in arg ? { runId: (arg as { id: string }).id } : {})),
    command("agentrl.exportTrajectories", (arg) => exportTrajectories(svc, arg)),
    tryView,
    command("agentrl.tryReward", (uri, reward, line) => tryRewardOnStored(svc, tryView, uri instanceof vscode.Uri ? uri : undefined, typeof reward === "string" ? reward : undefined, typeof line === "number" ? line : undefined)),
    command("agentrl.scoreStoredTrajectories", (uri, reward) => scoreStoredTrajectories(svc, uri instanceof vscode.Uri ? uri : undefined, typeof reward === "string" ? reward : undefined)),
    command("agentrl.startEmbeddedRunner", async () => {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "AgentRL: starting the embedded runner…", cancellable: true }, async (_p, cancel) => {
        const abort = new AbortController();
        cancel.onCancellationRequested(() => abort.abort());
        await registry.startEmbedded(abort.signal);
      });
      await registry.setActive(EMBEDDED_ID);
    }),
    command("agentrl.stopEmbeddedRunner", () => registry.stopEmbedded()),
    command("agentrl.useRunner", (id) => typeof id === "string" && registry.setActive(id)),
    command("agentrl.refreshRuns", () => runsView.refresh()),
    command("agentrl.refreshEnvironments", () => envsView.refresh()),
  );
  registerTaskDiagnostics(context);
  if (vscode.workspace.getConfiguration("agentrl").get<boolean>("startEmbeddedRunnerOnActivation")) {
    void vscode.commands.executeCommand("agentrl.startEmbeddedRunner");
  }
  return svc;
}

export function deactivate(): void {}
