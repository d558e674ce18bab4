/**
 * Files of a new GUI environment: OSWorld-form tasks (instruction, config setup steps, evaluator).
 * The runner's `gui` kind starts a desktop per episode, offers the computer_13 actions as tools
 * (answered with screenshots), and scores each episode with the task's evaluator.
 */
export function guiTemplate(name: string): Record<string, string> {
  const task = {
    id: "note-final",
    instruction: "The file /home/agent/note.txt says draft. Change it so it says final instead, using the desktop.",
    config: [{ type: "execute", parameters: { command: ["bash", "-lc", "mkdir -p /home/agent && echo draft > /home/agent/note.txt"] } }],
    evaluator: {
      func: "check_include_exclude",
      result: { type: "vm_file", path: "/home/agent/note.txt" },
      expected: { type: "rule", rules: { include: ["final"], exclude: ["draft"] } },
    },
    source: "agentrl New Environment template",
  };
  return {
    "env.ts": `import { defineEnvironment, defineReward } from "@agentrl/sdk";

export default defineEnvironment({
  name: ${JSON.stringify(name)},
  kind: "gui",
  description: "Desktop tasks in OSWorld form: the agent sees screenshots and acts with the mouse and keyboard.",
  system: "You operate a Linux desktop through mouse and keyboard actions (the tools). Call done when the task is finished.",
  maxTurns: 15,
  stepTimeoutMs: 30_000,
  episodeTimeoutMs: 300_000,
  rewards: [
    // Logged only (weight 0): how many actions the agent took. The score is each task's OSWorld evaluator.
    defineReward({ name: "actions", weight: 0, score: (ctx) => Math.min(1, ctx.toolCalls / 20) }),
  ],
});
`,
    "tasks.jsonl": `${JSON.stringify(task)}\n`,
  };
}
