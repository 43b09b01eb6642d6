#!/usr/bin/env python3
"""scripts/bench: hvym serve's round trips against the floor server's, per
round "median p99 qps|median p99 qps" (serve-bench's output for each).
Budgets: a median round trip under 50 us and 20,000 queries a second; both
are reported next to the floor, which no server on this machine can beat."""
import statistics
import sys

hvym, floor = [], []
for row in sys.argv[1:]:
    a, b = row.split("|")
    hvym.append([float(x) for x in a.split()])
    floor.append([float(x) for x in b.split()])
med = lambda rows, i: statistics.median(r[i] for r in rows)  # noqa: E731
rtt, p99, qps = med(hvym, 0), med(hvym, 1), med(hvym, 2)
f_rtt, f_p99, f_qps = med(floor, 0), med(floor, 1), med(floor, 2)
ratio = statistics.median(h[0] / f[0] for h, f in zip(hvym, floor))
print(f"\nhvym serve, one client, 20,000 config queries a round ({len(hvym)} rounds, medians):")
print(f"  hvym serve:   round trip {rtt:.1f} us (p99 {p99:.1f}), {qps:,.0f} queries/s")
print(f"  floor server: round trip {f_rtt:.1f} us (p99 {f_p99:.1f}), {f_qps:,.0f} queries/s")
over = []
if rtt >= 50:
    over.append("round trip >= 50 us")
if qps < 20000:
    over.append("< 20,000 queries/s")
print(f"  hvym / floor: {ratio:.2f}x" + (f"  OVER BUDGET ({', '.join(over)}; the floor is "
                                         f"{f_rtt:.1f} us here)" if over else ""))
sys.exit(1 if over else 0)
