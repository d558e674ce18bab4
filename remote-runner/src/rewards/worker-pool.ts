import { spawn, type ChildProcess } from "node:child_process";
import type { JudgeHandle, SandboxHandle } from "@agentrl/sdk";
import { runnerJudge, validateJudgeRequest } from "./judge-client.js";
import { REWARD_WORKER_SOURCE } from "./worker-code.js";

export class RewardTimeoutError extends Error {}

/** The reward's own code threw; `bundleStack` is its stack in the env bundle (map it with source-location.ts). */
export class RewardCodeError extends Error {
  constructor(
    message: string,
    readonly bundleStack: string | undefined,
  ) {
    super(message);
  }
}

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
  worker: ChildProcess;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** How long a fresh worker may take to load the env bundle before its job fails. */
const WORKER_START_LIMIT_MS = 60_000;

type WorkerMessage =
  | { type: "started"; jobId: number }
  | { type: "sandbox"; jobId: number; id: number; method: "exec" | "readFile" | "writeFile" | "judge"; args: unknown[] }
  | { type: "result"; jobId: number; value?: unknown; error?: string; stack?: string };

/** What a reward process may see of the runner's environment: nothing secret (no tokens, keys, DOCKER_HOST). */
const PASSED_ENV = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/**
 * The reward process: a separate Node process under Node's permission model. It may read its
 * bundle and nothing else on disk (no store, no token file), write nothing, start no processes
 * or threads, and gets none of the runner's secrets in its environment. Sandbox and judge calls
 * go through the runner over the IPC channel.
 */
function spawnRewardProcess(bundlePath: string): ChildProcess {
  const env: NodeJS.ProcessEnv = { AGENTRL_REWARD_BUNDLE: bundlePath };
  for (const k of PASSED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  return spawn(process.execPath, ["--experimental-permission", `--allow-fs-read=${bundlePath}`, "--no-warnings", "-e", REWARD_WORKER_SOURCE], {
    env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
}

/**
 * Runs reward functions in separate processes (spawnRewardProcess) with a hard time limit: a reward
 * that loops forever (even synchronously) is stopped by killing its process, which is then replaced.
 */
export class RewardWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextJob = 0;
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
      this.queue.push({ id: ++this.nextJob, reward, ctx, timeoutMs, sandbox, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = spawnRewardProcess(this.bundlePath);
    const slot: Slot = { worker, job: null, timer: null };
    worker.on("message", (m: WorkerMessage) => this.onMessage(slot, m));
    worker.on("error", (err) => this.finish(slot, err instanceof Error ? err : new Error(String(err))));
    worker.on("exit", (code, signal) => {
      this.retire(slot);
      if (slot.job) this.finish(slot, new Error(`the reward process exited (${signal ?? `code ${code}`}) while scoring "${slot.job.reward}"`));
      this.pump();
    });
    this.idle(slot);
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
      this.busy(slot);
      const s = slot;
      slot.timer = setTimeout(() => this.kill(s, new Error(`the reward worker did not load the environment within ${WORKER_START_LIMIT_MS} ms`)), WORKER_START_LIMIT_MS);
      slot.worker.send({ type: "score", jobId: job.id, reward: job.reward, ctx: job.ctx });
    }
  }

  /** Cannot interrupt a running function any other way: kill the whole process. It leaves the pool
   * first, so the next job never lands on a process that is being killed. */
  private kill(slot: Slot, err: Error): void {
    this.retire(slot);
    this.finish(slot, err);
    slot.worker.kill("SIGKILL");
  }

  /** An idle reward process does not keep the runner alive; a busy one does until it answers. */
  private idle(slot: Slot): void {
    slot.worker.unref();
    (slot.worker.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  private busy(slot: Slot): void {
    slot.worker.ref();
    (slot.worker.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }

  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  private finish(slot: Slot, err: Error | null, value?: unknown): void {
    const job = slot.job;
    if (!job) return;
    slot.job = null;
    this.idle(slot);
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
      if (m.error !== undefined) this.finish(slot, new RewardCodeError(m.error, typeof m.stack === "string" ? m.stack : undefined));
      else this.finish(slot, null, m.value);
      return;
    }
    const call = this.capabilityCall(job, m);
    call.then(
      (value) => slot.worker.connected && slot.worker.send({ type: "sandbox-result", id: m.id, value }),
      (err: unknown) => slot.worker.connected && slot.worker.send({ type: "sandbox-result", id: m.id, error: err instanceof Error ? err.message : String(err) }),
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
    await Promise.all(
      this.slots.map((s) => {
        if (s.worker.exitCode !== null || s.worker.signalCode !== null) return Promise.resolve();
        const gone = new Promise((r) => s.worker.once("exit", r));
        // An idle process is unref'd: without this, waiting for its exit is all the event loop
        // has left, and Node quits mid-await (the CLI's rescore ended with no output, exit 0).
        s.worker.ref();
        s.worker.kill("SIGKILL");
        return gone;
      }),
    );
  }
}
