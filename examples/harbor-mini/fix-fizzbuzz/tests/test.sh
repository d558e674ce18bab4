#!/bin/bash
# Harbor convention: run the tests, write 1 when all pass, 0 otherwise.
mkdir -p /logs/verifier
if python3 -m pytest -q -p no:cacheprovider /tests/test_fizzbuzz.py; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
