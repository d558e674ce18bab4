// Shared test helpers: a temporary AGENTRL_HOME per test file, env folders written on the fly.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `agentrl-${prefix}-`));
}

/** Points AGENTRL_HOME at a fresh folder; returns it. */
export function useTempHome(): string {
  const home = tempDir("home");
  process.env.AGENTRL_HOME = home;
  return home;
}

export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

export const CALCULATOR_DIR = path.resolve(__dirname, "../../examples/calculator");

import type { RunConfig, RunSummary, Trajectory } from "@agentrl/protocol";
import { loadEnvironment, type LoadedEnvironment } from "../../remote-runner/src/envs/load.js";
import { startRun, type RunDeps, type RunHandle } from "../../remote-runner/src/rollout/engine.js";
import { resolveEnvImage } from "../../remote-runner/src/rollout/image.js";
import { DockerSandboxProvider } from "../../remote-runner/src/sandbox/docker-provider.js";
import { SandboxPool } from "../../remote-runner/src/sandbox/pool.js";
import { openStore, type Store } from "../../remote-runner/src/store/store.js";

export interface Harness {
  store: Store;
  pool: SandboxPool;
  provider: DockerSandboxProvider;
  close(): Promise<void>;
}

/** A real store in a temporary AGENTRL_HOME and a real Docker sandbox pool. */
export async function harness(): Promise<Harness> {
  const home = useTempHome();
  const store = openStore(home);
  const provider = await DockerSandboxProvider.connect();
  const pool = new SandboxPool(provider, { warm: 1 });
  return {
    store,
    pool,
    provider,
    close: async () => {
      await pool.close();
      store.close();
    },
  };
}

export interface RolloutResult {
  runId: string;
  summary: RunSummary;
  trajectories: Trajectory[];
  env: LoadedEnvironment;
}

/** Runs a rollout through the real engine and returns the stored trajectories. */
export async function rollout(
  h: Harness,
  envDir: string,
  config: Partial<RunConfig> & Pick<RunConfig, "policy">,
  deps: Partial<RunDeps> = {},
  onStart?: (handle: RunHandle) => void,
): Promise<RolloutResult> {
  const env = deps.env ?? (await loadEnvironment(envDir, { git: false }));
  const image = deps.image ?? (await resolveEnvImage(env));
  const handle = startRun(h.store, { envDir, group: 1, concurrency: 2, ...config }, { sandboxes: h.pool, env, image, ...deps });
  onStart?.(handle);
  const summary = await handle.done;
  return { runId: handle.runId, summary, trajectories: [...h.store.iterateTrajectories(handle.runId)], env };
}
