import type { ExecResult } from "@agentrl/protocol";
import type { ExecOptions, SandboxHandle } from "@agentrl/sdk";
import { SandboxError, type Sandbox } from "../sandbox/types.js";

/**
 * What scoring commands run with, over the container's own environment: Python ignores the user site
 * folder (the user site-packages under ~/.local is writable by the model, and a usercustomize.py there
 * would run inside every test).
 */
export const SCORING_ENV: Record<string, string> = { PYTHONNOUSERSITE: "1" };

/** An infrastructure failure during an episode: the episode is thrown away and started again. */
export class InfraFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InfraFailure";
  }
}

/**
 * The episode's sandbox, created on first use (a tool-only environment whose tools never touch the
 * sandbox needs no container). Counts time spent in the sandbox and remembers the first
 * infrastructure failure, so the engine can retry the episode even when the failing call was made
 * by a reward in a worker thread.
 */
export class EpisodeSandbox implements SandboxHandle {
  private sandbox: Promise<Sandbox> | null = null;
  private created: Sandbox | null = null;
  sandboxMs = 0;
  acquireMs = 0;
  infraError: InfraFailure | null = null;

  constructor(
    private readonly acquire: () => Promise<Sandbox>,
    private readonly release: (sb: Sandbox) => Promise<void>,
    private readonly defaultTimeoutMs: number,
  ) {}

  get started(): boolean {
    return this.sandbox !== null;
  }

  get id(): string | null {
    return this.created?.id ?? null;
  }

  private acquireStarted: number | null = null;

  /** Time spent waiting for the container so far, including a wait still in progress (not charged to a tool's time limit). */
  acquireElapsed(): number {
    return this.acquireMs + (this.acquireStarted !== null ? performance.now() - this.acquireStarted : 0);
  }

  private get(): Promise<Sandbox> {
    if (!this.sandbox) {
      const t0 = performance.now();
      this.acquireStarted = t0;
      this.sandbox = this.acquire().then(
        (sb) => {
          this.acquireStarted = null;
          this.acquireMs += performance.now() - t0;
          this.created = sb;
          return sb;
        },
        (err: unknown) => {
          this.acquireStarted = null;
          throw this.fail(err);
        },
      );
    }
    return this.sandbox;
  }

  /**
   * Turns a sandbox error into InfraFailure when it is one. A missing file, or a sandbox the model
   * filled to its process limit, is the agent's business: it reads the error, and its episode is
   * scored (after every process it started is ended) and trained on, never retried as infrastructure.
   */
  private async classify(err: unknown): Promise<unknown> {
    if (err instanceof InfraFailure) return err;
    if (err instanceof SandboxError) {
      if (err.code === "exec_failed" && this.created && !this.sealed && (await this.created.alive().catch(() => false))) return err;
      if (err.code === "file_error" && this.created && (await this.created.alive().catch(() => false))) return err;
      return this.fail(err);
    }
    return err;
  }

  private fail(err: unknown): InfraFailure {
    const f = err instanceof InfraFailure ? err : new InfraFailure(err instanceof Error ? err.message : String(err), { cause: err });
    this.infraError ??= f;
    return f;
  }

  private async timed<T>(fn: (sb: Sandbox) => Promise<T>): Promise<T> {
    if (this.infraError) throw this.infraError;
    const sb = await this.get();
    const t0 = performance.now();
    try {
      return await fn(sb);
    } catch (err) {
      throw await this.classify(err);
    } finally {
      this.sandboxMs += performance.now() - t0;
    }
  }

  /** Runs `fn` on the episode's container with the same accounting and failure handling as exec (env kinds use it). */
  use<T>(fn: (sb: Sandbox) => Promise<T>): Promise<T> {
    return this.timed(fn);
  }

  /** Set once the model's turn is over: commands from then on are the scorer's. */
  private sealed = false;

  /**
   * Ends the model's part of the sandbox before anything scores it: every process it started is
   * killed (a daemon it left cannot answer for a test or rewrite files mid-score), and commands run
   * from then on with a trusted environment. With the root filesystem read-only, the binaries and
   * libraries are the image's own; what remains is the writable areas: the final state being scored.
   */
  async sealForScoring(): Promise<void> {
    this.sealed = true;
    if (this.started) await this.timed((sb) => sb.killAll());
  }

  exec(cmd: string | string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const env = this.sealed ? { ...opts.env, ...SCORING_ENV } : opts.env;
    return this.timed((sb) => sb.exec({ cmd, stdin: opts.stdin, cwd: opts.cwd, env, timeoutMs: opts.timeoutMs ?? this.defaultTimeoutMs }));
  }

  readFile(path: string, opts: { maxBytes?: number } = {}): Promise<string> {
    return this.timed(async (sb) => (await sb.readFile(path, opts)).toString("utf8"));
  }

  writeFile(path: string, content: string): Promise<void> {
    return this.timed((sb) => sb.writeFile(path, content));
  }

  /** Stops the container now (an episode killed from outside): a command running in it ends with an error. */
  async kill(): Promise<void> {
    if (this.created) await this.created.destroy();
  }

  /** Gives the container back (destroyed by the pool); safe to call more than once. */
  async close(): Promise<void> {
    const p = this.sandbox;
    this.sandbox = null;
    if (!p) return;
    const sb = await p.catch(() => null);
    if (sb) await this.release(sb).catch(() => {});
  }
}
