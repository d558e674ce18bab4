"""The trainer across processes: `torchrun` starts one process (rank) per device, every rank
holds a shard of the weights (FSDP2 `fully_shard`), and the ranks run each training operation
together. Only rank 0 serves HTTP; the others follow its commands (see `follow`).

Devices: one CUDA GPU per rank (nccl), or on CPU one core per rank (gloo). On GPUs the master
weights stay float32 and the compute is bfloat16 (MixedPrecisionPolicy), with gradients reduced
in float32."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist


class NprocError(ValueError):
    """More processes were asked for than there are devices to put them on."""


def available_devices(device: str | None) -> tuple[str, int]:
    """What one trainer process runs on here and how many of those there are: CUDA GPUs, or
    (no GPU, or --device cpu) the CPU cores this process may use, one per process."""
    if (device or "").startswith("cuda") or (device is None and torch.cuda.is_available()):
        return "cuda", torch.cuda.device_count()
    return "cpu", len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_nproc(nproc: int, device: str | None) -> None:
    if nproc < 1:
        raise NprocError(f"--nproc must be a positive integer (got {nproc}). Fix: pass 1 or more")
    kind, count = available_devices(device)
    if nproc > count:
        what = "CUDA GPUs" if kind == "cuda" else "CPU cores (on CPU each trainer process takes one core)"
        raise NprocError(f"--nproc {nproc} is more than the {count} {what} of this machine. Fix: pass --nproc {count} or "
                         "fewer, or spread the processes over several machines (torchrun --nnodes, see README "
                         "'Scaling out')")


@dataclass
class Dist:
    """This process's place in the group."""

    rank: int
    world: int
    device: torch.device
    # Commands from rank 0 travel on a gloo group of their own: they are Python objects, and a
    # follower may wait for the next one for as long as rollouts take (no collective timeout).
    control: Any

    @property
    def leader(self) -> bool:
        return self.rank == 0


_TIMEOUT = timedelta(days=30)


def init_from_env(device: str | None) -> Dist | None:
    """Joins the group torchrun started (None when this is a single process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    check_nproc(int(os.environ.get("LOCAL_WORLD_SIZE", str(world))), device)
    kind, _ = available_devices(device)
    if kind == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
        dist.init_process_group("nccl", device_id=dev, timeout=timedelta(minutes=30))
    else:
        dev = torch.device("cpu")
        dist.init_process_group("gloo", timeout=timedelta(minutes=30))
    control = dist.new_group(backend="gloo", timeout=_TIMEOUT)
    return Dist(dist.get_rank(), world, dev, control)


def broadcast_object(d: Dist, obj: Any) -> Any:
    """Rank 0's object on every rank."""
    box = [obj]
    dist.broadcast_object_list(box, src=0, group=d.control)
    return box[0]


def gather_to_leader(d: Dist, obj: Any) -> list[Any]:
    """Every rank's object on rank 0, in rank order (an empty list on the other ranks)."""
    out: list[Any] | None = [None] * d.world if d.leader else None
    dist.gather_object(obj, out, dst=0, group=d.control)
    return out or []


def all_sum(d: Dist, values: list[float]) -> list[float]:
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.SUM, group=d.control)
    return [float(x) for x in t]


def all_max(d: Dist, value: float) -> float:
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX, group=d.control)
    return float(t[0])


def shard_model(model: Any, d: Dist, bf16: bool) -> None:
    """FSDP2 over every decoder layer (the model's own no-split unit, e.g. LlamaDecoderLayer),
    then the rest (embeddings, head). Gradients are summed, not averaged, across ranks: each
    rank's loss is already its part of the whole batch's loss (token weights over the batch)."""
    from torch.distributed.fsdp import FSDPModule, MixedPrecisionPolicy, fully_shard

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    units = set(getattr(base, "_no_split_modules", None) or [])
    if not units:
        raise ValueError(f"{type(base).__name__} names no decoder layer class (_no_split_modules); FSDP needs one")
    mp = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32) if bf16 else MixedPrecisionPolicy()
    layers = [m for m in model.modules() if type(m).__name__ in units]
    for layer in layers:
        fully_shard(layer, mp_policy=mp)
    fully_shard(model, mp_policy=mp)
    for m in model.modules():
        if isinstance(m, FSDPModule):
            m.set_gradient_divide_factor(1.0)
            if hasattr(m, "set_force_sum_reduction_for_comms"):  # torch >= 2.8; gloo needs it (no PREMUL_SUM)
                m.set_force_sum_reduction_for_comms(True)


def broadcast_trainable(model: Any, d: Dist) -> None:
    """Every rank starts from rank 0's trainable weights (a fresh LoRA adapter is random)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                dist.broadcast(p.data, src=0)


def full_trainable_state(model: Any, lora: bool) -> dict[str, torch.Tensor]:
    """The whole (unsharded) weights on rank 0's CPU, the trainable ones only with LoRA (the
    frozen base never changes); empty on the other ranks. Collective."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    sd = get_model_state_dict(model, options=StateDictOptions(
        full_state_dict=True, cpu_offload=True, ignore_frozen_params=lora))
    return {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}


def assign_groups(sizes: list[int], world: int) -> list[int]:
    """The rank that trains each group: groups stay whole (their advantages and rows belong
    together) and the ranks get about equal tokens (largest group first to the least loaded
    rank). Deterministic: every rank computes the same assignment from the same batch."""
    load = [0] * world
    owner = [0] * len(sizes)
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        k = min(range(world), key=lambda r: (load[r], r))
        owner[i] = k
        load[k] += sizes[i]
    return owner
