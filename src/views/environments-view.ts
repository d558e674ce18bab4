import * as vscode from "vscode";
import { findEnvironments, type WorkspaceEnv } from "../environments/find-environments";

const KIND_ICON: Record<string, string> = { tool: "tools", swe: "git-pull-request", gui: "window" };

/** The Environments view: every env.ts in the workspace, with its kind; click opens the source. */
export class EnvironmentsView implements vscode.TreeDataProvider<WorkspaceEnv> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(env: WorkspaceEnv): vscode.TreeItem {
    const item = new vscode.TreeItem(env.name, vscode.TreeItemCollapsibleState.None);
    item.description = `${env.kind} · ${vscode.workspace.asRelativePath(env.dir)}`;
    item.iconPath = new vscode.ThemeIcon(KIND_ICON[env.kind] ?? "beaker");
    item.contextValue = "agentrl.environment";
    item.tooltip = `${env.entry.fsPath}${env.tasksFile ? "" : "\n(no tasks.jsonl next to it)"}`;
    item.command = { command: "vscode.open", title: "Open", arguments: [env.entry] };
    return item;
  }

  getChildren(): Promise<WorkspaceEnv[]> {
    return findEnvironments();
  }
}
