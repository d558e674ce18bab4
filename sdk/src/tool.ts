import type { Task } from "@agentrl/protocol";
import type { SandboxHandle } from "./sandbox-handle.js";

/** A JSON Schema object describing a tool's arguments (validated with ajv before the tool runs). */
export type JsonSchema = Record<string, unknown>;

export interface ToolContext<TTask extends Task = Task, TState = Record<string, unknown>> {
  task: TTask;
  /** Per-episode state shared by all tools of the episode (stateful tools). */
  state: TState;
  sandbox: SandboxHandle;
  turn: number;
  signal: AbortSignal;
}

/** A tool result: text for the model, optionally ending the episode (`done`) with a final answer. */
/** An image a tool returns (a screenshot): stored as a blob and shown to vision models. */
export interface ToolImage {
  data: Uint8Array;
  mime: string;
}

export type ToolOutput = string | { output: string; done?: boolean; answer?: string; images?: ToolImage[] };

interface ToolBase {
  name: string;
  description: string;
  parameters: JsonSchema;
  /** Per-call time limit; default: the environment's stepTimeoutMs. */
  timeoutMs?: number;
}

export interface RunnerTool<TArgs = Record<string, unknown>, TTask extends Task = Task, TState = Record<string, unknown>> extends ToolBase {
  /** Runs in the environment's own process (never the runner's), with a time limit; use `ctx.sandbox` to touch the container. */
  run: (args: TArgs, ctx: ToolContext<TTask, TState>) => ToolOutput | Promise<ToolOutput>;
}

export interface CommandTool<TArgs = Record<string, unknown>, TTask extends Task = Task> extends ToolBase {
  /** A command run in the sandbox (argv array, or a string for `/bin/sh -c`); the model sees stdout, plus stderr and the exit code on failure. */
  command: (args: TArgs, task: TTask) => string | string[];
}

export type ToolInput<TArgs, TTask extends Task, TState> = RunnerTool<TArgs, TTask, TState> | CommandTool<TArgs, TTask>;

export type ToolDefinition<TArgs = Record<string, unknown>, TTask extends Task = Task, TState = Record<string, unknown>> = ToolInput<TArgs, TTask, TState> & {
  readonly __agentrl: "tool";
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tool argument types differ per tool; a list of tools must accept all of them
export type AnyTool = ToolDefinition<any, any, any>;

export function defineTool<TArgs = Record<string, unknown>, TTask extends Task = Task, TState = Record<string, unknown>>(
  tool: ToolInput<TArgs, TTask, TState>,
): ToolDefinition<TArgs, TTask, TState> {
  return { ...tool, __agentrl: "tool" } as ToolDefinition<TArgs, TTask, TState>;
}
