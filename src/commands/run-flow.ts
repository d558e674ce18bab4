import * as vscode from "vscode";
import type { CreateRunRequest, Run, RunEvent } from "@agentrl/protocol";
import type { RunnerClient } from "../../remote-runner/src/api/client";
import { runEvents } from "../runners/event-subscription";
import { settings } from "../util/settings";

export interface RunFlowHooks {
  log: (line: string) => void;
  onEvent?: (e: RunEvent) => void;
  onCreated?: (run: Run) => void;
}

/**
 * Creates a run and follows it to the end with a cancellable progress notification: progress
 * advances per finished trajectory (per step for a training run) from the event stream; Cancel
 * asks the runner to cancel the run. `expected` is episodes, or steps for a training run.
 * Resolves with the final run.
 */
export async function createAndFollowRun(client: RunnerClient, req: CreateRunRequest, expected: number, title: string, hooks: RunFlowHooks): Promise<Run> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    progress.report({ message: "creating run…" });
    // Every run started from the editor flags stalled episodes after the user's threshold.
    const run = await client.createRun({ stallAfterS: settings().stallAfterSeconds, ...req }, abort.signal);
    hooks.log(`run ${run.id} created (${expected} episodes)`);
    hooks.onCreated?.(run);
    let finished = 0;
    let sub: { dispose(): void } | null = null;
    const done = new Promise<Run>((resolve, reject) => {
      sub = runEvents.follow(
        client,
        run.id,
        (e) => {
          hooks.onEvent?.(e);
          if (e.type === "trajectory.finished" && req.kind !== "train") {
            finished++;
            progress.report({ increment: 100 / Math.max(1, expected), message: `${finished}/${expected} episodes` });
          } else if (e.type === "run.metrics" && req.kind === "train") {
            // A training run reports once per step: progress in steps, with the step's reward.
            const m = e.data;
            const reward = typeof m.values.reward === "number" ? ` · reward ${m.values.reward.toFixed(3)}` : "";
            progress.report({ increment: (100 * (m.step - finished)) / Math.max(1, expected), message: `step ${m.step}/${expected}${reward}` });
            finished = m.step;
          } else if (e.type === "log") {
            hooks.log(`[run ${run.id.slice(0, 8)}] ${e.data.message}`);
          } else if (e.type === "run.status") {
            const s = e.data;
            if (s.status === "finished" || s.status === "failed" || s.status === "cancelled") {
              client.getRun(run.id).then(resolve, reject);
            }
          }
        },
        hooks.log,
      );
      token.onCancellationRequested(() => {
        client.cancelRun(run.id).catch((err: unknown) => hooks.log(`cancel failed: ${String(err)}`));
      });
    });
    try {
      return await done;
    } finally {
      (sub as { dispose(): void } | null)?.dispose();
    }
  });
}
