import path from "node:path";
import * as vscode from "vscode";
import { findRewardDecls } from "./reward-decls";

/** CodeLens on rewards ("Try on stored trajectories", "Score stored trajectories") and on defineEnvironment ("Run one episode", "Preflight"). */
export class AgentRlCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const text = doc.getText();
    const lenses: vscode.CodeLens[] = [];
    const envDir = vscode.Uri.file(path.dirname(doc.uri.fsPath));
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (/\bdefineEnvironment\s*(<[^>]*>)?\s*\(/.test(line) && !/^\s*import\b/.test(line)) {
        const range = new vscode.Range(i, 0, i, line.length);
        lenses.push(
          new vscode.CodeLens(range, { title: "$(play) Run one episode", command: "agentrl.runOneEpisode", arguments: [envDir] }),
          new vscode.CodeLens(range, { title: "$(checklist) Preflight", command: "agentrl.preflight", arguments: [envDir] }),
        );
      }
    });
    for (const r of findRewardDecls(text)) {
      const range = new vscode.Range(r.line, 0, r.line, lines[r.line]!.length);
      lenses.push(
        new vscode.CodeLens(range, { title: `$(beaker) Try on stored trajectories (${r.name})`, command: "agentrl.tryReward", arguments: [doc.uri, r.name, r.line] }),
        new vscode.CodeLens(range, { title: `$(graph) Score stored trajectories (${r.name})`, command: "agentrl.scoreStoredTrajectories", arguments: [doc.uri, r.name] }),
      );
    }
    return lenses;
  }
}
