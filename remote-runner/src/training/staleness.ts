import type { Trajectory } from "@agentrl/protocol";

/**
 * The staleness bound of asynchronous rollouts. A trajectory is as stale as its oldest turn: the
 * number of updates the policy has taken since the weights that sampled that turn. Groups are kept
 * or dropped whole: GRPO's baseline is the group's mean, and a group with members missing would
 * give the rest wrong advantages. Dropping (rather than correcting) keeps the update's off-policy
 * distance bounded by construction; the ratio correction (recompute + truncated IS) still covers
 * the one-or-few updates of lag that are allowed.
 */
export interface StalenessReport {
  kept: Trajectory[];
  droppedGroups: number;
  droppedTrajectories: number;
  /** Over all trajectories given (before dropping): mean and max staleness in updates. */
  mean: number;
  max: number;
}

/** Staleness of one trajectory; turns without a recorded version count as `launchVersion`. */
export function trajectoryStaleness(t: Trajectory, currentVersion: number, launchVersion: number): number {
  const versions = t.turns.map((turn) => turn.policyVersion ?? launchVersion);
  const oldest = versions.length ? Math.min(...versions) : launchVersion;
  return Math.max(0, currentVersion - oldest);
}

export function applyStalenessBound(trajectories: Trajectory[], currentVersion: number, maxStaleness: number, launchVersion: number): StalenessReport {
  const staleness = new Map(trajectories.map((t) => [t.id, trajectoryStaleness(t, currentVersion, launchVersion)]));
  const staleGroups = new Set(trajectories.filter((t) => (staleness.get(t.id) ?? 0) > maxStaleness).map((t) => t.groupId));
  const kept = trajectories.filter((t) => !staleGroups.has(t.groupId));
  const values = [...staleness.values()];
  return {
    kept,
    droppedGroups: staleGroups.size,
    droppedTrajectories: trajectories.length - kept.length,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0,
    max: values.length ? Math.max(...values) : 0,
  };
}

/**
 * Busy time of one side of the loop (rollouts in flight, or the trainer updating), accumulated so a
 * step can report the share of its interval that side sat idle. Counts overlapping spans once.
 */
export class BusyClock {
  private active = 0;
  private since = 0;
  private busyMs = 0;
  constructor(private readonly now: () => number = () => performance.now()) {}

  start(): void {
    if (this.active++ === 0) this.since = this.now();
  }

  stop(): void {
    if (this.active <= 0) return;
    if (--this.active === 0) this.busyMs += this.now() - this.since;
  }

  /** Busy milliseconds so far, the span in progress included. */
  read(): number {
    return this.busyMs + (this.active > 0 ? this.now() - this.since : 0);
  }
}
