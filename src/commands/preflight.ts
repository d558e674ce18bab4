import fs from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { resolveEnvironment } from "../environments/find-environments";
import { uploadEnvironment } from "../environments/upload-environment";
import { settings } from "../util/settings";
import type { ExtensionServices } from "../services";
import { createAndFollowRun } from "./run-flow";

/**
 * Preflight before GPU time is spent: the do-nothing policy must score 0 and the reference
 * solutions (reference.jsonl next to env.ts, played by the scripted policy) must score high.
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
  svc.runsView.refresh();
  for (const l of lines) svc.log(`preflight ${env.name}: ${l}`);
  const msg = `AgentRL preflight ${ok ? "passed" : "FAILED"} for ${env.name}: ${lines.join("; ")}`;
  if (ok) void vscode.window.showInformationMessage(msg);
  else void vscode.window.showErrorMessage(msg);
}

function countTasks(file: string | null): number {
  if (!file) return 1;
  return Math.max(1, fs.readFileSync(file, "utf8").split(/\n/).filter((l) => l.trim()).length);
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? "n/a" : x.toFixed(3);
}
