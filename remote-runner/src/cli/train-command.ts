import type { Command } from "commander";
import { TrainerOptions, TrainParams } from "@agentrl/protocol";
import { validate } from "../api/validate.js";
import { homeDir } from "../config/paths.js";
import { loadEnvironment } from "../envs/load.js";
import { resolveEnvImage } from "../rollout/image.js";
import { localSandboxes } from "../rollout/local.js";
import { holdHomeLock } from "../api/pid-lock.js";
import { openStore } from "../store/store.js";
import { checkGeneration } from "../training/generation.js";
import { checkTrainerProcesses } from "../training/trainer-process.js";
import { newTrainRunId, startTraining, trainingConfig, trainingDir } from "../training/training-run.js";
import { ESTIMATORS } from "../rewards/advantages.js";
import { intArg, numArg } from "./run-options.js";

export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("train a policy on an environment: rollouts on the current policy → one update per step (embedded trainer, CPU or GPU; rollouts from the trainer's server or vLLM)")
    .argument("<envDir>", "environment folder (env.ts + tasks.jsonl)")
    .option("--model <m>", "local folder, .gguf file, or hub id (default: the embedded SmolLM2-135M-Instruct)")
    .option("--steps <n>", "policy updates (default: the env's train.steps, else 10)", intArg("--steps"))
    .option("--group <n>", "samples per task, the GRPO group size (default: the env's, else 8)", intArg("--group"))
    .option("--tasks-per-step <n>", "tasks per step (default: the env's, else 4)", intArg("--tasks-per-step"))
    .option("--concurrency <n>", "episodes at once (default: the env's, else 8)", intArg("--concurrency"))
    .option("--algo <name>", `advantage estimator: ${ESTIMATORS.join(", ")} (default grpo)`)
    .option("--lr <x>", "learning rate", numArg("--lr"))
    .option("--kl <beta>", "k3 KL penalty against the base model (0: none)", numArg("--kl"))
    .option("--eps-low <x>", "lower clip epsilon", numArg("--eps-low"))
    .option("--eps-high <x>", "upper clip epsilon (clip-higher)", numArg("--eps-high"))
    .option("--loss-agg <how>", "token (DAPO) | sequence (GRPO) | constant (Dr.GRPO) | auto (constant for drgrpo, else token)")
    .option("--failed-reward <r>", "reward of an episode the policy itself failed (context overflow): a number, or 'skip' to leave such episodes out", "0")
    .option("--credit <how>", "turn-level credit: outcome | return_to_go | gigpo")
    .option("--keep-zero-variance", "train on groups whose samples all got the same reward (dropped by default)")
    .option("--lora-rank <n>", "LoRA rank; 0 = full fine-tuning", intArg("--lora-rank", 0))
    .option("--temperature <t>", "sampling temperature (default: the env's, else 1)", numArg("--temperature"))
    .option("--max-tokens <n>", "max tokens per policy turn (default: the env's, else 96)", intArg("--max-tokens"))
    .option("--seed <n>", "seed: task order, sampling, init (default: the env's, else 0)", intArg("--seed", 0))
    .option("--resume <dir>", "continue from a checkpoint folder (step, optimizer, metrics)")
    .option("--checkpoint-every <n>", "steps between the checkpoints a stopped run resumes from", intArg("--checkpoint-every"), 1)
    .option("--trainer-options <json>", "more trainer options as JSON")
    .option("--engine <e>", "what generates the rollouts: builtin (the trainer's own server) | vllm (vLLM, the adapter reloaded after every update; install: bash scripts/setup-python.sh --vllm)", "builtin")
    .option("--vllm-url <url>", "with --engine vllm: a running vLLM server (--enable-lora, VLLM_ALLOW_RUNTIME_LORA_UPDATING=True) instead of one the runner starts")
    .option("--nproc <n>", "trainer processes: torchrun + FSDP2, one per GPU (without a GPU, one per CPU core); 1 = one process", intArg("--nproc"))
    .option("--nnodes <n>", "machines the trainer spans (torchrun); the runner logs the command each other machine runs", intArg("--nnodes"))
    .option("--rdzv-endpoint <host:port>", "with --nnodes: an address of this machine every machine reaches (torchrun's rendezvous)")
    .option("--max-staleness <k>", "asynchronous rollouts: roll out up to k steps ahead while a step trains; a group with a turn from a policy more than k updates old is dropped (default 0: synchronous)", intArg("--max-staleness", 0))
    .option("--json", "print one JSON object last: {steps, reward_first, reward_last, tokens_per_s, checkpoint}")
    .action(async (envDir: string, o: Record<string, unknown>) => {
      const log = (l: string): void => console.error(l);
      const env = await loadEnvironment(envDir);
      // Flags first, then the environment's own training defaults, then the command's.
      const d = env.def.train ?? {};
      const params: TrainParams = {
        steps: (o.steps as number | undefined) ?? d.steps ?? 10,
        tasksPerStep: (o.tasksPerStep as number | undefined) ?? d.tasksPerStep ?? 4,
        seed: (o.seed as number | undefined) ?? d.seed ?? 0,
        temperature: (o.temperature as number | undefined) ?? d.temperature ?? 1.0,
        maxTokens: (o.maxTokens as number | undefined) ?? d.maxTokens ?? 96,
        trainer: trainerOptionsFrom(o, d.trainer ?? {}),
      };
      const group = (o.group as number | undefined) ?? d.group ?? 8;
      const concurrency = (o.concurrency as number | undefined) ?? d.concurrency ?? 8;
      if (o.model !== undefined) params.model = o.model as string;
      const loraRank = (o.loraRank as number | undefined) ?? d.loraRank;
      if (loraRank !== undefined) params.loraRank = loraRank;
      if (o.checkpointEvery !== undefined) params.checkpointEvery = o.checkpointEvery as number;
      params.failedReward = failedRewardArg(String(o.failedReward));
      if (o.engine !== "builtin" && o.engine !== "vllm") throw new Error(`--engine must be builtin or vllm, not "${String(o.engine)}"`);
      params.engine = o.engine;
      if (o.vllmUrl !== undefined) params.vllmUrl = validate(TrainParams.properties.vllmUrl, o.vllmUrl, "--vllm-url");
      if (o.nproc !== undefined) params.nproc = o.nproc as number;
      if (o.nnodes !== undefined) params.nnodes = o.nnodes as number;
      if (o.rdzvEndpoint !== undefined) params.rdzvEndpoint = validate(TrainParams.properties.rdzvEndpoint, o.rdzvEndpoint, "--rdzv-endpoint");
      if (o.maxStaleness !== undefined) params.maxStaleness = validate(TrainParams.properties.maxStaleness, o.maxStaleness, "--max-staleness");
      checkGeneration(params);
      await checkTrainerProcesses(params);
      const image = await resolveEnvImage(env, log);
      holdHomeLock(homeDir());
      const store = openStore();
      const sandboxes = await localSandboxes({ warm: Math.min(concurrency, 4) });
      const config = trainingConfig(env, envDir, params, group, concurrency);
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
                `step ${String(s.step).padStart(3)}  reward ${s.rewardMean.toFixed(3)}  tool calls ${s.toolCalls.toFixed(2)}  loss ${num("loss")}  kl ${num("kl")}  entropy ${num("entropy")}  clip ${num("clip_fraction")}  ` +
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

/** Trainer options: the environment's defaults, then --trainer-options JSON, then the flags; checked against the protocol's schema. */
function trainerOptionsFrom(o: Record<string, unknown>, defaults: TrainerOptions): TrainerOptions {
  let extra: unknown = {};
  if (o.trainerOptions !== undefined) {
    try {
      extra = JSON.parse(String(o.trainerOptions));
    } catch (err) {
      throw new Error(`--trainer-options is not valid JSON (${(err as Error).message}). Fix: pass an object, e.g. '{"micro_batch":16}'`, { cause: err });
    }
  }
  const t: Record<string, unknown> = { ...defaults, ...(extra as Record<string, unknown>) };
  if (o.algo !== undefined) t.estimator = o.algo;
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
