// A multi-turn tool environment for the embedded small model to learn on a CPU: each vault's code is a
// secret only the sandbox holds, so the model must call the `lookup` tool (python3 in the
// sandbox reads the task's codes file), read the result, then answer <answer>CODE</answer>. Two
// worked episodes in the prompt show the two turns, for SmolLM2-135M-Instruct to learn the pattern
// with `agentrl train examples/tool-learning` (the defaults below; the measured curve is in the
// README: mean reward about 0.25 at the first step, one tool call every two episodes).
import { defineEnvironment, defineReward, defineTool, type Message } from "@agentrl/sdk";

const LOOKUP = [
  "import json, sys",
  "codes = json.load(open('codes.json'))",
  "name = sys.argv[1].strip().lower()",
  "print(codes[name] if name in codes else 'no vault named ' + repr(name) + '; vaults: ' + ', '.join(sorted(codes)))",
].join("\n");

const lookup = defineTool<{ vault: string }>({
  name: "lookup",
  description: "Return the secret code of a vault.",
  parameters: { type: "object", properties: { vault: { type: "string" } }, required: ["vault"], additionalProperties: false },
  command: ({ vault }) => ["python3", "-c", LOOKUP, vault],
  timeoutMs: 10_000,
});

const ANSWER = /<answer>\s*(\d+)\s*<\/answer>/;

/** One worked episode as chat turns: the call, the tool's answer, the final answer. */
function worked(vault: string, code: string): Message[] {
  return [
    { role: "user", content: `What is the code of the ${vault} vault?` },
    { role: "assistant", content: `<tool_call>\n{"name": "lookup", "arguments": {"vault": "${vault}"}}\n</tool_call>` },
    { role: "user", content: `<tool_response>\n${code}\n</tool_response>` },
    { role: "assistant", content: `<answer>${code}</answer>` },
  ];
}

export default defineEnvironment({
  name: "tool-learning",
  kind: "tool",
  description: "Look a vault's secret code up with a sandboxed tool, then answer it.",
  system: "Codes are secret. Call lookup to get a code, then reply <answer>CODE</answer>.",
  // Two worked episodes: with one, the base model made no tool call in 8 samples; with two, about
  // one episode in two calls the tool (not always well-formed), which gives every group variance.
  prompt: (task) => [...worked("blue", "7391"), ...worked("gold", "2045"), { role: "user", content: String(task.prompt) }],
  tools: [lookup],
  maxTurns: 3,
  stepTimeoutMs: 20_000,
  // Long: the 32 episodes of a step wait on one policy server; on the shared 2-core machine (load
  // average 17-24, two torch threads) 30 of 32 first turns were still waiting at 600 s.
  episodeTimeoutMs: 1_800_000,
  rewardTimeoutMs: 5_000,
  rewards: [
    // The code is in the answer: only the tool could have told it.
    defineReward({
      name: "correct",
      weight: 0.7,
      score: (ctx) => {
        const m = ANSWER.exec(ctx.finalAnswer);
        return m !== null && m[1] === String(ctx.task.answer);
      },
    }),
    defineReward({ name: "used_tool", weight: 0.3, score: (ctx) => ctx.toolCalls > 0 }),
    // Logged only: tool calls per episode.
    defineReward({ name: "tool_calls", weight: 0, score: (ctx) => ctx.toolCalls }),
  ],
  // What `agentrl train examples/tool-learning` uses unless a flag says otherwise. 5 steps: the
  // reward rises within two updates, and each step costs minutes of CPU (a 380-token prompt; an
  // update runs forward and backward over every trained trajectory). maxTokens 40: a call is 32
  // tokens. micro_batch 4: at 16 the trainer reached 20 GB on the shared machine (OOM-killed).
  train: { steps: 5, group: 8, tasksPerStep: 4, maxTokens: 40, temperature: 1.0, seed: 0, concurrency: 32, trainer: { lr: 3e-4, micro_batch: 4 } },
});
