"""Checkpoints, resume, live adapter reload, and export of a merged model that plain
transformers loads.

A checkpoint folder holds: `dcp/`, the trained weights and the optimizer state written with
torch.distributed.checkpoint (each rank writes its own shards; a resume reshards them onto any
number of processes, one included); `adapter/` (PEFT) or `model/` (safetensors), the whole weights
for export and for vLLM; `trainer_state.json` (step, options, metrics history)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from .options import TrainOptions
from .trainer import Trainer

STATE_FILE = "trainer_state.json"


def _dcp_options(trainer: Trainer, strict: bool = True) -> Any:
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    # With LoRA only the adapter is trained: the frozen base comes from the model files (so
    # setting the adapter's weights is not strict about the base's; reading the checkpoint is:
    # a weight it lacks fails there).
    return StateDictOptions(ignore_frozen_params=trainer.policy.is_lora, strict=strict)


def _dcp_args(trainer: Trainer) -> dict[str, Any]:
    return {"process_group": trainer.dist.control} if trainer.dist else {"no_dist": True}


def save_checkpoint(trainer: Trainer, out: str | Path) -> Path:
    """Every rank writes its shards (collective under torchrun); rank 0 writes the rest."""
    from torch.distributed.checkpoint import state_dict_loader, state_dict_saver
    from torch.distributed.checkpoint.state_dict import get_model_state_dict, get_state_dict

    d = Path(out)
    leader = trainer.dist is None or trainer.dist.leader
    if leader:
        d.mkdir(parents=True, exist_ok=True)
    pol = trainer.policy
    # An optimizer that has not stepped yet has no state; reading its state dict would step it
    # once on zero gradients (to create the state) and shift Adam's step count.
    with_optim = bool(trainer.optimizer.state)
    with pol.lock:
        pol.for_training()
        if with_optim:
            msd, osd = get_state_dict(pol.model, trainer.optimizer, options=_dcp_options(trainer))
            state_dict_saver.save({"model": msd, "optim": osd}, checkpoint_id=str(d / "dcp"), **_dcp_args(trainer))
        else:
            msd = get_model_state_dict(pol.model, options=_dcp_options(trainer))
            state_dict_saver.save({"model": msd}, checkpoint_id=str(d / "dcp"), **_dcp_args(trainer))
    if not leader:
        return d
    full = trainer.full
    with full.lock:
        full.for_training()
        if full.is_lora:
            full.model.save_pretrained(str(d / "adapter"))  # adapter_model.safetensors + adapter_config.json
        else:
            full.model.save_pretrained(str(d / "model"), safe_serialization=True)
            full.tokenizer.save_pretrained(str(d / "model"))
    state = {
        "step": trainer.step,
        "model": pol.name,
        "lora": None if pol.lora is None else vars(pol.lora),
        "options": trainer.options.to_json(),
        "metrics_history": trainer.history,
        "optimizer": with_optim,
        "world_size": trainer.dist.world if trainer.dist else 1,
    }
    (d / STATE_FILE).write_text(json.dumps(state, indent=1))
    return d


def _load_sharded(trainer: Trainer, d: Path, with_optim: bool) -> None:
    """Reads `dcp/` onto this process's shards, whatever number of processes wrote it."""
    from torch.distributed.checkpoint import state_dict_loader, state_dict_saver
    from torch.distributed.checkpoint.state_dict import (
        get_model_state_dict, get_state_dict, set_model_state_dict, set_state_dict)

    pol = trainer.policy
    with pol.lock:
        pol.for_training()
        if with_optim:
            msd, osd = get_state_dict(pol.model, trainer.optimizer, options=_dcp_options(trainer))
            sd: dict[str, Any] = {"model": msd, "optim": osd}
            state_dict_loader.load(sd, checkpoint_id=str(d / "dcp"), **_dcp_args(trainer))
            set_state_dict(pol.model, trainer.optimizer, model_state_dict=sd["model"], optim_state_dict=sd["optim"],
                           options=_dcp_options(trainer, strict=False))
        else:
            sd = {"model": get_model_state_dict(pol.model, options=_dcp_options(trainer))}
            state_dict_loader.load(sd, checkpoint_id=str(d / "dcp"), **_dcp_args(trainer))
            set_model_state_dict(pol.model, sd["model"], options=_dcp_options(trainer, strict=False))


def read_state(ckpt: str | Path) -> dict[str, Any]:
    f = Path(ckpt) / STATE_FILE
    if not f.is_file():
        raise FileNotFoundError(f"{ckpt} is not a checkpoint (no {STATE_FILE}); pass a folder made by POST /v1/checkpoints")
    data: dict[str, Any] = json.loads(f.read_text())
    return data


def load_adapter_weights(trainer_policy: Any, adapter_dir: str | Path) -> None:
    """Loads LoRA weights saved by save_pretrained into the live adapter (no restart)."""
    from peft import set_peft_model_state_dict

    d = Path(adapter_dir)
    cfg_file = d / "adapter_config.json"
    if not cfg_file.is_file():
        raise FileNotFoundError(f"{d} has no adapter_config.json; pass a folder written by PEFT save_pretrained")
    cfg = json.loads(cfg_file.read_text())
    lora = trainer_policy.lora
    if lora is None:
        raise ValueError("this server runs without LoRA (--lora-rank 0); it cannot load an adapter")
    if int(cfg.get("r", -1)) != lora.rank:
        raise ValueError(f"adapter rank {cfg.get('r')} does not match the server's --lora-rank {lora.rank}")
    weights = load_file(str(d / "adapter_model.safetensors"))
    with trainer_policy.lock:
        trainer_policy.for_training()
        res = set_peft_model_state_dict(trainer_policy.model, weights)
    unexpected = getattr(res, "unexpected_keys", [])
    if unexpected:
        raise ValueError(f"adapter has {len(unexpected)} tensors this model lacks (e.g. {unexpected[0]})")


def resume(trainer: Trainer, ckpt: str | Path) -> None:
    d = Path(ckpt)
    state = read_state(d)
    if (d / "dcp").is_dir():
        _load_sharded(trainer, d, bool(state.get("optimizer", True)))
        trainer.refresh_full()
    elif trainer.dist is not None:
        raise ValueError(f"{d} is a checkpoint of the older format (optimizer.pt), which resumes in one process only. "
                         "Fix: resume it without --nproc, then save a checkpoint: new ones resume on any number")
    else:
        _load_legacy(trainer, d)
    trainer.step = int(state["step"])
    trainer.history = list(state.get("metrics_history", []))
    opts = state.get("options")
    if isinstance(opts, dict):
        trainer.options = TrainOptions(**opts).validate()


def _load_legacy(trainer: Trainer, d: Path) -> None:
    """A checkpoint written before `dcp/` existed: whole weights and a torch.save'd optimizer."""
    pol = trainer.policy
    if pol.is_lora:
        load_adapter_weights(pol, d / "adapter")
    else:
        from transformers import AutoModelForCausalLM

        src = AutoModelForCausalLM.from_pretrained(str(d / "model"), dtype=next(pol.model.parameters()).dtype)
        with pol.lock:
            pol.model.load_state_dict(src.state_dict())
    trainer.optimizer.load_state_dict(torch.load(d / "optimizer.pt", map_location=pol.device, weights_only=True))


def export_merged(trainer: Trainer, out: str | Path) -> Path:
    """The trained policy as one ordinary model folder (LoRA merged into the weights)."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    pol = trainer.full  # under torchrun: rank 0's whole copy
    with pol.lock:
        pol.for_training()
        model = copy.deepcopy(pol.model)
    if pol.is_lora:
        model = model.merge_and_unload()
    model.save_pretrained(str(d), safe_serialization=True)
    pol.tokenizer.save_pretrained(str(d))
    return d
