import type { BlobRef, RewardResult, Task, Turn } from "@agentrl/protocol";
import type { AnyTool, SandboxHandle, ToolImage } from "@agentrl/sdk";
import type { EnvDescription } from "../description.js";
import type { ProgressFn } from "../../images/progress.js";
import type { ScriptedTurn } from "../../policy/scripted.js";
import type { Sandbox, SandboxSpec } from "../../sandbox/types.js";
import type { EnvIssue } from "../errors.js";

/**
 * The episode's sandbox as a kind sees it: the SDK handle plus `use`, which runs a function on the
 * episode's container with the engine's accounting and failure handling (a desktop daemon's unix
 * socket, binary files). The engine's EpisodeSandbox implements it; kinds never downcast.
 */
export interface KindSandbox extends SandboxHandle {
  use<T>(fn: (sb: Sandbox) => Promise<T>): Promise<T>;
}

/** What a kind's finishing step returns: its reward (merged after the env's own), artifacts, its raw score. */
export interface KindFinish<Score> {
  reward: RewardResult;
  artifacts: Record<string, BlobRef>;
  score: Score;
}

/**
 * One environment's instance of a kind (made once per loaded environment, so images and repositories
 * are prepared once per run, not per episode). Every hook is optional: the engine calls what exists.
 */
export interface KindInstance<Score = unknown> {
  /** Tools the kind adds before the environment's own. */
  tools: AnyTool[];
  /** The image and sandbox of one task's episodes; throws a task error (the episode fails, the run goes on). */
  sandboxSpec?(task: Task, base: SandboxSpec): Promise<SandboxSpec>;
  /**
   * Runs before the environment's own setup and the first turn (gui: start the desktop, run the
   * task's config); what it returns is added to the opening user message (the first observation).
   */
  setup?(ctx: { task: Task; sandbox: KindSandbox }): Promise<{ text?: string; images?: ToolImage[] } | void>;
  /**
   * The kind's finish reads live processes of the episode (a desktop's open apps), so they are not
   * ended before scoring; every other kind's episodes are scored after the model's processes are gone.
   */
  scoresLiveSession?: boolean;
  /** Scores the episode after the last turn (in the runner, typically in a fresh container). */
  finish?(ctx: {
    task: Task;
    turns: Turn[];
    sandbox: KindSandbox;
    /** Labels of the run's sandboxes, put on every container the kind starts. */
    labels?: Record<string, string>;
    putBlob(data: Buffer, mime: string): BlobRef;
  }): Promise<KindFinish<Score>>;
  /** The episode's time limit for this task, when the task sets its own (Harbor's [agent] timeout_sec). */
  episodeTimeoutMs?(task: Task): number | undefined;
  /** The task's reference solution as scripted turns, for `--policy oracle`; null when the task has none. */
  reference?(task: Task): ScriptedTurn[] | null;
}

/** A kind instance whose episodes always get their own sandbox spec and a finishing score (swe, gui). */
export type ScoringKindInstance<Score> = KindInstance<Score> & Required<Pick<KindInstance<Score>, "sandboxSpec" | "finish">>;

/** Tasks a kind reads from somewhere other than the env's tasks.jsonl (a folder of Harbor tasks). */
export interface KindTasks {
  tasks: Task[];
  /** 1-based line (or 0) of each task, for messages. */
  lines: number[];
  /** The file or folder the tasks came from (relative to the env folder), for messages. */
  source: string;
  issues: EnvIssue[];
}

/** An environment kind: a folder under envs/kinds/ plus one entry in the registry. */
export interface EnvKind<Score = unknown> {
  /** The `kind` value of environment definitions that use it. */
  readonly name: string;
  /** Problems in the tasks, found at load time before any sandbox starts (gui: OSWorld steps, getters, metrics). */
  taskIssues?(tasks: Task[], lines: number[], file: string): EnvIssue[];
  /**
   * The env module for a folder without env.ts that holds this kind's tasks as users bring them (a
   * folder of Harbor tasks), or null when the folder is not one.
   */
  folderEnv?(dir: string): string | null;
  /** Reads the tasks itself instead of the env's tasks.jsonl. */
  loadTasks?(env: { dir: string; def: EnvDescription }): KindTasks;
  create(env: { dir: string; def: EnvDescription; progress?: ProgressFn }): KindInstance<Score>;
}

/**
 * A problem with one task found while scoring (tests that hang, a task that cannot be prepared), not
 * with the agent: the trajectory gets a reward error and the run goes on. `timeout` marks time limits.
 */
export class KindTaskError extends Error {
  constructor(
    message: string,
    readonly timeout = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KindTaskError";
  }
}
