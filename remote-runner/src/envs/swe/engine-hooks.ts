import type { BlobRef, RewardResult, Task, Turn } from "@agentrl/protocol";
import type { SandboxHandle } from "@agentrl/sdk";
import type { ProgressFn } from "../../images/progress.js";
import { SandboxError } from "../../sandbox/types.js";
import type { LoadedEnvironment } from "../load.js";
import { SweTaskError } from "./errors.js";
import { guiKind, type GuiEnvOptions } from "../gui/kind.js";
import { sweKind, type EnvKindHooks, type SweEnvOptions } from "./kind.js";

const hooks = new WeakMap<LoadedEnvironment, EnvKindHooks<unknown> | null>();

/**
 * The hooks of an environment's kind, or null for kinds the engine runs on its own (tool). One set
 * per loaded environment, so images and repositories are prepared once per run, not per episode.
 */
export function kindHooksFor(env: LoadedEnvironment, progress?: ProgressFn): EnvKindHooks<unknown> | null {
  if (hooks.has(env)) return hooks.get(env) ?? null;
  const h: EnvKindHooks<unknown> | null =
    env.info.kind === "swe"
      ? sweKind({ dir: env.dir, options: (env.def as { swe?: SweEnvOptions }).swe, progress })
      : env.info.kind === "gui"
        ? guiKind({ dir: env.dir, options: (env.def as { gui?: GuiEnvOptions }).gui, progress })
        : null;
  hooks.set(env, h);
  return h;
}

/** Infrastructure failures must reach the engine (it retries the episode); everything else is the task's. */
function isInfra(err: unknown): boolean {
  return err instanceof SandboxError || (err instanceof Error && err.name === "InfraFailure");
}

/**
 * Runs the kind's finishing step after the environment's own rewards and merges the two results.
 * A task problem (hidden tests that hang, a test_patch that does not apply) becomes a reward error
 * with a clear message and a null total: never a crash of the run, never a silent 0.
 */
export async function finishEpisodeWithKind(
  kind: EnvKindHooks<unknown>,
  ctx: { task: Task; turns: Turn[]; sandbox: SandboxHandle; labels?: Record<string, string>; putBlob(data: Buffer, mime: string): BlobRef },
  base: RewardResult,
): Promise<{ reward: RewardResult; artifacts: Record<string, BlobRef> }> {
  const t0 = performance.now();
  try {
    const r = await kind.finish(ctx);
    return {
      reward: {
        total: base.total === null || r.reward.total === null ? null : base.total + r.reward.total,
        components: { ...base.components, ...r.reward.components },
        weights: { ...base.weights, ...r.reward.weights },
        errors: [...base.errors, ...r.reward.errors],
        durationMs: base.durationMs + (performance.now() - t0),
      },
      artifacts: r.artifacts,
    };
  } catch (err) {
    if (isInfra(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const timeout = err instanceof SweTaskError && err.code === "tests_timeout";
    return {
      reward: { ...base, total: null, errors: [...base.errors, { reward: "swe", kind: timeout ? "timeout" : "threw", message }], durationMs: base.durationMs + (performance.now() - t0) },
      artifacts: {},
    };
  }
}
