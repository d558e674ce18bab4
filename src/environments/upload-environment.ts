import * as vscode from "vscode";
import { bundleEnv } from "../../remote-runner/src/envs/bundle";
import type { RunnerClient } from "../../remote-runner/src/api/client";
import type { WorkspaceEnv } from "./find-environments";

/**
 * Bundles an env folder exactly as the CLI does (deterministic tar.gz, so the hash is the env's
 * provenance) and uploads it; unsaved editors in the folder are saved first so what runs is what
 * the user sees.
 */
export async function uploadEnvironment(client: RunnerClient, env: WorkspaceEnv, signal?: AbortSignal): Promise<string> {
  for (const doc of vscode.workspace.textDocuments) {
    if (doc.isDirty && doc.uri.fsPath.startsWith(env.dir)) await doc.save();
  }
  const { tarGz } = await bundleEnv(env.dir);
  const uploaded = await client.uploadEnvironment(tarGz, env.name, signal);
  return uploaded.sha256;
}
