"""Turn-level credit: hand-computed values for every estimator."""

from __future__ import annotations

import math

import pytest

from agentrl_trainer.credit import (
    gigpo_step_advantages, return_to_go_advantages, returns_to_go, step_rewards, turn_advantages,
)


def test_returns_to_go_discounts_later_rewards() -> None:
    # G2 = 2; G1 = 0 + 0.5 * 2 = 1; G0 = 1 + 0.5 * 1 = 1.5
    assert returns_to_go([1.0, 0.0, 2.0], 0.5) == [1.5, 1.0, 2.0]


def test_step_rewards_add_the_outcome_at_the_last_turn() -> None:
    assert step_rewards(1.0, [0.25, 0.5], 2) == [0.25, 1.5]
    assert step_rewards(0.5, None, 3) == [0.0, 0.0, 0.5]
    with pytest.raises(ValueError, match="2 turn rewards for 3 turns"):
        step_rewards(1.0, [0.0, 0.0], 3)


def test_return_to_go_normalizes_step_rewards_over_the_group() -> None:
    # step rewards [1, 1] and [0, 0]: mean 0.5, sample std sqrt(1/3); each normalized to ±0.866025
    # gamma 0.5: [0.866 + 0.5 * 0.866, 0.866] and the negatives
    a = return_to_go_advantages([[1.0, 1.0], [0.0, 0.0]], gamma=0.5)
    z = 0.5 / math.sqrt(1 / 3)
    assert a[0] == pytest.approx([1.5 * z, z], abs=1e-5)
    assert a[1] == pytest.approx([-1.5 * z, -z], abs=1e-5)
    assert a[0] == pytest.approx([1.299038, 0.866025], abs=1e-5)
    assert return_to_go_advantages([[1.0], [1.0]], gamma=1.0) == [[0.0], [0.0]]


def test_gigpo_compares_turns_that_saw_the_same_state() -> None:
    # returns (gamma 1): T1 [1, 1], T2 [0.5, 0.5], T3 [0, 0]
    # state s0 (all three first turns): [1, .5, 0], mean .5, std .5 -> [1, 0, -1]
    # state a (T1 and T3 second turns): [1, 0], mean .5, std .7071 -> [.7071, -.7071]
    # state b (T2 only): no comparison -> 0
    steps = [[0.0, 1.0], [0.0, 0.5], [0.0, 0.0]]
    states = [["s0", "a"], ["s0", "b"], ["s0", "a"]]
    s = gigpo_step_advantages(steps, states, gamma=1.0)
    assert s[0] == pytest.approx([1.0, 0.707107], abs=1e-5)
    assert s[1] == pytest.approx([0.0, 0.0], abs=1e-5)
    assert s[2] == pytest.approx([-1.0, -0.707107], abs=1e-5)
    # the episode advantage is added to every turn, the step advantage weighted
    full = turn_advantages("gigpo", [1.0, 0.0, -1.0], [1.0, 0.5, 0.0], [None, None, None], [2, 2, 2], states,
                           gamma=1.0, step_weight=0.5)
    assert full[0] == pytest.approx([1.5, 1.353553], abs=1e-5)
    assert full[2] == pytest.approx([-1.5, -1.353553], abs=1e-5)


def test_outcome_credit_gives_every_turn_the_trajectory_advantage() -> None:
    assert turn_advantages("outcome", [0.5, -0.5], [1.0, 0.0], [None, None], [3, 1], [None, None]) == [
        [0.5, 0.5, 0.5], [-0.5]]


def test_unknown_credit_and_missing_states_are_refused() -> None:
    with pytest.raises(ValueError, match="outcome, return_to_go, gigpo"):
        turn_advantages("nope", [0.0], [0.0], [None], [1], [None])
    with pytest.raises(ValueError, match="turn_states"):
        turn_advantages("gigpo", [0.0, 0.0], [1.0, 0.0], [None, None], [1, 1], [None, ["x"]])
