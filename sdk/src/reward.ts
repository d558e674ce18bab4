import type { Message, Task, Turn } from "@agentrl/protocol";
import type { JudgeHandle } from "./judge.js";
import type { SandboxHandle } from "./sandbox-handle.js";

/** What a reward sees: the finished episode, its task, and the live sandbox. */
export interface RewardContext<TTask extends Task = Task> {
  task: TTask;
  prompt: Message[];
  turns: Turn[];
  /** The whole conversation (prompt, assistant turns, tool results). */
  messages: Message[];
  /** Content of the last assistant message, or the answer a stopping tool returned. */
  finalAnswer: string;
  toolCalls: number;
  stopReason: string;
  sandbox: SandboxHandle;
  /**
   * The runner's LLM judge (see `judge` and `rubric`): chat completions at temperature 0 through the
   * endpoint the runner is configured with, cached by content. Absent outside a runner.
   */
  judge?: JudgeHandle;
}

/**
 * A score, or several named components with optional weights (weight 0 = logged metric only).
 * `turns` scores each turn of the episode as well (one value per entry of `ctx.turns`): turn-level
 * credit for trainers that use it (`credit: return_to_go | gigpo`); the components still give the
 * episode's score.
 */
export type RewardValue =
  | number
  | boolean
  | { components: Record<string, number | boolean>; weights?: Record<string, number>; turns?: (number | boolean)[] };

interface RewardBase {
  name: string;
  /** Weight in the weighted sum (default 1). */
  weight?: number;
  /** Time limit for this reward; default: the environment's rewardTimeoutMs. */
  timeoutMs?: number;
}

export interface FunctionReward<TTask extends Task = Task> extends RewardBase {
  score: (ctx: RewardContext<TTask>) => RewardValue | Promise<RewardValue>;
}

export interface CommandReward<TTask extends Task = Task> extends RewardBase {
  /** Runs in the sandbox after the episode (e.g. the test command). */
  command: string | string[] | ((task: TTask) => string | string[]);
  /** exit_code: 1 when it exits 0, else 0 (default). number: the last line of stdout parsed as a number. */
  parse?: "exit_code" | "number";
}

export type RewardInput<TTask extends Task = Task> = FunctionReward<TTask> | CommandReward<TTask>;
export type RewardDefinition<TTask extends Task = Task> = RewardInput<TTask> & { readonly __agentrl: "reward" };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rewards for different task types share one list
export type AnyReward = RewardDefinition<any>;

export function defineReward<TTask extends Task = Task>(reward: RewardInput<TTask>): RewardDefinition<TTask> {
  return { ...reward, __agentrl: "reward" } as RewardDefinition<TTask>;
}
