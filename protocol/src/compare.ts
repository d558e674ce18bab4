import { Type, type Static } from "@sinclair/typebox";

/** Query of `GET /v1/runs/{a}/compare/{b}`. */
export const RunComparisonQuery = Type.Object(
  {
    threshold: Type.Optional(Type.Number({ description: "a task counts as solved in a run when its mean reward is at least this (default 0.5)" })),
  },
  { additionalProperties: false },
);
export type RunComparisonQuery = Static<typeof RunComparisonQuery>;

const Side = Type.Object({
  /** Mean reward over the task's scored samples; null when none was scored (or the run lacks the task). */
  mean: Type.Union([Type.Number(), Type.Null()]),
  samples: Type.Integer({ minimum: 0 }),
  solved: Type.Boolean(),
  /** The task's trajectories in this run, by sample index (to open or diff them). */
  trajectoryIds: Type.Array(Type.String()),
});

/** One task of two runs side by side; `flip` says how its solved state changed from run a to run b. */
export const TaskComparison = Type.Object({
  taskId: Type.String(),
  a: Side,
  b: Side,
  delta: Type.Union([Type.Number(), Type.Null()]),
  flip: Type.Union([Type.Literal("gained"), Type.Literal("lost"), Type.Null()]),
});
export type TaskComparison = Static<typeof TaskComparison>;

/** Two runs (or two training steps) on the same tasks: reward per task, flipped tasks first. */
export const RunComparison = Type.Object({
  a: Type.String(),
  b: Type.String(),
  threshold: Type.Number(),
  /** Tasks both runs have; tasks in one run only are listed with the other side empty. */
  shared: Type.Integer({ minimum: 0 }),
  gained: Type.Integer({ minimum: 0 }),
  lost: Type.Integer({ minimum: 0 }),
  /** Mean of the per-task means over the tasks both runs scored. */
  meanA: Type.Union([Type.Number(), Type.Null()]),
  meanB: Type.Union([Type.Number(), Type.Null()]),
  /** Flipped tasks first (lost, then gained), then by |delta|, largest first. */
  tasks: Type.Array(TaskComparison),
});
export type RunComparison = Static<typeof RunComparison>;
