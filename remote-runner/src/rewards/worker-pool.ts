import type { JudgeHandle, SandboxHandle } from "@agentrl/sdk";
import { BundleCodeError, BundleProcess, BundleTimeoutError } from "../bundle/process.js";
import { runnerJudge } from "./judge-client.js";

export class RewardTimeoutError extends Error {}

/** The reward's own code threw; `bundleStack` is its stack in the env bundle (map it with source-location.ts). */
export { BundleCodeError as RewardCodeError };

interface Job {
  reward: string;
  ctx: unknown;
  timeoutMs: number;
  sandbox: SandboxHandle;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * Runs reward functions in bundle processes (bundle/process.ts: no secrets, no store, no network,
 * a hard time limit), one reward at a time per process: a reward that loops forever (even
 * synchronously) is stopped by killing its process, which is then replaced.
 */
export class RewardWorkerPool {
  private readonly procs: BundleProcess[] = [];
  private readonly busy = new Set<BundleProcess>();
  private readonly queue: Job[] = [];
  private closed = false;

  /** `judge`: what `ctx.judge` reaches (default: the endpoint in the runner's environment, see judge-client.ts). */
  constructor(
    readonly bundlePath: string,
    private readonly size: number,
    private readonly judge: JudgeHandle = runnerJudge(),
  ) {}

  run(reward: string, ctx: unknown, sandbox: SandboxHandle, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("the reward pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ reward, ctx, timeoutMs, sandbox, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length && !this.closed) {
      let proc = this.procs.find((p) => p.alive && !this.busy.has(p));
      if (!proc) {
        if (this.procs.length >= this.size) return;
        proc = new BundleProcess(this.bundlePath, (gone) => this.forget(gone));
        this.procs.push(proc);
      }
      const job = this.queue.shift() as Job;
      const p = proc;
      this.busy.add(p);
      p.call("score", { reward: job.reward, ctx: job.ctx }, { what: `reward "${job.reward}"`, timeoutMs: job.timeoutMs, sandbox: job.sandbox, judge: this.judge })
        .then(job.resolve, (err: Error) => job.reject(err instanceof BundleTimeoutError ? new RewardTimeoutError(err.message) : err instanceof BundleCodeError ? err : new Error(`the reward process failed while scoring "${job.reward}": ${err.message}`)))
        .finally(() => {
          this.busy.delete(p);
          this.pump();
        });
    }
  }

  private forget(gone: BundleProcess): void {
    const i = this.procs.indexOf(gone);
    if (i >= 0) this.procs.splice(i, 1);
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error("the reward pool closed"));
    const procs = [...this.procs];
    for (const p of procs) p.kill("the reward pool closed");
    await Promise.all(procs.map((p) => p.whenExited()));
  }
}
