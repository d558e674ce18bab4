#!/bin/bash
set -e
cd /app/project
echo "1.1.0" > VERSION
git commit -q -am "Release 1.1.0"
