import { Type, type Static } from "@sinclair/typebox";
import { RunStatus, RunSummary } from "./run.js";
import { TrajectorySummary } from "./trajectory.js";

export const RunEventType = Type.Union([
  Type.Literal("run.status"),
  Type.Literal("trajectory.started"),
  Type.Literal("trajectory.turn"),
  Type.Literal("trajectory.finished"),
  Type.Literal("run.metrics"),
  Type.Literal("log"),
]);
export type RunEventType = Static<typeof RunEventType>;

/** One entry of the event stream; `seq` is the resumable stream id (strictly increasing). */
export const RunEvent = Type.Object({
  seq: Type.Integer(),
  runId: Type.String(),
  ts: Type.Integer(),
  type: RunEventType,
  data: Type.Unknown(),
});
export type RunEvent = Static<typeof RunEvent>;

export const RunStatusEvent = Type.Object({ status: RunStatus, summary: Type.Optional(RunSummary), error: Type.Optional(Type.String()) });
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

export const TrajectoryFinishedEvent = TrajectorySummary;
export type TrajectoryFinishedEvent = Static<typeof TrajectoryFinishedEvent>;

export const RunMetricsEvent = Type.Object({ step: Type.Integer(), values: Type.Record(Type.String(), Type.Number()) });
export type RunMetricsEvent = Static<typeof RunMetricsEvent>;

export const LogEvent = Type.Object({ level: Type.Union([Type.Literal("info"), Type.Literal("warn"), Type.Literal("error")]), message: Type.String() });
export type LogEvent = Static<typeof LogEvent>;
