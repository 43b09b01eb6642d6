"""hvym batch and hvym serve, attacked as a hostile local user would: units
that run in-process must not corrupt a new store, cross one client's input
into another's request, hang on a lock or a peer, or die on a damaged file.
Real processes throughout: hvym itself, an LMDB program holding the store's
locks (tests/tools/store-holder), a fake Engine API on a unix socket.

HVYM_RACE_ROUNDS sets the rounds of the race tests (default 400; scripts/bench
--races runs 3000), HVYM_STORM_ROUNDS those of the writers' kill storm
(default 1500; scripts/bench --races: as many as the race tests), and
HVYM_DAMAGED_STORES how many stores get a randomly damaged free list
(default 200; the issue's run was 1500)."""
import json
import os
import random
import signal
import socket
import socketserver
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, by_part, part, run  # noqa: E402
from realparts import children, rss_kib, wait_for  # noqa: E402

# Parts (tests/cli/meson.build): the store's and serve's bounds, which wait
# out hvym's own deadlines, run beside other suites; the rest (races, kill
# storms, damage) alone, as part "main".
load_tests = by_part

HOLDER = os.path.join(os.path.dirname(BIN), "tests", "tools", "store-holder")
ROUNDS = int(os.environ.get("HVYM_RACE_ROUNDS", "400"))
PROBES = ["docker-installed", "docker-installed", "installation-stats", "docker-installed",
          "installation-stats", "docker-installed"]


def slurp(path):
    with open(path) as f:
        return f.read()


class Scratch(unittest.TestCase):
    """A fresh HOME, a PATH with a docker CLI that answers, no real engine."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.home = os.path.join(self.tmp.name, "home")
        os.mkdir(self.home)
        self.bin = os.path.join(self.tmp.name, "bin")
        os.mkdir(self.bin)
        docker = os.path.join(self.bin, "docker")
        with open(docker, "w") as f:
            f.write("#!/bin/sh\necho 'Docker version 28.2.2, build e6534b4'\n")
        os.chmod(docker, 0o755)
        self.env = {"PATH": self.bin + ":/usr/bin:/bin", "HOME": self.home, "LANG": "C.UTF-8",
                    "DOCKER_HOST": "unix://" + os.path.join(self.tmp.name, "no-engine.sock")}
        self.data = os.path.join(self.home, ".local", "share", "heavymeta-cli")
        self.store = os.path.join(self.data, "hvym.lmdb")

    def hvym(self, *args, stdin=b"", timeout=30, env=None):
        e = dict(self.env)
        e.update(env or {})
        return run(*args, env=e, stdin=stdin, home=e["HOME"], timeout=timeout)

    def batch(self, requests, **kw):
        r = self.hvym("batch", "--json", json.dumps(requests), **kw)
        self.assertEqual(r.code, 0, r)
        return json.loads(r.out)


class Server:
    def __init__(self, test, env, stdin=subprocess.DEVNULL):
        self.sock = os.path.join(test.tmp.name, "hvym.sock")
        self.proc = subprocess.Popen([BIN, "serve", "--socket", self.sock], env=env, stdin=stdin,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        test.addCleanup(self.stop)
        test.assertTrue(wait_for(self.up, 10), "the server did not start")

    def up(self):
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(self.sock)
            return True
        except OSError:
            return False

    def client(self, timeout=60):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(self.sock)
        return s, s.makefile("rwb")

    def ask(self, *requests, timeout=60):
        s, f = self.client(timeout)
        with s, f:
            f.write(json.dumps(list(requests)).encode() + b"\n")
            f.flush()
            line = f.readline()
            if not line:
                raise AssertionError("the server closed the connection without an answer")
            return json.loads(line)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


# --- a fake Engine API on a unix socket --------------------------------------
class Engine:
    """Answers every request with `mode`: 'endless' (a body that never ends,
    as fast as it goes), 'trickle' (a byte a second), 'huge' (headers
    promising 1 GB, sent fast)."""

    def __init__(self, test, mode):
        self.path = os.path.join(test.tmp.name, "engine.sock")
        mode_ = mode

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(60)
                try:
                    self.request.recv(65536)
                    if mode_ == "trickle":
                        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
                        while True:
                            self.request.sendall(b" ")
                            time.sleep(1)
                    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n" if mode_ == "huge" else \
                        b"HTTP/1.1 200 OK\r\n\r\n"
                    self.request.sendall(head)
                    chunk = b"x" * 65536
                    while True:
                        self.request.sendall(chunk)
                except OSError:
                    pass

        class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = S(self.path, Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        test.addCleanup(self.close)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- first use -----------------------------------------------------------
class FirstUse(Scratch):
    def test_probes_creating_the_store_from_threads(self):
        """The GUI's probe line on a fresh HOME: every probe wants to write the
        docker cache, which creates the store. Nothing may be lost or torn."""
        bad = []
        for i in range(ROUNDS):
            home = os.path.join(self.tmp.name, f"h{i}")
            os.mkdir(home)
            r = self.hvym("batch", *PROBES, env={"HOME": home})
            got = json.loads(r.out) if r.code == 0 else None
            q = self.hvym("pintheon-port", env={"HOME": home})
            data = os.path.join(home, ".local", "share", "heavymeta-cli")
            left = [n for n in os.listdir(data) if n.startswith("hvym.lmdb.new-")] if os.path.isdir(data) else []
            ok = (r.code == 0 and [g["exit"] for g in got] == [0] * 6 and got[0]["value"] is True
                  and q.code == 0 and q.out == b"9998\n" and not left)
            if not ok:
                bad.append((i, r, q, left))
            subprocess.run(["rm", "-rf", home])
        self.assertEqual(bad, [], f"{len(bad)} of {ROUNDS} rounds")

    def test_many_processes_each_setting_a_value_first(self):
        """Eight processes (batches and one-shot setters) make the store at
        once, each setting its own value: every value is there after."""
        sets = [("pintheon-set-port", "9101", "pintheon-port", "9101"),
                ("pinggy-set-tier", "free", "pinggy-tier", "free"),
                ("pintheon-set-network", "mainnet", "pintheon-network", "mainnet"),
                ("config", "set pinggy_debugger_port 4301", "config get pinggy_debugger_port", "4301")]
        bad = []
        for i in range(max(ROUNDS // 8, 20)):
            home = os.path.join(self.tmp.name, f"m{i}")
            os.mkdir(home)
            env = dict(self.env, HOME=home)
            procs = []
            for k, (cmd, arg, _, _) in enumerate(sets):
                line = f"{cmd} {arg}"
                argv = [BIN, "batch", line, "check"] if k % 2 == 0 else [BIN, cmd, *arg.split()]
                procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
            procs += [subprocess.Popen([BIN, "batch", *PROBES[:3]], env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL) for _ in range(4)]
            codes = [p.wait(60) for p in procs]
            got = self.batch([q.split() for *_, q, _ in sets], env={"HOME": home})
            values = [g["stdout"].strip() for g in got]
            want = [v for *_, v in sets]
            verify = self.hvym("config", "verify", env={"HOME": home})
            if codes != [0] * 8 or values != want or verify.code != 0:
                bad.append((i, codes, values, verify))
            subprocess.run(["rm", "-rf", home])
        self.assertEqual(bad, [])

    def test_creation_folders_are_never_followed_or_shared(self):
        """A leftover creation folder of a dead process that is a symlink is
        not followed (its target is untouched); a symlinked lock is refused."""
        os.makedirs(self.data)
        victim = os.path.join(self.tmp.name, "victim")
        os.mkdir(victim)
        for name in ("data.mdb", "lock.mdb"):
            with open(os.path.join(victim, name), "w") as f:
                f.write("precious")
        os.symlink(victim, os.path.join(self.data, "hvym.lmdb.new-999999-abcdef"))
        os.symlink(victim, os.path.join(self.data, "hvym.lmdb.new-999998"))
        r = self.hvym("pintheon-set-port", "9200")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(sorted(os.listdir(victim)), ["data.mdb", "lock.mdb"])
        self.assertEqual(slurp(os.path.join(victim, "data.mdb")), "precious")
        target = os.path.join(self.tmp.name, "lock-target")
        with open(target, "w") as f:
            f.write("keep me")
        os.symlink(target, os.path.join(self.data, "hvym.lock"))
        r = self.hvym("pintheon-stop")
        self.assertEqual(r.code, 1, r)
        self.assertIn("hvym.lock: not a regular file", r.err.decode())
        self.assertEqual(slurp(target), "keep me")


# --- standard input --------------------------------------------------------
class Input(Scratch):
    def token(self):
        return self.hvym("pinggy-token").out

    def test_an_empty_token_on_stdin_is_refused(self):
        self.assertEqual(self.hvym("pinggy-set-token", "old").code, 0)
        r = self.hvym("pinggy-set-token", "--stdin", stdin=b"")
        self.assertEqual(r.code, 1, r)
        self.assertIn("standard input holds no token", r.err.decode())
        for blank in (b"\n", b"  \n", b" \t\r\n"):
            r = self.hvym("pinggy-set-token", "--stdin", stdin=blank)
            self.assertEqual(r.code, 1, (blank, r))
        got = self.batch([{"cmd": "pinggy-set-token", "args": ["--stdin"]},
                          {"cmd": "pinggy-set-token", "args": ["--stdin"], "stdin": "   \n"}])
        self.assertEqual([g["exit"] for g in got], [1, 1])
        self.assertEqual(self.token(), b"old\n")
        got = self.batch([{"cmd": "pinggy-set-token", "args": ["--stdin"], "stdin": "new\n"}, ["pinggy-token"]])
        self.assertEqual([g["value"] for g in got], ["", "new"])

    def test_an_empty_secret_is_refused(self):
        r = self.hvym("stellar-new-account", "--name", "a", "--passphrase-file", "-", stdin=b"\n")
        self.assertEqual(r.code, 1, r)
        self.assertIn("line 1 of standard input is empty", r.err.decode())
        self.assertFalse(os.path.exists(self.store))

    def test_one_clients_input_never_reaches_another(self):
        """Client A gives a passphrase on its request's stdin; client B's
        requests that read stdin get nothing (refused), never A's text."""
        server = Server(self, self.env)
        secret = "correct horse battery staple"
        errors = []

        def a():
            for i in range(3):
                got = server.ask({"cmd": "stellar-new-account",
                                  "args": ["--name", f"a{i}", "--passphrase-file", "-", "--show-mnemonic"],
                                  "stdin": secret + "\n"})
                if got[0]["exit"] != 0:
                    errors.append(("a", got))

        def b():
            for _ in range(20):
                got = server.ask({"cmd": "pinggy-set-token", "args": ["--stdin"]},
                                 {"cmd": "stellar-load-keys", "args": ["--passphrase-file", "-", "--show-secret"]})
                if got[0]["exit"] != 1 or got[1]["exit"] != 1:
                    errors.append(("b", got))
                if secret in json.dumps(got):
                    errors.append(("crossed", got))

        threads = [threading.Thread(target=a), threading.Thread(target=b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(self.token(), b"\n")  # never set

    def test_serve_never_reads_its_own_stdin(self):
        """serve's stdin is a pipe nobody closes: a request that reads stdin is
        answered at once, and SIGTERM still ends the server."""
        server = Server(self, self.env, stdin=subprocess.PIPE)
        start = time.monotonic()
        got = server.ask(["pinggy-set-token", "--stdin"], ["stellar-select-keys", "--passphrase-file", "-"])
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual([g["exit"] for g in got], [1, 1])
        stopped = time.monotonic()
        server.proc.terminate()
        self.assertEqual(server.proc.wait(5), 0)
        self.assertLess(time.monotonic() - stopped, 2.0)


# --- waits are bounded -------------------------------------------------------
@part("bounded")
class Bounded(Scratch):
    def setUp(self):
        super().setUp()
        self.assertEqual(self.hvym("pintheon-set-port", "9300").code, 0)

    def hold(self, *args):
        p = subprocess.Popen([HOLDER, self.store, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
        line = p.stdout.readline()
        self.assertTrue(line.startswith(b"holding"), (line, p.stderr.read() if p.poll() is not None else b""))
        return p

    def test_a_held_writer_lock_blocks_no_reader_and_no_client(self):
        server = Server(self, self.env)
        holder = self.hold("write", "14")
        result = {}

        def setter():
            start = time.monotonic()
            result["got"] = server.ask(["pintheon-set-port", "9400"])
            result["took"] = time.monotonic() - start

        t = threading.Thread(target=setter)
        t.start()
        slowest = 0
        for _ in range(40):  # other clients' queries meanwhile
            start = time.monotonic()
            got = server.ask(["pintheon-port"], ["check"])
            slowest = max(slowest, time.monotonic() - start)
            self.assertEqual([g["value"] for g in got], [9300, "ONE-TWO"])
            time.sleep(0.2)
        t.join(30)
        self.assertLess(slowest, 1.0)
        # The setter's child gave up at the store's 10 s guard, with a reason.
        self.assertEqual(result["got"][0]["exit"], 1, result)
        self.assertIn("no answer from the store within 10 s", result["got"][0]["stderr"])
        self.assertLess(result["took"], 13)
        holder.wait(20)
        self.assertEqual(server.ask(["pintheon-set-port", "9400"], ["pintheon-port"])[1]["value"], 9400)

    def test_a_writer_killed_while_holding_the_lock_blocks_nobody(self):
        server = Server(self, self.env)
        self.assertEqual(server.ask(["pintheon-port"])[0]["value"], 9300)  # serve holds the environment
        holder = self.hold("write", "60")
        holder.kill()
        holder.wait()
        start = time.monotonic()
        got = server.ask(["pintheon-set-port", "9401"], ["pintheon-port"])
        self.assertEqual([g["exit"] for g in got], [0, 0], got)
        self.assertEqual(got[1]["value"], 9401)
        r = self.hvym("pintheon-set-port", "9402")
        self.assertEqual(r.code, 0, r)
        self.assertLess(time.monotonic() - start, 5)

    def test_devices_and_fifos_are_refused_at_once(self):
        fifo = os.path.join(self.tmp.name, "fifo")
        os.mkfifo(fifo)
        server = Server(self, self.env)
        for args in (["png-to-data-url", "/dev/zero"], ["svg-to-data-url", fifo],
                     ["print-hvym-data", fifo], ["png-to-data-url", "/dev/stdin"]):
            start = time.monotonic()
            r = self.hvym(*args)
            self.assertEqual(r.code, 1, (args, r))
            self.assertIn("is not a regular file", r.err.decode())
            got = server.ask(args)
            self.assertEqual(got[0]["exit"], 1)
            self.assertIn("is not a regular file", got[0]["stderr"])
            self.assertLess(time.monotonic() - start, 5, args)
        self.assertTrue(server.alive())

    def test_a_huge_answer_is_cut_off_and_the_server_stays_small(self):
        big = os.path.join(self.tmp.name, "big.png")
        with open(big, "wb") as f:
            f.truncate(200 << 20)  # sparse: 200 MiB of zeros, 267 MiB of base64
        server = Server(self, self.env)
        base = rss_kib(server.proc.pid)
        got = server.ask(["png-to-data-url", big], ["pintheon-port"], timeout=120)
        self.assertEqual(got[0]["exit"], 1)
        self.assertIn("output went over what one batch may hold (64 MiB) or what the server holds for all its requests (256 MiB); stopped", got[0]["stderr"])
        self.assertEqual(got[1]["value"], 9300)
        self.assertTrue(server.alive())
        # The 64 MiB budget, not 267 MiB: the answer is dropped, not kept.
        self.assertLess(rss_kib(server.proc.pid) - base, 160 * 1024)

    def test_an_engine_that_never_stops_talking(self):
        """A body that never ends is refused at 8 MiB; one that trickles a
        byte a second ends at the request's deadline in serve (the lock is
        free again after) and at the call's own bound in one process."""
        Engine(self, "endless")
        env = {"DOCKER_HOST": "unix://" + os.path.join(self.tmp.name, "engine.sock")}
        start = time.monotonic()
        r = self.hvym("pintheon-stop", env=env, timeout=60)
        self.assertEqual(r.code, 1, r)
        self.assertIn("over 8 MiB", r.err.decode())
        self.assertLess(time.monotonic() - start, 15)

    def test_a_trickling_engine_is_cut_off_at_the_deadline(self):
        Engine(self, "trickle")
        env = dict(self.env, DOCKER_HOST="unix://" + os.path.join(self.tmp.name, "engine.sock"))
        server = Server(self, env)
        start = time.monotonic()
        got = server.ask({"cmd": "pintheon-stop", "timeout": 3})
        took = time.monotonic() - start
        self.assertEqual(got[0]["exit"], 1)
        self.assertIn("took longer than 3 s; stopped", got[0]["stderr"])
        self.assertLess(took, 6)
        # Nothing of the killed request is left: its process group is gone,
        # the exclusive lock is free (the next waits for nobody).
        self.assertEqual(children(server.proc.pid, zombies=True), [])
        got = server.ask({"cmd": "pintheon-stop", "timeout": 2})
        self.assertNotIn("waiting for another hvym command", got[0]["stderr"])
        # One process on its own: the engine call's own bound (twice its
        # 10 s timeout), not forever.
        start = time.monotonic()
        r = self.hvym("pintheon-stop", env=env, timeout=60)
        self.assertEqual(r.code, 1, r)
        self.assertLess(time.monotonic() - start, 25)

    def test_a_last_line_without_its_line_end(self):
        server = Server(self, self.env)
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(server.sock)
            s.sendall(b'["check"]\n["pintheon-port"]')  # then the client closes its side
            s.shutdown(socket.SHUT_WR)
            lines = s.makefile("rb").read().splitlines()
        self.assertEqual([json.loads(l)[0]["exit"] for l in lines], [0, 0])

    def test_limits_on_requests_and_clients(self):
        r = self.hvym("batch", "--json", json.dumps([["check"]] * 1001))
        self.assertEqual(r.code, 2, r)
        self.assertIn("more than 1000 requests at once", r.err.decode())
        server = Server(self, self.env)
        idle = [server.client() for _ in range(64)]
        self.addCleanup(lambda: [(f.close(), s.close()) for s, f in idle])
        time.sleep(0.5)
        s, f = server.client(10)
        self.assertIn(b"too many clients", f.readline())
        s.close()
        for c, f in idle[:4]:  # the file holds the socket open too
            f.close()
            c.close()
        self.assertTrue(wait_for(lambda: self._answers(server), 10))

    def _answers(self, server):
        try:
            return server.ask(["check"], timeout=2)[0]["value"] == "ONE-TWO"
        except (OSError, AssertionError, ValueError, KeyError, TypeError):
            return False  # turned away (an error object), or not yet


# --- damaged files and dead readers --------------------------------------------
class Faults(Scratch):
    def setUp(self):
        super().setUp()
        self.assertEqual(self.hvym("pintheon-set-port", "9500").code, 0)
        self.mdb = os.path.join(self.store, "data.mdb")
        with open(self.mdb, "rb") as f:
            self.good = f.read()

    def test_a_store_truncated_under_a_running_server(self):
        server = Server(self, self.env)
        self.assertEqual(server.ask(["pintheon-port"])[0]["value"], 9500)
        with open(self.mdb, "r+b") as f:
            f.truncate(8192)  # the meta pages only: every other page is gone
        for _ in range(3):
            got = server.ask(["pintheon-port"], ["installation-stats"], ["check"])
            self.assertEqual([g["exit"] for g in got], [1, 1, 0], got)
            self.assertIn("is damaged", got[0]["stderr"])
            self.assertTrue(server.alive())
        with open(self.mdb, "r+b") as f:  # put back: the environment is mapped afresh
            f.write(self.good)
        self.assertTrue(wait_for(lambda: server.ask(["pintheon-port"])[0]["value"] == 9500, 10))

    def test_a_garbled_store_in_batch_and_serve(self):
        garbled = bytearray(self.good)
        psize = 4096
        for pg in range(2, len(garbled) // psize):  # every page but the metas
            garbled[pg * psize:(pg + 1) * psize] = os.urandom(psize)
        with open(self.mdb, "wb") as f:
            f.write(garbled)
        r = self.hvym("batch", "pintheon-port", "pinggy-tier", "stellar-list", "check")
        self.assertEqual(r.code, 0, r)
        got = json.loads(r.out)
        self.assertEqual([g["exit"] for g in got], [1, 1, 1, 0])
        server = Server(self, self.env)
        for _ in range(3):
            got = server.ask(["pintheon-port"], ["check"])
            self.assertEqual([g["exit"] for g in got], [1, 0])
        self.assertTrue(server.alive())

    def test_readers_that_died_pin_nothing(self):
        """A reader SIGKILLed inside its snapshot, while serve keeps the
        environment open: thousands of later writes reuse pages."""
        server = Server(self, self.env)
        self.assertEqual(server.ask(["pintheon-port"])[0]["value"], 9500)
        with subprocess.Popen([HOLDER, self.store, "read"], stdout=subprocess.PIPE) as holder:
            self.assertTrue(holder.stdout.readline().startswith(b"holding"))
            holder.kill()
        writes = max(ROUNDS * 6, 2500)
        for i in range(0, writes, 100):  # a hundred setters per batch, each a child
            got = self.batch([["pintheon-set-port", str(10000 + i + k)] for k in range(100)])
            self.assertEqual({g["exit"] for g in got}, {0}, [g for g in got if g["exit"]][:1])
        self.assertLess(os.path.getsize(self.mdb), 1 << 20)
        self.assertEqual(server.ask(["pintheon-port"])[0]["value"], 10000 + writes - 1)

    def test_a_reader_table_full_of_dead_readers(self):
        server = Server(self, self.env)
        with subprocess.Popen([HOLDER, self.store, "readers", "600"], stdout=subprocess.PIPE) as holder:
            line = holder.stdout.readline()
            self.assertTrue(line.startswith(b"holding"), line)
            holder.kill()
        got = server.ask(["pintheon-port"], ["installation-stats"])
        self.assertEqual([g["exit"] for g in got], [0, 0], got)
        r = self.hvym("config", "verify")
        self.assertEqual(r.code, 0, r)
        r = self.hvym("pintheon-port")
        self.assertEqual(r.out, b"9500\n", r)


# --- the store's waits: a deadline for the wait only, no lost wake-ups ---------
STORM_ROUNDS = int(os.environ.get("HVYM_STORM_ROUNDS", "1500"))


class StoreWaits(Scratch):
    """The 10 s deadline covers a wait for another process and nothing else:
    a writer stopped (SIGSTOP, as Ctrl-Z does) anywhere in its run goes on
    when continued and stores its value; one waiting for a lock that stays
    held fails with a reason. Writers killed at random moments leave no live
    writer asleep on a free lock."""

    def setUp(self):
        super().setUp()
        self.assertEqual(self.hvym("pintheon-set-port", "9700").code, 0)

    def port(self, env=None):
        return self.hvym("pintheon-port", env=env).out

    def hold(self, seconds):
        p = subprocess.Popen([HOLDER, self.store, "write", str(seconds)], stdout=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.communicate()))
        self.assertTrue(p.stdout.readline().startswith(b"holding"))
        return p

    def setter(self, port, env=None):
        return subprocess.Popen([BIN, "pintheon-set-port", str(port)], env=env or self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    @part("waits")
    def test_a_writer_stopped_while_it_waits_goes_on_when_the_lock_is_free(self):
        holder = self.hold(1)
        w = self.setter(9701)
        time.sleep(0.5)  # waiting for the holder's lock
        w.send_signal(signal.SIGSTOP)
        holder.wait(10)
        time.sleep(11)  # stopped past the deadline
        w.send_signal(signal.SIGCONT)
        _, err = w.communicate(timeout=30)
        self.assertEqual(w.returncode, 0, err)
        self.assertEqual(self.port(), b"9701\n")

    @part("waits")
    def test_writers_stopped_at_random_moments_store_their_value(self):
        """Forty writers, each in a home of its own, each stopped for 11 s at a
        random moment of its run (opening, waiting, writing, committing,
        closing): every one exits 0 with its value stored, none is killed by
        SIGALRM or says 'no answer'."""
        homes = []
        for i in range(40):
            home = os.path.join(self.tmp.name, f"w{i}")
            os.mkdir(home)
            env = dict(self.env, HOME=home)
            self.assertEqual(self.hvym("pintheon-set-port", "9000", env=env).code, 0)
            homes.append(env)
        start = time.monotonic()
        for _ in range(5):
            self.hvym("pintheon-set-port", "9001", env=homes[0])
        one = (time.monotonic() - start) / 5
        rnd = random.Random(28)
        procs = []
        for i, env in enumerate(homes):
            p = self.setter(10000 + i, env)
            time.sleep(rnd.random() * one)
            p.send_signal(signal.SIGSTOP)
            procs.append(p)
        time.sleep(11)
        for p in procs:
            p.send_signal(signal.SIGCONT)
        bad = []
        for i, (p, env) in enumerate(zip(procs, homes)):
            _, err = p.communicate(timeout=60)
            stored = self.port(env) == f"{10000 + i}\n".encode()
            if p.returncode != 0 or not stored:
                bad.append((i, p.returncode, stored, err[-120:]))
        self.assertEqual(bad, [])

    @part("waits")
    def test_a_writer_stopped_while_the_lock_stays_held_fails_cleanly(self):
        """Stopped 11 s while it waits for a lock held 26 s: the stop does not
        count, the wait does; exit 1 with the reason after 10 s of waiting."""
        self.hold(26)
        start = time.monotonic()
        w = self.setter(9702)
        time.sleep(1)
        w.send_signal(signal.SIGSTOP)
        time.sleep(11)
        w.send_signal(signal.SIGCONT)
        _, err = w.communicate(timeout=40)
        took = time.monotonic() - start
        self.assertEqual(w.returncode, 1, err)
        self.assertIn(b"no answer from the store within 10 s", err)
        self.assertTrue(19 < took < 25, took)
        self.assertEqual(self.port(), b"9700\n")

    @part("waits")
    def test_a_sigalrm_sent_by_someone_still_ends_hvym(self):
        """SIGALRM from kill is not the deadline's: its default action stands."""
        holder = self.hold(5)
        w = self.setter(9703)
        time.sleep(0.5)
        w.send_signal(signal.SIGALRM)
        w.communicate(timeout=30)
        self.assertEqual(w.returncode, -signal.SIGALRM)
        holder.kill()  # its 5 s only kept the lock held until the signal: not waited out
        holder.wait(10)

    @part("waits")
    def test_a_waiter_killed_after_its_wake_up_takes_nothing_along(self):
        """The lost wake-up of the kill storm, made to happen: the holder
        commits (one FUTEX_WAKE: the first waiter), kills that waiter at once
        and takes the lock again without the waiters bit, holds it a second,
        commits (no wake-up: the word says nobody waits). The second waiter,
        alive, must not sleep on the free lock until its deadline."""
        for attempt in range(3):
            holder = subprocess.Popen([HOLDER, self.store, "handoff"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
            self.addCleanup(lambda p=holder: (p.poll() is None and p.kill(), p.communicate()))
            self.assertTrue(holder.stdout.readline().startswith(b"holding"))
            first = self.setter(9704)
            time.sleep(0.3)  # waiting first
            second = self.setter(9705 + attempt)
            time.sleep(0.3)
            start = time.monotonic()
            holder.stdin.write(b"%d\n" % first.pid)
            holder.stdin.flush()
            first.communicate(timeout=30)
            _, err = second.communicate(timeout=30)
            took = time.monotonic() - start
            self.assertEqual(holder.wait(10), 0)
            self.assertEqual(first.returncode, -signal.SIGKILL)
            self.assertEqual(second.returncode, 0, (attempt, err))
            self.assertLess(took, 3, attempt)
            self.assertEqual(self.port(), f"{9705 + attempt}\n".encode())

    @part("storm")
    @unittest.skipIf(os.environ.get("HVYM_HOST_SYSTEM") == "windows", "flock and fcntl locks: POSIX")
    def test_an_opener_killed_while_it_sets_up_the_lock_table_misleads_no_writer(self):
        """What the kill storm met on a tmpfs (1 run in 4), made to happen: an
        hvym killed inside mdb_env_open while it set lock.mdb up (LMDB's
        exclusive fcntl lock on its byte 0 held, the table's last transaction
        id still 0, hvym's flock on data.mdb held), a writer waiting
        meanwhile. Once the dead opener's locks are gone the writer must set
        the table up again, not take transaction id 0 from it (its write
        transaction would be number 1: "no meta page records transaction 0")."""
        import fcntl
        self.assertEqual(self.hvym("pintheon-set-port", "9699").code, 0)  # metas of transactions 2 and 3
        with open(os.path.join(self.store, "data.mdb"), "rb") as f:
            metas = f.read(2 * PAGE)
        newest = max(struct.unpack_from("<Q", metas, i * PAGE + 144)[0] for i in (0, 1))
        data_fd = os.open(os.path.join(self.store, "data.mdb"), os.O_RDONLY)
        lock_fd = os.open(os.path.join(self.store, "lock.mdb"), os.O_RDWR)
        try:
            fcntl.flock(data_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
            # mti_txnid follows the magic, the format and the reader table's
            # pthread mutex (40 bytes on x86-64, 48 on arm64).
            head = os.pread(lock_fd, 64, 0)
            at = [o for o in (48, 56) if struct.unpack_from("<Q", head, o)[0] == newest]
            self.assertEqual(len(at), 1, (newest, head.hex()))
            os.pwrite(lock_fd, struct.pack("<Q", 0), at[0])
            w = self.setter(9704)
            time.sleep(0.5)  # waiting for the opener
            self.assertIsNone(w.poll())
        finally:
            os.close(lock_fd)  # "killed": the kernel drops its locks
            os.close(data_fd)
        _, err = w.communicate(timeout=30)
        self.assertEqual(w.returncode, 0, err)
        self.assertEqual(self.port(), b"9704\n")
        self.assertEqual(self.hvym("config", "verify").code, 0)

    @part("storm")
    def test_kill_storm_leaves_no_live_writer_asleep(self):
        """Four writers at once, one to three of them SIGKILLed at random
        moments, round after round (HVYM_STORM_ROUNDS, default 1500): every
        writer left alive stores its value; none sleeps on a free lock until
        its deadline (a waiter killed after it was woken takes the one
        FUTEX_WAKE of LMDB's robust mutex along)."""
        rnd = random.Random(9)
        bad, survivors, slow = [], 0, 0
        for r in range(STORM_ROUNDS):
            procs = [self.setter(10000 + (4 * r + i) % 50000) for i in range(4)]
            victims = rnd.sample(range(4), rnd.randint(1, 3))
            for v in victims:
                time.sleep(rnd.random() * 0.003)
                procs[v].kill()
            start = time.monotonic()
            for i, p in enumerate(procs):
                _, err = p.communicate(timeout=30)
                if i in victims:
                    if p.returncode not in (0, -signal.SIGKILL):
                        bad.append((r, "killed writer", p.returncode, err[-160:]))
                    continue
                survivors += 1
                slow += time.monotonic() - start > 1
                if p.returncode != 0:
                    bad.append((r, p.returncode, err[-160:]))
        print(f"kill storm: {STORM_ROUNDS} rounds, {survivors} writers left alive, {slow} of them over 1 s",
              file=sys.stderr)
        self.assertEqual(bad, [])
        self.assertEqual(self.hvym("config", "verify").code, 0)


# --- a damaged free list -------------------------------------------------------
DAMAGED_STORES = int(os.environ.get("HVYM_DAMAGED_STORES", "200"))
PAGE = 4096


def lmdb_db(data, which):
    """An MDB_db of the newest meta page: 0 the free list, 1 the main database."""
    metas = [data[i * PAGE:(i + 1) * PAGE] for i in (0, 1)]
    meta = max(metas, key=lambda m: struct.unpack_from("<Q", m, 144)[0])
    _, flags, depth, branch, leaf, overflow, entries, root = struct.unpack_from("<IHHQQQQQ", meta, 40 + 48 * which)
    return {"depth": depth, "root": root}


def lmdb_tree_pages(data, which):
    """Every page of one tree (branch, leaf and overflow pages)."""
    root = lmdb_db(data, which)["root"]
    pages = []

    def visit(pg):
        pages.append(pg)
        page = data[pg * PAGE:(pg + 1) * PAGE]
        flags, lower = struct.unpack_from("<HH", page, 10)
        for i in range((lower - 16) // 2):
            off = struct.unpack_from("<H", page, 16 + 2 * i)[0]
            lo, hi, nflags, ksize = struct.unpack_from("<HHHH", page, off)
            if flags & 1:
                visit(lo | hi << 16 | nflags << 32)
            elif nflags & 1:
                first = struct.unpack_from("<Q", page, off + 8 + ksize)[0]
                pages.extend(range(first, first + struct.unpack_from("<I", data, first * PAGE + 12)[0]))

    if root != (1 << 64) - 1:
        visit(root)
    return pages


class DamagedFreeList(Scratch):
    """LMDB takes pages from its free list (FREE_DBI) on trust: a damaged
    free-list page made every writer abort inside LMDB (an assertion in
    mdb_node_add, a corrupted heap) while queries worked and verify said
    consistent. Now writers fail with 'damaged', verify says so, queries go on."""

    def setUp(self):
        super().setUp()
        for i in range(12):  # every change frees the pages it copied: a free list with records
            self.assertEqual(self.hvym("pintheon-set-port", str(9000 + i)).code, 0)
            self.assertEqual(self.hvym("pinggy-set-token", f"tok{i}" * 50).code, 0)
        self.mdb = os.path.join(self.store, "data.mdb")
        with open(self.mdb, "rb") as f:
            self.good = f.read()
        self.free = lmdb_tree_pages(self.good, 0)
        self.assertTrue(self.free, "no free list to damage")
        # A leaf of the free list's tree (P_LEAF) and one of its records that lists pages.
        self.leaf = next(pg for pg in self.free if struct.unpack_from("<H", self.good, pg * PAGE + 10)[0] & 2) * PAGE
        lower = struct.unpack_from("<H", self.good, self.leaf + 12)[0]
        for i in range((lower - 16) // 2):
            off = struct.unpack_from("<H", self.good, self.leaf + 16 + 2 * i)[0]
            ksize = struct.unpack_from("<H", self.good, self.leaf + off + 6)[0]
            self.record = self.leaf + off + 8 + ksize
            if struct.unpack_from("<Q", self.good, self.record)[0]:
                break
        else:
            self.fail("no free-list record lists a page")

    def put(self, data, home=None):
        store = os.path.join(home, ".local", "share", "heavymeta-cli", "hvym.lmdb") if home else self.store
        os.makedirs(store, exist_ok=True)
        for name in ("data.mdb", "lock.mdb"):
            if os.path.exists(os.path.join(store, name)):
                os.unlink(os.path.join(store, name))
        with open(os.path.join(store, "data.mdb"), "wb") as f:
            f.write(data)

    def check_refused(self, what):
        w = self.hvym("pintheon-set-port", "9999")
        self.assertEqual(w.code, 1, (what, w))
        self.assertIn(b"is damaged (free list", w.err, what)
        v = self.hvym("config", "verify")
        self.assertEqual(v.code, 1, (what, v))
        self.assertIn(b"is damaged (free list", v.err, what)
        q = self.hvym("pintheon-port")  # queries do not use the free list
        self.assertEqual((q.code, q.out), (0, b"9011\n"), what)

    def test_a_garbled_free_list_page_header(self):
        """The free list's leaf with its free space gone negative
        (mp_upper < mp_lower): LMDB asserted in mdb_node_add and aborted."""
        d = bytearray(self.good)
        lower = struct.unpack_from("<H", d, self.leaf + 12)[0]
        struct.pack_into("<H", d, self.leaf + 14, lower - 2)
        self.put(d)
        self.check_refused("mp_upper")

    def test_a_page_in_use_listed_free(self):
        """A free-list record that names a page of the main tree: LMDB would
        hand it out again and overwrite live records."""
        d = bytearray(self.good)
        live = max(lmdb_tree_pages(self.good, 1))
        struct.pack_into("<Q", d, self.record + 8, live)  # its first (largest) page number
        self.put(d)
        self.check_refused("a live page")

    def test_an_lmdb_assertion_fails_the_call_not_the_process(self):
        """A branch page left with one child: LMDB asserts on every search
        through it (mdb_page_search_root), queries included. Its assertion
        hook turns that into 'damaged' for the call; batch goes on."""
        for i in range(12):  # values of 1.5 KB: a main tree of two levels
            subprocess.run([HOLDER, self.store, "put", f"legacy/x{i}", "v" * 1500], check=True)
        with open(self.mdb, "rb") as f:
            d = bytearray(f.read())
        root = lmdb_db(d, 1)
        self.assertEqual(root["depth"], 2)
        struct.pack_into("<H", d, root["root"] * PAGE + 12, 16 + 2)  # one child
        self.put(d)
        for args in (["pintheon-port"], ["pintheon-set-port", "9999"], ["config", "verify"]):
            r = self.hvym(*args)
            self.assertEqual(r.code, 1, (args, r))
            self.assertIn(b"is damaged (", r.err, args)
        self.assertIn(b"LMDB found a page it cannot use in mdb_page_search_root()", self.hvym("pintheon-port").err)
        got = self.batch([["pintheon-port"], ["check"]])
        self.assertEqual([g["exit"] for g in got], [1, 0], got)
        self.assertIn("is damaged", got[0]["stderr"])

    def test_randomly_damaged_free_lists_never_abort(self):
        """HVYM_DAMAGED_STORES stores (default 200) with random damage in their
        free list's pages: a writer exits 0 (the damage hit unused bytes) or 1
        saying 'damaged', never a signal; when it says damaged, so does
        verify; when it succeeds, the store stays consistent."""
        counts = {}
        bad = []
        for k in range(DAMAGED_STORES):
            rnd = random.Random(k)
            d = bytearray(self.good)
            for pg in self.free:
                base = pg * PAGE
                kind = rnd.randrange(4)
                if kind == 0:  # a few bits
                    for _ in range(rnd.randint(1, 8)):
                        d[base + rnd.randrange(PAGE)] ^= 1 << rnd.randrange(8)
                elif kind == 1:  # one word: any number, a small page number, zero
                    off = base + 8 * rnd.randrange(2, PAGE // 8)
                    struct.pack_into("<Q", d, off, rnd.choice([rnd.randrange(1 << 64),
                                                              rnd.randrange(len(d) // PAGE + 4), 0]))
                elif kind == 2:  # a run of random bytes
                    a = base + rnd.randrange(PAGE)
                    b = min(base + PAGE, a + rnd.randint(1, 256))
                    d[a:b] = rnd.randbytes(b - a)
                else:  # one 16-bit field: an offset, a size, a count
                    struct.pack_into("<H", d, base + rnd.randrange(16, PAGE - 2), rnd.randrange(65536))
            home = os.path.join(self.tmp.name, f"d{k}")
            self.put(d, home)
            env = {"HOME": home}
            w = self.hvym("pintheon-set-port", "12345", env=env)
            v = self.hvym("config", "verify", env=env)
            key = (w.code, v.code)
            counts[key] = counts.get(key, 0) + 1
            if (w.code not in (0, 1) or (w.code == 1 and b"is damaged" not in w.err)
                    or (w.code == 1 and v.code != 1) or (w.code == 0 and v.code != 0)):
                bad.append((k, w, v))
            subprocess.run(["rm", "-rf", home])
        print(f"damaged free lists: {DAMAGED_STORES} stores, (writer exit, verify exit): {counts}; "
              f"wrong: {[(k, w.code, v.code) for k, w, v in bad]}", file=sys.stderr)
        self.assertEqual(bad, [])


# --- children ------------------------------------------------------------------
class Children(Scratch):
    def test_no_zombies_and_no_orphans(self):
        server = Server(self, dict(self.env, BROWSER="/bin/true"))
        for _ in range(5):
            got = server.ask(["pintheon-open"], ["docker-installed"])
            self.assertEqual([g["exit"] for g in got], [0, 0], got)
        time.sleep(0.3)
        self.assertEqual(children(server.proc.pid, zombies=True), [])

    def test_a_killed_batch_takes_its_children_along(self):
        Engine(self, "trickle")
        env = dict(self.env, DOCKER_HOST="unix://" + os.path.join(self.tmp.name, "engine.sock"))
        p = subprocess.Popen([BIN, "batch", "pintheon-stop"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.assertTrue(wait_for(lambda: children(p.pid, zombies=True), 10))
        kids = children(p.pid, zombies=True)
        p.kill()
        p.communicate()
        self.assertTrue(wait_for(lambda: not any(os.path.exists(f"/proc/{k}") for k in kids), 5))

    def test_sigterm_ends_serve_within_two_seconds_whatever_runs(self):
        Engine(self, "trickle")
        env = dict(self.env, DOCKER_HOST="unix://" + os.path.join(self.tmp.name, "engine.sock"))
        server = Server(self, env)
        s, f = server.client()
        f.write(b'["pintheon-stop"]\n["check"]\n')
        f.flush()
        self.assertTrue(wait_for(lambda: children(server.proc.pid, zombies=True), 10))
        kids = children(server.proc.pid, zombies=True)
        start = time.monotonic()
        server.proc.terminate()
        self.assertEqual(server.proc.wait(5), 0)
        self.assertLess(time.monotonic() - start, 2.0)
        answers = [json.loads(line) for line in f]
        self.assertEqual(len(answers), 2)  # every line read is answered
        self.assertIn("the server is stopping", answers[0][0]["stderr"])
        self.assertFalse(any(os.path.exists(f"/proc/{k}") for k in kids))
        s.close()


if __name__ == "__main__":
    unittest.main()
