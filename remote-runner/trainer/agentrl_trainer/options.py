"""Training options with validation; per-step overrides come from the request body."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .advantages import ESTIMATORS
from .credit import CREDITS
from .losses import AGGREGATIONS


@dataclass(frozen=True)
class TrainOptions:
    estimator: str = "grpo"  # grpo | rloo | drgrpo | gdpo
    lr: float = 1e-5
    weight_decay: float = 0.0
    eps_low: float = 0.2
    eps_high: float = 0.28  # clip-higher (DAPO)
    clip_ratio_c: float = 3.0  # dual clip: for A < 0 the loss is at most clip_ratio_c * |A|; <= 1 = off
    kl_beta: float = 0.0  # k3 KL against the adapter-disabled model; 0 = no KL term
    # token (DAPO) | sequence (GRPO paper) | constant (Dr.GRPO) | auto: constant for drgrpo, else token
    loss_agg: str = "auto"
    norm_tokens: int = 0  # the constant normalizer's tokens per sequence; 0 = the server's max_tokens
    temperature: float = 1.0  # the sampling temperature: logprobs are of softmax(logits / T) on both sides
    drop_zero_variance: bool = True
    micro_batch: int = 8  # rows (segments) per forward/backward; gradients accumulate
    max_grad_norm: float = 1.0
    # batch: the sampled-token logprobs sent are the old policy (sampler = trainer);
    # recompute: the trainer's own logprobs are the old policy, and the sampled ones only weight
    # each token by truncated importance sampling, min(p_trainer / p_sampler, tis_cap)
    old_logprobs: str = "batch"
    tis_cap: float = 0.0  # recompute: cap of the TIS weight (e.g. 2, as verl); 0 = no importance correction
    drift_tolerance: float = 0.05  # max |sampled - recomputed| logprob tolerated on the first step
    credit: str = "outcome"  # outcome | return_to_go | gigpo: how turns of a trajectory share credit
    gamma: float = 1.0  # discount over turns (return_to_go, gigpo)
    step_weight: float = 1.0  # gigpo: weight of the step advantage beside the episode advantage
    shared_prefix: bool = True  # run a prompt shared by several rows once per micro-batch
    # The trajectories an update leaves out (zero-variance groups; every one when all advantages
    # are 0 and the update is skipped) get a no-grad forward pass, so the trainer's per-token
    # logprobs and the sampler/trainer drift are measured on every step. Costs one forward pass
    # over those rows (about a third of training them); false skips it.
    recompute_untrained: bool = True
    # At most this many per-token trainer logprobs go back in a step's response (about 10 bytes
    # each); trajectories past it are left out and counted. 0 returns none.
    return_logprobs_tokens: int = 262_144

    def aggregation(self) -> str:
        if self.loss_agg != "auto":
            return self.loss_agg
        return "constant" if self.estimator == "drgrpo" else "token"

    def validate(self) -> TrainOptions:
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"options.estimator '{self.estimator}' is unknown; use one of {', '.join(ESTIMATORS)}")
        if self.loss_agg not in (*AGGREGATIONS, "auto"):
            raise ValueError(f"options.loss_agg '{self.loss_agg}' is unknown; use one of {', '.join(AGGREGATIONS)} or auto")
        if self.old_logprobs not in ("batch", "recompute"):
            raise ValueError("options.old_logprobs must be 'batch' or 'recompute'")
        if not (self.lr > 0):
            raise ValueError(f"options.lr must be > 0 (got {self.lr})")
        if self.eps_low < 0 or self.eps_high < 0 or self.eps_low >= 1:
            raise ValueError("options.eps_low must be in [0, 1) and options.eps_high >= 0")
        if self.kl_beta < 0:
            raise ValueError("options.kl_beta must be >= 0")
        if self.credit not in CREDITS:
            raise ValueError(f"options.credit '{self.credit}' is unknown; use one of {', '.join(CREDITS)}")
        if not (0.0 <= self.gamma <= 1.0):
            raise ValueError(f"options.gamma must be in [0, 1] (got {self.gamma})")
        if self.micro_batch < 1:
            raise ValueError("options.micro_batch must be >= 1")
        if not (self.temperature > 0):
            raise ValueError(f"options.temperature must be > 0 (got {self.temperature}); greedy sampling is not trainable")
        if self.tis_cap < 0 or self.norm_tokens < 0:
            raise ValueError("options.tis_cap and options.norm_tokens must be >= 0")
        if self.return_logprobs_tokens < 0:
            raise ValueError("options.return_logprobs_tokens must be >= 0 (0 returns no per-token logprobs)")
        return self

    def with_overrides(self, overrides: dict[str, Any] | None) -> TrainOptions:
        if not overrides:
            return self
        if not isinstance(overrides, dict):
            raise ValueError("'options' must be an object of training option overrides")
        known = {f.name: f for f in fields(self)}
        unknown = [k for k in overrides if k not in known]
        if unknown:
            raise ValueError(f"unknown training option(s) {', '.join(unknown)}; known: {', '.join(known)}")
        cast: dict[str, Any] = {}
        for k, v in overrides.items():
            cur = getattr(self, k)
            if isinstance(cur, bool):
                if not isinstance(v, bool):
                    raise ValueError(f"options.{k} must be true or false")
                cast[k] = v
            elif isinstance(cur, (int, float)) and not isinstance(cur, bool):
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    raise ValueError(f"options.{k} must be a number")
                cast[k] = type(cur)(v)
            else:
                cast[k] = str(v)
        return replace(self, **cast).validate()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
