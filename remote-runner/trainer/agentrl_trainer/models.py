"""Loads a causal LM + tokenizer with real `from_pretrained` (local folder, GGUF file,
the embedded default, or a hub id where reachable) and wraps it with a LoRA adapter."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from .embedded import DEFAULT_MODEL, embedded_gguf


@dataclass
class LoraSettings:
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.0
    # all linear layers of the transformer blocks ("all-linear" in peft)
    targets: str = "all-linear"


@dataclass
class Policy:
    """The single copy of the weights shared by generation and training."""

    model: Any  # PreTrainedModel or peft.PeftModel
    tokenizer: PreTrainedTokenizerBase
    name: str
    device: torch.device
    lora: LoraSettings | None
    # Generation batches and training steps take turns on the weights.
    lock: threading.RLock
    merged: bool = False
    # bf16 compute over float32 master weights (full fine-tuning on a GPU): forward passes run
    # under autocast, so AdamW updates float32 weights and small updates do not round away.
    compute_dtype: torch.dtype | None = None
    # The base weights as they were before the last merge: restoring them bit for bit is what
    # keeps the frozen base (also the KL reference) unchanged by any number of merge cycles;
    # subtracting the adapter again in bf16 would not.
    _pristine: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)

    def autocast(self) -> AbstractContextManager[Any]:
        """The context every forward pass of the policy runs in (generation and training)."""
        if self.compute_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.compute_dtype)

    def for_generation(self) -> None:
        """Folds the LoRA weights into the base weights: peft's separate adapter matmuls
        halve CPU generation speed. Call with the lock held."""
        if self.is_lora and not self.merged:
            mods = self._lora_modules()
            self._pristine = [(w, w.detach().clone()) for w in (m.get_base_layer().weight for m in mods)]
            self.model.merge_adapter()
            # While merged, each LoRA wrapper only forwards to its base layer; calling the
            # base layer directly skips peft's per-module Python checks (3x faster decode on GPU).
            for m in mods:
                m.forward = m.base_layer.forward
            self.merged = True

    def for_training(self) -> None:
        """Takes the LoRA weights back out, so gradients reach the adapter and the adapter
        can be disabled for the reference model. Call with the lock held."""
        if self.merged:
            for m in self._lora_modules():
                del m.forward  # back to the class's forward (adapter path)
                m.merged_adapters = []  # peft's bookkeeping; the weights come back below
            with torch.no_grad():
                for w, saved in self._pristine:
                    w.copy_(saved)
            self._pristine = []
            self.merged = False

    def _lora_modules(self) -> list[Any]:
        from peft.tuners.lora import LoraLayer

        return [m for m in self.model.modules() if isinstance(m, LoraLayer) and hasattr(m, "base_layer")]

    @property
    def is_lora(self) -> bool:
        return self.lora is not None

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_input_embeddings().weight.shape[0])

    def eos_ids(self) -> set[int]:
        ids: set[int] = set()
        for src in (self.tokenizer.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)):
            if isinstance(src, int):
                ids.add(src)
            elif isinstance(src, (list, tuple)):
                ids.update(int(x) for x in src)
        return ids


def _resolve(model: str) -> tuple[str, dict[str, Any]]:
    """Returns (path or hub id, extra from_pretrained kwargs)."""
    if model in (DEFAULT_MODEL, "default"):
        gguf = embedded_gguf()
        return str(gguf.parent), {"gguf_file": gguf.name}
    p = Path(model)
    if p.suffix == ".gguf":
        if not p.is_file():
            raise FileNotFoundError(f"GGUF file not found: {model}")
        return str(p.resolve().parent), {"gguf_file": p.name}
    if p.exists() and not (p / "config.json").is_file():
        raise FileNotFoundError(
            f"{model} has no config.json: pass a folder saved with save_pretrained, a .gguf file, "
            f"or '{DEFAULT_MODEL}' for the embedded default"
        )
    return model, {}


def load_tokenizer(model: str) -> PreTrainedTokenizerBase:
    path, kw = _resolve(model)
    tok = AutoTokenizer.from_pretrained(path, **kw)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def pick_device(device: str | None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def forget_gguf_quantization(model: Any) -> None:
    """A GGUF load dequantizes the weights to full precision but leaves the quantization
    markers behind; drop them so checkpoints and exports are ordinary safetensors models and
    trainers (ours, TRL) treat the model as the plain float model it is."""
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
    if getattr(model, "is_quantized", False):
        model.is_quantized = False


def load_policy(
    model: str,
    lora: LoraSettings | None = LoraSettings(),
    device: str | None = None,
    dtype: str | None = None,
) -> Policy:
    dev = pick_device(device)
    # CPU trains in float32; GPUs in bf16.
    want = getattr(torch, dtype) if dtype else (torch.bfloat16 if dev.type == "cuda" else torch.float32)
    # Full fine-tuning keeps float32 master weights (the optimizer updates them) and computes in
    # the requested half precision under autocast. With LoRA the frozen base stays in half
    # precision (peft keeps the adapter in float32) and the compute is autocast too.
    half = want in (torch.bfloat16, torch.float16)
    load_dtype = torch.float32 if (half and lora is None) else want
    path, kw = _resolve(model)
    tok = load_tokenizer(model)
    base: PreTrainedModel = AutoModelForCausalLM.from_pretrained(path, dtype=load_dtype, **kw)
    forget_gguf_quantization(base)
    cast(Any, base).to(dev)
    pol = policy_from_model(base, tok, model, dev, lora)
    pol.compute_dtype = want if half else None
    return pol


def policy_from_model(
    base: PreTrainedModel, tok: Any, name: str, dev: torch.device, lora: LoraSettings | None
) -> Policy:
    """Wraps an already built model (from_pretrained, or from a config in the GPU bench)."""
    wrapped: Any = base
    if lora is not None:
        from peft import LoraConfig, get_peft_model

        cfg = LoraConfig(
            r=lora.rank,
            lora_alpha=lora.alpha,
            lora_dropout=lora.dropout,
            target_modules=lora.targets,
            task_type="CAUSAL_LM",
        )
        wrapped = get_peft_model(base, cfg)
    wrapped.eval()
    return Policy(wrapped, tok, name, dev, lora, threading.RLock())
