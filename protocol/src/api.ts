import { Type, type Static } from "@sinclair/typebox";
import { RunEvent } from "./events.js";
import { MetricPoint, PolicyConfig, Run, RunConfig } from "./run.js";
import { Estimator, TrainParams } from "./train.js";
import { AdvantageSource, RewardError, Trajectory, TrajectorySummary } from "./trajectory.js";

/**
 * The runner's HTTP API and event stream, defined once: the server validates requests with these
 * schemas, the OpenAPI document is generated from them, and clients get the same TS types.
 */

/**
 * Re-exported so runner code names schema types through this package: the compiled protocol
 * declarations sit outside protocol/'s "type": "module" scope and see TypeBox's CommonJS typings,
 * whose `Kind` symbol differs from the ESM one a direct import would give.
 */
export type { Static, TSchema } from "@sinclair/typebox";

export const API_VERSION = "v1";
export const DEFAULT_RUNNER_PORT = 7420;

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: "stable machine-readable code" }),
    message: Type.String({ description: "what went wrong and how to fix it" }),
    field: Type.Optional(Type.String({ description: "the offending field, e.g. body.groupSize" })),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const Health = Type.Object({
  ok: Type.Boolean(),
  version: Type.String(),
  api: Type.Literal("v1"),
  uptimeS: Type.Number(),
});
export type Health = Static<typeof Health>;

export const EnvironmentBundle = Type.Object({
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$", description: "hash of the uploaded tar.gz; names the environment" }),
  bytes: Type.Integer({ minimum: 0 }),
  files: Type.Integer({ minimum: 0 }),
  uploadedAt: Type.Integer({ description: "ms since epoch" }),
  name: Type.Optional(Type.String()),
});
export type EnvironmentBundle = Static<typeof EnvironmentBundle>;

export const EnvironmentUploaded = Type.Composite([EnvironmentBundle, Type.Object({ created: Type.Boolean({ description: "false when the same bundle was already stored" }) })]);
export type EnvironmentUploaded = Static<typeof EnvironmentUploaded>;

export const EnvironmentList = Type.Object({ items: Type.Array(EnvironmentBundle) });
export type EnvironmentList = Static<typeof EnvironmentList>;

/** First client message on `/v1/events` when the URL has no `?after=`. */
export const StreamSubscribe = Type.Object({
  after: Type.Integer({ minimum: 0, description: "last seq the client has; 0 for everything" }),
  runId: Type.Optional(Type.String({ description: "only this run's events" })),
});
export type StreamSubscribe = Static<typeof StreamSubscribe>;

/** Query of `/v1/events`: without `after`, the first client message must be a StreamSubscribe. */
export const StreamQuery = Type.Partial(StreamSubscribe, { additionalProperties: false });
export type StreamQuery = Static<typeof StreamQuery>;

/** Server messages on `/v1/events`. `live` marks the moment the client has caught up with the log. */
export const StreamFrame = Type.Union([
  Type.Object({ kind: Type.Literal("ready"), after: Type.Integer() }),
  Type.Object({ kind: Type.Literal("event"), event: RunEvent }),
  Type.Object({ kind: Type.Literal("live"), seq: Type.Integer() }),
]);
export type StreamFrame = Static<typeof StreamFrame>;

/** Close code of a client dropped for reading too slowly; the close reason is JSON `StreamDropped`. */
export const STREAM_CLOSE_SLOW_CONSUMER = 4000;
export const StreamDropped = Type.Object({ resumeAfter: Type.Integer({ description: "last seq written to the client; reconnect with ?after= your own last seq" }) });
export type StreamDropped = Static<typeof StreamDropped>;

export const RunList = Type.Object({ items: Type.Array(Run) });
export type RunList = Static<typeof RunList>;

/** Body of `POST /v1/runs`: a run config whose environment is an uploaded bundle (by hash) instead of a folder. */
export const CreateRunRequest = Type.Object(
  {
    env: Type.String({ pattern: "^[0-9a-f]{64}$", description: "sha256 returned by POST /v1/environments" }),
    /** Required for a rollout run; a training run is served by the runner's trainer. */
    policy: Type.Optional(PolicyConfig),
    tasks: Type.Optional(RunConfig.properties.tasks),
    taskIds: Type.Optional(RunConfig.properties.taskIds),
    group: Type.Integer({ minimum: 1, maximum: 1024 }),
    concurrency: Type.Integer({ minimum: 1, maximum: 1024 }),
    maxTurns: Type.Optional(RunConfig.properties.maxTurns),
    rewardComposition: Type.Optional(RunConfig.properties.rewardComposition),
    maxInfraRetries: Type.Optional(RunConfig.properties.maxInfraRetries),
    stallAfterS: Type.Optional(RunConfig.properties.stallAfterS),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    kind: Type.Optional(Type.Union([Type.Literal("rollout"), Type.Literal("train")], { description: "rollout (default): collect and score; train: rollouts on the runner's trainer, one policy update per step" })),
    train: Type.Optional(TrainParams),
  },
  { additionalProperties: false },
);
export type CreateRunRequest = Static<typeof CreateRunRequest>;

export const TrajectoryPageQuery = Type.Object(
  {
    minReward: Type.Optional(Type.Number()),
    maxReward: Type.Optional(Type.Number()),
    taskId: Type.Optional(Type.String()),
    groupId: Type.Optional(Type.String()),
    hasError: Type.Optional(Type.Boolean()),
    text: Type.Optional(Type.String({ maxLength: 500, description: "case-insensitive search in messages, tool calls and observations" })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type TrajectoryPageQuery = Static<typeof TrajectoryPageQuery>;

export const TrajectoryPage = Type.Object({
  items: Type.Array(TrajectorySummary),
  total: Type.Integer({ minimum: 0 }),
  /** The last event seq committed when the page was read: a live viewer re-applies only the events after it. */
  seq: Type.Integer({ minimum: 0 }),
});
export type TrajectoryPage = Static<typeof TrajectoryPage>;

export const TrajectoryResponse = Trajectory;

export const MetricSeries = Type.Object({ items: Type.Array(MetricPoint) });
export type MetricSeries = Static<typeof MetricSeries>;

export const EventPageQuery = Type.Object(
  { after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) },
  { additionalProperties: false },
);
export const EventPage = Type.Object({ items: Type.Array(RunEvent) });
export type EventPage = Static<typeof EventPage>;

/** Body of `POST /v1/runs/{id}/rescore`: re-run rewards (from a newly uploaded bundle, or the run's own) over a stored run. */
export const RescoreRequest = Type.Object(
  {
    env: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$", description: "uploaded bundle with the changed rewards; default: the run's own environment" })),
    save: Type.Optional(Type.Boolean({ description: "store the new rewards and advantages (default: only report them)" })),
  },
  { additionalProperties: false },
);
export type RescoreRequest = Static<typeof RescoreRequest>;

const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
export const RescoreReport = Type.Object({
  runId: Type.String(),
  envHash: Type.String(),
  trajectories: Type.Integer(),
  rescored: Type.Integer(),
  changed: Type.Integer(),
  meanBefore: NullableNumber,
  meanAfter: NullableNumber,
  saved: Type.Boolean(),
  estimator: Estimator,
  advantagesBefore: Type.Union([AdvantageSource, Type.Null()]),
  rows: Type.Array(
    Type.Object({
      id: Type.String(),
      taskId: Type.String(),
      groupId: Type.String(),
      before: NullableNumber,
      after: NullableNumber,
      componentsBefore: Type.Record(Type.String(), Type.Number()),
      componentsAfter: Type.Record(Type.String(), Type.Number()),
      advantageBefore: NullableNumber,
      advantageAfter: NullableNumber,
      errors: Type.Array(Type.String()),
      skipped: Type.Optional(Type.String()),
    }),
  ),
});
export type RescoreReport = Static<typeof RescoreReport>;

/** Try one reward (as uploaded now) on stored trajectories, without touching their stored scores. */
export const TryRewardRequest = Type.Object(
  {
    env: Type.String({ pattern: "^[0-9a-f]{64}$", description: "uploaded bundle with the reward as it is being written" }),
    reward: Type.String({ minLength: 1, description: "name of the reward to try" }),
    trajectoryIds: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 500, description: "only these trajectories of the run (default: the run's finished ones)" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: "at most this many trajectories (default 100)" })),
  },
  { additionalProperties: false },
);
export type TryRewardRequest = Static<typeof TryRewardRequest>;

export const TryRewardReport = Type.Object({
  runId: Type.String(),
  reward: Type.String(),
  envHash: Type.String(),
  /** Finished trajectories the run has (rows may be fewer: limit, or picked ids). */
  available: Type.Integer(),
  mean: NullableNumber,
  min: NullableNumber,
  max: NullableNumber,
  errors: Type.Integer(),
  rows: Type.Array(
    Type.Object({
      id: Type.String(),
      taskId: Type.String(),
      sampleIndex: Type.Integer(),
      /** The reward's value on its own (weight 1); null when it failed. */
      value: NullableNumber,
      components: Type.Record(Type.String(), Type.Number()),
      errors: Type.Array(RewardError),
      durationMs: Type.Number(),
    }),
  ),
});
export type TryRewardReport = Static<typeof TryRewardReport>;
