import type { EpisodePhase, LiveEpisode, LiveEpisodes as LiveEpisodesView, PolicyHealth } from "@agentrl/protocol";
import type { Store } from "../store/store.js";

export const DEFAULT_STALL_AFTER_S = 120;

/** Why an episode was stopped from outside; the engine turns it into an infrastructure failure (or a retry). */
export class EpisodeKilled extends Error {
  constructor(
    message: string,
    readonly requeue: boolean,
  ) {
    super(message);
    this.name = "EpisodeKilled";
  }
}

/** An in-flight episode: what the API lists (less the time, kept as when it last made progress) and how to stop it. */
type Entry = Omit<LiveEpisode, "sinceMs"> & {
  progressAt: number;
  kill: AbortController;
  /** Stops the episode's sandbox, so a command that ignores the abort ends too. */
  onKill?: () => Promise<void>;
};

/**
 * The in-flight episodes of one run: what each waits on (sandbox, policy, tool, reward) and since
 * when, fed by the episode loop. A watchdog flags an episode with no progress past the run's
 * threshold (an `episode.stalled` event and a warning, once per phase it stalls in); `kill` stops
 * one episode (its signal and its sandbox), to end it as an infrastructure failure or to run it again.
 */
export class LiveEpisodes {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;
  private lastAnswerAt: number | null = null;
  private lastError: string | null = null;

  constructor(
    readonly runId: string,
    private readonly store: Store,
    readonly stallAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.check(), Math.max(200, Math.min(1000, stallAfterMs / 4)));
    this.timer.unref();
  }

  /** An attempt of an episode starts (waiting on its sandbox); returns the signal that `kill` aborts. */
  start(e: { trajectoryId: string; taskId: string; sampleIndex: number; attempt: number }): AbortSignal {
    const kill = new AbortController();
    this.entries.set(e.trajectoryId, { ...e, turn: 0, phase: "sandbox", progressAt: this.now(), stalled: false, kill });
    return kill.signal;
  }

  /** Lets `kill` stop the episode's sandbox as well. */
  onKill(trajectoryId: string, fn: () => Promise<void>): void {
    const e = this.entries.get(trajectoryId);
    if (e) e.onKill = fn;
  }

  /** The episode made progress and now waits on `phase`. */
  phase(trajectoryId: string, turn: number, phase: EpisodePhase, detail?: string): void {
    const e = this.entries.get(trajectoryId);
    if (!e) return;
    if (e.phase === "policy" && phase !== "policy") this.lastAnswerAt = this.now();
    Object.assign(e, { turn, phase, detail, progressAt: this.now(), stalled: false });
    this.store.appendEvent(this.runId, "trajectory.phase", { trajectoryId, turn, phase, ...(detail ? { detail } : {}) });
  }

  /** The policy failed to answer (kept for the health line; the episode records its own error). */
  policyFailed(message: string): void {
    this.lastError = message;
  }

  end(trajectoryId: string): void {
    this.entries.delete(trajectoryId);
  }

  /** Stops an in-flight episode; false when it is not in flight (finished meanwhile). */
  kill(trajectoryId: string, requeue: boolean): boolean {
    const e = this.entries.get(trajectoryId);
    if (!e) return false;
    const why = `${requeue ? "requeued" : "killed"} from outside after ${Math.round((this.now() - e.progressAt) / 1000)} s waiting on ${e.phase}${e.detail ? ` (${e.detail})` : ""} at turn ${e.turn}`;
    e.kill.abort(new EpisodeKilled(why, requeue));
    void e.onKill?.().catch(() => {});
    this.store.appendEvent(this.runId, "log", { level: "warn", message: `trajectory ${trajectoryId}: ${why}` });
    return true;
  }

  private check(): void {
    const now = this.now();
    for (const e of this.entries.values()) {
      const sinceMs = now - e.progressAt;
      if (e.stalled || sinceMs < this.stallAfterMs) continue;
      e.stalled = true;
      const { trajectoryId, taskId, sampleIndex, turn, phase, detail } = e;
      this.store.appendEvent(this.runId, "episode.stalled", { trajectoryId, taskId, sampleIndex, turn, phase, ...(detail ? { detail } : {}), sinceMs, thresholdMs: this.stallAfterMs });
      this.store.appendEvent(this.runId, "log", { level: "warn", message: `trajectory ${trajectoryId} (task ${taskId}, sample ${sampleIndex}) stalled: no progress for ${Math.round(sinceMs / 1000)} s waiting on ${phase}${detail ? ` (${detail})` : ""} at turn ${turn}` });
    }
  }

  private health(now: number): PolicyHealth {
    const waits = [...this.entries.values()].filter((e) => e.phase === "policy").map((e) => now - e.progressAt);
    const longestWaitMs = waits.length ? Math.max(...waits) : 0;
    const lastAnswerAgoMs = this.lastAnswerAt === null ? null : now - this.lastAnswerAt;
    // Failing: its last word was an error and nobody got an answer since; slow: someone waits past the threshold.
    const state = this.lastError !== null && (lastAnswerAgoMs === null || lastAnswerAgoMs > longestWaitMs) ? "failing" : longestWaitMs >= this.stallAfterMs ? "slow" : waits.length || lastAnswerAgoMs !== null ? "ok" : "idle";
    return { state, lastAnswerAgoMs, lastError: this.lastError, waiting: waits.length, longestWaitMs };
  }

  view(): LiveEpisodesView {
    const now = this.now();
    const episodes: LiveEpisode[] = [...this.entries.values()].map((e) => ({
      trajectoryId: e.trajectoryId,
      taskId: e.taskId,
      sampleIndex: e.sampleIndex,
      attempt: e.attempt,
      turn: e.turn,
      phase: e.phase,
      ...(e.detail ? { detail: e.detail } : {}),
      sinceMs: now - e.progressAt,
      stalled: e.stalled,
    }));
    return { runId: this.runId, stallAfterMs: this.stallAfterMs, episodes, policy: this.health(now) };
  }

  close(): void {
    clearInterval(this.timer);
    this.entries.clear();
  }
}

/** The live episodes of every run in this process, by run id (the API reads and kills through it). */
export class LiveEpisodeRegistry {
  private readonly runs = new Map<string, LiveEpisodes>();

  open(runId: string, store: Store, stallAfterS = DEFAULT_STALL_AFTER_S): LiveEpisodes {
    this.runs.get(runId)?.close();
    const live = new LiveEpisodes(runId, store, stallAfterS * 1000);
    this.runs.set(runId, live);
    return live;
  }

  get(runId: string): LiveEpisodes | undefined {
    return this.runs.get(runId);
  }

  close(runId: string): void {
    this.runs.get(runId)?.close();
    this.runs.delete(runId);
  }
}

/** `p`, or the kill's reason as soon as `killed` is aborted (the work itself is abandoned, its sandbox stopped). */
export function untilKilled<T>(p: Promise<T>, killed: AbortSignal | undefined): Promise<T> {
  if (!killed) return p;
  if (killed.aborted) return Promise.reject(killed.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onKill = (): void => reject(killed.reason as Error);
    killed.addEventListener("abort", onKill, { once: true });
    p.then(
      (v) => {
        killed.removeEventListener("abort", onKill);
        resolve(v);
      },
      (err: unknown) => {
        killed.removeEventListener("abort", onKill);
        reject(err as Error);
      },
    );
  });
}
