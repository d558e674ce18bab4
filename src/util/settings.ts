import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";

export interface RemoteRunnerSetting {
  name: string;
  url: string;
}

/** Typed access to the `agentrl.*` settings (declared in package.json `contributes.configuration`). */
export function settings() {
  const c = vscode.workspace.getConfiguration("agentrl");
  return {
    runners: (c.get<RemoteRunnerSetting[]>("runners") ?? []).filter((r) => typeof r?.url === "string" && typeof r?.name === "string"),
    nodePath: c.get<string>("nodePath") || "node",
    groupSize: c.get<number>("groupSize") ?? 4,
    stallAfterSeconds: c.get<number>("stallAfterSeconds") ?? 120,
    policy: c.get<string>("policy") || "noop",
    model: c.get<string>("model") || undefined,
    concurrency: c.get<number>("concurrency") ?? 4,
    /** The `agentrl` CLI the embedded runner runs; default: the workspace's remote-runner build, else `agentrl` on PATH. */
    runnerCommand(): string {
      const set = c.get<string>("runnerCommand");
      if (set) return set;
      for (const f of vscode.workspace.workspaceFolders ?? []) {
        const candidate = path.join(f.uri.fsPath, "remote-runner", "dist", "cli.js");
        if (fs.existsSync(candidate)) return candidate;
      }
      return "agentrl";
    },
  };
}
