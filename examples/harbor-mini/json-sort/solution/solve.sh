#!/bin/bash
python -c 'import json; p = json.load(open("/app/people.json")); json.dump(sorted(p, key=lambda x: (x["age"], x["name"])), open("/app/sorted.json", "w"))'
