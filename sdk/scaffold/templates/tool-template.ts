/** Files of a new tool-calling environment (the calculator pattern: one tool, exact-match + format rewards). */
export function toolTemplate(name: string): Record<string, string> {
  return {
    "env.ts": `import { defineEnvironment, defineReward, defineTool, exactMatch } from "@agentrl/sdk";

const lookup = defineTool<{ key: string }>({
  name: "lookup",
  description: "Look up a value by key in the sandbox's data file.",
  parameters: { type: "object", properties: { key: { type: "string" } }, required: ["key"], additionalProperties: false },
  command: ({ key }) => ["python3", "-c", "import json,sys; print(json.load(open('/work/data.json')).get(sys.argv[1], 'unknown'))", key],
});

const concise = defineReward({
  name: "concise",
  weight: 0.1,
  score: ({ finalAnswer }) => (finalAnswer.length <= 200 ? 1 : 0),
});

export default defineEnvironment({
  name: ${JSON.stringify(name)},
  kind: "tool",
  description: "Answer questions by looking values up with a tool.",
  system: "Use the lookup tool, then answer with only the value inside <answer></answer> tags.",
  tools: [lookup],
  maxTurns: 4,
  rewards: [exactMatch({ name: "correct", weight: 0.9 }), concise],
});
`,
    "tasks.jsonl": `${JSON.stringify({ id: "t-001", prompt: "What is the value of 'alpha'?", answer: "1", files: { "/work/data.json": '{"alpha": "1", "beta": "2"}' } })}\n`,
  };
}
