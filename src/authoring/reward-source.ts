import * as vscode from "vscode";

export interface RewardLocation {
  uri: vscode.Uri;
  line: number;
  column: number;
}

/** Where a reward is declared in source text: its `name: "..."` inside defineReward or a grader call. */
export function locateReward(text: string, reward: string): { line: number; column: number } | null {
  const base = reward.split(".")[0]!; // components of a multi-part reward are "name.component"
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`\\bname:\\s*["'\`]${escaped}["'\`]`);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i]!);
    if (m) return { line: i, column: m.index };
  }
  return null;
}

/**
 * Finds a reward's declaration: first in the folder of the environment the trajectory came from
 * (two environments may both declare a "format" reward), then anywhere in the workspace.
 */
export async function findRewardSource(reward: string, envDir?: string): Promise<RewardLocation | null> {
  const uris = await vscode.workspace.findFiles("**/*.ts", "**/{node_modules,dist,.git}/**", 500);
  const inEnv = (u: vscode.Uri): boolean => envDir !== undefined && (u.fsPath === envDir || u.fsPath.startsWith(envDir + "/") || u.fsPath.startsWith(envDir + "\\"));
  const ordered = [...uris.filter(inEnv), ...uris.filter((u) => !inEnv(u))];
  for (const uri of ordered) {
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString("utf8");
    if (!text.includes("name")) continue;
    const at = locateReward(text, reward);
    if (at) return { uri, ...at };
  }
  return null;
}
