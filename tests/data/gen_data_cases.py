#!/usr/bin/env python3
"""Records new cases of the data commands from the original CLI.

Cases are mutations of ../shared/golden/data-commands.jsonl: other values,
other spellings of numbers and booleans, other types, missing keys. Each is
run through the original hvym.py in-process (Click's CliRunner) and written
with the original's stdout and exit status, in the golden file's format.

    python3 tests/data/gen_data_cases.py ORIGINAL_DIR GOLDEN_FILE [COUNT] | gzip -9n > tests/data/data-cases.jsonl.gz

ORIGINAL_DIR holds hvym.py (inviti8/heavymeta-cli-dev) and what it imports;
see ../shared/reference/hvym-py.md. Deterministic for a given seed.
"""
import copy
import json
import random
import sys

orig_dir, golden_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, orig_dir)
import hvym  # noqa: E402  (the original, as an oracle)
from click.testing import CliRunner  # noqa: E402

rng = random.Random(424242)
PIECES = ["a", "Z", "0", "_", "-", ".", "#", " ", "é", "Ω", "\u2028", "😀", '"', "\\", "\t", "\n", "ß"]


def text(lo=0, hi=10):
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(lo, hi)))


def float_text():
    v = rng.choice([rng.uniform(-1e6, 1e6), rng.uniform(-1, 1), 1e16, 1e-7, 0.0, 123.0])
    forms = [repr(v), "%.3f" % v, "%e" % v, " %s " % repr(v), "%d" % int(v),
             rng.choice(["inf", "-Infinity", "NaN", "1_000.5", "1e400", "-0", ".5", "5."])]
    return rng.choice(forms)


def int_text():
    v = rng.choice([rng.randint(-10**6, 10**6), rng.randint(-10**30, 10**30), 0])
    return rng.choice([str(v), " %d " % v, "+%d" % abs(v), "{:_}".format(v), "007"])


def bool_text():
    return rng.choice(["true", "False", "1", "0", "yes", "n", "ON", "off", " T ", "f"])


def mutate_value(v, depth=0):
    r = rng.random()
    if isinstance(v, bool) or v is None:
        return rng.choice([True, False, None, 1, 0, "", "x"]) if r < 0.3 else v
    if isinstance(v, (int, float)):
        if r < 0.25:
            return rng.choice([rng.randint(-10**20, 10**20), rng.uniform(-1e9, 1e9), 1e16, 1e-7, -0.0, 2**70])
        return v
    if isinstance(v, str):
        return text() if r < 0.35 else v
    if isinstance(v, list):
        return [mutate_value(x, depth + 1) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if depth > 0 and rng.random() < 0.002:
                continue  # a missing key
            out[k] = mutate_value(x, depth + 1)
        items = list(out.items())
        if rng.random() < 0.2:
            rng.shuffle(items)
        return dict(items)
    return v


def mutate_json_arg(s):
    try:
        v = json.loads(s)
    except ValueError:
        return s
    return json.dumps(mutate_value(v))


TYPES = {  # argument kinds of the simple commands, by position
    "single-node-data": "ss", "single-mesh-data": "sb", "mesh-data": "sbsb",
    "single-float-data": "sfff", "single-int-data": "siii", "menu-data": "sssss",
    "contract-data": "bssffissssssbb"[:13], "basic-material-data": "s",
}


def mutate(argv):
    cmd, args = argv[0], list(argv[1:])
    if cmd.startswith("parse-blender"):
        return [cmd] + [mutate_json_arg(a) if a[:1] in "{[" else a for a in args]
    kinds = TYPES.get(cmd, "")
    out = []
    for i, a in enumerate(args):
        k = kinds[i] if i < len(kinds) else "s"
        if a.startswith("-") and cmd == "basic-material-data" and not a[1:2].isdigit():
            out.append(a)  # an option name
            continue
        if rng.random() < 0.6:
            a = {"s": text, "f": float_text, "i": int_text, "b": bool_text}[k]()
        out.append(a)
    return [cmd] + out


def is_dash_number(a):
    if not a.startswith("-") or len(a) < 2:
        return False
    try:
        float(a)
        return True
    except ValueError:
        return False


golden = [json.loads(line) for line in open(golden_path)]
runner = CliRunner()
seen = set()
count = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
while len(seen) < count:
    case = rng.choice(golden)
    argv = mutate(case["argv"])
    key = json.dumps(argv)
    if key in seen or any(is_dash_number(a) for a in argv[1:]):
        continue  # numbers that start with '-' are where hvym deliberately differs
    seen.add(key)
    result = runner.invoke(hvym.cli, argv, catch_exceptions=True)
    sys.stdout.write(json.dumps({"argv": argv, "stdout": result.stdout if result.exit_code == 0 else "",
                                 "exit": result.exit_code}) + "\n")
