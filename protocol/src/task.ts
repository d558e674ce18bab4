import { Type, type Static } from "@sinclair/typebox";
import { Message, ToolSpec } from "./message.js";

/**
 * One line of a tasks.jsonl dataset. `id` and one of `prompt`/`messages` are required; every other
 * field (answer, metadata, files) is kept and handed to the environment and the rewards untouched.
 */
export const Task = Type.Object(
  {
    id: Type.String({ minLength: 1, description: "Unique task id within the dataset." }),
    prompt: Type.Optional(Type.String({ description: "The user message that starts the episode." })),
    messages: Type.Optional(Type.Array(Message, { description: "Full opening conversation instead of `prompt`." })),
    answer: Type.Optional(Type.Unknown({ description: "Ground truth the rewards compare against." })),
    tools: Type.Optional(Type.Array(Type.String(), { description: "Names of the environment's tools this task may use (default: all)." })),
    toolSpecs: Type.Optional(Type.Array(ToolSpec, { description: "Tools declared by the task itself (e.g. imported BFCL functions); calls are recorded, not executed." })),
    files: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Files written into the sandbox before the episode (path → content)." })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true, $id: "https://agentrl.dev/schemas/task.json", title: "AgentRL task (one line of tasks.jsonl)" },
);
/** Known fields typed; any other field of the JSONL line is kept (the schema allows additional properties). */
export type Task = Static<typeof Task> & Record<string, unknown>;
