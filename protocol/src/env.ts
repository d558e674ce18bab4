import { Type, type Static } from "@sinclair/typebox";
import { ToolSpec } from "./message.js";

export const EnvironmentKind = Type.Union([Type.Literal("tool"), Type.Literal("swe"), Type.Literal("gui"), Type.String()]);

export const RewardComposition = Type.Union([Type.Literal("weighted_sum"), Type.Literal("gdpo")]);
export type RewardComposition = Static<typeof RewardComposition>;

export const BuiltinToolName = Type.Union([Type.Literal("bash"), Type.Literal("python"), Type.Literal("read_file"), Type.Literal("write_file")]);
export type BuiltinToolName = Static<typeof BuiltinToolName>;

/**
 * The serializable part of an environment (what `defineEnvironment` takes minus the functions).
 * The runner reports it per run; the extension validates env files against it.
 */
export const EnvironmentInfo = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    kind: EnvironmentKind,
    description: Type.Optional(Type.String()),
    image: Type.Optional(Type.String({ description: "Sandbox image tag; default: the offline base image, or the env folder's Dockerfile." })),
    maxTurns: Type.Integer({ minimum: 1 }),
    stepTimeoutMs: Type.Integer({ minimum: 1 }),
    episodeTimeoutMs: Type.Integer({ minimum: 1 }),
    rewardTimeoutMs: Type.Integer({ minimum: 1 }),
    rewardComposition: RewardComposition,
    tools: Type.Array(ToolSpec),
    builtinTools: Type.Array(BuiltinToolName),
    rewards: Type.Array(Type.Object({ name: Type.String(), weight: Type.Number(), kind: Type.Union([Type.Literal("function"), Type.Literal("command")]) })),
  },
  { $id: "https://agentrl.dev/schemas/environment.json", title: "AgentRL environment" },
);
export type EnvironmentInfo = Static<typeof EnvironmentInfo>;
