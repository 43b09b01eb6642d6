"""A soak of hvym serve: 50 clients for HVYM_SOAK_SECONDS mix config
queries, setters, probes and data commands while other processes write the
store and are SIGKILLed at random moments, and readers die inside their
snapshots. Zero failed reads, zero lost or torn values, and the server's
memory stays bounded.

The suite's soak is short (default 6 s: some 100000 reads, 400 writes and
250 kills, several times the counts asserted below); the long one is a
benchmark's: scripts/bench --soak [SECONDS] (default 60)."""
import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN  # noqa: E402
from realparts import rss_kib  # noqa: E402
from test_isolation import HOLDER, Scratch, Server  # noqa: E402

SECONDS = float(os.environ.get("HVYM_SOAK_SECONDS", "6"))
READERS = 46

# (request, check of its value): the reader clients' menu.
QUERIES = [
    (["pintheon-port"], lambda v: isinstance(v, int) and 1024 <= v <= 65535),
    (["pinggy-tier"], lambda v: v in ("pro", "free")),
    (["check"], lambda v: v == "ONE-TWO"),
    (["single-int-data", "n", "7", "0", "9"], lambda v: v == {"name": "n", "default": 7, "min": 0, "max": 9}),
    (["mesh-data", "body", "1", "slider", "True"], lambda v: isinstance(v, dict) and v.get("name") == "body"),
    (["docker-installed"], lambda v: v is True),
    (["installation-stats"], lambda v: isinstance(v, dict) and v["docker_installed"] is True
     and v["pinggy_tier"] in ("pro", "free")),
    (["stellar-list", "--json"], lambda v: v == []),
    (["pinggy-token"], lambda v: isinstance(v, (str, int))),
]


class Soak(Scratch):
    def test_fifty_clients_while_writers_die(self):
        self.assertEqual(self.hvym("pintheon-set-port", "9600").code, 0)
        server = Server(self, self.env)
        stop = threading.Event()
        failures = []
        counts = {"reads": 0, "writes": 0, "kills": 0, "dead_readers": 0}
        lock = threading.Lock()

        def fail(*what):
            with lock:
                if len(failures) < 20:
                    failures.append(what)

        def session():
            """One connection kept open, as the GUI keeps one."""
            s, f = server.client()

            def ask(*requests):
                f.write(json.dumps(list(requests)).encode() + b"\n")
                f.flush()
                got = json.loads(f.readline())
                if not isinstance(got, list):
                    raise AssertionError(got)
                return got
            return s, ask

        def guarded(body):
            def run(*args):
                try:
                    body(*args)
                except Exception as e:  # noqa: BLE001
                    fail("crashed", body.__name__, args[:1], repr(e))
            return run

        @guarded
        def reader(n):
            rnd = random.Random(n)
            s, ask = session()
            while not stop.is_set():
                line = rnd.sample(QUERIES, rnd.randint(1, 4)) + [(["pintheon-network"], None),
                                                                 (["pintheon-dapp"], None)]
                got = ask(*[q for q, _ in line])
                for (q, check), g in zip(line, got):
                    if g["exit"] != 0 or (check and not check(g["value"])):
                        fail("reader", q, g)
                network, dapp = got[-2]["value"], got[-1]["value"]
                # One line reads one snapshot: the dapp is derived from the network.
                if network not in ("testnet", "mainnet") or not dapp.startswith(f"pintheon-{network}-"):
                    fail("torn", network, dapp)
                with lock:
                    counts["reads"] += len(line)
            s.close()

        # Writers: each owns one key and must read back exactly what it wrote.
        @guarded
        def writer(set_request, query, values):
            rnd = random.Random(query[0])
            s, ask = session()
            while not stop.is_set():
                v = rnd.choice(values)
                got = ask(set_request(v), query)
                if got[0]["exit"] != 0 or str(got[1]["value"]) != str(v):
                    fail("lost", query, v, got)
                with lock:
                    counts["writes"] += 1
                last[query[0]] = v
            s.close()

        last = {}
        writers = [
            (lambda v: ["pintheon-set-port", str(v)], ["pintheon-port"], list(range(20000, 20100))),
            (lambda v: ["pinggy-set-tier", v], ["pinggy-tier"], ["pro", "free"]),
            (lambda v: ["pintheon-set-network", v], ["pintheon-network"], ["testnet", "mainnet"]),
            (lambda v: {"cmd": "pinggy-set-token", "args": ["--stdin"], "stdin": v + "\n"}, ["pinggy-token"],
             [f"tok{i}" for i in range(50)]),
        ]

        # Other processes: writers SIGKILLed at random moments, readers that
        # die inside their snapshots.
        @guarded
        def killer():
            rnd = random.Random(7)
            while not stop.is_set():
                argv = rnd.choice([[BIN, "config", "set", "pinggy_debugger_port", str(rnd.randint(4000, 4999))],
                                   [BIN, "batch", "config set pinggy_debugger_port 4444", "check"],
                                   [BIN, "config", "verify"]])
                p = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rnd.random() * 0.004)
                p.kill()
                p.wait()
                with lock:
                    counts["kills"] += 1
                if rnd.random() < 0.05:
                    h = subprocess.Popen([HOLDER, self.store, "read"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
                    h.stdout.readline()
                    h.kill()
                    h.wait()
                    h.stdout.close()
                    with lock:
                        counts["dead_readers"] += 1

        rss = []

        def sampler():
            while not stop.is_set():
                rss.append(rss_kib(server.proc.pid))
                time.sleep(0.5)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        threads += [threading.Thread(target=writer, args=w) for w in writers]
        threads += [threading.Thread(target=killer), threading.Thread(target=sampler)]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(60)
        print(f"soak: {counts}, rss KiB first {rss[:3]} max {max(rss)} last {rss[-3:]}", file=sys.stderr)

        self.assertEqual(failures, [])
        self.assertTrue(server.alive())
        self.assertGreater(counts["reads"], 1000)
        self.assertGreater(counts["writes"], 100)
        self.assertGreater(counts["kills"], 50)
        # Nothing lost at the end either: the last value each writer read back.
        got = server.ask(["pintheon-port"], ["pinggy-tier"], ["pintheon-network"], ["pinggy-token"])
        self.assertEqual([str(g["value"]) for g in got],
                         [str(last[k]) for k in ("pintheon-port", "pinggy-tier", "pintheon-network",
                                                 "pinggy-token")])
        r = self.hvym("config", "verify")
        self.assertEqual(r.code, 0, r)
        # Bounded memory: the second half of the run holds no more than the first.
        half = len(rss) // 2
        self.assertLess(max(rss[half:]), max(rss[:half]) * 1.3 + 16 * 1024, rss)
        self.assertLess(max(rss), 256 * 1024)


if __name__ == "__main__":
    unittest.main()
