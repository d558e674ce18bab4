import { Worker } from "node:worker_threads";
import type { JudgeHandle, SandboxHandle } from "@agentrl/sdk";
import { runnerJudge, validateJudgeRequest } from "./judge-client.js";
import { REWARD_WORKER_SOURCE } from "./worker-code.js";

export class RewardTimeoutError extends Error {}

interface Job {
  id: number;
  reward: string;
  ctx: unknown;
  timeoutMs: number;
  sandbox: SandboxHandle;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** How long a fresh worker may take to load the env bundle before its job fails. */
const WORKER_START_LIMIT_MS = 60_000;

type WorkerMessage =
  | { type: "started"; jobId: number }
  | { type: "sandbox"; jobId: number; id: number; method: "exec" | "readFile" | "writeFile" | "judge"; args: unknown[] }
  | { type: "result"; jobId: number; value?: unknown; error?: string };

/**
 * Runs reward functions in worker threads with a hard time limit: a reward that loops forever
 * (even synchronously) is stopped by terminating its worker, which is then replaced.
 */
export class RewardWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextJob = 0;
  private closed = false;

  /** `judge`: what `ctx.judge` reaches (default: the endpoint in the runner's environment, see judge-client.ts). */
  constructor(
    private readonly bundlePath: string,
    private readonly size: number,
    private readonly judge: JudgeHandle = runnerJudge(),
  ) {}

  run(reward: string, ctx: unknown, sandbox: SandboxHandle, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("the reward pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.nextJob, reward, ctx, timeoutMs, sandbox, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = new Worker(REWARD_WORKER_SOURCE, { eval: true, workerData: { bundlePath: this.bundlePath } });
    worker.unref();
    const slot: Slot = { worker, job: null, timer: null };
    worker.on("message", (m: WorkerMessage) => this.onMessage(slot, m));
    worker.on("error", (err) => this.finish(slot, err instanceof Error ? err : new Error(String(err))));
    worker.on("exit", (code) => {
      this.retire(slot);
      if (slot.job) this.finish(slot, new Error(`the reward worker exited (code ${code}) while scoring "${slot.job.reward}"`));
      this.pump();
    });
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length && !this.closed) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift() as Job;
      slot.job = job;
      const s = slot;
      slot.timer = setTimeout(() => this.kill(s, new Error(`the reward worker did not load the environment within ${WORKER_START_LIMIT_MS} ms`)), WORKER_START_LIMIT_MS);
      slot.worker.postMessage({ type: "score", jobId: job.id, reward: job.reward, ctx: job.ctx });
    }
  }

  /** Cannot interrupt a running function any other way: drop the whole thread. It leaves the pool
   * first, so the next job never lands on a worker that is being terminated. */
  private kill(slot: Slot, err: Error): void {
    this.retire(slot);
    this.finish(slot, err);
    void slot.worker.terminate();
  }

  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private finish(slot: Slot, err: Error | null, value?: unknown): void {
    const job = slot.job;
    if (!job) return;
    slot.job = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (err) job.reject(err);
    else job.resolve(value);
    this.pump();
  }

  private onMessage(slot: Slot, m: WorkerMessage): void {
    const job = slot.job;
    if (!job || m.jobId !== job.id) return;
    if (m.type === "started") {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = setTimeout(() => this.kill(slot, new RewardTimeoutError(`reward "${job.reward}" did not finish within ${job.timeoutMs} ms`)), job.timeoutMs);
      return;
    }
    if (m.type === "result") {
      if (m.error !== undefined) this.finish(slot, new Error(m.error));
      else this.finish(slot, null, m.value);
      return;
    }
    const call = this.capabilityCall(job, m);
    call.then(
      (value) => slot.worker.postMessage({ type: "sandbox-result", id: m.id, value }),
      (err: unknown) => slot.worker.postMessage({ type: "sandbox-result", id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  /** A sandbox or judge call the reward asked for; its arguments came from bundle code and are checked before use. */
  private capabilityCall(job: Job, m: Extract<WorkerMessage, { type: "sandbox" }>): Promise<unknown> {
    const sb = job.sandbox;
    switch (m.method) {
      case "judge":
        return Promise.resolve().then(() => this.judge.complete(validateJudgeRequest(m.args[0])));
      case "exec":
        return sb.exec(m.args[0] as string | string[], (m.args[1] ?? {}) as Parameters<SandboxHandle["exec"]>[1]);
      case "readFile":
        return sb.readFile(String(m.args[0]));
      case "writeFile":
        return sb.writeFile(String(m.args[0]), String(m.args[1]));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("the reward pool closed"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
