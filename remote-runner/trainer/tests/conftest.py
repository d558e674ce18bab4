"""Shared fixtures: a tiny random-init Llama (real config, real save/from_pretrained) with the
embedded SmolLM2 tokenizer and chat template, for tests of mechanics rather than quality."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

TRAINER_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    from agentrl_trainer.models import load_tokenizer

    d = tmp_path_factory.mktemp("tiny-llama")
    tok = load_tokenizer("smollm2-135m")
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(1234)
    LlamaForCausalLM(cfg).save_pretrained(str(d))
    tok.save_pretrained(str(d))
    return d


class ServerProc:
    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentrl_trainer", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=TRAINER_ROOT,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # blocks until READY or exit; no polling
            if line.startswith("READY "):
                self.ready = json.loads(line[6:])
                self.url: str = self.ready["url"]
                return
        err = self.proc.stderr.read() if self.proc.stderr else ""
        raise RuntimeError(f"server exited ({self.proc.wait()}) before READY:\n{err[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def start_server() -> Iterator[object]:
    started: list[ServerProc] = []

    def start(*args: str) -> ServerProc:
        s = ServerProc(list(args))
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
