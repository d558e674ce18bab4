import type { BlobRef, RewardResult, Task, Turn } from "@agentrl/protocol";
import type { AnyTool, SandboxHandle, ToolImage } from "@agentrl/sdk";
import type { ProgressFn } from "../../images/progress.js";
import { DockerSandboxProvider } from "../../sandbox/docker-provider.js";
import type { SandboxProvider, SandboxSpec } from "../../sandbox/types.js";
import { SweTaskError } from "./errors.js";
import { prepareSweTask, type PreparedTask } from "./image.js";
import { SWE_REPO_DIR, sweInstanceOf } from "./instance.js";
import { extractAgentPatch } from "./patch.js";
import { assertSupportedFramework } from "./pytest-report.js";
import { sweReward, type GatedStepRewards } from "./reward.js";
import { scoreInFreshContainer, type SweScore } from "./scorer.js";
import { SWE_TOOLS } from "./tools.js";

/** Options of a `kind: "swe"` environment (the `swe` field of its definition; all optional). */
export interface SweEnvOptions {
  /** Folders with local mirrors of `owner/name` repositories (relative to the env folder). */
  mirrors?: string[];
  /** Allow cloning from GitHub when no mirror has a repository. */
  network?: boolean;
  /** Optional gated accumulation of step rewards. */
  gatedStepRewards?: GatedStepRewards;
}

/**
 * What an environment kind adds to the rollout engine, per episode: the sandbox to start (a per-task
 * image), tools, and a finishing step run in the runner after the last turn that scores the episode
 * and stores artifacts. (The engine's hook; the `swe` kind is its first user.)
 */
export interface EnvKindHooks<Score = SweScore> {
  tools: AnyTool[];
  /** The sandbox of one task's episodes; throws a task error (the episode fails, the run goes on). */
  sandboxSpec(task: Task, base: SandboxSpec): Promise<SandboxSpec>;
  /**
   * Runs before the environment's own setup and the first turn (gui: start the desktop, run the
   * task's config); what it returns is added to the opening user message (the first screen).
   */
  setup?(ctx: { task: Task; sandbox: SandboxHandle }): Promise<{ text?: string; images?: ToolImage[] } | void>;
  /** The kind's finish reads live processes of the episode (a desktop's apps), so they are not ended before scoring. */
  scoresLiveSession?: boolean;
  finish(ctx: {
    task: Task;
    turns: Turn[];
    sandbox: SandboxHandle;
    /** Labels of the run's sandboxes, put on every container the kind starts. */
    labels?: Record<string, string>;
    putBlob(data: Buffer, mime: string): BlobRef;
  }): Promise<{ reward: RewardResult; artifacts: Record<string, BlobRef>; score: Score }>;
}

/** The `swe` kind: repository tasks in per-environment images, scored by hidden tests in a fresh container. */
export function sweKind(env: { dir: string; options?: SweEnvOptions; provider?: SandboxProvider; progress?: ProgressFn }): EnvKindHooks {
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
  };
}

export { SweTaskError };
