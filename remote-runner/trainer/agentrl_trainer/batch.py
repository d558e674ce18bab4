"""Parses and validates the training batch contract (one object per trajectory).

{"trajectory_id", "task_id", "group_id", "sample_index", "reward", "components",
 "component_weights", "segments": [{"prompt_token_ids", "completion_token_ids", "logprobs",
 "turn_spans"?}], "turn_rewards"?, "turn_states"?}

A token-exact multi-turn episode is one segment: its completion holds every policy turn's sampled
tokens and, between them, the tool results as rendered; `turn_spans` marks the policy turns (the
loss mask). Without it the whole completion is one policy turn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class BatchError(ValueError):
    """A training batch that does not follow the contract; the message names the field."""


@dataclass
class Segment:
    prompt_ids: list[int]
    completion_ids: list[int]
    logprobs: list[float] | None  # sampled-token logprobs from the policy server, if given
    # [start, end) offsets into completion_ids of the policy turns, in order: the trained tokens
    spans: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.spans:
            self.spans = [(0, len(self.completion_ids))]

    @property
    def policy_tokens(self) -> int:
        return sum(e - s for s, e in self.spans)

    def loss_mask(self) -> list[bool]:
        mask = [False] * len(self.completion_ids)
        for s, e in self.spans:
            mask[s:e] = [True] * (e - s)
        return mask


@dataclass
class Trajectory:
    trajectory_id: str
    task_id: str
    group_id: str
    sample_index: int
    reward: float
    components: dict[str, float]
    component_weights: dict[str, float]
    segments: list[Segment] = field(default_factory=list)
    # per policy turn, in the order of the turns across segments (turn-level credit)
    turn_rewards: list[float] | None = None
    turn_states: list[str] | None = None

    @property
    def completion_tokens(self) -> int:
        """Policy tokens: the ones the loss covers (environment tokens in between are context)."""
        return sum(s.policy_tokens for s in self.segments)

    @property
    def turns(self) -> int:
        return sum(len(s.spans) for s in self.segments)


def _ids(value: Any, where: str, vocab_size: int | None) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        raise BatchError(f"{where} must be a list of integer token ids")
    if vocab_size is not None:
        bad = [x for x in value if x < 0 or x >= vocab_size]
        if bad:
            raise BatchError(
                f"{where} has token id {bad[0]} outside the model's vocabulary (0..{vocab_size - 1}); "
                "were these trajectories sampled from a different model?"
            )
    return list(value)


def _num_map(value: Any, where: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, (int, float)) for v in value.values()):
        raise BatchError(f"{where} must be an object mapping names to numbers")
    return {str(k): float(v) for k, v in value.items()}


def _spans(value: Any, n: int, where: str) -> list[tuple[int, int]]:
    if value is None:
        return [(0, n)]
    ok = isinstance(value, list) and value and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in p) for p in value
    )
    if not ok:
        raise BatchError(f"{where}.turn_spans must be a non-empty list of [start, end] token offsets")
    spans = [(int(p[0]), int(p[1])) for p in value]
    prev = 0
    for a, b in spans:
        if not (prev <= a <= b <= n):
            raise BatchError(
                f"{where}.turn_spans {[list(p) for p in spans]} must be increasing, non-overlapping "
                f"[start, end) offsets within the {n} completion tokens"
            )
        prev = b
    return spans


def _per_turn(value: Any, n: int, where: str, kind: type) -> Any:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n:
        raise BatchError(f"{where} must be a list with one entry per policy turn ({n} turn spans in the segments)")
    if kind is float:
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in value):
            raise BatchError(f"{where} must hold finite numbers")
        return [float(x) for x in value]
    if not all(isinstance(x, str) for x in value):
        raise BatchError(f"{where} must hold strings")
    return list(value)


def parse_trajectory(obj: Any, i: int, vocab_size: int | None = None) -> Trajectory:
    where = f"trajectories[{i}]"
    if not isinstance(obj, dict):
        raise BatchError(f"{where} must be an object")
    for key in ("group_id", "reward", "segments"):
        if key not in obj:
            raise BatchError(f"{where} is missing '{key}'")
    reward = obj["reward"]
    if not isinstance(reward, (int, float)) or isinstance(reward, bool):
        raise BatchError(f"{where}.reward must be a number (got {reward!r})")
    segs_raw = obj["segments"]
    if not isinstance(segs_raw, list) or not segs_raw:
        raise BatchError(f"{where}.segments must be a non-empty list (one per policy turn)")
    segments: list[Segment] = []
    for j, s in enumerate(segs_raw):
        sw = f"{where}.segments[{j}]"
        if not isinstance(s, dict):
            raise BatchError(f"{sw} must be an object")
        prompt = _ids(s.get("prompt_token_ids"), f"{sw}.prompt_token_ids", vocab_size)
        completion = _ids(s.get("completion_token_ids"), f"{sw}.completion_token_ids", vocab_size)
        if not prompt:
            raise BatchError(f"{sw}.prompt_token_ids is empty; send the exact prompt ids the server returned")
        lp_raw = s.get("logprobs")
        logprobs: list[float] | None = None
        if lp_raw is not None:
            if not isinstance(lp_raw, list) or not all(isinstance(x, (int, float)) for x in lp_raw):
                raise BatchError(f"{sw}.logprobs must be a list of numbers or null")
            if len(lp_raw) != len(completion):
                raise BatchError(
                    f"{sw}.logprobs has {len(lp_raw)} values for {len(completion)} completion tokens; "
                    "send one sampled-token logprob per completion token, or null to recompute them"
                )
            logprobs = [float(x) for x in lp_raw]
        segments.append(Segment(prompt, completion, logprobs, _spans(s.get("turn_spans"), len(completion), sw)))
    sample_index = obj.get("sample_index", 0)
    if not isinstance(sample_index, int):
        raise BatchError(f"{where}.sample_index must be an integer")
    n_turns = sum(len(sg.spans) for sg in segments)
    return Trajectory(
        turn_rewards=_per_turn(obj.get("turn_rewards"), n_turns, f"{where}.turn_rewards", float),
        turn_states=_per_turn(obj.get("turn_states"), n_turns, f"{where}.turn_states", str),
        trajectory_id=str(obj.get("trajectory_id", f"t{i}")),
        task_id=str(obj.get("task_id", obj["group_id"])),
        group_id=str(obj["group_id"]),
        sample_index=sample_index,
        reward=float(reward),
        components=_num_map(obj.get("components"), f"{where}.components"),
        component_weights=_num_map(obj.get("component_weights"), f"{where}.component_weights"),
        segments=segments,
    )


def parse_batch(objs: Any, vocab_size: int | None = None) -> list[Trajectory]:
    if not isinstance(objs, list) or not objs:
        raise BatchError("'trajectories' must be a non-empty list of trajectory objects")
    trajs = [parse_trajectory(o, i, vocab_size) for i, o in enumerate(objs)]
    return trajs


def read_jsonl(path: str | Path) -> list[Any]:
    """The same objects as `agentrl export RUN --format train` writes, one per line."""
    out: list[Any] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise BatchError(f"{path}:{n}: not valid JSON ({e.msg})") from e
    return out


def group_by(trajs: list[Trajectory]) -> dict[str, list[int]]:
    """Indices of trajectories per group_id, groups in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(trajs):
        groups.setdefault(t.group_id, []).append(i)
    return groups
