"""Checkpoints (PEFT adapter or full safetensors + optimizer state + step + metrics history),
resume, live adapter reload, and export of a merged model that plain transformers loads."""

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


def save_checkpoint(trainer: Trainer, out: str | Path) -> Path:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    pol = trainer.policy
    with pol.lock:
        if pol.is_lora:
            pol.model.save_pretrained(str(d / "adapter"))  # adapter_model.safetensors + adapter_config.json
        else:
            pol.model.save_pretrained(str(d / "model"), safe_serialization=True)
            pol.tokenizer.save_pretrained(str(d / "model"))
        torch.save(trainer.optimizer.state_dict(), d / "optimizer.pt")
        state = {
            "step": trainer.step,
            "model": pol.name,
            "lora": None if pol.lora is None else vars(pol.lora),
            "options": trainer.options.to_json(),
            "metrics_history": trainer.history,
        }
        (d / STATE_FILE).write_text(json.dumps(state, indent=1))
    return d


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
    pol = trainer.policy
    if pol.is_lora:
        load_adapter_weights(pol, d / "adapter")
    else:
        from transformers import AutoModelForCausalLM

        src = AutoModelForCausalLM.from_pretrained(str(d / "model"), dtype=next(pol.model.parameters()).dtype)
        with pol.lock:
            pol.model.load_state_dict(src.state_dict())
    trainer.optimizer.load_state_dict(torch.load(d / "optimizer.pt", map_location=pol.device, weights_only=True))
    trainer.step = int(state["step"])
    trainer.history = list(state.get("metrics_history", []))
    opts = state.get("options")
    if isinstance(opts, dict):
        trainer.options = TrainOptions(**opts).validate()


def export_merged(trainer: Trainer, out: str | Path) -> Path:
    """The trained policy as one ordinary model folder (LoRA merged into the weights)."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    pol = trainer.policy
    with pol.lock:
        pol.for_training()
        model = copy.deepcopy(pol.model)
    if pol.is_lora:
        model = model.merge_and_unload()
    model.save_pretrained(str(d), safe_serialization=True)
    pol.tokenizer.save_pretrained(str(d))
    return d
