import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { resolveEnvironment } from "../environments/find-environments";
import { uploadEnvironment } from "../environments/upload-environment";
import { settings } from "../util/settings";
import type { TrajectoryFinishedEvent } from "@agentrl/protocol";
import { DEFAULT_ADVERSARY_THRESHOLD, lazyPolicySpecs } from "../../remote-runner/src/policy/lazy";
import type { RunnerClient } from "../../remote-runner/src/api/client";
import type { ExtensionServices } from "../services";
import { createAndFollowRun } from "./run-flow";

/**
 * Preflight before GPU time is spent: the do-nothing policy must score 0, the reference
 * solutions (reference.jsonl next to env.ts, played by the scripted policy) must score high, and
 * no lazy policy (empty answer, echo, right format with a wrong value, every tool once, giving up)
 * may earn more than the adversary threshold on any trajectory; the worst one opens on request.
 */
export async function preflight(svc: ExtensionServices, arg?: unknown): Promise<void> {
  const env = await resolveEnvironment(arg);
  if (!env) return;
  const client = await svc.registry.client();
  const sha = await uploadEnvironment(client, env);
  const tasks = Math.min(8, countTasks(env.tasksFile));
  const common = { env: sha, tasks, group: 1, concurrency: Math.min(settings().concurrency, tasks) };
  const noop = await createAndFollowRun(client, { ...common, policy: { spec: "noop" }, name: `${env.name} · preflight noop` }, tasks, `AgentRL preflight: do-nothing policy on ${env.name}`, { log: svc.log });
  const lines = [`noop policy: mean reward ${fmt(noop.summary?.meanReward)} (must be 0)`];
  let ok = noop.status === "finished" && (noop.summary?.meanReward ?? 0) === 0;
  if (fs.existsSync(path.join(env.dir, "reference.jsonl"))) {
    const ref = await createAndFollowRun(client, { ...common, policy: { spec: "scripted:reference.jsonl" }, name: `${env.name} · preflight reference` }, tasks, `AgentRL preflight: reference solutions on ${env.name}`, { log: svc.log });
    const mean = ref.summary?.meanReward ?? null;
    lines.push(`reference solutions: mean reward ${fmt(mean)} (must be ≥ 0.8)`);
    ok = ok && ref.status === "finished" && mean !== null && mean >= 0.8 - 1e-9; // float sums like 0.5+0.2+0.1
  } else {
    lines.push("no reference.jsonl next to env.ts: the reference check was skipped. Fix: add scripted reference turns to check that a good answer scores high.");
  }
  const gamed = await lazyChecks(svc, client, env.name, common, tasks, fs.existsSync(path.join(env.dir, "reference.jsonl")) ? "reference.jsonl" : undefined);
  lines.push(...gamed.lines);
  ok = ok && gamed.worst === null;
  svc.runsView.refresh();
  for (const l of lines) svc.log(`preflight ${env.name}: ${l}`);
  const msg = `AgentRL preflight ${ok ? "passed" : "FAILED"} for ${env.name}: ${lines.join("; ")}`;
  if (ok) void vscode.window.showInformationMessage(msg);
  else if (gamed.worst) {
    const worst = gamed.worst;
    void vscode.window.showErrorMessage(msg, "Open Trajectory").then((pick) => (pick ? svc.openInspector({ runId: worst.runId, trajectoryId: worst.id }) : undefined));
  } else void vscode.window.showErrorMessage(msg);
}

/** Runs each lazy policy; a trajectory above the threshold is a reward that pays for not doing the task. */
async function lazyChecks(
  svc: ExtensionServices,
  client: RunnerClient,
  envName: string,
  common: { env: string; tasks: number; group: number; concurrency: number },
  tasks: number,
  reference: string | undefined,
): Promise<{ lines: string[]; worst: (TrajectoryFinishedEvent & { runId: string }) | null }> {
  const lines: string[] = [];
  let worst: (TrajectoryFinishedEvent & { runId: string }) | null = null;
  for (const lazy of lazyPolicySpecs(reference)) {
    const finished: TrajectoryFinishedEvent[] = [];
    const run = await createAndFollowRun(client, { ...common, policy: { spec: lazy.spec }, name: `${envName} · preflight ${lazy.label}` }, tasks, `AgentRL preflight: ${lazy.label} on ${envName}`, {
      log: svc.log,
      onEvent: (e) => {
        if (e.type === "trajectory.finished") finished.push(e.data as TrajectoryFinishedEvent);
      },
    });
    const over = finished.filter((t) => t.reward !== null && t.reward > DEFAULT_ADVERSARY_THRESHOLD).sort((a, b) => (b.reward ?? 0) - (a.reward ?? 0));
    const top = over[0];
    if (top) {
      lines.push(`${lazy.label} scores above ${DEFAULT_ADVERSARY_THRESHOLD} on ${over.length} of ${finished.length} trajectories (worst: task ${top.taskId} = ${fmt(top.reward)}, trajectory ${top.id}) — the reward pays for a lazy answer`);
      if (!worst || (top.reward ?? 0) > (worst.reward ?? 0)) worst = { ...top, runId: run.id };
    } else lines.push(`${lazy.label}: max reward ${fmt(Math.max(0, ...finished.map((t) => t.reward ?? 0)))} (must be ≤ ${DEFAULT_ADVERSARY_THRESHOLD})`);
  }
  return { lines, worst };
}

function countTasks(file: string | null): number {
  if (!file) return 1;
  return Math.max(1, fs.readFileSync(file, "utf8").split(/\n/).filter((l) => l.trim()).length);
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? "n/a" : x.toFixed(3);
}
