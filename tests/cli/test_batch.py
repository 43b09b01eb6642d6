"""hvym batch and hvym serve: the same answers as one process per command,
in order, typed; concurrent clients; changes by other processes; a stop in
the middle of work; malformed and oversized requests."""
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, run  # noqa: E402
from realparts import Silent, wait_for  # noqa: E402

# Every kind of command: config queries, setters, data, probes, failures.
LINES = [
    "pintheon-port", "pinggy-tier", "pinggy-token", "pintheon-network", "pintheon-dapp",
    "check", "version", "about",
    "single-float-data speed 1.5 0 10", "single-int-data n 3 0 9", "menu-data m primary",
    "mesh-data body 1 slider True", "single-node-data node mesh",
    "docker-installed", "is-pintheon-tunnel-open", "installation-stats",
    "pintheon-set-port 9100", "pintheon-port",
    "pinggy-set-tier free", "pinggy-tier", "pintheon-set-network mainnet", "pintheon-dapp",
    "config get pintheon_port", "stellar-list --json",
    "single-float-data speed nope 0 10", "no-such-command", "pintheon-set-port 70000",
]


class Home(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.home, True)
        # A PATH without docker: the probes answer the same way every time.
        self.env = {"PATH": "/usr/bin:/bin", "HOME": self.home, "LANG": "C.UTF-8"}

    def hvym(self, *args, stdin=b""):
        return run(*args, env={"PATH": "/usr/bin:/bin"}, stdin=stdin, home=self.home)


class Batch(Home):
    def test_batch_equals_one_process_per_command(self):
        one_by_one = []
        for line in LINES:
            r = self.hvym(*shlex.split(line))
            one_by_one.append((r.code, r.out.decode(), r.err.decode()))
        shutil.rmtree(os.path.join(self.home, ".local"), ignore_errors=True)  # the same start
        r = self.hvym("batch", *LINES)
        self.assertEqual(r.code, 0, r)
        got = json.loads(r.out)
        self.assertEqual([g["cmd"] for g in got], [shlex.split(line)[0] for line in LINES])
        self.assertEqual([(g["exit"], g["stdout"], g["stderr"]) for g in got], one_by_one)
        by_line = dict(zip(LINES, got))
        self.assertEqual(by_line["check"]["value"], "ONE-TWO")
        self.assertEqual(got[0]["value"], 9998)  # before the setter; after it, 9100
        self.assertEqual(got[17]["value"], 9100)
        self.assertIs(by_line["docker-installed"]["value"], False)
        self.assertIs(by_line["is-pintheon-tunnel-open"]["value"], False)
        self.assertEqual(by_line["installation-stats"]["value"]["pintheon_network"], "testnet")
        self.assertEqual(by_line["single-float-data speed 1.5 0 10"]["value"],
                         {"name": "speed", "default": 1.5, "min": 0.0, "max": 10.0})
        self.assertIsNone(by_line["no-such-command"]["value"])
        self.assertEqual(by_line["stellar-list --json"]["value"], [])
        self.assertEqual(got[21]["value"].split("-")[:2], ["pintheon", "mainnet"])

    def test_json_requests_from_stdin_and_argument(self):
        requests = [{"cmd": "pintheon-set-port", "args": [9200]}, ["pintheon-port"],
                    {"cmd": "png-to-data-url", "args": ["/no/such.png"]}, {"cmd": "check"}]
        r = self.hvym("batch", "--json", stdin=json.dumps(requests).encode())
        self.assertEqual(r.code, 0, r)
        got = json.loads(r.out)
        self.assertEqual([g["exit"] for g in got], [0, 0, 1, 0])
        self.assertEqual(got[1]["value"], 9200)
        self.assertIn("cannot open /no/such.png", got[2]["stderr"])
        r2 = self.hvym("batch", "--json", json.dumps(requests[1:]))
        self.assertEqual(json.loads(r2.out), got[1:])

    def test_malformed_requests_name_the_place(self):
        r = self.hvym("batch", "--json", stdin=b'[{"cmd": "check"}, {"cmd" "check"}]')
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"malformed requests at byte 26", r.err)
        r = self.hvym("batch", "--json", stdin=b'[{"args": []}]')
        self.assertEqual(r.code, 2)
        self.assertIn(b'request 1: a request object needs "cmd"', r.err)
        r = self.hvym("batch", "check 'unterminated")
        self.assertEqual(r.code, 2)
        self.assertIn(b"command line 1: an unterminated ' quote", r.err)
        self.assertEqual(self.hvym("batch").code, 2)

    def test_batch_never_asks(self):
        r = self.hvym("batch", "pintheon-set-port", "custom-prompt hello", "check")
        got = json.loads(r.out)
        self.assertEqual([g["exit"] for g in got], [1, 1, 0])
        self.assertIn("input is disabled (batch never asks)", got[0]["stderr"])
        self.assertIn("input is disabled (batch never asks)", got[1]["stderr"])

    def test_probes_run_at_the_same_time(self):
        # Three tunnel probes against a debugger that never answers: each is
        # bounded (1 s); run one after another they would take 3 s.
        silent = Silent()
        self.addCleanup(silent.close)
        self.hvym("config", "set", "pinggy_debugger_port", str(silent.getsockname()[1]))
        start = time.time()
        r = self.hvym("batch", "is-pintheon-tunnel-open", "is-pintheon-tunnel-open", "is-pintheon-tunnel-open")
        took = time.time() - start
        self.assertEqual([g["value"] for g in json.loads(r.out)], [False, False, False])
        self.assertLess(took, 2.8)


def docs_client():
    """The Python client of docs/batch.md, as a reader copies it."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "docs", "batch.md")) as f:
        text = f.read()
    start = text.index("### A client for the GUI (Python)")
    lines, body = [], text[start:].split("\n")[1:]
    for line in body:
        if line.startswith("    ") or (line == "" and lines):
            lines.append(line[4:])
        elif lines:
            break
    return "\n".join(lines)


class Serve(Home):
    def test_the_documented_client_without_xdg_runtime_dir(self):
        env = dict(self.env)  # no XDG_RUNTIME_DIR: the socket goes in the data folder
        proc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            sock = os.path.join(self.home, ".local", "share", "heavymeta-cli", "hvym.sock")
            self.assertTrue(wait_for(lambda: os.path.exists(sock), 10), "the server did not start")
            code = docs_client() + "\nprint(Hvym().ask(['pintheon-port'], ['check']))\n"
            r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout), (0, b"[9998, 'ONE-TWO']\n"), r.stderr)
        finally:
            proc.terminate()
            proc.communicate(timeout=20)

    def setUp(self):
        super().setUp()
        self.sock = os.path.join(self.home, "hvym.sock")
        self.proc = None

    def start(self, *extra):
        self.proc = subprocess.Popen([BIN, "serve", "--socket", self.sock, *extra], env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.stop)
        self.assertTrue(wait_for(self.answers, 10), "the server did not start")

    def answers(self):
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(self.sock)
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
        if self.proc:
            self.proc.communicate(timeout=20)

    def client(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        f = s.makefile("rwb")
        self.addCleanup(s.close)
        self.addCleanup(f.close)
        return s, f

    def ask(self, f, request):
        f.write((request if isinstance(request, bytes) else json.dumps(request).encode()) + b"\n")
        f.flush()
        return json.loads(f.readline())

    def test_socket_mode_live_and_stale(self):
        self.start()
        self.assertEqual(os.stat(self.sock).st_mode & 0o777, 0o600)
        r = subprocess.run([BIN, "serve", "--socket", self.sock], env=self.env, capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"a server already answers on", r.stderr)
        self.proc.send_signal(signal.SIGKILL)  # dies: its socket file stays behind
        self.proc.wait()
        self.assertTrue(os.path.exists(self.sock))
        self.start()
        _, f = self.client()
        self.assertEqual(self.ask(f, {"cmd": "check"})[0]["value"], "ONE-TWO")

    def test_answers_and_errors_keep_the_connection(self):
        self.start()
        _, f = self.client()
        self.assertEqual(self.ask(f, ["pintheon-port"])[0]["value"], 9998)
        bad = self.ask(f, b'{"cmd": ')
        self.assertIn("malformed request", bad["error"])
        self.assertEqual(bad["offset"], 8)
        self.assertEqual(self.ask(f, b"x" * (1 << 20) + b"y"), {"error": "request over 1 MB"})
        got = self.ask(f, [{"cmd": "pinggy-tier"}, {"cmd": "check"}])
        self.assertEqual([g["value"] for g in got], ["pro", "ONE-TWO"])

    def test_a_change_by_another_process_is_seen_at_once(self):
        self.start()
        _, f = self.client()
        self.assertEqual(self.ask(f, {"cmd": "pintheon-port"})[0]["value"], 9998)
        self.assertEqual(self.hvym("pintheon-set-port", "9333").code, 0)
        self.assertEqual(self.ask(f, {"cmd": "pintheon-port"})[0]["value"], 9333)

    def test_fifty_clients_two_hundred_requests_each(self):
        self.hvym("pintheon-set-port", "9444")
        self.start()
        failures = []

        def client(n):
            try:
                _, f = self.client()
                for i in range(200):
                    if i % 2:
                        got = self.ask(f, {"cmd": "pintheon-port"})
                        ok = got[0]["value"] == 9444
                    else:
                        got = self.ask(f, ["single-int-data", f"c{n}", str(i), "0", "999"])
                        ok = got[0]["value"] == {"name": f"c{n}", "default": i, "min": 0, "max": 999}
                    if not ok:
                        failures.append((n, i, got))
            except Exception as e:  # noqa: BLE001
                failures.append((n, repr(e)))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(failures, [])

    def test_stop_answers_what_was_read_and_removes_the_socket(self):
        silent = Silent()
        self.addCleanup(silent.close)
        self.hvym("config", "set", "pinggy_debugger_port", str(silent.getsockname()[1]))
        self.start()
        s, f = self.client()
        slow = json.dumps({"cmd": "is-pintheon-tunnel-open"}).encode() + b"\n"
        s.sendall(slow * 3)  # three lines at once: read together, each takes ~1 s
        time.sleep(0.4)
        stopped = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        # Every line read is answered: the one running finishes, the others
        # are answered without running, so the server is gone within 2 s.
        answers = [json.loads(f.readline()) for _ in range(3)]
        self.assertEqual(answers[0][0]["value"], False)
        for a in answers[1:]:
            self.assertEqual(a[0]["exit"], 1)
            self.assertIn("not run: the server is stopping", a[0]["stderr"])
        self.assertEqual(f.readline(), b"")  # then the connection ends
        self.assertEqual(self.proc.wait(20), 0)
        self.assertLess(time.monotonic() - stopped, 2.0)
        self.assertFalse(os.path.exists(self.sock))

    def test_stop_cuts_an_in_process_probe_short_and_says_so(self):
        # A docker that hangs (a script whose own child sleeps): the probe
        # runs in-process, on the client's thread. SIGTERM kills the script
        # and what it started, and the line still gets an answer.
        bin_dir = os.path.join(self.home, "bin")
        os.mkdir(bin_dir)
        with open(os.path.join(bin_dir, "docker"), "w") as f:
            f.write("#!/bin/sh\nsleep 31.25\n")
        os.chmod(os.path.join(bin_dir, "docker"), 0o755)
        self.env["PATH"] = bin_dir + ":/usr/bin:/bin"
        self.start()
        clients = [self.client() for _ in range(2)]
        clients[0][1].write(b'[["docker-installed"]]\n')
        clients[1][1].write(b'[["pintheon-port"], ["installation-stats"]]\n')
        for _, f in clients:
            f.flush()
        time.sleep(1.2)
        stopped = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        first = json.loads(clients[0][1].readline())
        second = json.loads(clients[1][1].readline())
        self.assertEqual(first[0]["exit"], 1, first)
        self.assertIn("the server is stopping; stopped", first[0]["stderr"])
        self.assertEqual(second[0]["value"], 9998)
        self.assertEqual(second[1]["exit"], 1, second)
        self.assertIn("the server is stopping", second[1]["stderr"])
        self.assertEqual(self.proc.wait(20), 0)
        self.assertLess(time.monotonic() - stopped, 2.0)
        left = subprocess.run(["pgrep", "-f", "sleep 31.25"], capture_output=True)
        self.assertEqual(left.stdout, b"", "the probe's child outlived it")

    def test_idle_exit(self):
        self.start("--idle-exit", "1")
        self.assertEqual(self.proc.wait(10), 0)
        self.assertFalse(os.path.exists(self.sock))


if __name__ == "__main__":
    unittest.main()
