#!/usr/bin/env python3
"""Turns hyperfine's JSON export and callgrind counts into scripts/bench's table.

argv: hyperfine.json, the static true's instruction count, then one
"name|ratio_budget|instr_budget|instructions" per benchmarked hvym command
(the first hyperfine result is the static true).
Exits 1 when a measurement is over its budget."""
import json
import statistics
import sys

results = json.load(open(sys.argv[1]))["results"]
base = results[0]
base_mean = base["mean"]
base_median = statistics.median(base["times"])
print(f"{'command':28} {'mean us':>9} {'median us':>10} {'x true':>7} {'x true':>7} {'budget':>6}"
      f" {'instructions':>13} {'budget':>8}")
print(f"{'':28} {'':>9} {'':>10} {'(mean)':>7} {'(med)':>7}")
print(f"{'true (static)':28} {base_mean * 1e6:9.0f} {base_median * 1e6:10.0f} {1:7.2f} {1:7.2f}"
      f" {'':>6} {int(sys.argv[2]):13,}")
over = False
for res, spec in zip(results[1:], sys.argv[3:]):
    name, ratio_budget, instr_budget, instructions = spec.split("|")
    mean = res["mean"]
    median = statistics.median(res["times"])
    r_mean, r_median = mean / base_mean, median / base_median
    instr = int(instructions)
    bad = r_median > float(ratio_budget) or instr > int(instr_budget)
    over |= bad
    print(f"{name:28} {mean * 1e6:9.0f} {median * 1e6:10.0f} {r_mean:7.2f} {r_median:7.2f}"
          f" {float(ratio_budget):6.2f} {instr:13,} {int(instr_budget):8,}"
          f"{'  OVER BUDGET' if bad else ''}")
print("\nratio budget applies to the median ratio; instructions from callgrind (whole process)")
sys.exit(1 if over else 0)
