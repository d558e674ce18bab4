import * as vscode from "vscode";
import type { CreateRunRequest, Estimator } from "@agentrl/protocol";
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

type Algo = "rollout" | Estimator;

/** The model a training run trains: the runner's embedded default or one on the runner's machine. */
async function pickModel(title: string): Promise<string | null | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: "Embedded default", description: "SmolLM2-135M-Instruct, ships with the runner, trains on a CPU", value: "default" },
      { label: "Model on the runner…", description: "a local folder, a .gguf file or a hub id, as the runner's machine sees it", value: "other" },
    ],
    { title },
  );
  if (!pick) return undefined;
  if (pick.value === "default") return null;
  const m = await vscode.window.showInputBox({ title: "Model (path or hub id on the runner)", value: settings().model ?? "", validateInput: (v) => (v.trim() ? null : "Enter a folder, a .gguf file or a hub id.") });
  return m === undefined ? undefined : m.trim();
}

/**
 * Launch Run: a quick-pick flow. Runner, environment, algorithm; then for rollouts the policy,
 * group size and number of tasks, for training (GRPO, RLOO, Dr.GRPO, GDPO) the model, group size,
 * tasks per step and steps. A training run opens in the inspector on its curves.
 */
export async function launchRun(svc: ExtensionServices): Promise<void> {
  const runner = await vscode.window.showQuickPick(
    svc.registry.list().map((r) => ({ label: r.name, description: r.url ?? "starts on demand", id: r.id })),
    { title: "Launch Run (1/3): runner" },
  );
  if (!runner) return;
  const envs = await findEnvironments();
  if (!envs.length) {
    void vscode.window.showErrorMessage('No environment in this workspace. Fix: run "AgentRL: New Environment".');
    return;
  }
  const env = await vscode.window.showQuickPick(envs.map((e) => ({ label: e.name, description: e.kind, env: e })), { title: "Launch Run (2/3): environment" });
  if (!env) return;
  const algo = await vscode.window.showQuickPick<{ label: string; description: string; value: Algo }>(
    [
      { label: "Rollouts only", description: "collect and score trajectories with a policy you pick", value: "rollout" },
      { label: "GRPO", description: "train: group-normalized advantages", value: "grpo" },
      { label: "RLOO", description: "train: leave-one-out baseline", value: "rloo" },
      { label: "Dr.GRPO", description: "train: unnormalized advantages (no length or std bias)", value: "drgrpo" },
      { label: "GDPO", description: "train: each reward component normalized on its own", value: "gdpo" },
    ],
    { title: "Launch Run (3/3): algorithm" },
  );
  if (!algo) return;
  const s = settings();
  let req: CreateRunRequest;
  let expected: number;
  if (algo.value === "rollout") {
    const policyPick = await vscode.window.showQuickPick(
      [
        { label: "OpenAI-compatible server…", description: "vLLM, SGLang, llama.cpp, a hosted API", spec: "url" },
        { label: "Reference solutions", description: "scripted:reference.jsonl", spec: "scripted:reference.jsonl" },
        { label: "Do nothing", description: "noop (calibration: must score 0)", spec: "noop" },
        { label: `From settings: ${s.policy}`, description: s.model ?? "", spec: s.policy },
      ],
      { title: "Rollouts (1/3): policy or model" },
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
    const group = await askInt("Rollouts (2/3): group size (samples per task)", s.groupSize, 1024);
    if (!group) return;
    const tasks = await askInt("Rollouts (3/3): tasks in this run", 8, 100_000);
    if (!tasks) return;
    req = { env: "", policy: policyConfig(spec, model || undefined), tasks, group, concurrency: s.concurrency, name: `${env.label} · ${algo.label.toLowerCase()}` };
    expected = tasks * group;
  } else {
    const model = await pickModel(`${algo.label} (1/4): model to train`);
    if (model === undefined) return;
    const group = await askInt(`${algo.label} (2/4): group size (samples per task)`, Math.max(2, s.groupSize), 1024);
    if (!group) return;
    const tasksPerStep = await askInt(`${algo.label} (3/4): tasks per step`, 4, 10_000);
    if (!tasksPerStep) return;
    const steps = await askInt(`${algo.label} (4/4): steps (policy updates)`, 10, 100_000);
    if (!steps) return;
    req = {
      env: "",
      kind: "train",
      group,
      concurrency: Math.max(s.concurrency, Math.min(group * tasksPerStep, 16)),
      name: `${env.label} · ${algo.label.toLowerCase()}`,
      train: { steps, tasksPerStep, ...(model ? { model } : {}), trainer: { estimator: algo.value } },
    };
    expected = steps;
  }
  await svc.registry.setActive(runner.id);
  const client = await svc.registry.client(runner.id);
  req.env = await uploadEnvironment(client, env.env);
  const training = req.kind === "train";
  await createAndFollowRun(client, req, expected, `AgentRL: ${env.label} on ${runner.label}${training ? ` · ${algo.label}` : ""}`, {
    log: svc.log,
    onEvent: (e) => svc.statusBar.onEvent(e),
    onCreated: (r) => {
      svc.statusBar.track(r.id, expected, training ? "steps" : "episodes");
      svc.runsView.refresh();
      // The curve is what a training run is watched for: open it live in the inspector.
      if (training) void svc.openInspector({ runId: r.id, follow: true });
    },
  });
  svc.runsView.refresh();
}
