"""Parses and validates the training batch contract (one object per trajectory).

{"trajectory_id", "task_id", "group_id", "sample_index", "reward", "components",
 "component_weights", "segments": [{"prompt_token_ids", "completion_token_ids", "logprobs"}]}
"""

from __future__ import annotations

import json
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

    @property
    def completion_tokens(self) -> int:
        return sum(len(s.completion_ids) for s in self.segments)


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
        segments.append(Segment(prompt, completion, logprobs))
    sample_index = obj.get("sample_index", 0)
    if not isinstance(sample_index, int):
        raise BatchError(f"{where}.sample_index must be an integer")
    return Trajectory(
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
