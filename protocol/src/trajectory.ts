import { Type, type Static } from "@sinclair/typebox";
import { BlobRef } from "./blob.js";
import { Message, ToolCall } from "./message.js";
import { Estimator } from "./train.js";

/** What the policy server said about one generation (token contract: vLLM-compatible `return_token_ids`). */
export const PolicyInfo = Type.Object({
  model: Type.Optional(Type.String()),
  finishReason: Type.Optional(Type.String()),
  latencyMs: Type.Number(),
  promptTokenIds: Type.Optional(Type.Array(Type.Integer())),
  completionTokenIds: Type.Optional(Type.Array(Type.Integer())),
  completionLogprobs: Type.Optional(Type.Array(Type.Number())),
  /** The text of each generated token (the server's `logprobs.content[].token`), for the token lens. */
  completionTokens: Type.Optional(Type.Array(Type.String())),
  /**
   * The trainer's logprob of each generated token, recomputed before its update (set once the
   * trajectory is trained on); beside `completionLogprobs` it shows sampler/trainer drift per token.
   */
  trainerLogprobs: Type.Optional(Type.Array(Type.Number())),
  /** Entropy of the sampling distribution at each generated token, where the server or trainer gives it. */
  completionEntropies: Type.Optional(Type.Array(Type.Number())),
  /**
   * Later turns of an episode: whether this turn's prompt ids extend the previous turn's prompt and
   * sampled ids exactly (the model conditioned on the tokens it sampled). False when the server
   * re-rendered the history from messages; such a turn trains as a sequence of its own.
   */
  tokenExact: Type.Optional(Type.Boolean()),
  usage: Type.Optional(Type.Object({ promptTokens: Type.Integer(), completionTokens: Type.Integer() })),
  /** Transport retries this turn needed. */
  retries: Type.Optional(Type.Integer()),
});
export type PolicyInfo = Static<typeof PolicyInfo>;

/** Why a tool call did not run normally; the model sees the message in `content`. */
export const ObservationError = Type.Union([
  Type.Literal("invalid_json"),
  Type.Literal("unknown_tool"),
  Type.Literal("invalid_arguments"),
  Type.Literal("tool_error"),
  Type.Literal("timeout"),
]);
export type ObservationError = Static<typeof ObservationError>;

export { BlobRef };

/** The result of one tool call, as shown to the model. */
export const Observation = Type.Object({
  toolCallId: Type.String(),
  tool: Type.String(),
  content: Type.String(),
  error: Type.Optional(ObservationError),
  exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  durationMs: Type.Number(),
  /** Time spent inside the sandbox (exec, file transfer) for this call. */
  sandboxMs: Type.Optional(Type.Number()),
  /** Full content when it was too long to keep inline; `content` then holds the head. */
  blob: Type.Optional(BlobRef),
  /** Images the tool returned (GUI screenshots after the action), shown to vision models. */
  images: Type.Optional(Type.Array(BlobRef)),
});
export type Observation = Static<typeof Observation>;

/** One policy turn: the assistant's message and what its tool calls returned. */
export const Turn = Type.Object({
  index: Type.Integer(),
  startedAt: Type.Integer(),
  durationMs: Type.Number(),
  assistant: Message,
  policy: PolicyInfo,
  observations: Type.Array(Observation),
  /**
   * Per-turn reward when the environment's rewards score turns (turn-level credit): the weighted sum
   * of `rewardComponents`, 0 when the environment's `turnRewardGate` was not cleared.
   */
  reward: Type.Optional(Type.Number()),
  /** Which policy produced this turn: the number of trainer updates its weights had taken (training runs). */
  policyVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Each reward's score of this turn (rewards that return `turns`). */
  rewardComponents: Type.Optional(Type.Record(Type.String(), Type.Number())),
});
export type Turn = Static<typeof Turn>;

export const RewardError = Type.Object({
  reward: Type.String(),
  kind: Type.Union([Type.Literal("threw"), Type.Literal("timeout"), Type.Literal("invalid_result")]),
  message: Type.String(),
  /** Where the reward threw, in the env's sources (mapped through the bundle's source map). */
  location: Type.Optional(Type.Object({ file: Type.String(), line: Type.Integer({ minimum: 1 }), column: Type.Integer({ minimum: 1 }) })),
});
export type RewardError = Static<typeof RewardError>;

export const RewardResult = Type.Object({
  /** Composed score (weighted sum of components); null when no component could be computed. */
  total: Type.Union([Type.Number(), Type.Null()]),
  components: Type.Record(Type.String(), Type.Number()),
  weights: Type.Record(Type.String(), Type.Number()),
  errors: Type.Array(RewardError),
  durationMs: Type.Number(),
});
export type RewardResult = Static<typeof RewardResult>;

export const TrajectoryStatus = Type.Union([
  Type.Literal("finished"),
  Type.Literal("agent_error"),
  /** The environment could not set the task up (a setup step, an image build): not the agent's fault, not infrastructure. */
  Type.Literal("env_error"),
  Type.Literal("infra_error"),
  Type.Literal("cancelled"),
]);
export type TrajectoryStatus = Static<typeof TrajectoryStatus>;

export const StopReason = Type.Union([
  Type.Literal("final_answer"),
  Type.Literal("tool_stop"),
  Type.Literal("max_turns"),
  Type.Literal("episode_timeout"),
  Type.Literal("policy_error"),
  Type.Literal("env_error"),
  Type.Literal("infra_error"),
  Type.Literal("cancelled"),
]);
export type StopReason = Static<typeof StopReason>;

export const Provenance = Type.Object({
  envName: Type.String(),
  /** sha256 of the env bundle (the tar.gz `bundleEnv` makes): what ran, byte for byte. */
  envHash: Type.String(),
  /** sha256 of the esbuild bundle of env.ts that was imported. */
  codeHash: Type.String(),
  gitCommit: Type.Optional(Type.String()),
  /** `git diff HEAD` of the env folder when it had uncommitted changes. */
  gitDirtyDiff: Type.Optional(Type.String()),
  protocolVersion: Type.String(),
});
export type Provenance = Static<typeof Provenance>;

export const AdvantageSource = Type.Object({
  estimator: Estimator,
  /** runner: computed when the group finished (rollouts, rescore); trainer: the value the policy update used. */
  by: Type.Union([Type.Literal("runner"), Type.Literal("trainer")]),
});
export type AdvantageSource = Static<typeof AdvantageSource>;

/** How a UI names where advantages came from: "grpo (trainer)", "gdpo (runner)", "none stored". */
export function advantageLabel(src: AdvantageSource | null | undefined): string {
  return src ? `${src.estimator} (${src.by === "trainer" ? "trainer, as trained" : "runner"})` : "none stored";
}

export const TrajectoryError = Type.Object({
  kind: Type.Union([Type.Literal("agent"), Type.Literal("policy"), Type.Literal("environment"), Type.Literal("infra"), Type.Literal("reward")]),
  message: Type.String(),
  /**
   * The policy's own output caused it (the server refused the prompt the policy grew, e.g. context
   * overflow, or answered with something unusable), not the service being down or slow: training
   * counts such an episode as a failure of the policy (`failedReward`) instead of leaving it out.
   */
  policyCaused: Type.Optional(Type.Boolean()),
});
export type TrajectoryError = Static<typeof TrajectoryError>;

export const Trajectory = Type.Object(
  {
    id: Type.String(),
    runId: Type.String(),
    taskId: Type.String(),
    taskIndex: Type.Integer(),
    groupId: Type.String(),
    sampleIndex: Type.Integer(),
    status: TrajectoryStatus,
    stopReason: StopReason,
    task: Type.Record(Type.String(), Type.Unknown()),
    /** The opening conversation (system + user) before the first policy turn. */
    prompt: Type.Array(Message),
    tools: Type.Array(Type.Object({ name: Type.String(), description: Type.String(), parameters: Type.Record(Type.String(), Type.Unknown()) })),
    turns: Type.Array(Turn),
    reward: RewardResult,
    /**
     * A branch: the trajectory it was forked from and the turn it replaced (turns before it were
     * restored by replaying their recorded tool calls in a fresh sandbox, or from a snapshot).
     */
    parent: Type.Optional(Type.Object({ trajectoryId: Type.String(), turn: Type.Integer({ minimum: 0 }), restoredBy: Type.Union([Type.Literal("snapshot"), Type.Literal("replay")]) })),
    /** Group-normalized advantage, filled in once every sample of the group is finished. */
    advantage: Type.Union([Type.Number(), Type.Null()]),
    componentAdvantages: Type.Optional(Type.Record(Type.String(), Type.Number())),
    /** Which estimator gave `advantage`, and whether it is the runner's view or what the trainer trained with. */
    advantageSource: Type.Optional(AdvantageSource),
    error: Type.Optional(TrajectoryError),
    /** Files the episode produced, kept as blobs (an SWE patch, a test report, screenshots). */
    artifacts: Type.Optional(Type.Record(Type.String(), BlobRef)),
    /** Attempts thrown away because the sandbox infrastructure failed (container died, daemon error). */
    infraRetries: Type.Integer(),
    infraErrors: Type.Array(Type.String()),
    provenance: Provenance,
    sandboxImage: Type.Optional(Type.String()),
    startedAt: Type.Integer(),
    finishedAt: Type.Integer(),
    timings: Type.Object({
      totalMs: Type.Number(),
      policyMs: Type.Number(),
      sandboxMs: Type.Number(),
      toolMs: Type.Number(),
      rewardMs: Type.Number(),
      sandboxAcquireMs: Type.Number(),
    }),
  },
  { $id: "https://agentrl.dev/schemas/trajectory.json", title: "AgentRL trajectory" },
);
export type Trajectory = Static<typeof Trajectory>;

/** A row of a trajectory list: enough to filter and sort without loading turns. */
export const TrajectorySummary = Type.Object({
  id: Type.String(),
  runId: Type.String(),
  taskId: Type.String(),
  /** Position of the task in the run's task list: rows are ordered by (taskIndex, sampleIndex). */
  taskIndex: Type.Integer(),
  groupId: Type.String(),
  sampleIndex: Type.Integer(),
  status: TrajectoryStatus,
  stopReason: StopReason,
  reward: Type.Union([Type.Number(), Type.Null()]),
  components: Type.Record(Type.String(), Type.Number()),
  advantage: Type.Union([Type.Number(), Type.Null()]),
  turns: Type.Integer(),
  toolCalls: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  rewardErrors: Type.Integer(),
  durationMs: Type.Number(),
  finishedAt: Type.Integer(),
});
export type TrajectorySummary = Static<typeof TrajectorySummary>;

/** The conversation as the policy saw it: prompt, then each assistant turn followed by its tool results. */
export function trajectoryMessages(t: Pick<Trajectory, "prompt" | "turns">): Message[] {
  const out: Message[] = [...t.prompt];
  for (const turn of t.turns) {
    out.push(turn.assistant);
    for (const o of turn.observations) out.push({ role: "tool", content: o.content, toolCallId: o.toolCallId, name: o.tool, ...(o.images?.length ? { images: o.images } : {}) });
  }
  return out;
}

export function countToolCalls(t: Pick<Trajectory, "turns">): number {
  return t.turns.reduce((n, turn) => n + (turn.assistant.toolCalls?.length ?? 0), 0);
}

export type { ToolCall };
