import { Type, type Static } from "@sinclair/typebox";
import { PolicyConfig } from "./run.js";

/** An assistant turn typed by the user: text and/or tool calls. */
export const TypedAction = Type.Object(
  {
    content: Type.Optional(Type.String({ maxLength: 100_000 })),
    toolCalls: Type.Optional(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), arguments: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false }), { maxItems: 32 })),
  },
  { additionalProperties: false },
);
export type TypedAction = Static<typeof TypedAction>;

/**
 * Body of `POST /v1/trajectories/{id}/fork`: branch the trajectory at `turn` (0-based; the turns
 * before it are restored in a fresh sandbox), then play `action` as that turn and/or continue
 * with `policy`; the branch is scored with the environment's rewards.
 */
export const ForkRequest = Type.Object(
  {
    turn: Type.Integer({ minimum: 0 }),
    action: Type.Optional(TypedAction),
    policy: Type.Optional(PolicyConfig),
  },
  { additionalProperties: false },
);
export type ForkRequest = Static<typeof ForkRequest>;

export const ForkStarted = Type.Object({
  runId: Type.String(),
  /** The branch's id (a trajectory of the fork run), stored once its episode ends. */
  trajectoryId: Type.String(),
  restoredBy: Type.Union([Type.Literal("snapshot"), Type.Literal("replay")]),
  /** How many recorded tool calls are replayed to restore the sandbox. */
  replayedToolCalls: Type.Integer({ minimum: 0 }),
});
export type ForkStarted = Static<typeof ForkStarted>;
