import type { TryRewardReport, TryRewardRequest } from "@agentrl/protocol";
import type { Store } from "../store/store.js";
import { scoreStored, type StoredScoring } from "./rescore.js";

const DEFAULT_LIMIT = 100;

/**
 * Tries one reward, as it is written now, on a stored run's trajectories (or picked ones) without
 * a full rescore and without touching stored scores: the reward alone at weight 1, so `value` is
 * what it returns (components combined by their own weights), with errors located in the sources.
 */
export async function tryReward(store: Store, runId: string, req: Omit<TryRewardRequest, "env">, opts: Omit<StoredScoring, "label">): Promise<TryRewardReport> {
  const reward = opts.env.def.rewards.find((r) => r.name === req.reward);
  if (!reward) throw new Error(`the environment has no reward "${req.reward}" (it has ${opts.env.def.rewards.map((r) => `"${r.name}"`).join(", ")}). Fix: save the file and try a reward by its name`);
  const finished = [...store.iterateTrajectories(runId)].filter((t) => t.status === "finished");
  let picked = finished;
  if (req.trajectoryIds) {
    const byId = new Map(finished.map((t) => [t.id, t]));
    const missing = req.trajectoryIds.filter((id) => !byId.has(id));
    if (missing.length) throw new Error(`run ${runId} has no finished trajectory ${missing.slice(0, 3).join(", ")}. Fix: pick trajectories of this run`);
    picked = req.trajectoryIds.map((id) => byId.get(id)).filter((t) => t !== undefined);
  }
  picked = picked.slice(0, req.limit ?? DEFAULT_LIMIT);
  const results = await scoreStored(picked, [{ ...reward, weight: 1 }], { ...opts, label: runId });
  const rows = picked.map((t) => {
    const r = results.get(t.id);
    return { id: t.id, taskId: t.taskId, sampleIndex: t.sampleIndex, value: r?.total ?? null, components: r?.components ?? {}, errors: r?.errors ?? [], durationMs: r?.durationMs ?? 0 };
  });
  const values = rows.map((r) => r.value).filter((v): v is number => v !== null);
  return {
    runId,
    reward: req.reward,
    envHash: opts.env.envHash,
    available: finished.length,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    errors: rows.filter((r) => r.errors.length > 0).length,
    rows,
  };
}
