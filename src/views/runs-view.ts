import * as vscode from "vscode";
import type { Run } from "@agentrl/protocol";
import type { RunnerRegistry } from "../runners/runner-registry";

const STATUS_ICON: Record<Run["status"], string> = {
  queued: "clock",
  running: "sync~spin",
  paused: "debug-pause",
  finished: "pass",
  failed: "error",
  cancelled: "circle-slash",
};

/** The Runs view: the active runner's runs, newest first, with live status and progress. */
export class RunsView implements vscode.TreeDataProvider<Run> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private progress = new Map<string, number>();
  /** Finished steps of each training run, counted from its step runs. */
  private readonly trainSteps = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: RunnerRegistry,
    private readonly log: (line: string) => void,
  ) {
    registry.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
  }

  /** Finished trajectories seen on the event stream, shown until the run summary has them. */
  noteProgress(runId: string, finished: number): void {
    this.progress.set(runId, finished);
    this.changed.fire();
  }

  getTreeItem(run: Run): vscode.TreeItem {
    const item = new vscode.TreeItem(run.config.name || `${run.envName} · ${run.id.slice(0, 8)}`);
    const s = run.summary;
    const done = s?.trajectories ?? this.progress.get(run.id) ?? 0;
    const mean = s?.meanReward;
    item.description = `${run.status} · ${done} traj${mean !== null && mean !== undefined ? ` · reward ${mean.toFixed(3)}` : ""}`;
    if (run.config.kind === "train") {
      const steps = this.trainSteps.get(run.id) ?? 0;
      item.description = `${run.status} · training · ${steps}/${run.config.train?.steps ?? "?"} steps`;
    }
    item.iconPath = new vscode.ThemeIcon(STATUS_ICON[run.status] ?? "circle-outline");
    item.tooltip = `${run.id}\nenv ${run.envName} (${run.envHash.slice(0, 12)})\npolicy ${run.config.policy.spec}${run.error ? `\n${run.error}` : ""}`;
    item.contextValue = "agentrl.run";
    item.command = { command: "agentrl.openInspector", title: "Open Inspector", arguments: [{ runId: run.id }] };
    return item;
  }

  async getChildren(): Promise<Run[]> {
    const client = await this.registry.clientIfReady();
    if (!client) return [];
    try {
      const { items } = await client.listRuns();
      // While something runs, look again shortly: statuses and counts stay current without a click.
      if (this.timer) clearTimeout(this.timer);
      if (items.some((r) => r.status === "running" || r.status === "queued")) this.timer = setTimeout(() => this.refresh(), 3000);
      // A training step's rollouts are reached from their training run (the inspector lists them).
      this.trainSteps.clear();
      for (const r of items) {
        const parent = r.config.parentRunId;
        if (parent && r.status === "finished") this.trainSteps.set(parent, (this.trainSteps.get(parent) ?? 0) + 1);
      }
      return items.filter((r) => !r.config.parentRunId).sort((a, b) => b.createdAt - a.createdAt);
    } catch (err) {
      this.log(`runs view: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }
}
