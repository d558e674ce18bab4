"""Per-token policy-gradient pieces: clipped ratio loss, k3 KL, entropy, loss weights."""

from __future__ import annotations

from collections.abc import Sequence

import torch

AGGREGATIONS = ("token", "sequence")


def clipped_policy_loss(
    logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, eps_low: float, eps_high: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO/GRPO surrogate per token: -min(r*A, clip(r, 1-eps_low, 1+eps_high)*A).

    Returns (loss per token, mask of tokens where the clipped branch was taken)."""
    ratio = torch.exp(logp - old_logp)
    unclipped = ratio * adv
    clipped = torch.clamp(ratio, 1.0 - eps_low, 1.0 + eps_high) * adv
    loss = -torch.minimum(unclipped, clipped)
    return loss, (clipped < unclipped)


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Schulman's k3 estimator of KL(policy || reference) per token: e^d - d - 1, d = ref - logp.
    Always >= 0, unbiased, lower variance than log(p/q)."""
    d = ref_logp - logp
    return torch.exp(d) - d - 1.0


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of the next-token distribution at each position (nats)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


def token_weights(tokens_per_trajectory: Sequence[int], mode: str) -> list[float]:
    """Weight of one token of each trajectory in the batch loss, so the loss is a plain
    weighted sum and micro-batches accumulate to exactly the full-batch gradient.

    token:    every token in the batch counts the same: 1 / total tokens (DAPO).
    sequence: mean over each trajectory's tokens, then mean over trajectories (GRPO paper).
    """
    if mode not in AGGREGATIONS:
        raise ValueError(f"unknown loss aggregation '{mode}'; use 'token' or 'sequence'")
    live = [n for n in tokens_per_trajectory if n > 0]
    if not live:
        return [0.0 for _ in tokens_per_trajectory]
    if mode == "token":
        total = sum(live)
        return [1.0 / total if n > 0 else 0.0 for n in tokens_per_trajectory]
    return [1.0 / (n * len(live)) if n > 0 else 0.0 for n in tokens_per_trajectory]
