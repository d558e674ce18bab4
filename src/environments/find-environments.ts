import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";

export interface WorkspaceEnv {
  /** The env folder (holds env.ts). */
  dir: string;
  entry: vscode.Uri;
  /** `name:` of the defineEnvironment call, else the folder name. */
  name: string;
  kind: string;
  tasksFile: string | null;
}

/** Reads name and kind from the source text (no execution: the editor must stay safe on untrusted code). */
export function describeEnvSource(file: string, text: string): WorkspaceEnv {
  const dir = path.dirname(file);
  // The call, not the import line: `defineEnvironment(` or `defineEnvironment<T>(`.
  const call = /\bdefineEnvironment\s*(<[^>]*>)?\s*\(/.exec(text);
  const block = call ? text.slice(call.index) : "";
  const name = /\bname:\s*["'`]([^"'`]+)["'`]/.exec(block)?.[1] ?? path.basename(dir);
  const kind = /\bkind:\s*["'`]([^"'`]+)["'`]/.exec(block)?.[1] ?? "tool";
  const tasks = path.join(dir, "tasks.jsonl");
  return { dir, entry: vscode.Uri.file(file), name, kind, tasksFile: fs.existsSync(tasks) ? tasks : null };
}

/** Every `env.ts` in the workspace that calls defineEnvironment. */
export async function findEnvironments(token?: vscode.CancellationToken): Promise<WorkspaceEnv[]> {
  const uris = await vscode.workspace.findFiles("**/env.ts", "**/{node_modules,dist,.git}/**", 200, token);
  const out: WorkspaceEnv[] = [];
  for (const uri of uris) {
    const text = fs.readFileSync(uri.fsPath, "utf8");
    if (text.includes("defineEnvironment")) out.push(describeEnvSource(uri.fsPath, text));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The env folder for a command: the argument (CodeLens / tree item), the active editor's folder, or a pick. */
export async function resolveEnvironment(arg: unknown): Promise<WorkspaceEnv | undefined> {
  const fromUri = (u: vscode.Uri): WorkspaceEnv | undefined => {
    const file = u.fsPath.endsWith("env.ts") ? u.fsPath : path.join(u.fsPath, "env.ts");
    return fs.existsSync(file) ? describeEnvSource(file, fs.readFileSync(file, "utf8")) : undefined;
  };
  if (arg instanceof vscode.Uri) return fromUri(arg);
  if (arg && typeof arg === "object" && "env" in arg) return (arg as { env: WorkspaceEnv }).env;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && !arg) {
    const env = fromUri(vscode.Uri.file(path.dirname(active.fsPath)));
    if (env) return env;
  }
  const envs = await findEnvironments();
  if (envs.length === 0) {
    void vscode.window.showErrorMessage('No env.ts with defineEnvironment in this workspace. Fix: run "AgentRL: New Environment".');
    return undefined;
  }
  if (envs.length === 1) return envs[0];
  const pick = await vscode.window.showQuickPick(
    envs.map((e) => ({ label: e.name, description: e.kind, detail: vscode.workspace.asRelativePath(e.dir), env: e })),
    { title: "AgentRL: pick an environment" },
  );
  return pick?.env;
}
