#!/bin/bash
mkdir -p /logs/verifier
python - <<'PY'
import json
try:
    got = json.load(open("/app/sorted.json"))
    want = sorted(json.load(open("/app/people.json")), key=lambda p: (p["age"], p["name"]))
    ok = got == want
except Exception:
    ok = False
open("/logs/verifier/reward.txt", "w").write("1\n" if ok else "0\n")
PY
