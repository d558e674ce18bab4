/** Returned by `acquire`: call once to give the slot back (extra calls do nothing). */
export type Release = () => void;

/** What the rollout engine takes as `deps.limiter`: one sandbox slot per episode in flight. */
export interface SandboxLimiter {
  acquire(runId: string): Promise<Release>;
}

export interface LimiterStats {
  limit: number;
  inUse: number;
  /** Slots held per run. */
  held: Record<string, number>;
  /** Waiters per run. */
  waiting: Record<string, number>;
}

interface Waiter {
  resolve: (release: Release) => void;
  reject: (err: Error) => void;
}

/**
 * One global limit on concurrent sandboxes shared by every run of the server. A freed slot goes to
 * the waiting run that holds the fewest slots, ties served round-robin, so a run with 200 queued
 * episodes cannot starve runs that asked later: the runs' shares converge to limit / runs.
 */
export class FairLimiter implements SandboxLimiter {
  private inUse = 0;
  private readonly queues = new Map<string, Waiter[]>();
  /** Runs with waiters, in the order they get their next turn. */
  private readonly rotation: string[] = [];
  private readonly held = new Map<string, number>();

  constructor(private limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`sandbox limit must be a positive integer, got ${limit}`);
  }

  acquire(runId: string): Promise<Release> {
    return new Promise<Release>((resolve, reject) => {
      let q = this.queues.get(runId);
      if (!q) {
        q = [];
        this.queues.set(runId, q);
        this.rotation.push(runId);
      }
      q.push({ resolve, reject });
      this.dispatch();
    });
  }

  /** Fails every waiter of a run (it was cancelled or paused); slots it holds stay held until released. */
  dropWaiters(runId: string, reason = `run ${runId} stopped waiting for a sandbox`): number {
    const q = this.queues.get(runId);
    if (!q) return 0;
    this.queues.delete(runId);
    const i = this.rotation.indexOf(runId);
    if (i >= 0) this.rotation.splice(i, 1);
    for (const w of q) w.reject(new Error(reason));
    return q.length;
  }

  setLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`sandbox limit must be a positive integer, got ${limit}`);
    this.limit = limit;
    this.dispatch();
  }

  stats(): LimiterStats {
    const waiting: Record<string, number> = {};
    for (const [run, q] of this.queues) waiting[run] = q.length;
    return { limit: this.limit, inUse: this.inUse, held: Object.fromEntries(this.held), waiting };
  }

  private dispatch(): void {
    while (this.inUse < this.limit && this.rotation.length > 0) {
      // The waiting run holding the fewest slots goes next; ties go by turn order (round-robin).
      let pick = 0;
      for (let i = 1; i < this.rotation.length; i++) {
        if ((this.held.get(this.rotation[i] as string) ?? 0) < (this.held.get(this.rotation[pick] as string) ?? 0)) pick = i;
      }
      const runId = this.rotation.splice(pick, 1)[0] as string;
      const q = this.queues.get(runId);
      const waiter = q?.shift();
      if (!q || !waiter) continue;
      // Back of the line if it still has waiters: that is the round-robin among equals.
      if (q.length > 0) this.rotation.push(runId);
      else this.queues.delete(runId);
      this.inUse += 1;
      this.held.set(runId, (this.held.get(runId) ?? 0) + 1);
      waiter.resolve(this.releaser(runId));
    }
  }

  private releaser(runId: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= 1;
      const n = (this.held.get(runId) ?? 1) - 1;
      if (n > 0) this.held.set(runId, n);
      else this.held.delete(runId);
      this.dispatch();
    };
  }
}
