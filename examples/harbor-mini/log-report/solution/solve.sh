#!/bin/bash
mkdir -p /app/report
wc -l < /app/app.log > /app/report/count.txt
grep ERROR /app/app.log > /app/report/errors.txt
