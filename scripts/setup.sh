#!/usr/bin/env bash
# Installs everything the two quickstart commands need, idempotently, caching outside the repo:
# npm packages (npm's own cache), the CLI bundle, a Docker engine (agentrl doctor --fix), the
# offline sandbox images (~/.cache/agentrl), and with --python the trainer's venv.
# Usage: scripts/setup.sh [--python] [--python-dev] [ENV_DIR...]   (ENV_DIRs whose Dockerfile to build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python=()
envs=()
for arg in "$@"; do
  case "$arg" in
    --python) python=(scripts/setup-python.sh) ;;
    --python-dev) python=(scripts/setup-python.sh --dev) ;;
    *) envs+=("$arg") ;;
  esac
done
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "node and npm"
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js >= 20.19 is required (found: $(node --version 2>/dev/null || echo none)). Install it from your package manager or nodejs.org." >&2
  exit 1
fi
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat node_modules/.agentrl-lock.sha256 2>/dev/null)" != "$lock_hash" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.agentrl-lock.sha256
else
  echo "node_modules up to date" >&2
fi

step "build"
node scripts/build.mjs

step "docker engine"
node remote-runner/dist/cli.js doctor --fix

step "sandbox images"
node remote-runner/dist/cli.js images build ${envs[@]+"${envs[@]}"}

if [[ ${#python[@]} -gt 0 ]]; then
  step "python venv (trainer)"
  bash "${python[@]}" >/dev/null
fi
