import { Type, type Static } from "@sinclair/typebox";
import { BlobRef } from "./blob.js";

/** One tool call as the policy produced it; `arguments` is null when `rawArguments` was not a JSON object. */
export const ToolCall = Type.Object({
  id: Type.String(),
  name: Type.String(),
  arguments: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  rawArguments: Type.String(),
});
export type ToolCall = Static<typeof ToolCall>;

export const Role = Type.Union([Type.Literal("system"), Type.Literal("user"), Type.Literal("assistant"), Type.Literal("tool")]);
export type Role = Static<typeof Role>;

/** A chat message in the OpenAI sense, with camelCase fields. */
export const Message = Type.Object({
  role: Role,
  content: Type.String(),
  toolCalls: Type.Optional(Type.Array(ToolCall)),
  toolCallId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  /** How the assistant's tool calls were expressed: native OpenAI `tool_calls`, or `<tool_call>` text inside `content`. */
  toolCallSource: Type.Optional(Type.Union([Type.Literal("native"), Type.Literal("text")])),
  /** Images attached to the message (a tool's screenshots); sent to the policy as image content parts. */
  images: Type.Optional(Type.Array(BlobRef)),
});
export type Message = Static<typeof Message>;

/** A tool as offered to the policy (OpenAI `function` tool). `parameters` is a JSON Schema object. */
export const ToolSpec = Type.Object({
  name: Type.String(),
  description: Type.String(),
  parameters: Type.Record(Type.String(), Type.Unknown()),
});
export type ToolSpec = Static<typeof ToolSpec>;
