"""Slicing a row's logprobs into policy turns and placing them on the trajectory's turns."""

from __future__ import annotations

from agentrl_trainer.token_logprobs import bounded, place_turns, span_drift, turn_slices


def test_turn_slices_take_each_span_of_the_completion() -> None:
    lp = [-1.0, -2.0, -3.0, 0.0, 0.0, -4.0, -5.0000004]
    assert turn_slices(lp, [(0, 3), (5, 7)]) == [[-1.0, -2.0, -3.0], [-4.0, -5.0]]
    assert turn_slices(lp, [(2, 2)]) == [[]]


def test_span_drift_compares_sampled_tokens_only() -> None:
    assert span_drift([-1.0, -9.0, -2.5], [-1.5, 0.0, -2.0], [(0, 1), (2, 3)]) == [0.5, 0.5]
    assert span_drift([-1.0], None, [(0, 1)]) == []


def test_place_turns_puts_rows_in_turn_order_whatever_their_order() -> None:
    rows = [("a", 2, [[-3.0]]), ("b", 0, [[-9.0]]), ("a", 0, [[-1.0], [-2.0]])]
    assert place_turns(rows, {"a": 4, "b": 1}) == {"a": [[-1.0], [-2.0], [-3.0], []], "b": [[-9.0]]}


def test_bounded_keeps_whole_trajectories_up_to_the_limit() -> None:
    per = {"a": [[-1.0, -1.0]], "b": [[-1.0], [-1.0, -1.0]], "c": [[-1.0]]}
    assert bounded(per, 3) == ({"a": per["a"], "c": per["c"]}, 1)
    assert bounded(per, 0) == ({}, 3)
