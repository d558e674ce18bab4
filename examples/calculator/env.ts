// A tool-calling environment: arithmetic questions, a `calculate` tool that runs Python inside the
// sandbox, and rewards for a correct answer, using the tool efficiently, and answering in format.
import { defineEnvironment, defineTool, exactMatch, formatReward, toolEfficiency } from "@agentrl/sdk";
import CALC_PY from "./calc.py";

const calculate = defineTool<{ expression: string }>({
  name: "calculate",
  description: "Evaluate an arithmetic expression (numbers, + - * / // % ** and parentheses) and return the result.",
  parameters: {
    type: "object",
    properties: { expression: { type: "string", description: "The expression, e.g. (12 + 30) * 4" } },
    required: ["expression"],
    additionalProperties: false,
  },
  // argv, not a shell string: the expression reaches Python untouched.
  command: ({ expression }) => ["python3", "-c", CALC_PY, expression],
  timeoutMs: 10_000,
});

export default defineEnvironment({
  name: "calculator",
  kind: "tool",
  description: "Arithmetic with a sandboxed calculator tool.",
  system:
    "You are a careful assistant that solves arithmetic questions. Call the calculate tool with the expression, " +
    "then reply with only the final number inside <answer></answer> tags, for example <answer>42</answer>.",
  tools: [calculate],
  maxTurns: 4,
  stepTimeoutMs: 15_000,
  episodeTimeoutMs: 120_000,
  rewardTimeoutMs: 5_000,
  rewards: [
    // Weights sum to 1 and every component is in [0, 1], so the total is in [0, 1].
    exactMatch({ name: "correct", weight: 0.7 }),
    toolEfficiency({ name: "tool_efficiency", weight: 0.2 }),
    formatReward({ name: "format", weight: 0.1, content: /^-?\d+(\.\d+)?$/ }),
  ],
});
