#!/bin/bash
# Partial credit: each file is worth half; the parts go into reward.json beside the total.
mkdir -p /logs/verifier
count=0; errors=0
[ "$(tr -d ' \n' < /app/report/count.txt 2>/dev/null)" = "$(wc -l < /app/app.log)" ] && count=1
grep ERROR /app/app.log | cmp -s - /app/report/errors.txt && errors=1
python3 -c "import json,sys; c,e=int(sys.argv[1]),int(sys.argv[2]); print(json.dumps({'reward': (c+e)/2, 'count': c, 'errors': e}))" "$count" "$errors" > /logs/verifier/reward.json
