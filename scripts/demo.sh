#!/usr/bin/env bash
# The main job on the embedded default (runner, sandboxes and model on this one machine),
# installing what it needs first (scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
printf '\n\033[1m== sandbox session\033[0m\n'
node remote-runner/dist/cli.js sandbox demo
