import type { ChildProcess } from "node:child_process";
import { capabilityCall, type Capabilities } from "./capabilities.js";
import { spawnBundleProcess } from "./spawn.js";

/** How long a fresh process may take to load the bundle before its calls fail. */
export const BUNDLE_LOAD_LIMIT_MS = 60_000;

/** The bundle's code threw (or rejected); `bundleStack` is its stack in the bundle (map it with rewards/source-location.ts). */
export class BundleCodeError extends Error {
  constructor(
    message: string,
    readonly bundleStack: string | undefined,
  ) {
    super(message);
    this.name = "BundleCodeError";
  }
}

/** The bundle could not be loaded: its module threw, ended its process, or did not load in time. */
export class BundleLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleLoadError";
  }
}

/** The call ran past its time limit; its process was killed (an endless loop cannot be interrupted any other way). */
export class BundleTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleTimeoutError";
  }
}

/**
 * The process went away under a call that had started: `byRunner` when the runner killed it (another
 * call's time limit, closing), else the bundle's code ended it (process.exit) or the kernel did (memory).
 */
export class BundleProcessLost extends Error {
  constructor(
    message: string,
    readonly byRunner: boolean,
  ) {
    super(message);
    this.name = "BundleProcessLost";
  }
}

export interface BundleCallOptions extends Capabilities {
  /** What the call is, in messages: `tool "spin"`, `reward "exact"`. */
  what: string;
  /** Time limit from the moment the bundle is loaded; past it the process is killed. */
  timeoutMs?: number;
  /** Fires the call's own `signal` inside the process (cooperative cancellation). */
  signal?: AbortSignal;
  /** Kills the process from outside (a time limit measured by the caller; a string reason is the message); the call fails with BundleTimeoutError. */
  kill?: AbortSignal;
}

interface Pending {
  what: string;
  started: boolean;
  /** Armed when the process says the bundle is loaded. */
  limitMs: number | undefined;
  caps: Capabilities;
  timer: NodeJS.Timeout | null;
  resolve(v: unknown): void;
  reject(e: Error): void;
  cleanup(): void;
}

type FromChild =
  | { type: "started"; id: number }
  | { type: "capability"; of: number; id: number; method: unknown; args: unknown }
  | { type: "result"; id: number; value?: unknown; error?: unknown; stack?: unknown; loadError?: unknown };

function fromChild(m: unknown): FromChild | null {
  if (!m || typeof m !== "object") return null;
  const t = (m as { type?: unknown }).type;
  const id = (m as { id?: unknown }).id;
  if (typeof id !== "number") return null;
  if (t === "started" || t === "result") return m as FromChild;
  if (t === "capability" && typeof (m as { of?: unknown }).of === "number") return m as FromChild;
  return null;
}

/** Every live bundle process of this runner: killed when the runner exits, even where no parent-death signal is set (spawn.ts). */
const live = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  live.add(child);
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

/**
 * One bundle process (spawn.ts, child-source.ts) and the calls in flight on it. Every call has a
 * time limit; at it the whole process is killed (a synchronous loop leaves no other way), the call
 * fails with BundleTimeoutError and the others in flight with BundleProcessLost. The runner never
 * waits on bundle code without a limit, and its own thread never runs any.
 */
export class BundleProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private killedBecause: string | null = null;
  /**
   * The bundle has loaded (a call started). From then on a call that has not started is waiting
   * behind busy code, whose own time limit ends the wait; only loading has the load limit.
   */
  private loaded = false;
  /** Set once the process has exited, with how (code or signal). */
  exited: string | null = null;
  private readonly exitWaiters: (() => void)[] = [];

  constructor(
    readonly bundlePath: string,
    private readonly onGone: (p: BundleProcess) => void = () => {},
    private readonly loadLimitMs = BUNDLE_LOAD_LIMIT_MS,
  ) {
    this.child = spawnBundleProcess(bundlePath);
    track(this.child);
    this.child.on("message", (m: unknown) => this.onMessage(m));
    this.child.on("error", (err) => this.gone(`could not be started: ${err.message}`));
    this.child.on("exit", (code, signal) => this.gone(signal ? `signal ${signal}` : `exit code ${code}`));
    this.idle();
  }

  get alive(): boolean {
    return this.exited === null && this.killedBecause === null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call(op: string, args: unknown, opts: BundleCallOptions): Promise<unknown> {
    if (!this.alive) return Promise.reject(new BundleProcessLost(`the bundle process is gone (${this.killedBecause ?? this.exited})`, this.killedBecause !== null));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const onKill = (): void => {
        const reason: unknown = opts.kill?.reason;
        this.timedOut(id, typeof reason === "string" ? reason : `${opts.what} did not finish within its time limit`);
      };
      const onSignal = (): void => void (this.child.connected && this.child.send({ type: "abort", id }));
      const p: Pending = {
        what: opts.what,
        started: false,
        limitMs: opts.timeoutMs,
        caps: { sandbox: opts.sandbox, judge: opts.judge },
        timer: this.loaded ? null : setTimeout(() => this.loadTimedOut(), this.loadLimitMs),
        resolve,
        reject,
        cleanup: () => {
          if (p.timer) clearTimeout(p.timer);
          opts.kill?.removeEventListener("abort", onKill);
          opts.signal?.removeEventListener("abort", onSignal);
        },
      };
      this.pending.set(id, p);
      opts.kill?.addEventListener("abort", onKill, { once: true });
      opts.signal?.addEventListener("abort", onSignal, { once: true });
      this.busy();
      this.child.send({ type: "call", id, op, args });
    });
  }

  /** Kills the process (closing, or a caller's own limit); calls in flight fail with BundleProcessLost. */
  kill(reason: string): void {
    if (!this.alive) return;
    this.killedBecause = reason;
    this.child.ref();
    this.child.kill("SIGKILL");
  }

  /** Resolves once the process has exited (after kill, or by itself). */
  whenExited(): Promise<void> {
    if (this.exited !== null) return Promise.resolve();
    this.child.ref();
    return new Promise((r) => this.exitWaiters.push(r));
  }

  private settle(id: number, err: Error | null, value?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (err) p.reject(err);
    else p.resolve(value);
    if (this.pending.size === 0) this.idle();
  }

  private timedOut(id: number, message: string): void {
    const p = this.pending.get(id);
    if (!p || !this.alive) return;
    this.settle(id, new BundleTimeoutError(message));
    this.kill(`${p.what} ran past its time limit`);
  }

  private loadTimedOut(): void {
    if (!this.alive || this.loaded) return;
    for (const [id, p] of this.pending) if (!p.started) this.settle(id, new BundleLoadError(`the environment bundle did not load within ${this.loadLimitMs} ms (an endless loop at the top level of the module?)`));
    this.kill("the bundle did not load in time");
  }

  private onMessage(raw: unknown): void {
    const m = fromChild(raw);
    if (!m) return;
    if (m.type === "capability") {
      const p = this.pending.get(m.of);
      const answer = (msg: Record<string, unknown>): void => void (this.child.connected && this.child.send({ type: "capability-result", id: m.id, ...msg }));
      if (!p) return answer({ error: "the call that asked has ended" });
      capabilityCall(p.caps, m.method, m.args).then(
        (value) => answer({ value }),
        (err: unknown) => answer({ error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "started") {
      this.loaded = true;
      p.started = true;
      if (p.timer) clearTimeout(p.timer);
      const limit = p.limitMs;
      p.timer = limit === undefined ? null : setTimeout(() => this.timedOut(m.id, `${p.what} did not finish within ${limit} ms`), limit);
      return;
    }
    if (m.error === undefined) return this.settle(m.id, null, m.value);
    const message = String(m.error);
    this.settle(m.id, m.loadError ? new BundleLoadError(message) : new BundleCodeError(message, typeof m.stack === "string" ? m.stack : undefined));
  }

  private gone(how: string): void {
    if (this.exited !== null) return;
    this.exited = how;
    live.delete(this.child);
    for (const [id, p] of [...this.pending]) {
      // Stopped by the runner (another call's limit, closing): lost, whether or not this call had started.
      const err = this.killedBecause
        ? new BundleProcessLost(`the bundle process for ${p.what} was stopped: ${this.killedBecause}`, true)
        : !this.loaded
          ? new BundleLoadError(`the environment module ended its process while loading (${how}): top-level code must not call process.exit`)
          : new BundleProcessLost(`the bundle process ended (${how}) ${p.started ? "while running" : "before it ran"} ${p.what}`, false);
      this.settle(id, err);
    }
    for (const w of this.exitWaiters.splice(0)) w();
    this.onGone(this);
  }

  /** An idle process does not keep the runner alive; a busy one does until it answers. */
  private idle(): void {
    this.child.unref();
    (this.child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }
}
