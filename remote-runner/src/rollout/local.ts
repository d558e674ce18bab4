import type { RunConfig, RunSummary, Trajectory } from "@agentrl/protocol";
import type { LoadedEnvironment } from "../envs/load.js";
import type { Policy } from "../policy/types.js";
import { DockerSandboxProvider } from "../sandbox/docker-provider.js";
import { SandboxPool } from "../sandbox/pool.js";
import type { Store } from "../store/store.js";
import { startRun, type RunHandle } from "./engine.js";
import { resolveEnvImage } from "./image.js";

/** Sandboxes for runs inside this process (CLI, preflight, bench): the Docker provider behind a warm pool. */
export async function localSandboxes(opts: { warm?: number } = {}): Promise<{ pool: SandboxPool; provider: DockerSandboxProvider; close(): Promise<void> }> {
  const provider = await DockerSandboxProvider.connect();
  const pool = new SandboxPool(provider, { warm: opts.warm ?? 2, refillConcurrency: 4 });
  return { pool, provider, close: () => pool.close() };
}

/**
 * One run in this process with its own sandbox pool: what `agentrl rollout`, `preflight` and the
 * bench use. Cancels cleanly on SIGINT.
 */
export async function runLocally(
  store: Store,
  env: LoadedEnvironment,
  config: RunConfig,
  opts: { policy?: Policy; onTrajectory?: (t: Trajectory, p: { done: number; total: number }) => void; onStart?: (h: RunHandle) => void; log?: (line: string) => void; image?: string } = {},
): Promise<{ runId: string; summary: RunSummary; wallMs: number }> {
  const image = opts.image ?? (await resolveEnvImage(env, opts.log));
  const sandboxes = await localSandboxes({ warm: Math.min(config.concurrency, 8) });
  const t0 = performance.now();
  const handle = startRun(store, config, {
    sandboxes: sandboxes.pool,
    env,
    image,
    policy: opts.policy,
    prewarm: Math.min(config.concurrency, 8),
    onTrajectory: opts.onTrajectory,
    log: opts.log,
  });
  opts.onStart?.(handle);
  const onSigint = (): void => handle.cancel();
  process.once("SIGINT", onSigint);
  try {
    const summary = await handle.done;
    return { runId: handle.runId, summary, wallMs: performance.now() - t0 };
  } finally {
    process.off("SIGINT", onSigint);
    await sandboxes.close();
  }
}
