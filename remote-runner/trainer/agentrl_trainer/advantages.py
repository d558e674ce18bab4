"""Group advantage estimators (GRPO, RLOO, Dr.GRPO, GDPO): the reference numbers.

Pure Python over floats so the numbers are easy to check by hand in tests. The runner's
TypeScript copy (remote-runner/src/rewards/advantages.ts) gives the same numbers: both read
protocol/golden/advantages.json in their tests."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ESTIMATORS = ("grpo", "rloo", "drgrpo", "gdpo")
EPS = 1e-6
# A reward beyond this magnitude is a bug in the reward (squares overflow float64 near 1e154);
# the runner refuses it as a reward error, the trainer refuses it here too.
MAX_ABS_REWARD = 1e9


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
    return len(rewards) < 2 or max(rewards) - min(rewards) <= tol


def check_estimator(estimator: str) -> str:
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown advantage estimator '{estimator}'; use one of {', '.join(ESTIMATORS)}")
    return estimator


def check_reward(value: float, where: str) -> float:
    if not math.isfinite(value) or abs(value) > MAX_ABS_REWARD:
        raise ValueError(
            f"{where} is {value!r}: rewards must be finite numbers within ±{MAX_ABS_REWARD:g}; "
            "fix the reward function (the runner records such a value as a reward error)"
        )
    return value


def group_advantages(rewards: Sequence[float], estimator: str) -> list[float]:
    """Advantages of one group (the samples of one task) from the scalar rewards, in order.

    grpo:   (r - mean) / (sample std + eps)
    rloo:   r_i - mean of the other samples = n/(n-1) * (r - mean)
    drgrpo: r - mean (no std normalization, Dr.GRPO)
    A group of one sample or with zero variance gets zeros. (GDPO: gdpo_group_sums.)"""
    n = len(rewards)
    if n == 0:
        raise ValueError("group_advantages: empty group")
    check_estimator(estimator)
    if estimator == "gdpo":
        raise ValueError("gdpo normalizes over the whole batch: use batch_advantages")
    if is_zero_variance(rewards):
        return [0.0] * n
    m = _mean(rewards)
    if estimator == "grpo":
        s = _std(rewards)
        return [(r - m) / (s + EPS) for r in rewards]
    if estimator == "rloo":
        return [(r - m) * n / (n - 1) for r in rewards]
    return [r - m for r in rewards]  # drgrpo


def gdpo_group_sums(components: Sequence[Mapping[str, float]], weights: Mapping[str, float]) -> list[float]:
    """GDPO's first stage for one group: each reward component normalized within the group,
    (c - mean_c) / (std_c + eps), then the weighted sum over components (a missing weight is
    1). A component that is constant within the group contributes 0."""
    names = sorted({k for c in components for k in c})
    out = [0.0] * len(components)
    for name in names:
        vals = [float(c.get(name, 0.0)) for c in components]
        if is_zero_variance(vals):
            continue
        m, s = _mean(vals), _std(vals)
        w = float(weights.get(name, 1.0))
        for i, v in enumerate(vals):
            out[i] += w * (v - m) / (s + EPS)
    return out


@dataclass
class Sample:
    """What an estimator reads of one trajectory."""

    group_id: str
    reward: float
    components: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    trajectory_id: str = ""


@dataclass
class BatchAdvantages:
    advantages: list[float]  # one per sample, in input order
    zero_variance: list[bool]  # per sample: its group carries no signal
    groups: int
    zero_variance_groups: int


def _groups(samples: Sequence[Sample]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        groups.setdefault(s.group_id, []).append(i)
    return groups


def _check_samples(samples: Sequence[Sample], estimator: str) -> None:
    check_estimator(estimator)
    for i, s in enumerate(samples):
        name = s.trajectory_id or f"trajectories[{i}]"
        check_reward(s.reward, f"the reward of {name}")
        for k, v in s.components.items():
            check_reward(v, f"component '{k}' of {name}")
        if estimator == "gdpo" and not s.components:
            raise ValueError(
                f"gdpo normalizes each reward component, but {name} has no components: give the "
                "environment named reward components (one defineReward per component), or use "
                "estimator grpo (or rloo/drgrpo) on the total reward"
            )


def batch_advantages(samples: Sequence[Sample], estimator: str) -> BatchAdvantages:
    """Advantages of a whole batch, grouped by group_id.

    grpo/rloo/drgrpo: per group (group_advantages). gdpo: per group the weighted sum of the
    per-component normalized scores (gdpo_group_sums), then that sum normalized over the batch,
    (x - mean) / (sample std + eps), as the GDPO reference and TRL's `normalize_then_sum` do.
    Zero-variance groups (no component varies, for gdpo) get 0 and are left out of the batch
    statistics, so a batch's dead groups do not shift the others' advantages."""
    _check_samples(samples, estimator)
    groups = _groups(samples)
    adv = [0.0] * len(samples)
    zero = [False] * len(samples)
    live: list[int] = []
    for idx in groups.values():
        if estimator == "gdpo":
            comps = [samples[i].components for i in idx]
            names = {k for c in comps for k in c}
            zv = all(is_zero_variance([c.get(k, 0.0) for c in comps]) for k in names)
            vals = [] if zv else gdpo_group_sums(comps, samples[idx[0]].weights)
        else:
            rewards = [samples[i].reward for i in idx]
            zv = is_zero_variance(rewards)
            vals = [] if zv else group_advantages(rewards, estimator)
        for j, i in enumerate(idx):
            zero[i] = zv
            if not zv:
                adv[i] = vals[j]
                live.append(i)
    if estimator == "gdpo" and len(live) > 1:
        xs = [adv[i] for i in live]
        m, s = _mean(xs), _std(xs)
        for i in live:
            adv[i] = (adv[i] - m) / (s + EPS)
    zero_groups = sum(1 for idx in groups.values() if zero[idx[0]])
    return BatchAdvantages(adv, zero, len(groups), zero_groups)
