import type { Message, Task } from "@agentrl/protocol";
import type { SandboxHandle } from "@agentrl/sdk";
import { BundleCodeError, BundleLoadError, BundleProcess, BundleProcessLost, BundleTimeoutError, type BundleCallOptions } from "../bundle/process.js";
import { isBundleFunction } from "./description.js";

/** An idle environment process (no episode open, no call in flight) is stopped after this long; the next call starts a fresh one. */
const IDLE_STOP_MS = 30_000;

/**
 * The environment's code failed in a way that ends the episode as an environment error: a hook or
 * tool ran past its time limit (its process was stopped and replaced), or ended its process.
 */
export class EnvCodeError extends Error {
  constructor(
    message: string,
    readonly timeout: boolean,
  ) {
    super(message);
    this.name = "EnvCodeError";
  }
}

/**
 * The environment's process was replaced under this episode because of another episode's call (a
 * tool that looped there): this episode's state is gone through no fault of its own; it is retried.
 */
export class EnvHostReplaced extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvHostReplaced";
  }
}

/** What the environment shows at the start of an episode (its `system` and `prompt` functions' results). */
export interface EpisodeOpening {
  system?: string;
  prompt?: string | Message[];
}

function fixFor(what: string): string {
  return what.startsWith("tool ")
    ? "make the tool's run function return within its time limit (the tool's timeoutMs, default the environment's stepTimeoutMs): look for a loop that never ends or a promise that never settles, and stop when ctx.signal aborts"
    : `make ${what} return within its time limit (look for a loop that never ends or a promise that never settles), or raise the limit`;
}

function plain(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * The process an environment's bundle code runs in (one per loaded environment, shared by its
 * episodes; bundle/process.ts: no secrets, no store, no Docker socket, no network). The runner asks
 * it to describe the definition, then runs hooks and tools through it, each with a time limit; an
 * endless loop kills the process, which the next call replaces. Started on first use, stopped idle.
 */
export class EnvHost {
  private proc: BundleProcess | null = null;
  private described: Record<string, unknown> = {};
  private openEpisodes = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextEpisode = 0;

  constructor(readonly bundlePath: string) {}

  /**
   * The module's exports as data (default export described, functions as markers). Throws the
   * process's own errors (bundle/process.ts): BundleLoadError when the module throws, exits or hangs
   * while loading; the caller names them as problems of the env file.
   */
  async describe(): Promise<Record<string, unknown>> {
    try {
      const mod = plain(await this.process().call("describe", {}, { what: "describing the environment", timeoutMs: 30_000 }));
      this.described = plain(mod.default);
      return mod;
    } finally {
      this.maybeIdle();
    }
  }

  private has(key: string): boolean {
    return isBundleFunction(this.described[key]);
  }

  /** Whether episodes need state in the process: the env has per-episode hooks or tools that run there. */
  private needsEpisode(): boolean {
    const tools = Array.isArray(this.described.tools) ? (this.described.tools as unknown[]) : [];
    return ["initState", "system", "prompt", "setup"].some((k) => this.has(k)) || tools.some((t) => isBundleFunction(plain(t).run));
  }

  /** Opens an episode: its state (initState) is made and kept in the process; `system` and `prompt` run there. */
  async openEpisode(task: Task, timeoutMs: number): Promise<EpisodeHost> {
    if (!this.needsEpisode()) return new EpisodeHost(this, null, "", {});
    const id = `e${++this.nextEpisode}`;
    const proc = this.process();
    this.openEpisodes++;
    try {
      const opened = plain(await this.invoke(proc, "open", { episode: id, task }, { what: "initState, system and prompt", timeoutMs }));
      const opening: EpisodeOpening = {};
      if (typeof opened.system === "string") opening.system = opened.system;
      if (typeof opened.prompt === "string" || Array.isArray(opened.prompt)) opening.prompt = opened.prompt as string | Message[];
      return new EpisodeHost(this, proc, id, opening);
    } catch (err) {
      this.episodeClosed(proc, id);
      throw err;
    }
  }

  /** A command tool's `command(args, task)`: the command to run in the sandbox. */
  async command(tool: string, args: Record<string, unknown>, task: Task, timeoutMs: number): Promise<string | string[]> {
    return commandValue(await this.invoke(null, "command", { name: tool, args, task }, { what: `the command of tool "${tool}"`, timeoutMs }), `tool "${tool}"`);
  }

  /** A command reward's `command(task)`. */
  async rewardCommand(reward: string, task: Task, timeoutMs: number): Promise<string | string[]> {
    return commandValue(await this.invoke(null, "rewardCommand", { name: reward, task }, { what: `the command of reward "${reward}"`, timeoutMs }), `reward "${reward}"`);
  }

  /** Stops the process (the run is over); a later call starts a fresh one. */
  async close(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p) return;
    p.kill("the environment was closed");
    await p.whenExited();
  }

  /** The live process, started when there is none (the first call, or after one was stopped). */
  private process(): BundleProcess {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.proc?.alive) this.proc = new BundleProcess(this.bundlePath);
    return this.proc;
  }

  /** Runs one call; `proc` pins it to the process an episode's state lives in (null: the live one). */
  async invoke(proc: BundleProcess | null, op: string, args: unknown, opts: BundleCallOptions): Promise<unknown> {
    const p = proc ?? this.process();
    if (proc && proc !== this.proc) throw new EnvHostReplaced(`the environment's process was replaced since this episode started (${opts.what} cannot run without the episode's state)`);
    try {
      return await p.call(op, args, opts);
    } catch (err) {
      throw translate(err, opts.what);
    } finally {
      this.maybeIdle();
    }
  }

  episodeClosed(proc: BundleProcess | null, id: string): void {
    if (!proc) return;
    this.openEpisodes--;
    if (proc.alive) proc.call("close", { episode: id }, { what: "closing an episode", timeoutMs: 5_000 }).catch(() => {}).finally(() => this.maybeIdle());
    else this.maybeIdle();
  }

  private maybeIdle(): void {
    const p = this.proc;
    if (!p || this.openEpisodes > 0 || p.inFlight > 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.proc === p && this.openEpisodes === 0 && p.inFlight === 0) {
        this.proc = null;
        p.kill("idle");
      }
    }, IDLE_STOP_MS);
    this.idleTimer.unref();
  }
}

function commandValue(v: unknown, what: string): string | string[] {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === "string")) return v as string[];
  throw new Error(`the command of ${what} returned ${JSON.stringify(v)?.slice(0, 100)}; it must return a string or a non-empty array of strings`);
}

/** A failure of the process as the episode sees it (BundleCodeError, the code's own throw, passes through). */
function translate(err: unknown, what: string): unknown {
  if (err instanceof BundleTimeoutError) return new EnvCodeError(`${err.message}: the environment's process running it was stopped and replaced. Fix: ${fixFor(what)}`, true);
  if (err instanceof BundleProcessLost) {
    return err.byRunner ? new EnvHostReplaced(err.message) : new EnvCodeError(`${err.message}. Fix: environment code must not end its process (process.exit) or exhaust its memory`, false);
  }
  if (err instanceof BundleLoadError) return new EnvCodeError(`the environment module could not be loaded: ${err.message}. Fix: make importing env.ts succeed (no throw, no process.exit, no endless loop at the top level)`, false);
  return err instanceof BundleCodeError || err instanceof Error ? err : new Error(String(err));
}

/** One episode's side of the env host: its opening, its setup and its tools, run where its state lives. */
export class EpisodeHost {
  private closed = false;

  constructor(
    private readonly host: EnvHost,
    private readonly proc: BundleProcess | null,
    private readonly id: string,
    readonly opening: EpisodeOpening,
  ) {}

  setup(sandbox: SandboxHandle, timeoutMs: number): Promise<void> {
    return this.host.invoke(this.proc, "setup", { episode: this.id }, { what: "setup", timeoutMs, sandbox }).then(() => undefined);
  }

  /** A `run` tool; `kill` is the caller's time limit (toolset.ts measures it), `signal` the tool's own ctx.signal. */
  tool(name: string, args: Record<string, unknown>, ctx: { sandbox: SandboxHandle; turn: number; signal: AbortSignal; kill: AbortSignal }): Promise<unknown> {
    return this.host.invoke(this.proc, "tool", { episode: this.id, name, args, turn: ctx.turn }, { what: `tool "${name}"`, sandbox: ctx.sandbox, signal: ctx.signal, kill: ctx.kill });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.episodeClosed(this.proc, this.id);
  }
}
