import path from "node:path";
import * as vscode from "vscode";

/** One reward declaration found in a source file. */
export interface RewardDecl {
  name: string;
  line: number;
}

/**
 * Reward declarations: `defineReward({ name: "x" ... })` and built-in graders inside a `rewards: [...]`
 * array (`exactMatch({ name: "correct" })`). Text-based on purpose: CodeLens must not run user code.
 */
export function findRewardDecls(text: string): RewardDecl[] {
  const out: RewardDecl[] = [];
  const lines = text.split(/\r?\n/);
  let inRewards = false;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/\brewards\s*:\s*\[/.test(line)) {
      inRewards = true;
      depth = 0;
    }
    const def = /\bdefineReward\s*(<[^>]*>)?\s*\(/.exec(line);
    const grader = inRewards && /^\s*\w+\s*\(\s*\{/.exec(line);
    if (def || grader) {
      // The name is on this line or one of the next few (multi-line object literals).
      for (let j = i; j < Math.min(lines.length, i + 6); j++) {
        const m = /\bname:\s*["'`]([^"'`]+)["'`]/.exec(lines[j]!);
        if (m) {
          out.push({ name: m[1]!, line: i });
          break;
        }
      }
    }
    if (inRewards) {
      for (const ch of line) {
        if (ch === "[") depth++;
        else if (ch === "]") depth--;
      }
      if (depth <= 0 && !/\brewards\s*:\s*\[\s*$/.test(line)) inRewards = depth > 0;
    }
  }
  return out;
}

/** CodeLens on rewards ("Score stored trajectories") and on defineEnvironment ("Run one episode", "Preflight"). */
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
      lenses.push(new vscode.CodeLens(range, { title: `$(graph) Score stored trajectories (${r.name})`, command: "agentrl.scoreStoredTrajectories", arguments: [doc.uri, r.name] }));
    }
    return lenses;
  }
}
