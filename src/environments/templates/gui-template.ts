/** Files of a new GUI environment: a desktop in the sandbox, screenshots as observations, computer_13-style actions. */
export function guiTemplate(name: string): Record<string, string> {
  return {
    "env.ts": `import { defineEnvironment, defineReward } from "@agentrl/sdk";

// OSWorld-style check: the form's output file holds the expected value.
const formFilled = defineReward({
  name: "form_filled",
  weight: 1,
  command: (task) => ["bash", "-lc", \`grep -qx '\${String(task.answer)}' /tmp/form-output.txt\`],
  parse: "exit_code",
});

export default defineEnvironment({
  name: ${JSON.stringify(name)},
  kind: "gui",
  description: "Fill in a desktop form; the agent sees screenshots and acts with the mouse and keyboard.",
  system: "You control a desktop. Each turn you get a screenshot. Act with CLICK, TYPING, PRESS, then DONE.",
  builtinTools: ["bash"],
  maxTurns: 15,
  rewards: [formFilled],
});
`,
    "tasks.jsonl": `${JSON.stringify({ id: "gui-001", prompt: "Type 'hello' into the name field and press Save.", answer: "hello", metadata: { related_apps: ["form"] } })}\n`,
  };
}
