import type { Command } from "commander";
import { openStore } from "../store/store.js";
import { runTraining } from "../training/train-loop.js";
import { intArg, numArg } from "./run-options.js";

const ESTIMATORS = ["grpo", "rloo", "drgrpo", "gdpo"];

export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("train a policy on an environment: rollouts on the current policy → one update per step (embedded trainer, CPU or GPU)")
    .argument("<envDir>", "environment folder (env.ts + tasks.jsonl)")
    .option("--model <m>", "local folder, .gguf file, or hub id (default: the embedded SmolLM2-135M-Instruct)")
    .option("--steps <n>", "policy updates", intArg("--steps"), 10)
    .option("--group <n>", "samples per task (GRPO group size)", intArg("--group"), 8)
    .option("--tasks-per-step <n>", "tasks per step", intArg("--tasks-per-step"), 4)
    .option("--concurrency <n>", "episodes at once", intArg("--concurrency"), 8)
    .option("--algo <name>", `advantage estimator: ${ESTIMATORS.join(", ")}`, "grpo")
    .option("--lr <x>", "learning rate", numArg("--lr"))
    .option("--kl <beta>", "k3 KL penalty against the base model (0: none)", numArg("--kl"))
    .option("--eps-low <x>", "lower clip epsilon", numArg("--eps-low"))
    .option("--eps-high <x>", "upper clip epsilon (clip-higher)", numArg("--eps-high"))
    .option("--loss-agg <how>", "token | sequence")
    .option("--keep-zero-variance", "train on groups whose samples all got the same reward (dropped by default)")
    .option("--lora-rank <n>", "LoRA rank; 0 = full fine-tuning", intArg("--lora-rank", 0))
    .option("--temperature <t>", "sampling temperature", numArg("--temperature"), 1.0)
    .option("--max-tokens <n>", "max tokens per policy turn", intArg("--max-tokens"), 96)
    .option("--seed <n>", "seed (task order, sampling, init)", intArg("--seed", 0), 0)
    .option("--resume <dir>", "continue from a checkpoint folder (step, optimizer, metrics)")
    .option("--trainer-options <json>", "more trainer options as JSON")
    .option("--json", "print one JSON object last: {steps, reward_first, reward_last, tokens_per_s, checkpoint}")
    .action(async (envDir: string, o: Record<string, unknown>) => {
      if (!ESTIMATORS.includes(String(o.algo))) throw new Error(`unknown --algo "${String(o.algo)}". Fix: use one of ${ESTIMATORS.join(", ")}`);
      const trainer: Record<string, unknown> = { estimator: o.algo, ...(o.trainerOptions ? (JSON.parse(String(o.trainerOptions)) as Record<string, unknown>) : {}) };
      if (o.lr !== undefined) trainer.lr = o.lr;
      if (o.kl !== undefined) trainer.kl_beta = o.kl;
      if (o.epsLow !== undefined) trainer.eps_low = o.epsLow;
      if (o.epsHigh !== undefined) trainer.eps_high = o.epsHigh;
      if (o.lossAgg !== undefined) trainer.loss_agg = o.lossAgg;
      if (o.keepZeroVariance) trainer.drop_zero_variance = false;
      const store = openStore();
      try {
        const r = await runTraining(store, {
          envDir,
          model: o.model as string | undefined,
          steps: o.steps as number,
          group: o.group as number,
          tasksPerStep: o.tasksPerStep as number,
          concurrency: o.concurrency as number,
          seed: o.seed as number,
          temperature: o.temperature as number,
          maxTokens: o.maxTokens as number,
          loraRank: o.loraRank as number | undefined,
          resume: o.resume as string | undefined,
          trainer,
          log: (l) => console.error(l),
          onStep: (s) => {
            const m = s.metrics;
            const num = (k: string) => (typeof m[k] === "number" ? (m[k] as number).toFixed(4) : "-");
            console.error(
              `step ${String(s.step).padStart(3)}  reward ${s.rewardMean.toFixed(3)}  loss ${num("loss")}  kl ${num("kl")}  entropy ${num("entropy")}  clip ${num("clip_fraction")}  ` +
                `zero-var groups ${String(m.zero_variance_groups ?? "-")}  trained ${s.trained}  rollout ${s.rolloutS.toFixed(1)} s  update ${s.trainS.toFixed(1)} s`,
            );
          },
        });
        if (o.json) console.log(JSON.stringify({ steps: r.steps, reward_first: r.reward_first, reward_last: r.reward_last, tokens_per_s: r.tokens_per_s, checkpoint: r.checkpoint, run_id: r.runId }));
        else {
          console.log(`training run ${r.runId}: ${r.steps} steps, reward ${r.reward_first.toFixed(3)} (first 20%) → ${r.reward_last.toFixed(3)} (last 20%)`);
          console.log(`checkpoint: ${r.checkpoint}`);
          console.log(`see it: agentrl runs; agentrl export <step run> --format train; or the inspector in VS Code (AgentRL: Open Inspector)`);
        }
      } finally {
        store.close();
      }
    });
}
