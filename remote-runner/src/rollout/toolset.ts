import { Ajv, type ValidateFunction } from "ajv";
import type { Observation, Task, ToolCall, ToolSpec } from "@agentrl/protocol";
import type { AnyTool, SandboxHandle, ToolImage } from "@agentrl/sdk";
import { isBundleFunction, type EnvDescription } from "../envs/description.js";
import { EnvCodeError, EnvHostReplaced, type EnvHost, type EpisodeHost } from "../envs/host.js";
import type { RawToolCall } from "../policy/types.js";
import { BUILTIN_TOOLS } from "./builtin-tools.js";
import { InfraFailure } from "./episode-sandbox.js";
import { formatExecResult } from "./format-exec.js";

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

interface ToolOutcome {
  output: string;
  exitCode?: number | null;
  done?: boolean;
  answer?: string;
  recordOnly?: boolean;
  images?: ToolImage[];
}

interface ToolEntry {
  spec: ToolSpec;
  timeoutMs?: number;
  /** A `run` tool of the environment: it runs in the env host's process, where the episode's state lives. */
  inHost?: boolean;
  /** `kill` fires at the call's time limit (a tool running in the env host's process is stopped there). */
  execute(args: Record<string, unknown>, ctx: { sandbox: SandboxHandle; timeoutMs: number; turn: number; signal: AbortSignal; kill: AbortSignal }): Promise<ToolOutcome>;
}

export interface ExecutedCall {
  call: ToolCall;
  observation: Observation;
  done: boolean;
  answer?: string;
  /** The tool is declared by the task and only recorded (imported function-calling datasets). */
  recordOnly?: boolean;
  /** Images the tool returned; the engine stores them as blobs on the observation. */
  images?: ToolImage[];
}

/** A tool's result, which came from bundle code (or a kind's tool): checked, never cast. */
function fromToolOutput(out: unknown): ToolOutcome {
  if (typeof out === "string") return { output: out };
  const o = out && typeof out === "object" ? (out as Record<string, unknown>) : null;
  if (o && typeof o.output === "string") {
    const images = Array.isArray(o.images) ? o.images.filter((i): i is ToolImage => Boolean(i) && typeof i === "object" && i.data instanceof Uint8Array && typeof i.mime === "string") : undefined;
    return { output: o.output, done: Boolean(o.done), ...(typeof o.answer === "string" ? { answer: o.answer } : {}), ...(images ? { images } : {}) };
  }
  throw new Error(`the tool returned ${JSON.stringify(out)?.slice(0, 100)}; a tool must return a string or { output: string, done?, answer? }`);
}

class TimeoutError extends Error {}

/**
 * Races `p` against a time limit that does not count `excluded()` (time spent waiting for the
 * sandbox container, which is infrastructure, not the tool): when the timer fires it is re-armed
 * for the excluded time that accrued meanwhile.
 */
function withTimeout<T>(p: Promise<T>, ms: number, what: string, excluded: () => number = () => 0): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const start = excluded();
  let granted = 0;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      const arm = (delay: number): void => {
        timer = setTimeout(() => {
          const owed = excluded() - start - granted;
          if (owed > 1) {
            granted += owed;
            arm(owed);
          } else reject(new TimeoutError(`${what} did not finish within ${ms} ms`));
        }, delay);
      };
      arm(ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The tools one task may use (environment tools, built-in sandbox tools, tools the task declares),
 * with argument validation: every malformed call becomes an observation that says what was wrong.
 */
export class Toolset {
  private readonly entries = new Map<string, ToolEntry>();

  /**
   * `kindTools` are the runner's own (a kind's tools run here); the environment's tools are bundle
   * code and run in its host process (`host`, with the episode's state in `episode`).
   */
  constructor(env: EnvDescription, task: Task, bundle: { host: EnvHost; episode: EpisodeHost }, kindTools: AnyTool[] = []) {
    for (const name of env.builtinTools ?? []) {
      const b = BUILTIN_TOOLS[name];
      this.entries.set(name, { spec: b.spec, execute: (args, ctx) => b.run(args, ctx.sandbox, ctx.timeoutMs) });
    }
    const exec = async (sandbox: SandboxHandle, command: string | string[], timeoutMs: number): Promise<ToolOutcome> => {
      const r = await sandbox.exec(command, { timeoutMs });
      return { output: formatExecResult(r), exitCode: r.exitCode };
    };
    for (const t of kindTools) {
      const spec: ToolSpec = { name: t.name, description: t.description, parameters: t.parameters };
      if ("command" in t && typeof t.command === "function") {
        const command = t.command;
        this.entries.set(t.name, { spec, timeoutMs: t.timeoutMs, execute: (args, ctx) => exec(ctx.sandbox, command(args, task), ctx.timeoutMs) });
      } else if ("run" in t && typeof t.run === "function") {
        const run = t.run;
        this.entries.set(t.name, { spec, timeoutMs: t.timeoutMs, execute: async (args, ctx) => fromToolOutput(await run(args, { task, state: {}, sandbox: ctx.sandbox, turn: ctx.turn, signal: ctx.signal })) });
      }
    }
    for (const t of env.tools ?? []) {
      const spec: ToolSpec = { name: t.name, description: t.description, parameters: t.parameters };
      if ("command" in t && isBundleFunction(t.command)) {
        this.entries.set(t.name, { spec, timeoutMs: t.timeoutMs, execute: async (args, ctx) => exec(ctx.sandbox, await bundle.host.command(t.name, args, task, ctx.timeoutMs), ctx.timeoutMs) });
      } else if ("run" in t && isBundleFunction(t.run)) {
        this.entries.set(t.name, { spec, timeoutMs: t.timeoutMs, inHost: true, execute: async (args, ctx) => fromToolOutput(await bundle.episode.tool(t.name, args, ctx)) });
      }
    }
    // Tools declared by the task (imported function-calling datasets): the call is the answer, recorded and not executed.
    for (const spec of task.toolSpecs ?? []) {
      this.entries.set(spec.name, { spec, execute: async (args) => ({ output: JSON.stringify({ name: spec.name, arguments: args }), done: true, recordOnly: true }) });
    }
    if (task.tools) {
      const allowed = new Set(task.tools);
      for (const name of [...this.entries.keys()]) if (!allowed.has(name) && !(task.toolSpecs ?? []).some((s) => s.name === name)) this.entries.delete(name);
    }
  }

  get specs(): ToolSpec[] {
    return [...this.entries.values()].map((e) => e.spec);
  }

  /** Parses, validates and runs one call. Only InfraFailure escapes; everything else is an observation. */
  async execute(raw: RawToolCall, ctx: { sandbox: SandboxHandle; stepTimeoutMs: number; turn: number; signal: AbortSignal }): Promise<ExecutedCall> {
    const t0 = performance.now();
    let args: Record<string, unknown> | null = null;
    let parseProblem: string | null = raw.parseError ?? null;
    if (!parseProblem) {
      try {
        const parsed: unknown = JSON.parse(raw.argumentsText || "{}");
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) args = parsed as Record<string, unknown>;
        else parseProblem = `the arguments of "${raw.name}" must be a JSON object, got ${Array.isArray(parsed) ? "an array" : typeof parsed}`;
      } catch (err) {
        parseProblem = `the arguments of "${raw.name}" are not valid JSON (${(err as Error).message}): ${raw.argumentsText.slice(0, 200)}`;
      }
    }
    const call: ToolCall = { id: raw.id, name: raw.name, arguments: args, rawArguments: raw.argumentsText };
    const obs = (content: string, extra: Partial<Observation> = {}): ExecutedCall => ({
      call,
      observation: { toolCallId: raw.id, tool: raw.name, content, durationMs: performance.now() - t0, ...extra },
      done: false,
    });
    if (parseProblem) return obs(`Error: ${parseProblem}. Call a tool with a JSON object of arguments, e.g. {"name": "${this.specs[0]?.name ?? "tool_name"}", "arguments": {...}}.`, { error: "invalid_json" });
    const entry = this.entries.get(raw.name);
    if (!entry) {
      const known = [...this.entries.keys()];
      return obs(`Error: unknown tool "${raw.name}". Available tools: ${known.join(", ") || "none"}.`, { error: "unknown_tool" });
    }
    const validate = validatorFor(entry.spec.parameters);
    if (!validate(args)) {
      const problems = (validate.errors ?? []).map((e) => `${e.instancePath ? `argument ${e.instancePath.slice(1).replace(/\//g, ".")}` : "arguments"} ${e.message ?? "invalid"}${e.params && "additionalProperty" in e.params ? ` ("${String(e.params.additionalProperty)}")` : ""}`);
      return obs(`Error: invalid arguments for "${raw.name}": ${problems.join("; ")}. Expected parameters: ${JSON.stringify(entry.spec.parameters)}`, { error: "invalid_arguments" });
    }
    const timeoutMs = entry.timeoutMs ?? ctx.stepTimeoutMs;
    // Time in the sandbox layer for this call, including waiting for the episode's container on first use.
    const sandboxTime = (): number => {
      const sb = ctx.sandbox as { sandboxMs?: number; acquireMs?: number };
      return (sb.sandboxMs ?? 0) + (sb.acquireMs ?? 0);
    };
    const sandboxBefore = sandboxTime();
    const kill = new AbortController();
    try {
      // The runner-side time limit is a little longer than the sandbox's own, so a command's timeout is reported by the sandbox.
      const sb = ctx.sandbox as { acquireElapsed?: () => number };
      const waited = (): number => (sb.acquireElapsed ? sb.acquireElapsed() : 0);
      const out = await withTimeout(entry.execute(args as Record<string, unknown>, { sandbox: ctx.sandbox, timeoutMs, turn: ctx.turn, signal: ctx.signal, kill: kill.signal }), timeoutMs + 2000, `tool "${raw.name}"`, waited);
      const sandboxMs = sandboxTime() - sandboxBefore;
      return { ...obs(out.output, { exitCode: out.exitCode, sandboxMs }), done: Boolean(out.done), answer: out.answer, recordOnly: out.recordOnly, ...(out.images?.length ? { images: out.images } : {}) };
    } catch (err) {
      if (err instanceof InfraFailure || err instanceof EnvCodeError || err instanceof EnvHostReplaced) throw err;
      const sandboxMs = sandboxTime() - sandboxBefore;
      if (err instanceof TimeoutError) {
        // A tool of the env host's process is stopped there (it may be looping); the episode's state
        // went with it, so the episode ends as an environment error naming the tool and the fix.
        kill.abort(err.message);
        if (entry.inHost) throw new EnvCodeError(`${err.message}: the environment's process running it was stopped and replaced. Fix: make the tool's run function return within its time limit (the tool's timeoutMs, default the environment's stepTimeoutMs): look for a loop that never ends or a promise that never settles, and stop when ctx.signal aborts`, true);
        return obs(`Error: ${err.message}.`, { error: "timeout", sandboxMs });
      }
      return obs(`Error: tool "${raw.name}" failed: ${(err as Error)?.message ?? String(err)}`, { error: "tool_error", sandboxMs });
    }
  }
}
