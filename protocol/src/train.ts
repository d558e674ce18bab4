import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/**
 * One token sequence of a training example: the exact prompt ids the server saw, then everything
 * after them. A token-exact multi-turn episode is one segment: its completion holds every policy
 * turn's sampled tokens and, between them, the tool results as the chat template rendered them.
 */
export const TrainSegment = Type.Object({
  prompt_token_ids: Type.Array(Type.Integer()),
  completion_token_ids: Type.Array(Type.Integer()),
  /** The sampler's logprob of each completion token (0 for tokens outside the turn spans). */
  logprobs: Type.Array(Type.Number()),
  /**
   * The policy turns in this segment as [start, end) offsets into completion_token_ids, in turn
   * order. Only these tokens are trained (the loss mask); the rest is context the environment
   * returned. Absent: the whole completion is one policy turn.
   */
  turn_spans: Type.Optional(Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]))),
});
export type TrainSegment = Static<typeof TrainSegment>;

/** One trajectory as the Python trainer takes it (`agentrl export --format train`, `POST /v1/train/step`). */
export const TrainTrajectory = Type.Object({
  trajectory_id: Type.String(),
  task_id: Type.String(),
  group_id: Type.String(),
  sample_index: Type.Integer(),
  reward: Type.Number(),
  components: Type.Record(Type.String(), Type.Number()),
  component_weights: Type.Record(Type.String(), Type.Number()),
  segments: Type.Array(TrainSegment),
  /** Reward of each policy turn (turn-level credit), in the order of the turns across segments. */
  turn_rewards: Type.Optional(Type.Array(Type.Number())),
  /**
   * What each policy turn saw, as a key (a hash of the observation before it): turns of one group with
   * the same key are compared with each other by the step-level estimator (GiGPO).
   */
  turn_states: Type.Optional(Type.Array(Type.String())),
});
export type TrainTrajectory = Static<typeof TrainTrajectory>;

export const Estimator = Type.Union([Type.Literal("grpo"), Type.Literal("rloo"), Type.Literal("drgrpo"), Type.Literal("gdpo")], {
  description: "advantage estimator: grpo (group-normalized), rloo (leave-one-out), drgrpo (unnormalized), gdpo (per-component normalized)",
});
export type Estimator = Static<typeof Estimator>;

/** Options of the Python trainer (`agentrl_trainer.options.TrainOptions`); absent = the trainer's default. */
export const TrainerOptions = Type.Object(
  {
    estimator: Type.Optional(Estimator),
    lr: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    weight_decay: Type.Optional(Type.Number({ minimum: 0 })),
    eps_low: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
    eps_high: Type.Optional(Type.Number({ minimum: 0, description: "upper clip epsilon (clip-higher)" })),
    kl_beta: Type.Optional(Type.Number({ minimum: 0, description: "k3 KL penalty against the base model; 0 = none" })),
    clip_ratio_c: Type.Optional(Type.Number({ minimum: 0, description: "dual clip: for negative advantages the loss is at most clip_ratio_c × |A|; <= 1 turns it off (default 3)" })),
    loss_agg: Type.Optional(
      Type.Union([Type.Literal("auto"), Type.Literal("token"), Type.Literal("sequence"), Type.Literal("constant")], {
        description: "token (DAPO), sequence (GRPO paper), constant (Dr.GRPO: norm_tokens × sequences); auto = constant for drgrpo, else token",
      }),
    ),
    norm_tokens: Type.Optional(Type.Integer({ minimum: 0, description: "tokens per sequence of the constant normalizer; 0 = the trainer's max tokens" })),
    temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "the sampling temperature: the trainer's logprobs are of softmax(logits / T), as the sampler's" })),
    tis_cap: Type.Optional(Type.Number({ minimum: 0, description: "old_logprobs recompute: cap of the truncated importance weight p_trainer / p_sampler (e.g. 2, as verl); 0 = none (default)" })),
    drop_zero_variance: Type.Optional(Type.Boolean()),
    micro_batch: Type.Optional(Type.Integer({ minimum: 1 })),
    max_grad_norm: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    old_logprobs: Type.Optional(Type.Union([Type.Literal("batch"), Type.Literal("recompute")])),
    drift_tolerance: Type.Optional(Type.Number({ minimum: 0 })),
    shared_prefix: Type.Optional(Type.Boolean()),
    recompute_untrained: Type.Optional(
      Type.Boolean({
        description: "a no-grad forward pass over the trajectories an update leaves out (zero-variance groups, a skipped update), so the trainer's per-token logprobs and the sampler/trainer drift are measured every step; costs one forward pass over them (default true)",
      }),
    ),
    return_logprobs_tokens: Type.Optional(Type.Integer({ minimum: 0, description: "at most this many per-token trainer logprobs per step's response (about 10 bytes each; default 262144); 0 = none" })),
    credit: Type.Optional(
      Type.Union([Type.Literal("outcome"), Type.Literal("return_to_go"), Type.Literal("gigpo")], {
        description: "how the turns of a trajectory share credit: outcome (every turn the trajectory's advantage), return_to_go (normalized step rewards, discounted sum), gigpo (episode + same-state step advantage)",
      }),
    ),
    gamma: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "discount over turns (return_to_go, gigpo)" })),
    step_weight: Type.Optional(Type.Number({ minimum: 0, description: "gigpo: weight of the step advantage" })),
  },
  { additionalProperties: false },
);
export type TrainerOptions = Static<typeof TrainerOptions>;

/**
 * A training step's `trajectory_logprobs`: per trajectory id, one list per policy turn (in turn order)
 * of the trainer's logprob of each token that turn sampled, under its weights before the step's update
 * (the weights that sampled it, or newer by the policy lag when rollouts ran ahead under max-staleness).
 * The trainer slices its sequences by turn spans; the runner stores list k on turn k.
 */
export const TrainerTurnLogprobs = Type.Record(Type.String(), Type.Array(Type.Array(Type.Number())));
export type TrainerTurnLogprobs = Static<typeof TrainerTurnLogprobs>;

/** Whether the trainer's answer (another program's JSON) holds `trajectory_logprobs` of that shape. */
export function isTrainerTurnLogprobs(v: unknown): v is TrainerTurnLogprobs {
  return Value.Check(TrainerTurnLogprobs, v);
}

/**
 * What generates a training run's rollouts: `builtin` = the trainer process's own server (one copy of
 * the weights, no sync); `vllm` = a vLLM server that gets the policy after every update (LoRA adapter
 * reloaded in place, or the whole weights for full fine-tuning).
 */
export const GenerationEngine = Type.Union([Type.Literal("builtin"), Type.Literal("vllm")], { description: "generation engine of the rollouts" });
export type GenerationEngine = Static<typeof GenerationEngine>;

/** What a training run does: each step rolls out `tasksPerStep` tasks × group on the current policy, then takes one update. */
export const TrainParams = Type.Object(
  {
    steps: Type.Integer({ minimum: 1, maximum: 100_000, description: "policy updates" }),
    tasksPerStep: Type.Integer({ minimum: 1, maximum: 10_000 }),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: "on the runner's machine: a local folder, a .gguf file or a hub id; default: the embedded SmolLM2-135M-Instruct" })),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 5 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536, description: "per policy turn" })),
    loraRank: Type.Optional(Type.Integer({ minimum: 0, maximum: 1024, description: "0 = full fine-tuning" })),
    checkpointEvery: Type.Optional(Type.Integer({ minimum: 1, description: "steps between checkpoints a crashed run resumes from (default 1)" })),
    trainer: Type.Optional(TrainerOptions),
    engine: Type.Optional(GenerationEngine),
    vllmUrl: Type.Optional(
      Type.String({ pattern: "^https?://", maxLength: 2000, description: 'engine "vllm": an already running vLLM server (started with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True); absent = the runner starts one' }),
    ),
    nproc: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1024, description: "trainer processes on this machine (torchrun + FSDP2, one per GPU, or per CPU core without a GPU); default 1 = one process, no torchrun" }),
    ),
    nnodes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 4096, description: "machines the trainer spans (torchrun --nnodes); each other machine runs the trainer command the runner logs; needs rdzvEndpoint" }),
    ),
    rdzvEndpoint: Type.Optional(
      Type.String({ pattern: "^[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}$", maxLength: 300, description: "nnodes > 1: HOST:PORT of torchrun's c10d rendezvous, reachable from every machine (this runner's machine hosts it)" }),
    ),
    maxStaleness: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 16,
        description:
          "asynchronous rollouts: the next steps' rollouts run while a step trains, on a policy at most this many updates old; a group with an older turn is dropped (and counted). 0 (default) = synchronous: each step rolls out on the policy of the update before it",
      }),
    ),
    failedReward: Type.Optional(
      Type.Union([Type.Number(), Type.Null()], {
        description: "reward an episode gets when the policy itself failed it (context overflow, unusable output): it is trained as that reward (default 0); null leaves such episodes out. Infrastructure failures are always left out (and counted).",
      }),
    ),
  },
  { additionalProperties: false },
);
export type TrainParams = Static<typeof TrainParams>;

/**
 * An environment's own training defaults (`train` in defineEnvironment): what `agentrl train ENV`
 * uses where no flag says otherwise, so an example trains as its author tuned it.
 */
export const EnvTrainDefaults = Type.Object(
  {
    steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    group: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    tasksPerStep: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 5 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
    loraRank: Type.Optional(Type.Integer({ minimum: 0, maximum: 1024 })),
    trainer: Type.Optional(TrainerOptions),
  },
  { additionalProperties: false },
);
export type EnvTrainDefaults = Static<typeof EnvTrainDefaults>;
