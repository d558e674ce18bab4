#!/bin/bash
mkdir -p /logs/verifier
cd /app/project || { echo 0 > /logs/verifier/reward.txt; exit 0; }
ok=1
[ "$(git log -1 --format=%s 2>/dev/null)" = "Release 1.1.0" ] || ok=0
[ "$(git show HEAD:VERSION 2>/dev/null | tr -d ' \n')" = "1.1.0" ] || ok=0
[ -z "$(git status --porcelain 2>/dev/null)" ] || ok=0
[ "$(git rev-list --count HEAD 2>/dev/null)" = "2" ] || ok=0
echo $ok > /logs/verifier/reward.txt
