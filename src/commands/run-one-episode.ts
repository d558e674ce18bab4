import * as vscode from "vscode";
import type { Run } from "@agentrl/protocol";
import { resolveEnvironment } from "../environments/find-environments";
import { uploadEnvironment } from "../environments/upload-environment";
import { settings } from "../util/settings";
import type { ExtensionServices } from "../services";
import { createAndFollowRun } from "./run-flow";
import { policyConfig } from "./policy-config";

/**
 * Run One Episode: one task of the env (the first, or the task id picked), one group (the
 * `agentrl.groupSize` setting), on the active runner; then opens the inspector on it.
 */
export async function runOneEpisode(svc: ExtensionServices, arg?: unknown): Promise<Run | undefined> {
  const env = await resolveEnvironment(arg);
  if (!env) return undefined;
  const s = settings();
  const client = await svc.registry.client();
  const sha = await uploadEnvironment(client, env);
  svc.log(`uploaded env ${env.name} (${sha.slice(0, 12)}) to ${client.baseUrl}`);
  const run = await createAndFollowRun(
    client,
    { env: sha, policy: policyConfig(s.policy, s.model), tasks: 1, group: s.groupSize, concurrency: Math.min(s.concurrency, s.groupSize), name: `${env.name} · one episode` },
    s.groupSize,
    `AgentRL: running one episode of ${env.name}`,
    {
      log: svc.log,
      onEvent: (e) => svc.statusBar.onEvent(e),
      onCreated: (r) => {
        svc.statusBar.track(r.id, s.groupSize);
        svc.runsView.refresh();
        void svc.openInspector({ runId: r.id, follow: true });
      },
    },
  );
  svc.runsView.refresh();
  const mean = run.summary?.meanReward;
  if (run.status === "finished") void vscode.window.showInformationMessage(`AgentRL: ${env.name} episode finished — mean reward ${mean === null || mean === undefined ? "n/a" : mean.toFixed(3)}.`);
  else void vscode.window.showErrorMessage(`AgentRL: run ${run.status}${run.error ? `: ${run.error}` : ""}`);
  return run;
}
