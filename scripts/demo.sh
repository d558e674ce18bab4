#!/usr/bin/env bash
# The main job on the embedded default (runner, sandboxes and a small model on this one
# machine), installing what it needs first (scripts/setup.sh):
#   1. preflight of examples/calculator (noop scores 0, the reference scores high),
#   2. 200 scored episodes (50 tasks x group 4) in Docker sandboxes with the reference policy,
#   3. a CPU training run of the embedded SmolLM2-135M-Instruct on examples/tool-learning with that
#      environment's own defaults (multi-turn: look a secret code up with a tool in the sandbox, then
#      answer it; the measured curve is in the README). AGENTRL_DEMO_TOOLS=0 trains the quicker
#      one-turn examples/addition instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --python
agentrl() { node remote-runner/dist/cli.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "preflight: examples/calculator"
agentrl preflight examples/calculator

step "rollout: 50 tasks x group 4 with the reference policy"
agentrl rollout examples/calculator --policy scripted:examples/calculator/reference.jsonl --tasks 50 --group 4 --concurrency 8

if [[ "${AGENTRL_DEMO_TOOLS:-1}" == 1 ]]; then
  step "training: SmolLM2-135M-Instruct on the multi-turn tool task examples/tool-learning (CPU)"
  # One torch thread: on a machine whose cores other jobs also use, two threads wait on each
  # other at every operation (one 48-token answer took 2 minutes at load 17); AGENTRL_TORCH_THREADS=2 suits idle cores.
  AGENTRL_TORCH_THREADS="${AGENTRL_TORCH_THREADS:-1}" agentrl train examples/tool-learning ${AGENTRL_DEMO_STEPS:+--steps "$AGENTRL_DEMO_STEPS"}
else
  step "training: SmolLM2-135M-Instruct on examples/addition (CPU, a few minutes)"
  agentrl train examples/addition --steps "${AGENTRL_DEMO_STEPS:-10}" --group 8 --tasks-per-step 8 --concurrency 16 \
    --lr 3e-4 --max-tokens 12 --temperature 1.0 --trainer-options '{"micro_batch":16}' --seed 0
fi

step "where to look"
cat <<'TXT'
  agentrl runs                       the runs in the store ($AGENTRL_HOME, default ~/.agentrl)
  agentrl export RUN --out run.jsonl one trajectory per line (Hugging Face datasets can load it)
  VS Code: install dist/agentrl-studio.vsix (npm run package), then AgentRL: Open Inspector
TXT
