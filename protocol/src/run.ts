import { Type, type Static } from "@sinclair/typebox";
import { RewardComposition } from "./env.js";
import { TrainParams } from "./train.js";

export const RunStatus = Type.Union([
  Type.Literal("queued"),
  Type.Literal("running"),
  Type.Literal("paused"),
  Type.Literal("finished"),
  Type.Literal("failed"),
  Type.Literal("cancelled"),
]);
export type RunStatus = Static<typeof RunStatus>;

/** What a stored or returned secret (a policy `apiKey`) reads as: the value itself is never kept. */
export const REDACTED_SECRET = "[redacted]";

/** How a run reaches its policy: an OpenAI-compatible URL, a scripted file, or the do-nothing policy. */
export const PolicyConfig = Type.Object({
  /** `noop`, `scripted:FILE`, `lazy:KIND[:FILE]` (empty, echo, wrong-value, every-tool, give-up), or an http(s) base URL of an OpenAI-compatible server. */
  spec: Type.String(),
  model: Type.Optional(Type.String()),
  /** Sent as the bearer token; kept only in memory while the run is live (stored and returned as REDACTED_SECRET). */
  apiKey: Type.Optional(Type.String()),
  stream: Type.Optional(Type.Boolean()),
  /** native: OpenAI `tools`; hermes: tools described in the system prompt, calls parsed from `<tool_call>` text; auto: native, plus text parsing when no native calls come back. */
  toolFormat: Type.Optional(Type.Union([Type.Literal("native"), Type.Literal("hermes"), Type.Literal("auto")])),
  temperature: Type.Optional(Type.Number()),
  maxTokens: Type.Optional(Type.Integer()),
  timeoutMs: Type.Optional(Type.Integer()),
  retries: Type.Optional(Type.Integer()),
  returnTokenIds: Type.Optional(Type.Boolean()),
  /** The policy version (trainer updates) being served: stamped on every turn of the run (training steps set it). */
  policyVersion: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type PolicyConfig = Static<typeof PolicyConfig>;

export const RunConfig = Type.Object({
  envDir: Type.String(),
  policy: PolicyConfig,
  /** Number of tasks (first N of the dataset); absent = every task once. */
  tasks: Type.Optional(Type.Integer({ minimum: 1 })),
  taskIds: Type.Optional(Type.Array(Type.String())),
  group: Type.Integer({ minimum: 1 }),
  concurrency: Type.Integer({ minimum: 1 }),
  maxTurns: Type.Optional(Type.Integer({ minimum: 1 })),
  rewardComposition: Type.Optional(RewardComposition),
  /** How many times one episode is restarted after an infrastructure failure. */
  maxInfraRetries: Type.Optional(Type.Integer({ minimum: 0 })),
  name: Type.Optional(Type.String()),
  kind: Type.Optional(Type.Union([Type.Literal("rollout"), Type.Literal("train"), Type.Literal("preflight")])),
  /** A training run's parameters (kind "train"). */
  train: Type.Optional(TrainParams),
  /** An episode with no progress (policy answer, tool result, reward) for this long is flagged as stalled (default 120). */
  stallAfterS: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
  /** A fork run: one episode branched from a stored trajectory at a turn (see ForkRequest). */
  fork: Type.Optional(
    Type.Object({
      trajectoryId: Type.String(),
      turn: Type.Integer({ minimum: 0 }),
      restoredBy: Type.Union([Type.Literal("snapshot"), Type.Literal("replay")]),
    }),
  ),
  /** The training run a step's rollout run belongs to: it is resumed (or not) with its parent. */
  parentRunId: Type.Optional(Type.String()),
});
export type RunConfig = Static<typeof RunConfig>;

export const RunSummary = Type.Object({
  episodes: Type.Integer(),
  trajectories: Type.Integer(),
  /** Trajectories with any error (agent, policy, environment, infra or reward). */
  errors: Type.Integer(),
  agentErrors: Type.Integer(),
  /** Tasks the environment could not set up (a failing setup step, an image that does not build); absent in older summaries. */
  envErrors: Type.Optional(Type.Integer()),
  infraErrors: Type.Integer(),
  rewardErrors: Type.Integer(),
  /** Episodes restarted after an infrastructure failure (recovered or not). */
  infraRetries: Type.Integer(),
  meanReward: Type.Union([Type.Number(), Type.Null()]),
  componentMeans: Type.Record(Type.String(), Type.Number()),
  zeroVarianceGroups: Type.Integer(),
  groups: Type.Integer(),
  meanTurns: Type.Number(),
  meanToolCalls: Type.Number(),
  durationMs: Type.Number(),
  episodesPerS: Type.Number(),
  stepsPerS: Type.Number(),
});
export type RunSummary = Static<typeof RunSummary>;

export const Run = Type.Object({
  id: Type.String(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  status: RunStatus,
  config: RunConfig,
  envName: Type.String(),
  envHash: Type.String(),
  summary: Type.Union([RunSummary, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
export type Run = Static<typeof Run>;

export const MetricPoint = Type.Object({
  runId: Type.String(),
  step: Type.Integer(),
  ts: Type.Integer(),
  values: Type.Record(Type.String(), Type.Number()),
});
export type MetricPoint = Static<typeof MetricPoint>;
