"""Per-token policy-gradient pieces: clipped ratio loss, k3 KL, entropy, loss weights."""

from __future__ import annotations

from collections.abc import Sequence

import torch

AGGREGATIONS = ("token", "sequence", "constant")


# verl's bound on log(new/old) before exp: e^20 is finite, e^89 overflows float32 to inf.
LOG_RATIO_CLAMP = 20.0


def clipped_policy_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    adv: torch.Tensor,
    eps_low: float,
    eps_high: float,
    clip_ratio_c: float = 3.0,
    log_ratio_clamp: float = LOG_RATIO_CLAMP,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO/GRPO surrogate per token: -min(r*A, clip(r, 1-eps_low, 1+eps_high)*A), with
    log r clamped to ±log_ratio_clamp and, for A < 0, the dual clip: the loss is at most
    clip_ratio_c * |A| (Ye et al. 2019; verl's clip_ratio_c), so one far off-policy token
    cannot dominate the batch. clip_ratio_c <= 1 turns the dual clip off.

    Returns (loss per token, mask of tokens where a clipped branch was taken)."""
    log_ratio = torch.clamp(logp - old_logp, -log_ratio_clamp, log_ratio_clamp)
    ratio = torch.exp(log_ratio)
    unclipped = -adv * ratio
    clipped = -adv * torch.clamp(ratio, 1.0 - eps_low, 1.0 + eps_high)
    loss = torch.maximum(unclipped, clipped)
    was_clipped = clipped > unclipped
    if clip_ratio_c > 1.0:
        cap = -adv * clip_ratio_c  # positive where adv < 0
        dual = torch.minimum(loss, cap)
        was_clipped = was_clipped | ((adv < 0) & (cap < loss))
        loss = torch.where(adv < 0, dual, loss)
    return loss, was_clipped


def tis_weights(trainer_logp: torch.Tensor, sampler_logp: torch.Tensor, cap: float) -> torch.Tensor:
    """Truncated importance sampling (TIS, Yao et al. 2025; verl's tis_imp_ratio_cap): when the
    sampler (vLLM, an older policy, another dtype) is not the trainer, each token's loss is
    weighted by min(p_trainer / p_sampler, cap), computed without gradient."""
    with torch.no_grad():
        d = torch.clamp(trainer_logp - sampler_logp, -LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
        return torch.clamp(torch.exp(d), max=cap)


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Schulman's k3 estimator of KL(policy || reference) per token: e^d - d - 1, d = ref - logp.
    Always >= 0, unbiased, lower variance than log(p/q)."""
    d = ref_logp - logp
    return torch.exp(d) - d - 1.0


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the next-token distribution at each position (nats)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


def token_weights(
    tokens_per_trajectory: Sequence[int], mode: str, norm_tokens: int = 0, sequences: int = 0
) -> list[float]:
    """Weight of one token of each trajectory in the batch loss, so the loss is a plain
    weighted sum and micro-batches accumulate to exactly the full-batch gradient.

    token:    every token in the batch counts the same: 1 / total tokens (DAPO).
    sequence: mean over each trajectory's tokens, then mean over trajectories (GRPO paper).
    constant: 1 / (norm_tokens * sequences), a normalizer that does not depend on the lengths
              sampled (Dr.GRPO: the generation budget times the number of sequences).
    """
    if mode not in AGGREGATIONS:
        raise ValueError(f"unknown loss aggregation '{mode}'; use one of {', '.join(AGGREGATIONS)}")
    live = [n for n in tokens_per_trajectory if n > 0]
    if not live:
        return [0.0 for _ in tokens_per_trajectory]
    if mode == "constant":
        if norm_tokens < 1 or sequences < 1:
            raise ValueError("the constant loss normalizer needs norm_tokens >= 1 and sequences >= 1")
        w = 1.0 / (norm_tokens * sequences)
        return [w if n > 0 else 0.0 for n in tokens_per_trajectory]
    if mode == "token":
        total = sum(live)
        return [1.0 / total if n > 0 else 0.0 for n in tokens_per_trajectory]
    return [1.0 / (n * len(live)) if n > 0 else 0.0 for n in tokens_per_trajectory]
