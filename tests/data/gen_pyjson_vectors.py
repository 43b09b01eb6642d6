#!/usr/bin/env python3
"""Writes tests/data/pyjson-vectors.jsonl: what Python itself answers for
repr(float), json.dumps, int(), float() and Click's boolean words.

The unit tests hold hvym's conversions and JSON writer to these answers.
Deterministic (fixed seed); rerun after changing the cases:
    python3 tests/data/gen_pyjson_vectors.py > tests/data/pyjson-vectors.jsonl
"""
import json
import math
import random
import struct
import sys

rng = random.Random(20261123)
out = sys.stdout


def emit(**kw):
    out.write(json.dumps(kw) + "\n")


def bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


# repr(float) and json.dumps(float)
floats = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 3.0, 1e-07, 1e16, 1e15, 2.5e16,
          9999999999999998.0, 1e-05, 0.0001, 0.00012345, 1e22, 1e23, 123456789.0,
          1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 12345.678,
          1e100, 1.2345678901234567e-300, 0.30000000000000004, 100.0, 1e-4,
          9.999999999999999e15, 1.0000000000000002, float("inf"), float("-inf"),
          float("nan"), 4.35, 2.675, 1e-320]
for _ in range(250):
    floats.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
for _ in range(100):
    floats.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 8)))
for _ in range(60):
    floats.append(rng.choice([1, -1]) * rng.randint(1, 99999) * 10.0 ** rng.randint(-12, 20))
for x in floats:
    if math.isnan(x) and bits(x) != bits(float("nan")):
        x = float("nan")  # one NaN is enough
    emit(k="repr", bits=bits(x), repr=repr(x), json=json.dumps(x))

# json.dumps(str): ensure_ascii escapes, and argv bytes Python decodes with
# surrogateescape.
pieces = ["a", "Z", " ", "~", '"', "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x00",
          "\x01", "\x1f", "\x7f", "\x80", "\xe9", "\xff", "\u0100", "\u03a9", "\u2028",
          "\ufeff", "\uffff", "\U0001d11e", "\U0001f600", "\U0010ffff", "\u00a0", "é"]
raw_bytes = [b"\x80", b"\xff", b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
             b"\xf0\x80\x80\x80", b"\xc3", b"\xe2\x82\x41"]
strings = ["", "plain", "q\"uote\\", "tab\there", "\u03a9mega", "\U0001d11e"]
for _ in range(150):
    strings.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
byte_cases = [s.encode("utf-8", "surrogateescape") for s in strings]
for _ in range(40):
    b = b""
    for _ in range(rng.randint(1, 6)):
        b += rng.choice(raw_bytes) if rng.random() < 0.4 else rng.choice(pieces).encode()
    byte_cases.append(b)
for b in byte_cases:
    emit(k="str", hex=b.hex(), json=json.dumps(b.decode("utf-8", "surrogateescape")))

# int(): accepted forms, canonical output
int_inputs = ["0", "-0", "+0", "7", "007", "-12", "+3", " 12 ", "\t42\n", "1_000", "1__0",
              "_1", "1_", "", " ", "-", "+", "1.5", "0x10", "1e3", "12a", "٣", "\xa05",
              "5\u3000", "\u20285", "\x1c5", "5\x1f", "123456789012345678901234567890",
              "-99999999999999999999", "9223372036854775807", "9223372036854775808",
              "-9223372036854775808", "-9223372036854775809", "0_0", "--1", "+-1", "1 2",
              "inf", "nan", "٣٣"]
for _ in range(40):
    n = rng.randint(-10**rng.randint(1, 40), 10**rng.randint(1, 40))
    int_inputs.append(str(n))
for s in int_inputs:
    try:
        res = str(int(s))
    except ValueError:
        res = None
    emit(k="int", input=s, out=res)

# float(): accepted forms, repr of the result
float_inputs = ["0", "-0", "1.5", " 1.5\n", "1_0.5", "1._5", "1e1_0", ".5", "5.", ".", "1e",
                "1e+", "e5", "inf", "-inf", "+inf", "Infinity", "-INFINITY", "nan", "-nan",
                "nAn", "nan(1)", "infinityx", "0x1p3", "1e400", "-1e400", "1e-400", "-1e-400",
                "1_e5", "1e_5", "  ", "", "1.5e-7", "123456789012345678901234567890",
                "-20.5", "+.5e3", "1.", "00.5", "4.35", "2.675", "0.1e-4", "1E5", "1e05",
                "\xa01.5", "1.5\u2028", "\x1c1.5", "١.٥", "++1", "1..5", "1e5.5"]
for _ in range(60):
    x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    float_inputs.append(repr(x) if rng.random() < 0.5 else "%.*e" % (rng.randint(0, 25), x))
for s in float_inputs:
    try:
        res = repr(float(s))
    except ValueError:
        res = None
    emit(k="float", input=s, out=res)

# Click's boolean type (click.types.BoolParamType), answered by Click itself.
try:
    import click
    bool_type = click.BOOL
    def click_bool(s):
        try:
            return bool_type.convert(s, None, None)
        except click.BadParameter:
            return None
except ImportError:
    sys.exit("needs python3-click")
for s in ["1", "0", "true", "True", "TRUE", "t", "T", "yes", "Y", "on", "On", "false", "f",
          "no", "N", "off", "OFF", " yes ", "\ttrue\n", "\x1ctrue", "true\x1f", "\xa0on",
          "2", "", " ", "tru", "yess", "oui", "nope", "-1", "1.0", "\u3000no", "ON\u2028"]:
    emit(k="bool", input=s, out=click_bool(s))

# Whole documents through json.dumps with and without indent.
def rand_value(depth):
    r = rng.random()
    if depth > 3 or r < 0.45:
        return rng.choice([
            lambda: rng.randint(-10**12, 10**12),
            lambda: rng.choice([0.5, -2.25, 1e16, 1e-07, 3.0, 12345.678, -0.0, 1e300]),
            lambda: "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))),
            lambda: rng.choice([True, False, None]),
        ])()
    if r < 0.75:
        return {"".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))) + str(i):
                rand_value(depth + 1) for i in range(rng.randint(0, 4))}
    return [rand_value(depth + 1) for _ in range(rng.randint(0, 4))]

docs = [{}, [], {"a": {}}, {"a": []}, [[], {}], {"k": [1, 2.0, "x", None, True]}]
for _ in range(80):
    docs.append(rand_value(0))
for d in docs:
    for indent in (None, 2, 0, 4):
        emit(k="doc", doc=d, indent=indent, json=json.dumps(d, indent=indent))
