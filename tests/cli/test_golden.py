"""Replays the cases recorded from the original (../shared/golden/*.jsonl)
against hvym, for every command hvym has: same stdout bytes, same exit."""
import gzip
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import as_on_this_cpu, run  # noqa: E402

GOLDEN = os.environ.get("HVYM_GOLDEN", "")


HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED = os.path.join(HERE, "..", "data", "data-cases.jsonl.gz")


def load(name):
    path = name if os.path.isabs(name) else os.path.join(GOLDEN, name)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def numeric_dash_argument(argv):
    """Click refused these as unknown options; hvym may take them as numbers."""
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1:
            try:
                float(a)
                return True
            except ValueError:
                pass
    return False


class Replay(unittest.TestCase):
    def setUp(self):
        self.commands = set(run("--list").out.decode().split())

    def replay(self, name):
        cases = load(name)
        ran = 0
        with tempfile.TemporaryDirectory() as empty_path:
            for i, case in enumerate(cases):
                argv = case["argv"]
                if argv[0] not in self.commands:
                    continue
                ran += 1
                with tempfile.TemporaryDirectory() as home, self.subTest(case=i, argv=argv[:3]):
                    for rel, text in case.get("files", {}).items():
                        path = os.path.join(home, rel)
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, "w", encoding="utf-8") as f:
                            f.write(text)
                    # No docker on PATH, as when the cases were recorded.
                    r = run(*argv, home=home, env={"PATH": empty_path})
                    if case["exit"] == 0:
                        self.assertEqual(r.code, 0, r)
                        self.assertEqual(r.out.decode("utf-8", "surrogateescape"), as_on_this_cpu(case["stdout"], case.get("files")))
                    elif not (numeric_dash_argument(argv) and r.code == 0):
                        self.assertEqual((r.code, r.out), (case["exit"], b""), r)
        print(f"\n{name}: {ran} of {len(cases)} cases are for commands hvym has", file=sys.stderr)
        return ran


# The golden cases live beside the project (../shared/golden), not in it:
# skipped without them (the recorded ones below are in the tree).
@unittest.skipUnless(GOLDEN and os.path.isdir(GOLDEN), "no ../shared/golden beside the project")
class Golden(Replay):
    def test_data_commands(self):
        self.replay("data-commands.jsonl")

    def test_legacy_config(self):
        self.replay("legacy-config.jsonl")


class Recorded(Replay):
    """Thousands more cases of the same kinds, recorded from the original
    by tests/data/gen_data_cases.py and kept in the tree: never skipped."""

    def test_recorded_data_commands(self):
        self.assertGreater(self.replay(RECORDED), 2000)


if __name__ == "__main__":
    unittest.main(verbosity=1)
