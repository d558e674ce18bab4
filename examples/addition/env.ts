// The smallest verifiable environment: one-turn addition of numbers 1..10, answered as
// <answer>N</answer>, with two worked examples as earlier chat turns. The embedded
// SmolLM2-135M-Instruct starts well below 0.5 here and learns it within minutes on a CPU
// (`agentrl train examples/addition`), which makes it the check that training really learns.
import { defineEnvironment, defineReward } from "@agentrl/sdk";

const ANSWER = /<answer>\s*(-?\d+)\s*<\/answer>/;

export default defineEnvironment({
  name: "addition",
  kind: "tool",
  description: "Add two numbers from 1 to 10; reply <answer>N</answer>.",
  system: "You are a calculator. Reply with only the result, written as <answer>NUMBER</answer>.",
  prompt: (task) => [
    { role: "user", content: "What is 4 + 3?" },
    { role: "assistant", content: "<answer>7</answer>" },
    { role: "user", content: "What is 9 - 5?" },
    { role: "assistant", content: "<answer>4</answer>" },
    { role: "user", content: String(task.prompt) },
  ],
  maxTurns: 1,
  stepTimeoutMs: 10_000,
  episodeTimeoutMs: 300_000,
  rewardTimeoutMs: 5_000,
  rewards: [
    defineReward({
      name: "correct",
      weight: 1,
      score: (ctx) => {
        const m = ANSWER.exec(ctx.finalAnswer);
        return m !== null && Number(m[1]) === Number(ctx.task.answer);
      },
    }),
    // Logged only: whether the reply used the answer format at all.
    defineReward({ name: "format", weight: 0, score: (ctx) => ANSWER.test(ctx.finalAnswer) }),
  ],
});
