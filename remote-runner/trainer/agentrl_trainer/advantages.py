"""Group advantage estimators (GRPO, RLOO, Dr.GRPO-style unnormalized, GDPO).

Pure Python over floats so the numbers are easy to check by hand in tests."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

ESTIMATORS = ("grpo", "rloo", "drgrpo", "gdpo")


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _std(xs: Sequence[float]) -> float:
    """Sample (unbiased) standard deviation, as TRL's GRPOTrainer uses; 0 for one sample."""
    if len(xs) < 2:
        return 0.0
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def is_zero_variance(rewards: Sequence[float], tol: float = 1e-9) -> bool:
    """A group whose samples all scored the same gives no learning signal."""
    return max(rewards) - min(rewards) <= tol


def group_advantages(
    rewards: Sequence[float],
    estimator: str,
    components: Sequence[Mapping[str, float]] | None = None,
    weights: Mapping[str, float] | None = None,
    eps: float = 1e-6,
) -> list[float]:
    """Advantages of one group (the samples of one task), in input order.

    grpo:   (r - mean) / (std + eps)
    rloo:   r_i - mean of the other samples = n/(n-1) * (r - mean)
    drgrpo: r - mean (no std normalization, Dr.GRPO)
    gdpo:   for each reward component, (c - mean_c) / (std_c + eps) within the group,
            then the weighted sum over components (weights default to 1).
    """
    n = len(rewards)
    if n == 0:
        raise ValueError("group_advantages: empty group")
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown advantage estimator '{estimator}'; use one of {', '.join(ESTIMATORS)}")
    if estimator == "gdpo":
        if not components or len(components) != n:
            raise ValueError("gdpo needs one 'components' object per trajectory (reward components by name)")
        names = sorted({k for c in components for k in c})
        if not names:
            raise ValueError("gdpo needs at least one reward component; the trajectories have empty 'components'")
        out = [0.0] * n
        for name in names:
            vals = [float(c.get(name, 0.0)) for c in components]
            if is_zero_variance(vals):
                continue  # a constant component says nothing about which sample was better
            m, s = _mean(vals), _std(vals)
            w = 1.0 if weights is None else float(weights.get(name, 1.0))
            for i, v in enumerate(vals):
                out[i] += w * (v - m) / (s + eps)
        return out
    if n == 1 or is_zero_variance(rewards):
        return [0.0] * n
    m = _mean(rewards)
    if estimator == "grpo":
        s = _std(rewards)
        return [(r - m) / (s + eps) for r in rewards]
    if estimator == "rloo":
        return [(r - m) * n / (n - 1) for r in rewards]
    return [r - m for r in rewards]  # drgrpo
