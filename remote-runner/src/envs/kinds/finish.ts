import type { BlobRef, RewardResult, Task, Turn } from "@agentrl/protocol";
import { SandboxError } from "../../sandbox/types.js";
import { KindTaskError, type KindInstance, type KindSandbox } from "./types.js";

/** Infrastructure failures must reach the engine (it retries the episode); everything else is the task's. */
function isInfra(err: unknown): boolean {
  return err instanceof SandboxError || (err instanceof Error && err.name === "InfraFailure");
}

/**
 * Runs the kind's finishing step after the environment's own rewards and merges the two results.
 * A task problem (hidden tests that hang, a test_patch that does not apply) becomes a reward error
 * named after the kind with a clear message and a null total: never a crash of the run, never a silent 0.
 */
export async function finishEpisodeWithKind(
  kind: KindInstance,
  ctx: { task: Task; turns: Turn[]; sandbox: KindSandbox; labels?: Record<string, string>; putBlob(data: Buffer, mime: string): BlobRef },
  base: RewardResult,
  kindName = "kind",
): Promise<{ reward: RewardResult; artifacts: Record<string, BlobRef> }> {
  if (!kind.finish) return { reward: base, artifacts: {} };
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
    const timeout = err instanceof KindTaskError && err.timeout;
    return {
      reward: { ...base, total: null, errors: [...base.errors, { reward: kindName, kind: timeout ? "timeout" : "threw", message }], durationMs: base.durationMs + (performance.now() - t0) },
      artifacts: {},
    };
  }
}
