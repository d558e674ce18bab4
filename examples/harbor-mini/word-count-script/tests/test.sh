#!/bin/bash
# The inputs are hidden test files: the agent never sees them.
mkdir -p /logs/verifier
ok=1
[ -x /app/wc.sh ] || ok=0
[ "$(/app/wc.sh /tests/sample-a.txt 2>/dev/null | tr -d ' \n')" = "9" ] || ok=0
[ "$(/app/wc.sh /tests/sample-b.txt 2>/dev/null | tr -d ' \n')" = "1" ] || ok=0
echo $ok > /logs/verifier/reward.txt
