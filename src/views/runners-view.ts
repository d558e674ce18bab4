import * as vscode from "vscode";
import type { RunnerEntry, RunnerRegistry } from "../runners/runner-registry";

/** The Runners view: the embedded runner (start/stop) and the connected remote runners; the active one is marked. */
export class RunnersView implements vscode.TreeDataProvider<RunnerEntry> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly registry: RunnerRegistry) {
    registry.onDidChange(() => this.changed.fire());
  }

  getTreeItem(r: RunnerEntry): vscode.TreeItem {
    const active = this.registry.active.id === r.id;
    const item = new vscode.TreeItem(r.name);
    if (r.embedded) {
      const running = this.registry.embeddedRunning;
      item.description = `${running ? `running · ${r.url}` : "stopped"}${active ? " · active" : ""}`;
      item.iconPath = new vscode.ThemeIcon(running ? "vm-running" : "vm-outline");
      item.contextValue = running ? "agentrl.runner.embedded.running" : "agentrl.runner.embedded.stopped";
    } else {
      item.description = `${r.url}${active ? " · active" : ""}`;
      item.iconPath = new vscode.ThemeIcon("remote");
      item.contextValue = "agentrl.runner.remote";
    }
    item.command = { command: "agentrl.useRunner", title: "Use this runner", arguments: [r.id] };
    return item;
  }

  getChildren(): RunnerEntry[] {
    return this.registry.list();
  }
}
