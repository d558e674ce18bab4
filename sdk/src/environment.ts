import type { BuiltinToolName, EnvTrainDefaults, Message, RewardComposition, SandboxLimits, Task } from "@agentrl/protocol";
import type { SandboxHandle } from "./sandbox-handle.js";
import type { AnyTool } from "./tool.js";
import type { AnyReward } from "./reward.js";
import type { GuiOptions, HarborOptions, SweOptions } from "./kinds.js";

export interface SetupContext<TTask extends Task = Task, TState = Record<string, unknown>> {
  task: TTask;
  state: TState;
  sandbox: SandboxHandle;
}

/** What every environment definition has, whatever its kind. */
export interface EnvironmentBase<TTask extends Task = Task, TState = Record<string, unknown>> {
  name: string;
  description?: string;
  /** Sandbox image tag. Default: the env folder's Dockerfile when there is one, else the offline base image. */
  image?: string;
  /** System prompt, fixed or per task. */
  system?: string | ((task: TTask) => string);
  /** Opening user message(s); default: the task's `messages`, or its `prompt` as one user message. */
  prompt?: (task: TTask) => string | Message[];
  tools?: AnyTool[];
  /** Sandbox tools the runner provides: bash, python, read_file, write_file. */
  builtinTools?: BuiltinToolName[];
  maxTurns?: number;
  stepTimeoutMs?: number;
  episodeTimeoutMs?: number;
  rewardTimeoutMs?: number;
  /** When an assistant message has no tool calls the episode ends (default true). */
  stopOnNoToolCalls?: boolean;
  /** Fresh per-episode state for stateful tools. */
  initState?: (task: TTask) => TState;
  /** Runs before the first turn (write files, start services) inside the sandbox. */
  setup?: (ctx: SetupContext<TTask, TState>) => void | Promise<void>;
  rewards: AnyReward[];
  rewardComposition?: RewardComposition;
  /** Task dataset file, relative to the env folder (default tasks.jsonl). */
  tasks?: string;
  /**
   * Adversaries for `agentrl preflight`: scripted-policy files (JSONL, one `{"task_id", "turns"}` a
   * line, relative to the env folder) that try to earn reward without doing the task. Preflight
   * fails when any of their trajectories scores above its adversary threshold. Default: files named
   * `adversary*.jsonl`. Built-in lazy policies (empty answer, echo, right format with a wrong value,
   * every tool once, giving up) always run.
   */
  adversaries?: string[];
  sandbox?: { workdir?: string; env?: Record<string, string>; limits?: Partial<SandboxLimits> };
  /**
   * Gated step rewards: per-turn rewards (rewards that return `turns`) count only when the episode's
   * total reaches this threshold, else they are 0, so an agent cannot farm them on failed episodes.
   */
  turnRewardGate?: number;
  /** Training defaults for `agentrl train` (steps, group, tasksPerStep, maxTokens, trainer options…); flags override them. */
  train?: EnvTrainDefaults;
}

/**
 * An environment definition: the common fields plus `kind` and that kind's own options, as a
 * discriminated union (an option of another kind is a type error). The runner's kind registry
 * (remote-runner/src/envs/kinds/) has one entry per member.
 */
export type EnvironmentInput<TTask extends Task = Task, TState = Record<string, unknown>> =
  | (EnvironmentBase<TTask, TState> & { kind?: "tool" })
  | (EnvironmentBase<TTask, TState> & { kind: "swe"; swe?: SweOptions })
  | (EnvironmentBase<TTask, TState> & { kind: "gui"; gui?: GuiOptions })
  | (EnvironmentBase<TTask, TState> & { kind: "harbor"; harbor?: HarborOptions });

export type EnvironmentDefinition<TTask extends Task = Task, TState = Record<string, unknown>> = EnvironmentInput<TTask, TState> & {
  readonly __agentrl: "environment";
};

/** Declares an environment; `export default defineEnvironment({...})` from env.ts. */
export function defineEnvironment<TTask extends Task = Task, TState = Record<string, unknown>>(
  env: EnvironmentInput<TTask, TState>,
): EnvironmentDefinition<TTask, TState> {
  return { ...env, __agentrl: "environment" } as EnvironmentDefinition<TTask, TState>;
}
