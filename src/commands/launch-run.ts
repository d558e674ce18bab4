import * as vscode from "vscode";
import { findEnvironments } from "../environments/find-environments";
import { uploadEnvironment } from "../environments/upload-environment";
import { settings } from "../util/settings";
import type { ExtensionServices } from "../services";
import { createAndFollowRun } from "./run-flow";
import { policyConfig } from "./policy-config";

/** Asks for a positive integer; undefined when the user cancels. */
async function askInt(title: string, value: number, max: number): Promise<number | undefined> {
  const v = await vscode.window.showInputBox({
    title,
    value: String(value),
    validateInput: (s) => (/^\d+$/.test(s) && +s >= 1 && +s <= max ? null : `Enter a whole number from 1 to ${max}.`),
  });
  return v === undefined ? undefined : Number(v);
}

/** Launch Run: a quick-pick flow (runner, environment, policy or model, algorithm, group size, steps). */
export async function launchRun(svc: ExtensionServices): Promise<void> {
  const runner = await vscode.window.showQuickPick(
    svc.registry.list().map((r) => ({ label: r.name, description: r.url ?? "starts on demand", id: r.id })),
    { title: "Launch Run (1/6): runner" },
  );
  if (!runner) return;
  const envs = await findEnvironments();
  if (!envs.length) {
    void vscode.window.showErrorMessage('No environment in this workspace. Fix: run "AgentRL: New Environment".');
    return;
  }
  const env = await vscode.window.showQuickPick(envs.map((e) => ({ label: e.name, description: e.kind, env: e })), { title: "Launch Run (2/6): environment" });
  if (!env) return;
  const s = settings();
  const policyPick = await vscode.window.showQuickPick(
    [
      { label: "OpenAI-compatible server…", description: "vLLM, SGLang, llama.cpp, a hosted API", spec: "url" },
      { label: "Reference solutions", description: "scripted:reference.jsonl", spec: "scripted:reference.jsonl" },
      { label: "Do nothing", description: "noop (calibration: must score 0)", spec: "noop" },
      { label: `From settings: ${s.policy}`, description: s.model ?? "", spec: s.policy },
    ],
    { title: "Launch Run (3/6): policy or model" },
  );
  if (!policyPick) return;
  let spec = policyPick.spec;
  let model = s.model;
  if (spec === "url") {
    const url = await vscode.window.showInputBox({ title: "Policy server base URL", value: "http://127.0.0.1:8000/v1", validateInput: (v) => (/^https?:\/\//.test(v) ? null : "Enter an http(s) URL.") });
    if (!url) return;
    spec = url;
    model = await vscode.window.showInputBox({ title: "Model name", value: s.model ?? "" });
    if (model === undefined) return;
  }
  const algo = await vscode.window.showQuickPick(
    [
      { label: "Rollouts only", description: "collect and score trajectories", value: "rollout" },
      { label: "GRPO", description: "training: needs the runner's trainer", value: "grpo" },
      { label: "RLOO", description: "training: needs the runner's trainer", value: "rloo" },
      { label: "GDPO", description: "training, per-component normalization", value: "gdpo" },
    ],
    { title: "Launch Run (4/6): algorithm" },
  );
  if (!algo) return;
  if (algo.value !== "rollout") {
    void vscode.window.showWarningMessage(`This runner's API accepts rollout runs only for now; ${algo.label} training runs come with the trainer. Launching a rollout run instead.`);
  }
  const group = await askInt("Launch Run (5/6): group size (samples per task)", s.groupSize, 1024);
  if (!group) return;
  const tasks = await askInt("Launch Run (6/6): steps (tasks in this run)", 8, 100_000);
  if (!tasks) return;
  await svc.registry.setActive(runner.id);
  const client = await svc.registry.client(runner.id);
  const sha = await uploadEnvironment(client, env.env);
  await createAndFollowRun(
    client,
    { env: sha, policy: { ...policyConfig(spec, model || undefined) }, tasks, group, concurrency: s.concurrency, name: `${env.label} · ${algo.label.toLowerCase()}` },
    tasks * group,
    `AgentRL: ${env.label} on ${runner.label}`,
    {
      log: svc.log,
      onEvent: (e) => svc.statusBar.onEvent(e),
      onCreated: (r) => {
        svc.statusBar.track(r.id, tasks * group);
        svc.runsView.refresh();
      },
    },
  );
  svc.runsView.refresh();
}
