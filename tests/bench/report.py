#!/usr/bin/env python3
"""Turns hyperfine's JSON exports and callgrind counts into scripts/bench's table.

argv: the rounds' hyperfine JSON files (comma-separated; in each, the first
result is the static true), the static true's instruction count, then one
"name|ratio_budget|instr_budget|instructions|rss_kib|rss_budget_kib" per
benchmarked hvym command, in the order hyperfine ran them.
The ratio is computed per round (medians) and the median over rounds is
reported and held to the budget. Exits 1 when a result is over budget."""
import json
import statistics
import sys

rounds = [json.load(open(p))["results"] for p in sys.argv[1].split(",")]
specs = sys.argv[3:]


def med(result):
    return statistics.median(result["times"])


print(f"{'command':28} {'median us':>10} {'x true':>7} {'spread':>11} {'budget':>6}"
      f" {'instructions':>13} {'budget':>8} {'RSS KiB':>8} {'budget':>7}")
true_us = statistics.median(med(r[0]) for r in rounds) * 1e6
print(f"{'true (static)':28} {true_us:10.0f} {1:7.2f} {'':>11} {'':>6} {int(sys.argv[2]):13,}")
over = False
for i, spec in enumerate(specs, start=1):
    name, ratio_budget, instr_budget, instructions, rss, rss_budget = spec.split("|")
    ratios = sorted(med(r[i]) / med(r[0]) for r in rounds)
    ratio = statistics.median(ratios)
    us = statistics.median(med(r[i]) for r in rounds) * 1e6
    instr = int(instructions)
    bad = (ratio > float(ratio_budget) or instr > int(instr_budget)
           or (int(rss_budget) and int(rss) > int(rss_budget)))
    over |= bad
    spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    print(f"{name:28} {us:10.0f} {ratio:7.2f} {spread:>11} {float(ratio_budget):6.2f}"
          f" {instr:13,} {int(instr_budget):8,} {int(rss):8,} {int(rss_budget) or '-':>7}"
          f"{'  OVER BUDGET' if bad else ''}")
print("\nx true: median over rounds of (median hvym / median true) in the same round;"
      "\nspread: lowest and highest round; instructions: callgrind, whole process")
sys.exit(1 if over else 0)
