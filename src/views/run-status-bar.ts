import * as vscode from "vscode";
import type { RunEvent } from "@agentrl/protocol";

/** The status-bar item of the active run: status, finished trajectories, mean reward; click opens the inspector. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("agentrl.activeRun", vscode.StatusBarAlignment.Left, 50);
  private runId: string | null = null;
  private finished = 0;
  private total = 0;
  private rewardSum = 0;
  private rewardN = 0;
  /** A training run counts steps (from its metrics) instead of episodes. */
  private unit: "episodes" | "steps" = "episodes";

  constructor() {
    this.item.name = "AgentRL run";
    this.item.command = "agentrl.openInspector";
  }

  track(runId: string, expected: number, unit: "episodes" | "steps" = "episodes"): void {
    this.runId = runId;
    this.unit = unit;
    this.finished = 0;
    this.total = expected;
    this.rewardSum = 0;
    this.rewardN = 0;
    this.render("running");
  }

  onEvent(e: RunEvent): void {
    if (e.runId !== this.runId) return;
    if (e.type === "trajectory.finished") {
      this.finished++;
      const r = e.data.reward;
      if (typeof r === "number") {
        this.rewardSum += r;
        this.rewardN++;
      }
      this.render("running");
    } else if (e.type === "run.metrics" && this.unit === "steps") {
      // The curve matters, not the mean over all steps: show the latest step's reward.
      const m = e.data;
      this.finished = m.step;
      if (typeof m.values.reward === "number") {
        this.rewardSum = m.values.reward;
        this.rewardN = 1;
      }
      this.render("running");
    } else if (e.type === "run.status") this.render(e.data.status);
  }

  private render(status: string): void {
    const mean = this.rewardN ? ` · r̄ ${(this.rewardSum / this.rewardN).toFixed(2)}` : "";
    const icon = status === "running" ? "$(sync~spin)" : status === "finished" ? "$(pass)" : status === "failed" ? "$(error)" : "$(beaker)";
    this.item.text = `${icon} AgentRL ${this.unit === "steps" ? "step " : ""}${this.finished}/${this.total || "?"}${mean}`;
    this.item.tooltip = `Run ${this.runId} — ${status}. Click to open the inspector.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
