"""Turn-level credit: advantages per policy turn of multi-turn trajectories.

Pure Python over floats so every number can be checked by hand in tests. A trajectory's step
rewards are its turn rewards (shaping the environment gave each turn, 0 where none) with the
outcome reward added at the last turn.

outcome:      every turn gets the trajectory's advantage (the group estimator on the outcome).
return_to_go: GRPO with process supervision (DeepSeekMath, Shao et al. 2024, 4.1.3): every step
              reward is normalized over all step rewards of the group, (r - mean) / (std + eps),
              and a turn's advantage is the discounted sum of the normalized rewards from it on.
gigpo:        Group-in-Group Policy Optimization (Feng et al. 2025): the episode advantage (the
              group estimator on the outcome) plus `step_weight` times a step advantage: turns
              of one group that saw the same state (equal `turn_states` keys) are a step group,
              and each turn's discounted return is normalized within its step group (0 for a
              turn whose state no other turn saw).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CREDITS = ("outcome", "return_to_go", "gigpo")


def _mean_std(xs: Sequence[float]) -> tuple[float, float]:
    """Mean and sample (unbiased) std, as the group estimators use; std 0 for one value."""
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, 0.0
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def step_rewards(outcome: float, turn_rewards: Sequence[float] | None, turns: int) -> list[float]:
    """Reward of each turn: its own (shaping) reward, plus the outcome at the last turn."""
    if turns < 1:
        raise ValueError("a trajectory needs at least one turn")
    r = [0.0] * turns if turn_rewards is None else [float(x) for x in turn_rewards]
    if len(r) != turns:
        raise ValueError(f"{len(r)} turn rewards for {turns} turns")
    r[-1] += outcome
    return r


def returns_to_go(rewards: Sequence[float], gamma: float) -> list[float]:
    """G_t = sum over k >= t of gamma^(k - t) * r_k."""
    out = [0.0] * len(rewards)
    acc = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        out[t] = acc
    return out


def return_to_go_advantages(group: Sequence[Sequence[float]], gamma: float, eps: float = 1e-6) -> list[list[float]]:
    """Per-turn advantages of one group (each entry: one trajectory's step rewards)."""
    pooled = [r for traj in group for r in traj]
    if not pooled:
        return [[] for _ in group]
    m, s = _mean_std(pooled)
    if s == 0.0:
        return [[0.0] * len(traj) for traj in group]
    return [returns_to_go([(r - m) / (s + eps) for r in traj], gamma) for traj in group]


def gigpo_step_advantages(
    group: Sequence[Sequence[float]], states: Sequence[Sequence[str]], gamma: float, eps: float = 1e-6
) -> list[list[float]]:
    """The step part of GiGPO for one group: discounted returns normalized within the turns that
    saw the same state."""
    rtg = [returns_to_go(traj, gamma) for traj in group]
    anchors: dict[str, list[tuple[int, int]]] = {}
    for i, keys in enumerate(states):
        if len(keys) != len(group[i]):
            raise ValueError(f"trajectory {i} has {len(keys)} state keys for {len(group[i])} turns")
        for t, k in enumerate(keys):
            anchors.setdefault(k, []).append((i, t))
    out = [[0.0] * len(traj) for traj in group]
    for members in anchors.values():
        if len(members) < 2:
            continue
        vals = [rtg[i][t] for i, t in members]
        m, s = _mean_std(vals)
        if s == 0.0:
            continue
        for (i, t), v in zip(members, vals):
            out[i][t] = (v - m) / (s + eps)
    return out


def turn_advantages(
    credit: str,
    outcome_adv: Sequence[float],
    rewards: Sequence[float],
    turn_rewards: Sequence[Sequence[float] | None],
    turn_counts: Sequence[int],
    states: Sequence[Sequence[str] | None],
    gamma: float = 1.0,
    step_weight: float = 1.0,
) -> list[list[float]]:
    """Advantage of each turn of each trajectory of one group (the samples of one task).

    outcome_adv: the group estimator's advantage of each trajectory; rewards: their outcome
    rewards; turn_rewards, turn_counts, states: per trajectory."""
    if credit not in CREDITS:
        raise ValueError(f"unknown turn credit '{credit}'; use one of {', '.join(CREDITS)}")
    if credit == "outcome":
        return [[a] * n for a, n in zip(outcome_adv, turn_counts)]
    steps = [step_rewards(r, tr, n) for r, tr, n in zip(rewards, turn_rewards, turn_counts)]
    if credit == "return_to_go":
        return return_to_go_advantages(steps, gamma)
    if any(s is None for s in states):
        raise ValueError("gigpo credit needs 'turn_states' on every trajectory (what each turn saw)")
    keys = [list(s) for s in states if s is not None]
    step = gigpo_step_advantages(steps, keys, gamma)
    return [[a + step_weight * x for x in row] for a, row in zip(outcome_adv, step)]
