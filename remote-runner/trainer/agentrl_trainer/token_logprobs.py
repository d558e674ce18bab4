"""The trainer's per-token logprobs of a step's trajectories, as the runner stores them on turns.

A row's logprobs cover its whole completion (policy turns and the context between them); each
policy turn is a span of it. The runner gets, per trajectory, one list per policy turn in turn
order, so it never slices token offsets itself: the slicing lives here only.
"""

from __future__ import annotations

from collections.abc import Sequence

# Per-token values carry 6 decimals: finer than float32 logprobs resolve, and about 10 bytes each.
DIGITS = 6


def turn_slices(lp: Sequence[float], spans: Sequence[tuple[int, int]]) -> list[list[float]]:
    """Each policy turn's logprobs: the span [a, b) of the row's completion logprobs."""
    return [[round(float(x), DIGITS) for x in lp[a:b]] for a, b in spans]


def span_drift(trainer: Sequence[float], sampled: Sequence[float] | None, spans: Sequence[tuple[int, int]]) -> list[float]:
    """|trainer - sampler| on every sampled token (the spans); none when the sampler sent none.
    The context between spans was never sampled, so its logprobs are not compared."""
    if sampled is None:
        return []
    return [abs(float(trainer[i]) - float(sampled[i])) for a, b in spans for i in range(a, b)]


def place_turns(rows: Sequence[tuple[str, int, list[list[float]]]], turns: dict[str, int]) -> dict[str, list[list[float]]]:
    """Per trajectory, its policy turns in order, from rows given as (trajectory id, index of the
    row's first turn, its turns' logprobs) in any order; a turn no row covered (no tokens) is []."""
    out: dict[str, list[list[float]]] = {}
    for tid, first, per_turn in rows:
        slots = out.setdefault(tid, [[] for _ in range(turns[tid])])
        slots[first : first + len(per_turn)] = per_turn
    return out


def bounded(per_traj: dict[str, list[list[float]]], max_tokens: int) -> tuple[dict[str, list[list[float]]], int]:
    """Whole trajectories, in the given order, up to `max_tokens` values in all (the response stays
    bounded whatever the batch); returns them and how many trajectories were left out."""
    kept: dict[str, list[list[float]]] = {}
    used = 0
    for tid, turns in per_traj.items():
        n = sum(len(t) for t in turns)
        if used + n > max_tokens:
            continue
        kept[tid] = turns
        used += n
    return kept, len(per_traj) - len(kept)
