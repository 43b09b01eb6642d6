#!/usr/bin/env python3
"""Inputs for scripts/bench's data-command benchmarks, written to OUT as
NUL-separated argument files: a typical call, a golden-size collection, a
1 MB collection, and a 100 MB file for png-to-data-url."""
import json
import os
import sys

golden_path, out = sys.argv[1], sys.argv[2]


def write(name, argv):
    with open(os.path.join(out, "argv-" + name), "wb") as f:
        f.write(b"".join(a.encode("utf-8", "surrogateescape") + b"\0" for a in argv))


write("float", ["single-float-data", "speed", "1.5", "0", "10"])
cases = [json.loads(line) for line in open(golden_path)]
collections = [c for c in cases if c["argv"][0] == "parse-blender-hvym-collection" and c["exit"] == 0]
typical = sorted(collections, key=lambda c: len(json.dumps(c["argv"])))[len(collections) // 2]
write("collection", typical["argv"])

# The same kinds of properties, repeated with new keys and types, to 1 MB.
base = max(collections, key=lambda c: len(c["argv"][4]))["argv"]
props = json.loads(base[4])
entries = [v for k, v in props.items() if k.isdigit()]
big, i = {}, 0
while len(json.dumps(big)) < 1_000_000:
    e = dict(entries[i % len(entries)])
    e["type"] = "%s_%d" % (e.get("type", "t"), i)
    big[str(i)] = e
    i += 1
write("collection-1mb", base[:4] + [json.dumps(big)] + base[5:])

png = os.path.join(out, "big.png")
if not os.path.exists(png) or os.path.getsize(png) != 100_000_000:
    with open(png, "wb") as f:
        for _ in range(100):
            f.write(os.urandom(1_000_000))
write("png", ["png-to-data-url", png])
