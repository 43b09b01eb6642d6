#!/usr/bin/env python3
"""scripts/bench: the ratio of the second command to the first in the same
hyperfine runs (median per round, then the median over rounds), held to a
budget. argv: title, budget, the rounds' hyperfine exports."""
import json
import statistics
import sys

title, budget, paths = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
rounds = [json.load(open(p))["results"] for p in paths]
ratios = sorted(statistics.median(r[1]["times"]) / statistics.median(r[0]["times"]) for r in rounds)
ratio = statistics.median(ratios)
first = statistics.median(statistics.median(r[0]["times"]) for r in rounds) * 1e6
second = statistics.median(statistics.median(r[1]["times"]) for r in rounds) * 1e6
bad = ratio > budget
print(f"{title}: {ratio:.2f}x (spread {ratios[0]:.2f}-{ratios[-1]:.2f}, budget {budget:.2f}); "
      f"{second:.0f} us against {first:.0f} us{'  OVER BUDGET' if bad else ''}")
sys.exit(1 if bad else 0)
