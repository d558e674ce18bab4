import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { readSdkDeclarations, writeScaffold } from "@agentrl/sdk/scaffold";
import type { ExtensionServices } from "../services";

const TEMPLATES = [
  { label: "Tool calling", description: "tools run in a sandbox; exact-match reward", envKind: "tool" },
  { label: "Software engineering (SWE)", description: "repository + tests as the reward", envKind: "swe" },
  { label: "GUI desktop", description: "screenshots + mouse/keyboard actions", envKind: "gui" },
] as const;

/**
 * New Environment: the same scaffold as `agentrl init` (env.ts, tasks.jsonl, tsconfig.json and the
 * SDK declarations this extension ships in dist/sdk-types) in a new folder, then opens env.ts.
 */
export async function newEnvironment(svc: ExtensionServices, extensionPath: string): Promise<void> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root) {
    void vscode.window.showErrorMessage("Open a folder first: the environment is created inside the workspace.");
    return;
  }
  const picked = await vscode.window.showQuickPick(TEMPLATES, { title: "New Environment (1/2): kind" });
  if (!picked) return;
  const name = await vscode.window.showInputBox({
    title: "New Environment (2/2): name",
    value: `my-${picked.envKind}-env`,
    validateInput: (v) => (/^[a-z0-9][a-z0-9-_]*$/.test(v) ? (fs.existsSync(path.join(root, "envs", v)) ? `envs/${v} already exists.` : null) : "Use lowercase letters, digits, - and _."),
  });
  if (!name) return;
  const dir = path.join(root, "envs", name);
  writeScaffold(dir, picked.envKind, name, readSdkDeclarations(path.join(extensionPath, "dist", "sdk-types")));
  svc.log(`created ${picked.envKind} environment in ${dir}`);
  svc.envsView.refresh();
  await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, "env.ts")));
}
