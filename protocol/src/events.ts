import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { RunStatus, RunSummary } from "./run.js";
import { TrajectorySummary } from "./trajectory.js";

export const RunStatusEvent = Type.Object({
  status: RunStatus,
  summary: Type.Optional(RunSummary),
  error: Type.Optional(Type.String()),
  /** A training run's last checkpoint directory (on pause, finish, cancel). */
  checkpoint: Type.Optional(Type.String()),
});
export type RunStatusEvent = Static<typeof RunStatusEvent>;

export const TrajectoryStartedEvent = Type.Object({ trajectoryId: Type.String(), taskId: Type.String(), groupId: Type.String(), sampleIndex: Type.Integer(), attempt: Type.Integer() });
export type TrajectoryStartedEvent = Static<typeof TrajectoryStartedEvent>;

export const TrajectoryTurnEvent = Type.Object({
  trajectoryId: Type.String(),
  turn: Type.Integer(),
  toolCalls: Type.Array(Type.String()),
  observationErrors: Type.Array(Type.String()),
  durationMs: Type.Number(),
});
export type TrajectoryTurnEvent = Static<typeof TrajectoryTurnEvent>;

/** The finished trajectory's list row, so a viewer adds it without asking for the page again. */
export const TrajectoryFinishedEvent = TrajectorySummary;
export type TrajectoryFinishedEvent = Static<typeof TrajectoryFinishedEvent>;

export const RunMetricsEvent = Type.Object({
  step: Type.Integer(),
  values: Type.Record(Type.String(), Type.Number()),
  /** A training step's rollout run (a child run holding that step's trajectories). */
  rolloutRunId: Type.Optional(Type.String()),
});
export type RunMetricsEvent = Static<typeof RunMetricsEvent>;

/** The advantages of one group, set once every sample of its task is stored (or after a rescore). */
export const GroupAdvantagesEvent = Type.Object({
  groupId: Type.String(),
  items: Type.Array(Type.Object({ trajectoryId: Type.String(), advantage: Type.Union([Type.Number(), Type.Null()]) })),
});
export type GroupAdvantagesEvent = Static<typeof GroupAdvantagesEvent>;

/**
 * The trainer's per-token logprobs of these trajectories are stored on their turns (after the training
 * step that recomputed them); a viewer showing one of them re-reads it for the token lens.
 */
export const TrajectoryLogprobsEvent = Type.Object({
  /** The training step (of the training run) that recomputed them. */
  step: Type.Integer(),
  trajectoryIds: Type.Array(Type.String()),
});
export type TrajectoryLogprobsEvent = Static<typeof TrajectoryLogprobsEvent>;

/** What an in-flight episode is waiting on. */
export const EpisodePhase = Type.Union([Type.Literal("sandbox"), Type.Literal("policy"), Type.Literal("tool"), Type.Literal("reward")]);
export type EpisodePhase = Static<typeof EpisodePhase>;

/** An episode moved on: it now waits on `phase` (for a tool, `detail` names it). Progress resets the stall clock. */
export const TrajectoryPhaseEvent = Type.Object({ trajectoryId: Type.String(), turn: Type.Integer(), phase: EpisodePhase, detail: Type.Optional(Type.String()) });
export type TrajectoryPhaseEvent = Static<typeof TrajectoryPhaseEvent>;

/** An episode made no progress for longer than the run's stall threshold (once per phase it stalls in). */
export const EpisodeStalledEvent = Type.Object({
  trajectoryId: Type.String(),
  taskId: Type.String(),
  sampleIndex: Type.Integer(),
  turn: Type.Integer(),
  phase: EpisodePhase,
  detail: Type.Optional(Type.String()),
  /** Time since the episode last made progress. */
  sinceMs: Type.Number(),
  thresholdMs: Type.Number(),
});
export type EpisodeStalledEvent = Static<typeof EpisodeStalledEvent>;

export const LogEvent = Type.Object({ level: Type.Union([Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")]), message: Type.String() });
export type LogEvent = Static<typeof LogEvent>;

/** Each event type with the schema of its `data`: the one list the union below is built from. */
export const RunEventData = {
  "run.status": RunStatusEvent,
  "trajectory.started": TrajectoryStartedEvent,
  "trajectory.turn": TrajectoryTurnEvent,
  "trajectory.finished": TrajectoryFinishedEvent,
  "run.metrics": RunMetricsEvent,
  "group.advantages": GroupAdvantagesEvent,
  "trajectory.logprobs": TrajectoryLogprobsEvent,
  "trajectory.phase": TrajectoryPhaseEvent,
  "episode.stalled": EpisodeStalledEvent,
  log: LogEvent,
} as const;

export type RunEventType = keyof typeof RunEventData;
export const RunEventType = Type.Union(Object.keys(RunEventData).map((k) => Type.Literal(k)));
/** The `data` of an event of type `T`. */
export type RunEventDataOf<T extends RunEventType> = Static<(typeof RunEventData)[T]>;

function eventOf<T extends RunEventType, D extends TSchema>(type: T, data: D) {
  // `seq` is the resumable stream id (strictly increasing).
  return Type.Object({ seq: Type.Integer(), runId: Type.String(), ts: Type.Integer(), type: Type.Literal(type), data });
}

/** One entry of the event stream, discriminated by `type`: narrowing on `type` types `data`. */
export const RunEvent = Type.Union([
  eventOf("run.status", RunStatusEvent),
  eventOf("trajectory.started", TrajectoryStartedEvent),
  eventOf("trajectory.turn", TrajectoryTurnEvent),
  eventOf("trajectory.finished", TrajectoryFinishedEvent),
  eventOf("run.metrics", RunMetricsEvent),
  eventOf("group.advantages", GroupAdvantagesEvent),
  eventOf("trajectory.logprobs", TrajectoryLogprobsEvent),
  eventOf("trajectory.phase", TrajectoryPhaseEvent),
  eventOf("episode.stalled", EpisodeStalledEvent),
  eventOf("log", LogEvent),
]);
export type RunEvent = Static<typeof RunEvent>;
/** The event of type `T`. */
export type RunEventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

// Compile-time check that the union and the table above list the same types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const unionMatchesTable: Same<RunEvent["type"], RunEventType> = true;
void unionMatchesTable;

/**
 * Whether a value from another program (an event off the wire) is a RunEvent this code knows:
 * checked against the schema, so nothing reads an event of a type or shape it does not expect.
 */
export function isRunEvent(v: unknown): v is RunEvent {
  return Value.Check(RunEvent, v);
}
