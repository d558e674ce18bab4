"""Operations on the trained weights, run by every rank at once under torchrun: rank 0 (the one
serving HTTP) broadcasts the call, the other ranks wait for it in `follow` and run the same
operation on their shards. In one process a call simply runs."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .checkpoint import load_adapter_weights, save_checkpoint
from .distributed import broadcast_object
from .trainer import Trainer


def _train_step(tr: Trainer, raw: Any, overrides: dict[str, Any] | None, step: int | None) -> dict[str, Any]:
    metrics = tr.train_step(raw, overrides, step)
    tr.refresh_full()  # rank 0's whole copy generates (built-in engine) and writes the adapter
    return metrics


def _load_adapter(tr: Trainer, path: str) -> None:
    """A PEFT adapter folder into the trained weights: rank 0 reads it into its whole copy, and
    every rank takes its shard of that copy's adapter."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    if tr.dist is None or tr.dist.leader:
        load_adapter_weights(tr.full, path)
    if tr.dist is None:
        return
    trainable = {n for n, p in tr.policy.model.named_parameters() if p.requires_grad}
    sd = {k: v for k, v in tr.full.model.state_dict().items() if k in trainable} if tr.dist.leader else {}
    with tr.policy.lock:
        set_model_state_dict(tr.policy.model, sd, options=StateDictOptions(
            full_state_dict=True, broadcast_from_rank0=True, strict=False))


def _checkpoint(tr: Trainer, d: str) -> str:
    return str(save_checkpoint(tr, Path(d)))


OPS: dict[str, Callable[..., Any]] = {
    "train_step": _train_step,
    "checkpoint": _checkpoint,
    "load_adapter": _load_adapter,
}


def run(tr: Trainer, name: str, *args: Any) -> Any:
    """Runs OPS[name] here and, under torchrun, on every other rank too (call on rank 0)."""
    if tr.dist is not None:
        broadcast_object(tr.dist, (name, args))
    return OPS[name](tr, *args)


def stop(tr: Trainer) -> None:
    """Lets the followers leave `follow` (rank 0, at shutdown)."""
    if tr.dist is not None:
        broadcast_object(tr.dist, ("stop", ()))


def follow(tr: Trainer) -> None:
    """Ranks other than 0: run what rank 0 runs, until it says stop. An operation that fails
    fails on rank 0 as well (same batch, same checks), which reports it; here it is logged."""
    assert tr.dist is not None and not tr.dist.leader
    while True:
        name, args = broadcast_object(tr.dist, None)
        if name == "stop":
            return
        try:
            OPS[name](tr, *args)
        except Exception:
            print(f"rank {tr.dist.rank}: {name} failed", file=sys.stderr)
            traceback.print_exc()
