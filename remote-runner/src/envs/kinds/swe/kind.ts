import type { SweOptions } from "@agentrl/sdk";
import type { BlobRef, Task } from "@agentrl/protocol";
import type { ProgressFn } from "../../../images/progress.js";
import { DockerSandboxProvider } from "../../../sandbox/docker-provider.js";
import type { SandboxProvider } from "../../../sandbox/types.js";
import { SweTaskError } from "./errors.js";
import { prepareSweTask, type PreparedTask } from "./image.js";
import { SWE_REPO_DIR, sweInstanceOf } from "./instance.js";
import { extractAgentPatch } from "./patch.js";
import { assertSupportedFramework } from "./pytest-report.js";
import { sweReward } from "./reward.js";
import { scoreInFreshContainer, type SweScore } from "./scorer.js";
import { SWE_TOOLS } from "./tools.js";
import { referenceTurns } from "./reference.js";
import type { EnvKind, ScoringKindInstance } from "../types.js";

/** Options of a `kind: "swe"` environment: the SDK's type, the one definition. */
export type SweEnvOptions = SweOptions;

/** The `swe` kind: repository tasks in per-environment images, scored by hidden tests in a fresh container. */
export function sweKind(env: { dir: string; options?: SweEnvOptions; provider?: SandboxProvider; progress?: ProgressFn }): ScoringKindInstance<SweScore> {
  let provider: Promise<SandboxProvider> | null = env.provider ? Promise.resolve(env.provider) : null;
  const getProvider = (): Promise<SandboxProvider> => (provider ??= DockerSandboxProvider.connect());
  const prepared = (task: Task): Promise<PreparedTask> => {
    const inst = sweInstanceOf(task);
    assertSupportedFramework(inst.test_framework, inst.instance_id);
    return prepareSweTask(inst, { baseDir: env.dir, mirrors: env.options?.mirrors, network: env.options?.network, progress: env.progress });
  };
  return {
    tools: SWE_TOOLS,
    async sandboxSpec(task, base) {
      const p = await prepared(task);
      return { ...base, image: p.image, workdir: SWE_REPO_DIR };
    },
    async finish({ task, turns, sandbox, labels, putBlob }) {
      const t0 = performance.now();
      const p = await prepared(task);
      const agent = await extractAgentPatch(sandbox, p.inst.test_patch);
      const score = await scoreInFreshContainer({ provider: await getProvider(), image: p.image, inst: p.inst, patch: agent.patch, labels });
      const artifacts: Record<string, BlobRef> = {};
      if (agent.patch) artifacts.patch = putBlob(Buffer.from(agent.patch), "text/x-diff; charset=utf-8");
      const report = { instance_id: p.inst.instance_id, ...score, filesModified: agent.files, excludedTestFiles: agent.excludedTestFiles };
      artifacts.test_report = putBlob(Buffer.from(JSON.stringify(report, null, 2)), "application/json");
      const reward = sweReward(score, {
        filesModified: agent.files.length,
        testFilesTouched: agent.excludedTestFiles.length,
        turns,
        gated: env.options?.gatedStepRewards,
        durationMs: performance.now() - t0,
      });
      return { reward, artifacts, score };
    },
    reference(task) {
      const gold = sweInstanceOf(task).patch;
      return gold ? referenceTurns(gold) : null;
    },
  };
}

/** The registry entry: options come from the definition's `swe` field. */
export const SWE_KIND: EnvKind<SweScore> = {
  name: "swe",
  create: ({ dir, def, progress }) => sweKind({ dir, options: def.kind === "swe" ? def.swe : undefined, progress }),
};

export { SweTaskError };
