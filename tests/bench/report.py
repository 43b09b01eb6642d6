#!/usr/bin/env python3
"""Turns hyperfine's JSON exports and callgrind counts into scripts/bench's table.

argv: the static true's instruction count, then per benchmark
"name|ratio_budget|instr_budget|instructions|rss_kib|rss_budget_kib|JSONS"
where JSONS are the rounds' hyperfine exports (comma-separated), each with the
static true first and the command second. The ratio is computed per round
(medians) and the median over rounds is reported and held to the budget.
Exits 1 when a result is over budget."""
import json
import os
import statistics
import sys


def med(result):
    return statistics.median(result["times"])


print(f"{'command':28} {'median us':>10} {'x true':>7} {'spread':>11} {'budget':>6}"
      f" {'instructions':>13} {'budget':>8} {'RSS KiB':>8} {'budget':>7}")
over = False
true_us = []
rows = []
tsv = []  # name, median us of the static true, median us of the command
for spec in sys.argv[2:]:
    name, ratio_budget, instr_budget, instructions, rss, rss_budget, jsons = spec.split("|")
    rounds = [json.load(open(p))["results"] for p in jsons.split(",")]
    true_us += [med(r[0]) * 1e6 for r in rounds]
    ratios = sorted(med(r[1]) / med(r[0]) for r in rounds)
    ratio = statistics.median(ratios)
    us = statistics.median(med(r[1]) for r in rounds) * 1e6
    if not ratio_budget.startswith("ms:"):  # the plot shows cold starts only
        tsv.append(f"{name}\t{statistics.median(med(r[0]) for r in rounds) * 1e6:.1f}\t{us:.1f}")
    instr = int(instructions)
    if ratio_budget.startswith("ms:"):  # an absolute budget on the median time
        limit = float(ratio_budget[3:])
        bad = us / 1000 > limit
        budget = f"{limit:g}ms"
    else:
        bad = ratio > float(ratio_budget)
        budget = f"{float(ratio_budget):.2f}"
    bad = bad or (int(instr_budget) and instr > int(instr_budget)) or (int(rss_budget) and int(rss) > int(rss_budget))
    over |= bool(bad)
    spread = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
    def num(n, width):
        return f"{n:>{width},}" if n else f"{'-':>{width}}"

    rows.append(f"{name:28} {us:10.0f} {ratio:7.2f} {spread:>11} {budget:>6}"
                f" {num(instr, 13)} {num(int(instr_budget), 8)} {int(rss):8,} {num(int(rss_budget), 7)}"
                f"{'  OVER BUDGET' if bad else ''}")
print(f"{'true (static)':28} {statistics.median(true_us):10.0f} {1:7.2f} {'':>11} {'':>6}"
      f" {int(sys.argv[1]):13,}")
print("\n".join(rows))
print("\nx true: median over rounds of (median command / median true) in the same hyperfine run;"
      "\nspread: lowest and highest round; instructions: callgrind, whole process")
if os.environ.get("HVYM_BENCH_TSV"):
    with open(os.environ["HVYM_BENCH_TSV"], "w") as f:
        f.write("\n".join(tsv) + "\n")
sys.exit(1 if over else 0)
