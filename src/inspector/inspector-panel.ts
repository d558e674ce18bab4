import * as vscode from "vscode";
import type { HostPush, HostResponse, InspectorInit, RunEvent, ScoreComparison, WebviewMethod, WebviewParams, WebviewResult, WebviewToHost } from "@agentrl/protocol";
import type { RunnerClient } from "../../remote-runner/src/api/client";
import { runEvents } from "../runners/event-subscription";
import { findRewardSource } from "../authoring/reward-source";
import { findEnvironments } from "../environments/find-environments";
import { inspectorHtml } from "./webview-html";

type Handlers = { [M in WebviewMethod]: (p: WebviewParams<M>) => Promise<WebviewResult<M>> };

/**
 * The inspector webview panel (one per window). Answers the webview's typed requests by calling the
 * runner API, so the webview never holds the token and only ever gets the page it asked for.
 */
export class InspectorPanel implements vscode.Disposable {
  private static current: InspectorPanel | null = null;
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private queue: HostPush[] = [];
  private follow: { dispose(): void } | null = null;
  /** The run the inspector currently shows (commands like Score Stored Trajectories act on it). */
  currentRunId: string | null = null;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, client: RunnerClient, init: InspectorInit, log: (l: string) => void): InspectorPanel {
    const cur = InspectorPanel.current;
    if (cur && cur.client.baseUrl === client.baseUrl) {
      cur.panel.reveal(vscode.ViewColumn.Active);
      if (init.runId) cur.push({ kind: "select", runId: init.runId, trajectoryId: init.trajectoryId });
      if (init.follow && init.runId) void cur.handlers.follow({ runId: init.runId });
      return cur;
    }
    cur?.dispose();
    InspectorPanel.current = new InspectorPanel(extensionUri, client, init, log);
    return InspectorPanel.current;
  }

  static get active(): InspectorPanel | null {
    return InspectorPanel.current;
  }

  private constructor(
    extensionUri: vscode.Uri,
    readonly client: RunnerClient,
    private readonly init: InspectorInit,
    private readonly log: (l: string) => void,
  ) {
    this.panel = vscode.window.createWebviewPanel("agentrl.inspector", "AgentRL Inspector", vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist", "webview")],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "agentrl.svg");
    this.panel.webview.html = inspectorHtml(this.panel.webview, extensionUri);
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: WebviewToHost) => void this.onMessage(m)),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  showComparison(comparison: ScoreComparison): void {
    this.push({ kind: "scoreComparison", comparison });
    this.panel.reveal();
  }

  private push(m: HostPush): void {
    if (!this.ready) this.queue.push(m);
    else void this.panel.webview.postMessage(m);
  }

  private readonly handlers: Handlers = {
    listRuns: () => this.client.listRuns(),
    run: ({ runId }) => {
      this.currentRunId = runId; // the webview asks for the run it shows: that is "the run in the inspector"
      return this.client.getRun(runId);
    },
    trajectoryPage: ({ runId, query }) => this.client.trajectories(runId, query),
    trajectory: ({ id }) => this.client.trajectory(id),
    metrics: ({ runId }) => this.client.metrics(runId),
    compareRuns: ({ a, b, threshold }) => this.client.compareRuns(a, b, threshold),
    liveEpisodes: ({ runId }) => this.client.liveEpisodes(runId),
    forkTrajectory: ({ trajectoryId, request }) => this.client.forkTrajectory(trajectoryId, request),
    killEpisode: ({ runId, trajectoryId, requeue }) => this.client.killEpisode(runId, trajectoryId, requeue),
    events: ({ runId, after }) => this.client.events(runId, after),
    blob: async ({ sha256 }) => {
      const { data, contentType } = await this.client.blob(sha256);
      return { dataUrl: `data:${contentType};base64,${data.toString("base64")}` };
    },
    openRewardSource: async ({ reward, envName }) => {
      const envDir = envName ? (await findEnvironments()).find((e) => e.name === envName)?.dir : undefined;
      const found = await findRewardSource(reward, envDir);
      if (!found) {
        void vscode.window.showWarningMessage(`No source found for reward "${reward}" in this workspace (looked for name: "${reward}" in env.ts and reward files).`);
        return { opened: false };
      }
      const doc = await vscode.workspace.openTextDocument(found.uri);
      const pos = new vscode.Position(found.line, found.column);
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
      return { opened: true, file: found.uri.fsPath, line: found.line + 1 };
    },
    follow: async ({ runId }) => {
      this.follow?.dispose();
      this.follow = null;
      if (!runId) return { following: false };
      this.follow = runEvents.follow(this.client, runId, (event: RunEvent) => this.push({ kind: "runEvent", event }), this.log);
      return { following: true };
    },
  };

  private async onMessage(m: WebviewToHost): Promise<void> {
    if (m.kind === "ready") {
      this.ready = true;
      void this.panel.webview.postMessage({ kind: "init", init: this.init } satisfies HostPush);
      for (const q of this.queue.splice(0)) void this.panel.webview.postMessage(q);
      if (this.init.follow && this.init.runId) await this.handlers.follow({ runId: this.init.runId });
      return;
    }
    if (m.kind !== "request" || !(m.method in this.handlers)) return;
    let reply: HostResponse;
    try {
      const handler = this.handlers[m.method] as (p: unknown) => Promise<unknown>;
      reply = { kind: "response", id: m.id, ok: true, result: await handler(m.params) };
    } catch (err) {
      reply = { kind: "response", id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    void this.panel.webview.postMessage(reply);
  }

  dispose(): void {
    if (InspectorPanel.current === this) InspectorPanel.current = null;
    this.follow?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
