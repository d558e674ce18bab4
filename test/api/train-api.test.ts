// Training runs through the runner API, against `agentrl serve` as a user starts it: the real
// trainer process (a tiny random model: mechanics, not quality), rollouts in Docker sandboxes,
// metrics on the event stream, pause / resume / cancel, and kill -9 of the runner mid-run with
// the restarted runner resuming from the last checkpoint.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateRunRequest, RunEvent, RunStatusEvent } from "@agentrl/protocol";
import { RunnerClient, RunnerError } from "../../remote-runner/src/api/client.js";
import { SANDBOXES_RELEASED } from "../../remote-runner/src/api/run-manager.js";
import { bundleEnv } from "../../remote-runner/src/envs/bundle.js";
import { openStore } from "../../remote-runner/src/store/store.js";
import { makeTinyModel } from "../helpers/tiny-model.js";
import { tempHome } from "./fixture.js";
import { startServe, stopServes, type ServeProcess } from "./serve-process.js";

const TOKEN = "train-api-token-0123456789abcdef";
const ADDITION = path.resolve(__dirname, "../../examples/addition");
let home: string;
let model: string;
const servers: ServeProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [path.resolve(__dirname, "../../scripts/build.mjs")], { stdio: "inherit" });
  home = tempHome("agentrl-train-api-");
  model = makeTinyModel(path.join(home, "tiny-llama"));
});

afterAll(async () => {
  await stopServes(servers);
  fs.rmSync(home, { recursive: true, force: true });
});

async function serve(port?: string): Promise<{ server: ServeProcess; client: RunnerClient }> {
  const server = await startServe({ AGENTRL_HOME: home, AGENTRL_TOKEN: TOKEN }, ["--max-sandboxes", "8", ...(port ? ["--port", port] : [])]);
  servers.push(server);
  return { server, client: new RunnerClient(server.url, TOKEN) };
}

function trainRequest(env: string, steps: number): CreateRunRequest {
  return {
    env,
    kind: "train",
    group: 4,
    concurrency: 8,
    name: "api training",
    train: { steps, tasksPerStep: 2, model, loraRank: 4, maxTokens: 8, seed: 3, checkpointEvery: 1, trainer: { lr: 0.05, drop_zero_variance: false } },
  };
}

/** Pids of trainer processes whose output folder is under this test's home. */
function trainerPids(): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (cmd.includes("agentrl_trainer") && cmd.includes(home)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function createError(client: RunnerClient, req: unknown): Promise<RunnerError> {
  const err = await client.json("POST", "/v1/runs", req).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunnerError);
  return err as RunnerError;
}

describe("training runs through the runner API", () => {
  it("refuses malformed training requests with the field and the fix", async () => {
    const { server, client } = await serve();
    const sha = (await client.uploadEnvironment((await bundleEnv(ADDITION)).tarGz, "addition")).sha256;
    const base = trainRequest(sha, 1);
    expect((await createError(client, { ...base, train: undefined })).message).toMatch(/body\.train is required.*Fix/);
    expect((await createError(client, { ...base, policy: { spec: "noop" } })).message).toMatch(/body\.policy is not used by a training run/);
    expect((await createError(client, { ...base, train: { ...base.train, trainer: { estimator: "ppo" } } })).message).toMatch(/body\.train\.trainer\.estimator must be one of \["grpo","rloo","drgrpo","gdpo"\]/);
    expect((await createError(client, { ...base, train: { ...base.train, trainer: { learning_rate: 1 } } })).message).toMatch(/body\.train\.trainer\.learning_rate is not a known field/);
    expect((await createError(client, { ...base, train: { ...base.train, steps: 0 } })).message).toMatch(/body\.train\.steps/);
    expect((await createError(client, { ...base, taskIds: ["add-0"] })).message).toMatch(/picks its tasks per step/);
    expect((await createError(client, { ...base, train: { ...base.train, nproc: 0 } })).message).toMatch(/body\.train\.nproc/);
    // More trainer processes than devices (on CPU: cores) is refused with the count, before anything starts.
    expect((await createError(client, { ...base, train: { ...base.train, nproc: 1000 } })).message).toMatch(/--nproc 1000 is more than the \d+ (CPU cores|CUDA GPUs).*Fix: pass --nproc \d+ or fewer/);
    expect((await createError(client, { env: sha, group: 1, concurrency: 1 })).message).toMatch(/body\.policy is required for a rollout run/);
    expect((await createError(client, { env: sha, group: 1, concurrency: 1, policy: { spec: "noop" }, train: base.train })).message).toMatch(/only for a training run/);
    expect((await client.listRuns()).items).toEqual([]);
    server.child.kill("SIGTERM");
    await server.exited;
  });

  it("streams per-step metrics, pauses and resumes, survives kill -9 of the runner from its last checkpoint, and cancels keeping a checkpoint", async () => {
    const { server: first, client } = await serve();
    const sha = (await client.uploadEnvironment((await bundleEnv(ADDITION)).tarGz, "addition")).sha256;
    const run = await client.createRun(trainRequest(sha, 5));
    expect(run.config.kind).toBe("train");
    expect(run.config.train?.steps).toBe(5);
    // One trainer holds the model: a second training run is refused while this one is active.
    expect((await createError(client, trainRequest(sha, 1))).status).toBe(409);

    // Follow until step 2's metrics and its checkpoint; pause after step 1 and resume.
    const seen: RunEvent[] = [];
    let paused = false;
    await client.follow({
      runId: run.id,
      onEvent: (e) => {
        seen.push(e);
        if (e.type === "run.metrics" && e.data.step === 1 && !paused) {
          paused = true;
          void client.runAction(run.id, "pause");
        }
        if (e.type === "run.status" && e.data.status === "paused") void client.runAction(run.id, "resume");
        return !(e.type === "log" && /checkpoint at step 2:/.test(e.data.message));
      },
    });
    const statuses = seen.flatMap((e) => (e.type === "run.status" ? [e.data.status] : []));
    expect(statuses).toEqual(expect.arrayContaining(["running", "paused"]));
    expect(statuses.indexOf("paused")).toBeLessThan(statuses.lastIndexOf("running"));
    const metricEvents = seen.flatMap((e) => (e.type === "run.metrics" ? [e.data] : []));
    expect(metricEvents.map((m) => m.step)).toEqual([1, 2]);
    for (const m of metricEvents) {
      for (const k of ["reward", "loss", "kl", "entropy", "clip_fraction", "grad_norm", "tokens_per_s", "reward.correct"]) expect(Number.isFinite(m.values[k])).toBe(true);
    }
    const beforeCrash = await client.json<{ items: { step: number; ts: number }[] }>("GET", `/v1/runs/${run.id}/metrics`);
    expect(beforeCrash.items.map((p) => p.step)).toEqual([1, 2]);
    expect(trainerPids()).toHaveLength(1);

    // kill -9: the trainer (which holds the runner's pipe) goes with it instead of lingering.
    process.kill(first.pid, "SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const deadline = Date.now() + 15_000;
    while (trainerPids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(trainerPids()).toEqual([]);

    const { client: client2 } = await serve(new URL(first.url).port);
    const after: RunEvent[] = [];
    await client2.follow({
      runId: run.id,
      after: seen.at(-1)?.seq ?? 0,
      onEvent: (e) => {
        after.push(e);
        // Written once the run's work has settled (trainer stopped, sandboxes gone), after its final status.
        return !(e.type === "log" && e.data.message === SANDBOXES_RELEASED);
      },
    });
    const final = await client2.getRun(run.id);
    expect(final.status).toBe("finished");
    expect(trainerPids()).toEqual([]);
    expect(after.some((e) => e.type === "log" && /resuming at step 3 of 5/.test(e.data.message))).toBe(true);
    const series = await client2.json<{ items: { step: number; ts: number; values: Record<string, number> }[] }>("GET", `/v1/runs/${run.id}/metrics`);
    expect(series.items.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    // Steps before the checkpoint are kept as they were; the trainer continued its own count.
    expect(series.items.slice(0, 2).map((p) => p.ts)).toEqual(beforeCrash.items.map((p) => p.ts));
    const ckpt = after.flatMap((e) => (e.type === "run.status" && e.data.status === "finished" ? [e.data.checkpoint] : []))[0] ?? "";
    expect(JSON.parse(fs.readFileSync(path.join(ckpt, "trainer_state.json"), "utf8")).step).toBe(5);
    // The step the crash interrupted was dropped with the runner; every step's rollouts are kept as runs of their own.
    const store = openStore(home);
    try {
      const children = store.listRuns().filter((r) => r.config.parentRunId === run.id);
      expect(children.filter((r) => r.status === "finished")).toHaveLength(5);
      expect(children.filter((r) => r.status !== "finished").every((r) => r.status === "cancelled")).toBe(true);
    } finally {
      store.close();
    }

    // Cancel a second run after its first step: it ends cancelled with a checkpoint of what it learned.
    const second = await client2.createRun(trainRequest(sha, 50));
    let cancelled = null as RunStatusEvent | null;
    await client2.follow({
      runId: second.id,
      onEvent: (e) => {
        if (e.type === "run.metrics" && e.data.step === 1) void client2.runAction(second.id, "cancel");
        if (e.type === "run.status" && e.data.status === "cancelled") cancelled = e.data;
        return cancelled === null;
      },
    });
    expect(cancelled?.checkpoint).toBeTruthy();
    expect(fs.readdirSync(path.join(cancelled?.checkpoint ?? "", "adapter"))).toEqual(expect.arrayContaining(["adapter_model.safetensors"]));
    expect((await client2.getRun(second.id)).status).toBe("cancelled");
    expect((await client2.json<{ items: unknown[] }>("GET", `/v1/runs/${second.id}/metrics`)).items.length).toBeLessThan(50);
  });
});
