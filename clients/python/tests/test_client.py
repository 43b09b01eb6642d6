"""hvym_client against the real hvym (HVYM_BIN, default the build's): real
servers, real processes. Every test has a scratch HOME and HVYM_HOME in a
temporary folder and its own socket there; servers it starts are killed
when it ends. Nothing waits a fixed time: waits are for events (a socket
that answers, an answer, a connection), each with a generous bound."""
import http.server
import json
import os
import queue
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import hvym_client  # noqa: E402
from hvym_client import (CANCELLED, CONNECTION_LOST, NOT_RUN, TIMEOUT, Hvym,  # noqa: E402
                         HvymError, Result, WatchTimeout, WatchUnavailable)
from hvym_client._protocol import Protocol  # noqa: E402

BIN = os.environ.get("HVYM_BIN") or os.path.join(HERE, "..", "..", "..", "build", "hvym")
BOUND = 60  # seconds: the upper bound of every wait

try:
    import PyQt5.QtCore  # noqa: F401
    HAVE_QT = True
except ImportError:
    HAVE_QT = False


def wait_until(predicate, bound=BOUND):
    """Polls predicate (a socket that answers, a process that is gone) until
    it holds or `bound` seconds pass."""
    deadline = time.monotonic() + bound
    delay = 0.005
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    return predicate()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purpose
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def answers(path):
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(path)
        return True
    except OSError:
        return False


# A 1x1 PNG, for png-to-data-url (a command that reads a file named relative to cwd).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class LocalHttp(object):
    """An HTTP server on 127.0.0.1 for pinggy-install's download: serves a
    few bytes, or (hang=True) accepts and never answers, so the download
    waits until it is killed. `accepted` is set when a client connects,
    `closed` when that client's side of the connection closes."""

    def __init__(self, hang=False):
        self.accepted = threading.Event()
        self.closed = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle(self):
                outer.accepted.set()
                if hang:
                    try:
                        while self.request.recv(4096):
                            pass
                    except OSError:
                        pass
                    outer.closed.set()
                    return
                super().handle()

            def do_GET(self):
                body = b"#!/bin/sh\necho pinggy\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/pinggy" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Scratch(unittest.TestCase):
    """A scratch home, data folder and runtime folder; helpers to start
    servers and clients that are cleaned up after the test."""

    def setUp(self):
        if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
            self.fail("no hvym at %s (HVYM_BIN)" % BIN)
        self.tmp = tempfile.mkdtemp(prefix="hvymc-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, "home")
        self.data = os.path.join(self.tmp, "data")
        self.run_dir = os.path.join(self.tmp, "run")
        for d in (self.home, self.data, self.run_dir):
            os.makedirs(d)
        os.chmod(self.run_dir, 0o700)
        self.sock = os.path.join(self.tmp, "s.sock")
        # The client's variables (sent in hello), and the environment of the
        # servers and subprocesses: this process's with these set.
        self.over = {"HOME": self.home, "HVYM_HOME": self.data, "XDG_RUNTIME_DIR": self.run_dir,
                     "LANG": "C.UTF-8", "XDG_DATA_HOME": None, "DISPLAY": None,
                     "WAYLAND_DISPLAY": None, "HVYM_DIALOG": None, "HVYM_NO_INPUT": None,
                     "DOCKER_HOST": None, "DOCKER_CONTEXT": None, "DOCKER_CONFIG": None,
                     "DOCKER_CERT_PATH": None, "DOCKER_TLS_VERIFY": None}
        self.env = hvym_client.child_env(self.over)
        self._servers = []
        self._pids = []
        self._clients = []

    def tearDown(self):
        for c in self._clients:
            c.close()
        for p in self._servers:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()
        for pid in self._pids:  # servers started by `serve --ensure`
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            if not wait_until(lambda: not pid_alive(pid), 20):
                os.kill(pid, signal.SIGKILL)

    # -- helpers -----------------------------------------------------------------

    def start_server(self, sock=None, env=None):
        sock = sock or self.sock
        p = subprocess.Popen([BIN, "serve", "--socket", sock, "--idle-exit", "600"],
                             env=env or self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._servers.append(p)
        ok = wait_until(lambda: answers(sock) or p.poll() is not None)
        if p.poll() is not None or not ok:
            self.fail("hvym serve did not start: %r" % p.stderr.read()[-2000:])
        return p

    def client(self, **kw):
        kw.setdefault("binary", BIN)
        kw.setdefault("env", self.over)
        if "socket" not in kw:
            kw["socket"] = self.sock
        kw.setdefault("fallback", False)
        h = Hvym(**kw)
        self._clients.append(h)
        if h.ensured and h.ensured.get("pid"):
            self._pids.append(h.ensured["pid"])
        return h

    def serve_client(self, **kw):
        """A client of a server of our own, in serve mode (the test fails with
        the reason when the server does not speak the protocol)."""
        self.start_server()
        try:
            return self.client(**kw)
        except HvymError as e:
            self.fail("no protocol from hvym serve: %s; hello was %s" % (
                e, json.dumps({"jsonrpc": "2.0", "id": 1, "method": "hello",
                               "params": hvym_client.hello_params("hvym_client", False, self.over)})))

    def hvym(self, *args, stdin=b"", env=None, cwd=None):
        return subprocess.run([BIN] + [str(a) for a in args], input=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env or self.env, cwd=cwd, timeout=BOUND)

    def expected(self, cmd, *args, stdin=b"", env=None, cwd=None):
        """The Result of `hvym CMD ARGS` run as a subprocess."""
        p = self.hvym(cmd, *args, stdin=stdin, env=env, cwd=cwd)
        out, err = p.stdout.decode(), p.stderr.decode()
        return Result(cmd, p.returncode, out, err, hvym_client.typed_value(p.returncode, out))

    def hang_pinggy(self):
        web = LocalHttp(hang=True)
        self.addCleanup(web.stop)
        self.assertEqual(self.hvym("config", "set", "pinggy_base_url", web.url).returncode, 0)
        return web

    def dialog_env(self, answer):
        """The environment of a subprocess whose questions a $HVYM_DIALOG
        program answers with `answer`, on a twin data folder."""
        script = os.path.join(self.tmp, "dialog-%s" % answer)
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\necho '%s'\n" % answer)
        os.chmod(script, 0o755)
        twin = os.path.join(self.tmp, "twin-%s" % answer)
        os.makedirs(twin, exist_ok=True)
        return dict(self.env, HVYM_HOME=twin, HVYM_DIALOG=script)

    def other_store(self, port):
        """A second data folder whose port is `port`."""
        data = os.path.join(self.tmp, "data%d" % port)
        os.makedirs(data)
        env = dict(self.env, HVYM_HOME=data)
        self.assertEqual(self.hvym("pintheon-set-port", port, env=env).returncode, 0)
        return data


# Commands whose results are compared: in-process ones (queries, data
# commands), children (config list, png-to-data-url), failures (usage, no such
# command, a bad value).
MIXED = [
    ("pintheon-port",),
    ("pintheon-network",),
    ("check",),
    ("mesh-data", "a b", "true", "slider", "false"),
    ("single-int-data", "n", 5, 0, 10),
    ("config", "list"),
    ("config", "get", "pintheon_port"),
    ("nonesuch",),
    ("pintheon-set-port", "abc"),
    ("mesh-data", "x", "maybe", "slider", "false"),
]


class ServeTests(Scratch):

    def test_hello_fields(self):
        p = self.start_server()
        h = self.client()
        self.assertEqual(h.mode, "serve")
        version = self.hvym("--version").stdout.decode().split()[-1]
        self.assertEqual(h.hello["hvym"], version)
        self.assertEqual(h.hello["protocol"], 1)
        self.assertEqual(h.hello["pid"], p.pid)
        self.assertEqual(h.hello["address"], self.sock)
        self.assertEqual(h.hello["platform"], "linux")
        self.assertEqual(os.path.realpath(h.hello["data_folder"]), os.path.realpath(self.data))
        caps = h.hello["capabilities"]
        for m in ("hello", "run", "batch", "cancel", "shutdown"):
            self.assertIn(m, caps["methods"])
        self.assertIs(caps["ask"], True)
        self.assertIs(caps["output"], True)
        self.assertIs(caps["cancel"], True)
        self.assertIn("line", caps["ask_kinds"])
        self.assertIsInstance(h.hello["env"], dict)
        self.assertEqual(h.hello["env"].get("HVYM_HOME"), self.data)
        # What the client said.
        said = h.hello_params
        self.assertEqual((said["protocol"], said["client"], said["ask"]), (1, "hvym_client", False))
        self.assertEqual(said["cwd"], os.getcwd())
        for name in hvym_client.ENV_VARS:
            want = self.over[name] if name in self.over else os.environ.get(name)
            if name in self.over or name in os.environ:
                self.assertEqual(said["env"][name], want, name)
            else:
                self.assertNotIn(name, said["env"])
        self.assertIs(self.client(ask=lambda q: "").hello_params["ask"], True)

    def test_a_protocol_the_server_does_not_speak_is_refused(self):
        self.start_server()
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(BOUND)
            s.connect(self.sock)
            got = []
            proto = Protocol(s.sendall)
            proto.request("hello", {"protocol": 99}, lambda r, e: got.append((r, e)))
            while not got:
                proto.feed(s.recv(65536))
        result, error = got[0]
        self.assertIsNone(result)
        self.assertEqual(error.code, hvym_client.UNSUPPORTED_PROTOCOL)
        self.assertEqual(error.data, {"protocol": 1})

    def test_run_is_what_a_subprocess_prints(self):
        h = self.serve_client()
        r = h.run("pintheon-port")
        self.assertEqual(r, self.expected("pintheon-port"))
        self.assertEqual(r.value, 9998)
        self.assertEqual(r.stdout, self.hvym("pintheon-port").stdout.decode())
        for argv in MIXED:
            self.assertEqual(h.run(*argv), self.expected(*argv), argv)

    def test_stdin_env_and_cwd_are_the_callers(self):
        h = self.serve_client()
        # stdin: a token given on standard input.
        r = h.run("pinggy-set-token", "--stdin", stdin="tok-123\n")
        self.assertEqual(r.exit, 0, r)
        self.assertEqual(h.run("pinggy-token").value, "tok-123")
        # env: a data folder of the request's own.
        other = self.other_store(7777)
        self.assertEqual(h.run("pintheon-port", env={"HVYM_HOME": other}).value, 7777)
        self.assertEqual(h.run("pintheon-port").value, 9998)
        # env: the connection's (hello), another data folder than the server's.
        h2 = self.client(env=dict(self.over, HVYM_HOME=other))
        self.assertEqual(h2.run("pintheon-port").value, 7777)
        # cwd: a relative file argument resolves there.
        pics = os.path.join(self.tmp, "pics")
        os.makedirs(pics)
        with open(os.path.join(pics, "dot.png"), "wb") as f:
            f.write(PNG)
        r = h.run("png-to-data-url", "dot.png", cwd=pics)
        self.assertEqual(r, self.expected("png-to-data-url", "dot.png", cwd=pics))
        self.assertTrue(r.stdout.startswith("data:image/png;base64,"), r)
        # A malformed env is refused with -32602.
        with self.assertRaises(HvymError) as e:
            h.run("pintheon-port", env={"A=B": "x"})
        self.assertEqual(e.exception.code, hvym_client.INVALID_PARAMS)

    def test_run_many_is_one_batch(self):
        h = self.serve_client()
        requests = [["pintheon-port"], ["pintheon-set-port", 9000], ["pintheon-port"],
                    {"cmd": "mesh-data", "args": ["m", "true", "slider", "false"]},
                    {"cmd": "pinggy-set-token", "args": ["--stdin"], "stdin": "T\n"},
                    ["pinggy-token"], ["nonesuch"], ["config", "list"]]
        got = h.run_many(requests)
        # The same requests through `hvym batch --json`, on a twin data folder.
        twin = dict(self.env, HVYM_HOME=os.path.join(self.tmp, "twin"))
        p = self.hvym("batch", "--json", stdin=json.dumps(requests).encode(), env=twin)
        self.assertEqual(p.returncode, 0, p.stderr)
        want = [Result.from_json(r) for r in json.loads(p.stdout)]
        self.assertEqual(got, want)
        self.assertEqual([r.value for r in got[:3]], [9998, "", 9000])
        self.assertEqual(got[5].value, "T")
        self.assertEqual(h.run("pintheon-port").value, 9000)

    def test_a_hundred_requests_in_flight_come_back_tagged(self):
        h = self.serve_client()
        requests = []
        for i in range(100):
            if i % 4 == 0:
                requests.append(("pintheon-port",))
            elif i % 4 == 1:
                requests.append(("mesh-data", "mesh %d" % i, ["true", "false"][i % 2], "w%d" % i, "true"))
            elif i % 4 == 2:
                requests.append(("single-int-data", "n%d" % i, i, 0, 1000))
            else:
                requests.append(("config", "get", "pintheon_port"))
        calls = [h.submit(*argv) for argv in requests]
        self.assertEqual(len({c.id for c in calls}), 100)
        want = {argv: self.expected(*argv) for argv in set(requests)}
        for argv, call in zip(requests, calls):
            r = call.result(BOUND)
            self.assertEqual(r, want[argv], argv)
            if argv[0] == "mesh-data":
                self.assertEqual(r.value["name"], argv[1])

    def test_output_is_streamed(self):
        h = self.serve_client()
        parts = []
        r = h.run("config", "list", on_output=lambda stream, text: parts.append((stream, text)))
        self.assertEqual(r, self.expected("config", "list"))
        self.assertGreater(len(r.stdout.splitlines()), 5)
        self.assertEqual("".join(t for s, t in parts if s == "stdout"), r.stdout)
        self.assertEqual("".join(t for s, t in parts if s == "stderr"), r.stderr)
        for _, text in parts[:-1]:
            self.assertTrue(text.endswith("\n"), parts)  # whole lines

    def test_output_arrives_while_the_command_runs_and_cancel_kills_it(self):
        web = self.hang_pinggy()
        h = self.serve_client()
        seen = threading.Event()
        parts = []

        def on_output(stream, text):
            parts.append((stream, text))
            if "downloading" in text:
                seen.set()

        call = h.submit("pinggy-install", on_output=on_output)
        self.assertTrue(seen.wait(BOUND), "no output notification while it runs: %r" % parts)
        self.assertTrue(web.accepted.wait(BOUND), "the download never connected")
        self.assertFalse(call.done())
        self.assertEqual(parts[0][0], "stderr")
        self.assertTrue(call.cancel())
        with self.assertRaises(HvymError) as e:
            call.result(BOUND)
        self.assertEqual(e.exception.code, CANCELLED)
        # What it started (curl) was killed: the download's connection closed.
        self.assertTrue(web.closed.wait(BOUND), "the download still runs after cancel")
        self.assertFalse(call.cancel())  # already answered
        self.assertEqual(h.run("pintheon-port").value, 9998)  # the connection goes on

    def test_timeout_stops_the_command(self):
        web = self.hang_pinggy()
        h = self.serve_client()
        with self.assertRaises(HvymError) as e:
            h.run("pinggy-install", timeout=1)
        self.assertEqual(e.exception.code, TIMEOUT)
        self.assertEqual(e.exception.data["cmd"], "pinggy-install")
        self.assertIn("downloading", e.exception.data["stderr"])
        self.assertTrue(web.closed.wait(BOUND))

    def test_ask_handler_answers_a_setter(self):
        h = self.serve_client()  # says "ask": false; a request with a handler changes that
        questions = []

        def ask(q):
            questions.append(q)
            return "7654"

        call = h.submit("pintheon-set-port", ask=ask)
        r = call.result(BOUND)
        # What it prints when a dialog program gives the same answer.
        self.assertEqual(r, self.expected("pintheon-set-port", env=self.dialog_env("7654")))
        self.assertEqual((r.exit, r.stdout), (0, ""), r)
        self.assertEqual(len(questions), 1)
        q = questions[0]
        self.assertEqual((q["kind"], q["request"], q["default"]), ("line", call.id, "9998"))
        self.assertIn("Port", q["message"])
        self.assertEqual(h.run("pintheon-port").value, 7654)
        self.assertEqual(self.hvym("pintheon-port").stdout, b"7654\n")

    def test_ask_handler_of_the_client_and_a_cancel(self):
        asked = []
        h = self.serve_client(ask=lambda q: asked.append(q) or None)  # every question cancelled
        r = h.run("pintheon-set-port")
        self.assertEqual(len(asked), 1)
        self.assertEqual((r.exit, r.stdout, r.stderr), (0, "", ""))  # as the original's closed popup
        self.assertEqual(h.run("pintheon-port").value, 9998)
        r = h.run("pintheon-set-port", ask=lambda q: "not a port")
        self.assertNotEqual(r.exit, 0)
        self.assertEqual(h.run("pintheon-port").value, 9998)

    def test_without_an_ask_handler_a_question_is_asked_as_a_subprocess_asks(self):
        # "run: runs one command, as `hvym CMD ARGS...` would", and every
        # variable given is honoured: a client that answers no questions
        # gets what a subprocess with its environment gets.
        h = self.serve_client()
        r = h.run("pintheon-set-port")  # no terminal, no dialog program
        self.assertEqual(r, self.expected("pintheon-set-port"))
        self.assertIn("no terminal and no dialog program", r.stderr)
        dialog = self.dialog_env("7001")  # a $HVYM_DIALOG program answers
        r = h.run("pintheon-set-port", env={"HVYM_DIALOG": dialog["HVYM_DIALOG"]})
        self.assertEqual(r, self.expected("pintheon-set-port", env=dialog))
        self.assertEqual(h.run("pintheon-port").value, 7001)

    def test_show_notifications(self):
        shown = []
        h = self.serve_client(ask=lambda q: "", on_show=shown.append)
        call = h.submit("custom-loading-msg", "Working", "--seconds", 1)
        r = call.result(BOUND)
        self.assertEqual(r.exit, 0, r)
        self.assertTrue(shown, "no show notification")
        self.assertEqual((shown[0]["kind"], shown[0]["message"], shown[0]["request"]),
                         ("busy", "Working", call.id))

    def test_autostart_with_serve_ensure(self):
        h = self.client(socket=None)
        self.assertEqual(h.mode, "serve", h.why_subprocess)
        self.assertTrue(h.ensured["started"])
        self.assertEqual(h.address, h.ensured["address"])
        self.assertTrue(h.address.startswith(self.run_dir), h.address)
        self.assertEqual(h.hello["pid"], h.ensured["pid"])
        self.assertEqual(h.hello["hvym"], h.ensured["version"])
        self.assertEqual(h.run("pintheon-port"), self.expected("pintheon-port"))
        h2 = self.client(socket=None)
        self.assertFalse(h2.ensured["started"])
        self.assertEqual(h2.hello["pid"], h.hello["pid"])

    def test_another_version_is_replaced(self):
        # A wrapper whose first `serve --ensure` claims another version: the
        # client finds hello's version differs, ensures again, reconnects once.
        log = os.path.join(self.tmp, "ensures")
        wrapper = os.path.join(self.tmp, "hvym")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    "if [ \"$1 $2\" = 'serve --ensure' ]; then\n"
                    "  echo x >> '%s'\n"
                    "  if [ $(wc -l < '%s') = 1 ]; then\n"
                    "    '%s' \"$@\" | sed 's/\"version\": *\"[^\"]*\"/\"version\": \"0.0.0-old\"/'\n"
                    "    exit 0\n"
                    "  fi\n"
                    "fi\n"
                    "exec '%s' \"$@\"\n" % (log, log, BIN, BIN))
        os.chmod(wrapper, 0o755)
        h = self.client(socket=None, binary=wrapper)
        self.assertEqual(h.mode, "serve", h.why_subprocess)
        with open(log) as f:
            self.assertEqual(len(f.readlines()), 2)
        self.assertEqual(h.hello["hvym"], h.ensured["version"])
        self.assertEqual(h.run("pintheon-port").value, 9998)

    def test_a_lost_server_is_found_again_or_replaced_by_subprocesses(self):
        p = self.start_server()
        h = self.client(fallback=True)
        self.assertEqual(h.mode, "serve")
        web = self.hang_pinggy()
        call = h.submit("pinggy-install")
        self.assertTrue(web.accepted.wait(BOUND))
        p.kill()
        p.wait()
        with self.assertRaises(HvymError) as e:
            call.result(BOUND)
        self.assertIn(e.exception.code, (CONNECTION_LOST, hvym_client.STOPPING))
        self.assertEqual(h.run("pintheon-port"), self.expected("pintheon-port"))
        self.assertEqual(h.mode, "subprocess")  # the socket no longer answers

    def test_the_sequential_connection_of_named_pipes(self):
        # Windows' named pipe is used one request at a time through a file
        # object; the same code over a unix socket's file.
        self.start_server()
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        self.addCleanup(s.close)
        asked = []
        conn = hvym_client._PipeConnection(None, fileobj=s.makefile("rwb", buffering=0),
                                          ask=lambda q: asked.append(q) or "4242")
        got = []
        conn.call("hello", hvym_client.hello_params("pipe", True, self.over),
                  lambda r, e: got.append((r, e)))
        self.assertEqual(got[0][0]["protocol"], 1, got)
        conn.call("run", {"cmd": "pintheon-set-port"}, lambda r, e: got.append((r, e)))
        conn.call("run", {"cmd": "pintheon-port"}, lambda r, e: got.append((r, e)))
        self.assertEqual(len(asked), 1)
        self.assertEqual(got[1][0]["exit"], 0, got)
        self.assertEqual(got[2][0]["value"], 4242, got)
        conn.close()


class FallbackTests(Scratch):

    def compare(self, h):
        self.assertEqual(h.mode, "subprocess")
        for argv in MIXED:
            self.assertEqual(h.run(*argv), self.expected(*argv), argv)
        r = h.run("pinggy-set-token", "--stdin", stdin="tok\n")
        self.assertEqual(r.exit, 0, r)
        self.assertEqual(h.run("pinggy-token").value, "tok")
        parts = []
        r = h.run("config", "list", on_output=lambda s, t: parts.append((s, t)))
        self.assertEqual("".join(t for s, t in parts if s == "stdout"), r.stdout)
        got = h.run_many([["pintheon-port"], ["pintheon-set-port", 9100], ["pintheon-port"],
                          ["nonesuch"]])
        self.assertEqual([r.value for r in got], [9998, "", 9100, None])
        self.assertEqual(got[3], self.expected("nonesuch"))

    def test_a_socket_nobody_answers(self):
        h = self.client(socket=os.path.join(self.tmp, "nobody.sock"), fallback=True)
        self.assertIn("nobody.sock", h.why_subprocess)
        self.compare(h)

    def test_an_hvym_whose_serve_cannot_start(self):
        wrapper = os.path.join(self.tmp, "hvym")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = serve ] && { echo 'no serve here' >&2; exit 1; }\n"
                    "exec '%s' \"$@\"\n" % BIN)
        os.chmod(wrapper, 0o755)
        h = self.client(socket=None, binary=wrapper, fallback=True)
        self.assertIn("no serve here", h.why_subprocess)
        self.compare(h)

    def test_a_server_that_does_not_speak_the_protocol(self):
        # A socket whose other side answers lines that are not JSON-RPC.
        lsock = socket.socket(socket.AF_UNIX)
        lsock.bind(self.sock)
        lsock.listen(1)
        self.addCleanup(lsock.close)

        def answer():
            c, _ = lsock.accept()
            with c:
                c.recv(65536)
                c.sendall(b'{"error": "malformed request: not a batch request", "offset": 0}\n')
                c.recv(65536)
        threading.Thread(target=answer, daemon=True).start()
        h = self.client(fallback=True)
        self.assertIn("not a protocol message", h.why_subprocess)
        self.compare(h)

    def test_a_bogus_binary(self):
        h = self.client(socket=None, binary=os.path.join(self.tmp, "no", "hvym"), fallback=True)
        self.assertEqual(h.mode, "subprocess")
        with self.assertRaises(HvymError) as e:
            h.run("pintheon-port")
        self.assertEqual(e.exception.code, NOT_RUN)
        with self.assertRaises(HvymError):
            self.client(socket=None, binary=os.path.join(self.tmp, "no", "hvym"))

    def test_no_fallback_raises(self):
        with self.assertRaises(HvymError):
            self.client(socket=os.path.join(self.tmp, "nobody.sock"))

    def test_serve_and_subprocess_give_identical_results(self):
        self.start_server()
        served = self.client()
        self.assertEqual(served.mode, "serve")
        alone = self.client(serve=False)
        for argv in MIXED:
            self.assertEqual(served.run(*argv), alone.run(*argv), argv)
        requests = [list(map(str, argv)) for argv in MIXED]
        self.assertEqual(served.run_many(requests), alone.run_many(requests))

    def test_timeout_and_cancel_without_a_server(self):
        web = self.hang_pinggy()
        h = self.client(serve=False)
        with self.assertRaises(HvymError) as e:
            h.run("pinggy-install", timeout=1)
        self.assertEqual(e.exception.code, TIMEOUT)
        self.assertIn("downloading", e.exception.data["stderr"])
        self.assertTrue(web.closed.wait(BOUND))
        web = self.hang_pinggy()
        call = h.submit("pinggy-install")
        self.assertTrue(web.accepted.wait(BOUND))
        self.assertTrue(call.cancel())
        with self.assertRaises(HvymError) as e:
            call.result(BOUND)
        self.assertEqual(e.exception.code, CANCELLED)
        self.assertTrue(web.closed.wait(BOUND))


class FindBinaryTests(unittest.TestCase):
    """Without binary=, the client finds hvym on PATH, else where
    Metavinci's installer put the release's file."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hvymc-find-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.saved = {k: os.environ.get(k) for k in ("PATH", "HOME")}
        self.addCleanup(self.restore)
        os.environ["HOME"] = os.path.join(self.tmp, "home")
        os.environ["PATH"] = os.path.join(self.tmp, "path")
        os.makedirs(os.environ["PATH"])

    def restore(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def program(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(path, 0o755)
        return path

    def test_none_without_one(self):
        self.assertIsNone(hvym_client.find_binary())
        self.assertIsNone(Hvym(serve=False).binary)

    def test_where_metavinci_installs_it(self):
        installed = self.program(os.path.join(os.environ["HOME"], ".local", "share", "heavymeta-cli", "hvym-linux"))
        self.assertEqual(hvym_client.find_binary(), installed)
        self.assertEqual(Hvym(serve=False).binary, installed)

    def test_hvym_on_path_first(self):
        self.program(os.path.join(os.environ["HOME"], ".local", "share", "heavymeta-cli", "hvym-linux"))
        on_path = self.program(os.path.join(os.environ["PATH"], "hvym"))
        self.assertEqual(hvym_client.find_binary(), on_path)

    def test_the_release_name_on_path(self):
        on_path = self.program(os.path.join(os.environ["PATH"], "hvym-linux"))
        self.assertEqual(hvym_client.find_binary(), on_path)


class FakeServer(object):
    """A unix socket server speaking just enough of the protocol for what a
    real server never does (a seq gap): answers hello and watch, then sends
    the `changed` notifications given."""

    def __init__(self, path, changes):
        self.lsock = socket.socket(socket.AF_UNIX)
        self.lsock.bind(path)
        self.lsock.listen(1)
        self.changes = changes
        self.unwatched = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        c, _ = self.lsock.accept()
        with c, c.makefile("rwb", buffering=0) as f:
            for line in f:
                m = json.loads(line)
                if m.get("method") == "hello":
                    result = {"hvym": "fake", "protocol": 1,
                              "capabilities": {"methods": ["hello", "watch", "unwatch"]}}
                elif m.get("method") == "watch":
                    result = {"watch": 1, "seq": 0, "values": {"pintheon-port": {
                        "cmd": "pintheon-port", "exit": 0, "stdout": "9998\n", "stderr": "",
                        "value": 9998}}, "sources": {"store": "live"}}
                elif m.get("method") == "unwatch":
                    result = {"unwatched": True}
                    self.unwatched.set()
                else:
                    result = {}
                f.write(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}).encode()
                        + b"\n")
                if m.get("method") == "watch":
                    for seq, port in self.changes:
                        f.write(json.dumps({"jsonrpc": "2.0", "method": "changed", "params": {
                            "watch": 1, "seq": seq, "values": {"pintheon-port": {
                                "cmd": "pintheon-port", "exit": 0, "stdout": "%d\n" % port,
                                "stderr": "", "value": port}},
                            "sources": {"store": "live"}}}).encode() + b"\n")

    def close(self):
        self.lsock.close()


class WatchTests(Scratch):
    """watch, unwatch and changed (docs/protocol.md) against real servers; a
    value is changed by a real `hvym` subprocess on the same data folder."""

    TOPICS = ["pintheon-port", "pintheon-image-exists"]

    def set_port(self, port):
        p = self.hvym("pintheon-set-port", port)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_watch_sees_a_subprocess_change_the_port(self):
        h = self.serve_client()
        w = h.watch(self.TOPICS)
        self.assertEqual(w.seq, 0)
        self.assertEqual(set(w.values), set(self.TOPICS))
        self.assertEqual(w.values["pintheon-port"], 9998)
        for topic in self.TOPICS:  # what `run` (and a subprocess) answers
            self.assertEqual(w.results[topic], self.expected(topic), topic)
        self.assertEqual(set(w.sources), {"store", "engine", "tunnel"})
        self.assertEqual(w.sources["store"], "live")  # inotify on Linux
        with self.assertRaises(WatchTimeout):
            w.next(timeout=0.05)  # nothing changed
        self.set_port(4000)
        change = w.next(timeout=BOUND)
        self.assertEqual(change.seq, 1, change)
        self.assertEqual(change.values, {"pintheon-port": 4000})
        self.assertEqual(change.results["pintheon-port"], self.expected("pintheon-port"))
        self.assertFalse(change.missed)
        self.assertFalse(change.resubscribed)
        self.assertEqual((w.seq, w.values["pintheon-port"]), (1, 4000))
        self.set_port(4001)
        change = next(iter(w))
        self.assertEqual((change.seq, change.values), (2, {"pintheon-port": 4001}))
        self.assertIs(w.close(), True)  # unwatch answered {"unwatched": true}
        self.assertEqual(list(w), [])  # a closed watch's iteration ends
        self.assertEqual(h.run("pintheon-port").value, 4001)  # the connection goes on

    def test_on_change_runs_on_the_reader_thread(self):
        h = self.serve_client()
        got = queue.Queue()
        w = h.watch(["pintheon-port"], on_change=lambda c: got.put(
            (c, threading.current_thread(), dict(w.values))))
        self.addCleanup(w.close)
        self.assertEqual(w.values, {"pintheon-port": 9998})
        with self.assertRaises(TypeError):
            w.next(0)  # its changes go to on_change
        self.set_port(4000)
        change, thread, values = got.get(timeout=BOUND)
        self.assertEqual((change.seq, change.values), (1, {"pintheon-port": 4000}))
        self.assertIs(thread, h._conn.reader)
        self.assertEqual(values, {"pintheon-port": 4000})  # w.values is updated before the call

    def test_many_watches_and_unwatch(self):
        h = self.serve_client()
        with h.watch(["pintheon-port"]) as a, h.watch(["pinggy-token", "pintheon-port"]) as b:
            self.set_port(4000)
            self.assertEqual(a.next(BOUND).values, {"pintheon-port": 4000})
            self.assertEqual(b.next(BOUND).values, {"pintheon-port": 4000})
            a.close()
            r = h.run("pinggy-set-token", "--stdin", stdin="tok\n")
            self.assertEqual(r.exit, 0, r)
            change = b.next(BOUND)
            self.assertEqual((change.seq, change.values), (2, {"pinggy-token": "tok"}))
        self.assertTrue(b.closed)
        # Raw unwatch: of no watch of that number.
        got = queue.Queue()
        h._conn.call("unwatch", {"watch": 999}, lambda r, e: got.put((r, e)))
        self.assertEqual(got.get(timeout=BOUND), ({"unwatched": False}, None))

    def test_an_unknown_topic_is_refused(self):
        h = self.serve_client()
        for topic in ("nonesuch", "pintheon-set-port"):
            with self.assertRaises(HvymError) as e:
                h.watch(["pintheon-port", topic])
            self.assertEqual(e.exception.code, hvym_client.INVALID_PARAMS)
            self.assertEqual(e.exception.data.get("topic"), topic)
        with self.assertRaises(ValueError):
            h.watch([])

    def test_no_watch_without_a_server(self):
        h = self.client(serve=False)
        with self.assertRaises(WatchUnavailable) as e:
            h.watch(["pintheon-port"])
        self.assertIn("subprocesses", str(e.exception))

    def test_a_restarted_server_is_watched_again(self):
        p = self.start_server()
        h = self.client()
        w = h.watch(self.TOPICS, reconnect_timeout=BOUND)
        p.kill()
        p.wait()
        self.set_port(4000)  # while no server runs
        self.start_server()
        change = w.next(BOUND)
        self.assertTrue(change.resubscribed, change)
        self.assertFalse(change.missed)
        self.assertEqual((change.seq, change.values), (0, {"pintheon-port": 4000}))
        self.assertEqual(w.values["pintheon-port"], 4000)
        self.set_port(4100)
        change = w.next(BOUND)
        self.assertEqual((change.seq, change.values, change.resubscribed),
                         (1, {"pintheon-port": 4100}, False))
        self.assertEqual(h.mode, "serve")
        self.assertEqual(h.run("pintheon-port").value, 4100)
        self.assertIs(w.close(), True)

    def test_a_server_replaced_by_serve_ensure_is_watched_again(self):
        h = self.client(socket=None)
        self.assertEqual(h.mode, "serve", h.why_subprocess)
        first = h.ensured["pid"]
        w = h.watch(["pintheon-port"])
        os.kill(first, signal.SIGKILL)
        change = w.next(BOUND)  # ensure started another server; nothing differs
        self._pids.append(h.ensured["pid"])
        self.assertNotEqual(h.ensured["pid"], first)
        self.assertEqual((change.resubscribed, change.seq, change.values), (True, 0, {}))
        self.set_port(4000)
        change = w.next(BOUND)
        self.assertEqual((change.seq, change.values), (1, {"pintheon-port": 4000}))

    def test_an_unreachable_server_ends_the_watch(self):
        p = self.start_server()
        h = self.client()
        errors = queue.Queue()
        w = h.watch(["pintheon-port"], reconnect_timeout=0.2)
        w2 = h.watch(["pintheon-port"], reconnect_timeout=0.2, on_change=lambda c: None,
                     on_error=errors.put)
        p.kill()
        p.wait()
        with self.assertRaises(HvymError) as e:
            w.next(BOUND)
        self.assertEqual(e.exception.code, CONNECTION_LOST)
        self.assertIn("could not watch again", str(e.exception))
        self.assertIs(w.error, e.exception)
        self.assertEqual(errors.get(timeout=BOUND).code, CONNECTION_LOST)
        self.assertIsNotNone(w2.error)

    def test_closing_the_client_ends_iteration(self):
        h = self.serve_client()
        w = h.watch(["pintheon-port"])
        ended = threading.Event()

        def iterate():
            for _ in w:
                pass
            ended.set()
        threading.Thread(target=iterate, daemon=True).start()
        h.close()
        self.assertTrue(ended.wait(BOUND))
        self.assertIsNone(w.error)

    def test_a_data_folder_that_does_not_exist_yet(self):
        # The store is "checked" until the first write makes its folder; that
        # write's value must still come (with or after store: live).
        os.rmdir(self.data)
        h = self.serve_client()
        w = h.watch(["pintheon-port"])
        self.assertEqual(w.values, {"pintheon-port": 9998})
        self.set_port(4000)
        seq = 0
        while "pintheon-port" not in w.values or w.values["pintheon-port"] != 4000:
            try:
                change = w.next(10)  # the store is checked every second
            except WatchTimeout:
                self.fail("the first write's value never came: %r; run says %r"
                          % (w.values, h.run("pintheon-port").value))
            seq += 1
            self.assertEqual((change.seq, change.missed), (seq, False))
        self.assertEqual(w.sources["store"], "live")

    def test_a_seq_gap_is_flagged(self):
        # A real server never skips one; a fake one does (1, then 3).
        fake = FakeServer(self.sock, [(1, 4000), (3, 4100)])
        self.addCleanup(fake.close)
        h = self.client()
        w = h.watch(["pintheon-port"])
        first, second = w.next(BOUND), w.next(BOUND)
        self.assertEqual((first.seq, first.missed), (1, False))
        self.assertEqual((second.seq, second.missed, second.values), (3, True, {"pintheon-port": 4100}))
        self.assertEqual(w.values, {"pintheon-port": 4100})
        self.assertIs(w.close(), True)
        self.assertTrue(fake.unwatched.is_set())


def original_subprocess_hvym(command, hvym):
    """What Metavinci's _subprocess_hvym (daf2c4b, 35ad2f7, d0d792d) returns,
    written from its behaviour: a list runs without a shell, text mode, its
    stdout when it exits 0; a string runs through the shell with stderr
    folded into stdout, decoded as UTF-8; None on a non-zero exit or any
    failure; in the hvym program's folder; nothing stripped."""
    folder = os.path.dirname(hvym) or "."
    try:
        if isinstance(command, str):
            return subprocess.check_output(command, shell=True, stderr=subprocess.STDOUT,
                                           cwd=folder).decode("utf-8")
        p = subprocess.run(command, capture_output=True, text=True, cwd=folder)
        return p.stdout if p.returncode == 0 else None
    except Exception:
        return None


class DropInTests(Scratch):

    def commands(self, web_url):
        q = "'%s'" % BIN
        return [
            [BIN, "pintheon-port"], [BIN, "check"], [BIN, "about"],
            [BIN, "mesh-data", "a b", "true", "slider", "false"],
            [BIN, "nonesuch"], [BIN, "pintheon-set-port", "abc"], [BIN, "config", "list"],
            q + " pintheon-port", q + " nonesuch", q + " mesh-data 'a b' true slider false",
            q + " config list", q + " pintheon-port | tr 9 8", q + " pintheon-set-port abc",
            q + " pinggy-install",  # writes "downloading ..." on stderr, exits 0
            [BIN, "pinggy-install"],
            q + " pintheon-set-port 9100", [BIN, "pintheon-port"],
        ]

    def check(self, h):
        web = LocalHttp()
        self.addCleanup(web.stop)
        self.assertEqual(self.hvym("config", "set", "pinggy_base_url", web.url).returncode, 0)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)  # the original's children see the caller's environment
        try:
            for command in self.commands(web.url):
                want = original_subprocess_hvym(command, BIN)
                self.assertEqual(h.subprocess_hvym(command), want, command)
            self.assertIsNone(h.subprocess_hvym([os.path.join(self.tmp, "nothing")]))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_drop_in_through_the_server(self):
        self.start_server()
        self.check(self.client())

    def test_drop_in_without_a_server(self):
        self.check(self.client(serve=False))

    def test_non_blocking_gives_a_process(self):
        h = self.client(serve=False)
        p = h.subprocess_hvym([BIN, "pintheon-port"], non_blocking=True)
        out, _ = p.communicate(timeout=BOUND)
        self.assertEqual(out, self.hvym("pintheon-port").stdout)


@unittest.skipUnless(HAVE_QT, "PyQt5 is not installed (scripts/setup installs python3-pyqt5)")
class QtTests(Scratch):

    def setUp(self):
        super().setUp()
        from PyQt5 import QtCore
        self.QtCore = QtCore
        self.app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])

    def loop_until(self, predicate):
        """Runs the Qt event loop until predicate holds (checked whenever an
        event was handled) or BOUND seconds pass."""
        QtCore = self.QtCore
        loop = QtCore.QEventLoop()
        check = QtCore.QTimer()
        check.timeout.connect(lambda: predicate() and loop.quit())
        check.start(10)
        limit = QtCore.QTimer()
        limit.setSingleShot(True)
        limit.timeout.connect(loop.quit)
        limit.start(BOUND * 1000)
        if not predicate():
            loop.exec_()
        check.stop()
        limit.stop()
        return predicate()

    def qt_client(self, **kw):
        from hvym_client.qt import QtHvym
        kw.setdefault("binary", BIN)
        kw.setdefault("env", self.over)
        kw.setdefault("socket", self.sock)
        h = QtHvym(**kw)
        self.addCleanup(h.close)
        return h

    def exercise(self, h, mode):
        main = threading.current_thread()
        threads = set()
        want = [self.expected(*argv) for argv in MIXED]
        calls = []
        for argv in MIXED:  # submitted before it is ready: held, then sent
            calls.append(h.submit(*argv, on_done=lambda c: threads.add(threading.current_thread())))
        parts = []
        out_call = h.submit("config", "list", on_output=lambda s, t: parts.append((s, t)))
        many = h.submit_many([["pintheon-network"], ["mesh-data", "m", "true", "w", "false"]])
        self.assertTrue(self.loop_until(lambda: all(c.done() for c in calls + [out_call, many])))
        self.assertEqual(h.mode, mode, h.why_subprocess)
        for argv, call, r in zip(MIXED, calls, want):
            self.assertEqual(call.result(0), r, argv)
        self.assertEqual("".join(t for s, t in parts if s == "stdout"), out_call.result(0).stdout)
        self.assertEqual([r.value["name"] if isinstance(r.value, dict) else r.value
                          for r in many.result(0)], ["testnet", "m"])
        asked = []

        def ask(q):
            threads.add(threading.current_thread())
            asked.append(q)
            return "4321"

        ask_call = h.submit("pintheon-set-port", ask=ask)
        self.assertTrue(self.loop_until(ask_call.done))
        self.assertEqual(threads, {main})
        return ask_call, asked

    def test_qt_serve(self):
        self.start_server()
        ready = []
        h = self.qt_client(fallback=False, on_ready=ready.append)
        ask_call, asked = self.exercise(h, "serve")
        self.assertEqual(ready, [h])
        self.assertEqual(ask_call.result(0).exit, 0, ask_call.result(0))
        self.assertEqual(len(asked), 1)
        self.assertEqual(self.hvym("pintheon-port").stdout, b"4321\n")
        # Cancel from the GUI thread.
        web = self.hang_pinggy()
        call = h.submit("pinggy-install")
        self.assertTrue(self.loop_until(web.accepted.is_set))
        self.assertTrue(call.cancel())
        self.assertTrue(self.loop_until(call.done))
        self.assertEqual(call.exception(0).code, CANCELLED)

    def test_qt_autostart(self):
        h = self.qt_client(socket=None, fallback=False)
        call = h.submit("pintheon-port")
        ok = self.loop_until(call.done)
        if h.ensured:
            self._pids.append(h.ensured["pid"])
        self.assertTrue(ok)
        self.assertEqual(h.mode, "serve", h.why_subprocess or h.error)
        self.assertEqual(call.result(0), self.expected("pintheon-port"))

    def test_qt_fallback(self):
        h = self.qt_client(socket=os.path.join(self.tmp, "nobody.sock"))
        ask_call, asked = self.exercise(h, "subprocess")
        self.assertEqual(asked, [])  # a child asks the way hvym does (here: nowhere)
        self.assertEqual(ask_call.result(0), self.expected("pintheon-set-port"))


    def test_qt_watch(self):
        p = self.start_server()
        h = self.qt_client(fallback=False)
        main = threading.current_thread()
        changes = []
        errors = []
        w = h.watch(["pintheon-port"], lambda c: changes.append((c, threading.current_thread())),
                    on_error=errors.append)
        self.assertTrue(self.loop_until(lambda: changes))  # seq 0: every value
        self.assertEqual((changes[0][0].seq, changes[0][0].values), (0, {"pintheon-port": 9998}))
        self.assertEqual(w.values, {"pintheon-port": 9998})
        self.assertEqual(self.hvym("pintheon-set-port", 4000).returncode, 0)
        self.assertTrue(self.loop_until(lambda: len(changes) > 1))
        self.assertEqual((changes[1][0].seq, changes[1][0].values), (1, {"pintheon-port": 4000}))
        # The server is killed and started again while the event loop does
        # not run: the client sees the drop, connects again and re-subscribes.
        p.kill()
        p.wait()
        self.assertEqual(self.hvym("pintheon-set-port", 4100).returncode, 0)
        self.start_server()
        self.assertTrue(self.loop_until(lambda: len(changes) > 2))
        change = changes[2][0]
        self.assertEqual((change.resubscribed, change.seq, change.values),
                         (True, 0, {"pintheon-port": 4100}))
        self.assertEqual(w.values, {"pintheon-port": 4100})
        self.assertEqual({t for _, t in changes}, {main})
        self.assertEqual(errors, [])
        w.close()
        self.assertEqual(self.hvym("pintheon-set-port", 4200).returncode, 0)
        call = h.submit("pintheon-port")  # answered after any change would have come
        self.assertTrue(self.loop_until(call.done))
        self.assertEqual(call.result(0).value, 4200)
        self.assertEqual(len(changes), 3)

    def test_qt_watch_without_a_server(self):
        h = self.qt_client(socket=os.path.join(self.tmp, "nobody.sock"))
        errors = []
        h.watch(["pintheon-port"], lambda c: None, on_error=errors.append)
        self.assertTrue(self.loop_until(lambda: errors))
        self.assertIsInstance(errors[0], WatchUnavailable)


if __name__ == "__main__":
    unittest.main()
