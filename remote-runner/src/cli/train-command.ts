import type { Command } from "commander";
import { TrainerOptions, type TrainParams } from "@agentrl/protocol";
import { validate } from "../api/validate.js";
import { homeDir } from "../config/paths.js";
import { loadEnvironment } from "../envs/load.js";
import { resolveEnvImage } from "../rollout/image.js";
import { localSandboxes } from "../rollout/local.js";
import { holdHomeLock } from "../api/pid-lock.js";
import { openStore } from "../store/store.js";
import { newTrainRunId, startTraining, trainingConfig, trainingDir } from "../training/training-run.js";
import { ESTIMATORS } from "../rewards/advantages.js";
import { intArg, numArg } from "./run-options.js";

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
    .option("--loss-agg <how>", "token (DAPO) | sequence (GRPO) | constant (Dr.GRPO) | auto (constant for drgrpo, else token)")
    .option("--failed-reward <r>", "reward of an episode the policy itself failed (context overflow): a number, or 'skip' to leave such episodes out", "0")
    .option("--credit <how>", "turn-level credit: outcome | return_to_go | gigpo")
    .option("--keep-zero-variance", "train on groups whose samples all got the same reward (dropped by default)")
    .option("--lora-rank <n>", "LoRA rank; 0 = full fine-tuning", intArg("--lora-rank", 0))
    .option("--temperature <t>", "sampling temperature", numArg("--temperature"), 1.0)
    .option("--max-tokens <n>", "max tokens per policy turn", intArg("--max-tokens"), 96)
    .option("--seed <n>", "seed (task order, sampling, init)", intArg("--seed", 0), 0)
    .option("--resume <dir>", "continue from a checkpoint folder (step, optimizer, metrics)")
    .option("--checkpoint-every <n>", "steps between the checkpoints a stopped run resumes from", intArg("--checkpoint-every"), 1)
    .option("--trainer-options <json>", "more trainer options as JSON")
    .option("--json", "print one JSON object last: {steps, reward_first, reward_last, tokens_per_s, checkpoint}")
    .action(async (envDir: string, o: Record<string, unknown>) => {
      const trainer = trainerOptionsFrom(o);
      const params: TrainParams = {
        steps: o.steps as number,
        tasksPerStep: o.tasksPerStep as number,
        seed: o.seed as number,
        temperature: o.temperature as number,
        maxTokens: o.maxTokens as number,
        trainer,
      };
      if (o.model !== undefined) params.model = o.model as string;
      if (o.loraRank !== undefined) params.loraRank = o.loraRank as number;
      if (o.checkpointEvery !== undefined) params.checkpointEvery = o.checkpointEvery as number;
      params.failedReward = failedRewardArg(String(o.failedReward));
      const log = (l: string): void => console.error(l);
      const env = await loadEnvironment(envDir);
      const image = await resolveEnvImage(env, log);
      holdHomeLock(homeDir());
      const store = openStore();
      const sandboxes = await localSandboxes({ warm: Math.min(o.concurrency as number, 4) });
      const config = trainingConfig(env, envDir, params, o.group as number, o.concurrency as number);
      try {
        const runId = newTrainRunId();
        const handle = startTraining(
          store,
          config,
          {
            sandboxes: sandboxes.pool,
            env,
            image,
            outDir: trainingDir(homeDir(), runId),
            log,
            onStep: (s) => {
              const m = s.metrics;
              const num = (k: string): string => (typeof m[k] === "number" ? (m[k] as number).toFixed(4) : "-");
              console.error(
                `step ${String(s.step).padStart(3)}  reward ${s.rewardMean.toFixed(3)}  loss ${num("loss")}  kl ${num("kl")}  entropy ${num("entropy")}  clip ${num("clip_fraction")}  ` +
                  `zero-var groups ${String(m.zero_variance_groups ?? "-")}  trained ${s.trained}  rollout ${s.rolloutS.toFixed(1)} s  update ${s.trainS.toFixed(1)} s`,
              );
            },
          },
          { runId, from: o.resume as string | undefined },
        );
        // Ctrl-C ends the run cleanly: the step in flight is dropped and what was learned is checkpointed.
        const onSigint = (): void => {
          console.error("cancelling: saving a checkpoint of what was learned (Ctrl-C again to abort)");
          handle.cancel();
          process.once("SIGINT", () => process.exit(130));
        };
        process.once("SIGINT", onSigint);
        const r = await handle.done.finally(() => process.off("SIGINT", onSigint));
        if (o.json) console.log(JSON.stringify({ steps: r.steps, reward_first: r.reward_first, reward_last: r.reward_last, tokens_per_s: r.tokens_per_s, checkpoint: r.checkpoint, run_id: r.runId, status: r.status }));
        else {
          console.log(`training run ${r.runId} ${r.status}: ${r.steps} steps, reward ${r.reward_first.toFixed(3)} (first 20%) → ${r.reward_last.toFixed(3)} (last 20%)`);
          console.log(`checkpoint: ${r.checkpoint}`);
          console.log(`see it: agentrl runs; agentrl export <step run> --format train; or the inspector in VS Code (AgentRL: Open Inspector)`);
        }
      } finally {
        await sandboxes.close();
        store.close();
      }
    });
}

function failedRewardArg(v: string): number | null {
  if (v === "skip") return null;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new Error(`--failed-reward ${v} is not a number. Fix: pass a number such as 0, or 'skip'`);
  return n;
}

/** Trainer options from the flags and --trainer-options JSON, checked against the protocol's schema. */
function trainerOptionsFrom(o: Record<string, unknown>): TrainerOptions {
  let extra: unknown = {};
  if (o.trainerOptions !== undefined) {
    try {
      extra = JSON.parse(String(o.trainerOptions));
    } catch (err) {
      throw new Error(`--trainer-options is not valid JSON (${(err as Error).message}). Fix: pass an object, e.g. '{"micro_batch":16}'`, { cause: err });
    }
  }
  const t: Record<string, unknown> = { estimator: o.algo, ...(extra as Record<string, unknown>) };
  if (o.lr !== undefined) t.lr = o.lr;
  if (o.kl !== undefined) t.kl_beta = o.kl;
  if (o.epsLow !== undefined) t.eps_low = o.epsLow;
  if (o.epsHigh !== undefined) t.eps_high = o.epsHigh;
  if (o.lossAgg !== undefined) t.loss_agg = o.lossAgg;
  if (o.keepZeroVariance) t.drop_zero_variance = false;
  if (o.credit !== undefined) t.credit = o.credit;
  try {
    return validate(TrainerOptions, t, "trainer options");
  } catch (err) {
    const problem = (err as Error).message.replace(/\. Fix: .*$/s, "");
    throw new Error(`${problem}. Fix: --algo takes ${ESTIMATORS.join(", ")}; the other options are set by their flags or --trainer-options (see agentrl train --help)`, { cause: err });
  }
}
