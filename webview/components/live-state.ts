import type { LiveEpisode, LiveEpisodes, RunEvent } from "@agentrl/protocol";

/** One in-flight episode as the panel shows it; `progressAt` is this window's clock (no skew with the runner's). */
export type LiveRow = Omit<LiveEpisode, "sinceMs"> & { progressAt: number };

export type LiveState = Map<string, LiveRow>;

/** The runner's list of in-flight episodes, as of `now`. */
export function fromSnapshot(s: LiveEpisodes, now: number): LiveState {
  return new Map(s.episodes.map((e) => [e.trajectoryId, { trajectoryId: e.trajectoryId, taskId: e.taskId, sampleIndex: e.sampleIndex, attempt: e.attempt, turn: e.turn, phase: e.phase, ...(e.detail ? { detail: e.detail } : {}), progressAt: now - e.sinceMs, stalled: e.stalled }]));
}

/** Applies one run event received at `now`; returns the same map when the event changes nothing here. */
export function applyLiveEvent(state: LiveState, e: RunEvent, now: number): LiveState {
  const next = (): LiveState => new Map(state);
  switch (e.type) {
    case "trajectory.started": {
      const s = next();
      s.set(e.data.trajectoryId, { trajectoryId: e.data.trajectoryId, taskId: e.data.taskId, sampleIndex: e.data.sampleIndex, attempt: e.data.attempt, turn: 0, phase: "sandbox", progressAt: now, stalled: false });
      return s;
    }
    case "trajectory.phase": {
      const cur = state.get(e.data.trajectoryId);
      if (!cur) return state;
      const s = next();
      const { detail: _old, ...rest } = cur;
      s.set(cur.trajectoryId, { ...rest, turn: e.data.turn, phase: e.data.phase, ...(e.data.detail ? { detail: e.data.detail } : {}), progressAt: now, stalled: false });
      return s;
    }
    case "episode.stalled": {
      const cur = state.get(e.data.trajectoryId);
      if (!cur) return state;
      const s = next();
      s.set(cur.trajectoryId, { ...cur, stalled: true });
      return s;
    }
    case "trajectory.finished": {
      if (!state.has(e.data.id)) return state;
      const s = next();
      s.delete(e.data.id);
      return s;
    }
    case "run.status":
      return e.data.status === "running" || e.data.status === "paused" || e.data.status === "queued" ? state : new Map();
    default:
      return state;
  }
}
