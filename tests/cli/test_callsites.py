"""Every call the real callers make (data/callsites.json: Metavinci at three
revisions, the Blender add-on's updateNftData and its other calls) gives the
same answer through clients/python/hvym_client (over `hvym serve`) as through
a subprocess run the way the caller runs it.

The "caller" side (A) and each client side (B: the drop-in as it comes, C: a
client with an ask handler) work in data folders of their own, set up alike,
and make the same calls in the same order, so setters leave the same state
on every side. Outputs are compared after replacing each side's folder with
<SIDE> and Stellar keys (random per account) with G<KEY>/S<KEY>.

No engine is reachable (DOCKER_HOST names a socket nobody listens on), the
pinggy download and the testnet friendbot point at a closed port, BROWSER is
`true`: the engine commands fail alike on every side, and nothing leaves
this machine.
"""
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from clitest import BIN  # noqa: E402
from realparts import connects, wait_for  # noqa: E402

# The client, from the source tree when PYTHONPATH does not name it (meson does).
sys.path.append(os.path.join(HERE, "..", "..", "clients", "python"))
from hvym_client import Hvym, HvymError  # noqa: E402

with open(os.path.join(HERE, "data", "callsites.json"), encoding="utf-8") as f:
    CALLSITES = json.load(f)

# A 1x1 png, the file the file questions answer with.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005fe02fea7d6a1e900"
                    "00000049454e44ae426082")

# A dialog program (docs/dialogs.md) that answers the way ASK below does.
DIALOG = r"""#!/bin/sh
kind="$1"; shift
case "$kind" in
  line) read -r d; if [ -n "$d" ]; then echo "$d"; else echo "callsite"; fi ;;
  secret) cat >/dev/null; echo "tok-callsite-1234" ;;
  choice) last=""; while [ $# -gt 0 ]; do [ "$1" = "--choice" ] && last="$2"; shift; done
          cat >/dev/null; echo "$last" ;;
  copy|text) cat ;;
  file) cat >/dev/null; echo "$DIALOG_FILE" ;;
  busy) cat >/dev/null ;;
  *) cat >/dev/null; exit 0 ;;
esac
"""


def make_ask(png_path):
    """The ask handler of client C: the answers the dialog program gives."""
    def ask(q):
        kind = q.get("kind")
        if kind == "line":
            return q.get("default") or "callsite"
        if kind == "secret":
            return "tok-callsite-1234"
        if kind == "choice":
            return (q.get("choices") or [""])[-1]
        if kind in ("copy", "text"):
            return q.get("default", "")
        if kind == "file":
            return png_path
        return ""  # message, yesno: acknowledged
    return ask


# Variables of this process that would change answers: the callers' own
# environment on a desktop has them, this test must not depend on them.
CLEARED = ("DISPLAY", "WAYLAND_DISPLAY", "HVYM_DIALOG", "HVYM_NO_INPUT", "DOCKER_CONTEXT",
           "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "XDG_DATA_HOME", "HVYM_HOME",
           "XDG_RUNTIME_DIR")
SAVED_ENV = {}


def setUpModule():
    SAVED_ENV.update(os.environ)
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ["BROWSER"] = "true"  # pintheon-open "opens" nothing
    os.environ["LANG"] = "C.UTF-8"


def tearDownModule():
    os.environ.clear()
    os.environ.update(SAVED_ENV)


class CountingProxy:
    """A unix socket between a client and the server that forwards bytes
    both ways unchanged and keeps the lines each connection sent the server
    (so a test can count the requests of one call)."""

    def __init__(self, upstream, path):
        self.upstream, self.path = upstream, path
        self.sent = []  # request lines, all connections, in order
        self.answered = 0  # lines the server sent back
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(path)
        self.listener.listen(16)
        self.conns = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            u = socket.socket(socket.AF_UNIX)
            try:
                u.connect(self.upstream)
            except OSError:  # the server is gone: so is this connection
                c.close()
                u.close()
                continue
            self.conns += [c, u]
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src, dst, to_server):
        buf = b""
        while True:
            try:
                data = src.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            buf += data
            *lines, buf = buf.split(b"\n")
            with self.lock:  # counted before they are passed on
                if to_server:
                    self.sent += [line for line in lines if line.strip()]
                else:
                    self.answered += len(lines)
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        # shutdown() first: it wakes the accept() and recv() blocked on these
        # sockets, which close() alone does not (the thread would then accept
        # on whatever socket gets the same descriptor next).
        for c in [self.listener] + self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.acceptor.join(10)
        for c in [self.listener] + self.conns:
            c.close()


class Side:
    """A data folder and HOME of its own, with the hvym program where the
    callers look for it (a link to the build's), set up like every other."""

    def __init__(self, root, extra_env=None):
        self.root = root
        self.home = os.path.join(root, "home")
        cli_dir = os.path.join(self.home, ".local", "share", "heavymeta-cli")
        mac_dir = os.path.join(self.home, "Library", "Application Support", "Metavinci", "bin")
        for d in (cli_dir, mac_dir, os.path.join(root, "run"), os.path.join(root, "data")):
            os.makedirs(d, mode=0o700, exist_ok=True)
        self.mv = os.path.join(cli_dir, "hvym-linux")  # Metavinci's self.HVYM on Linux
        self.bl = os.path.join(cli_dir, "hvym")  # the add-on's CLI
        self.mac = os.path.join(mac_dir, "hvym-macos-arm64")  # Metavinci's on macOS: a space
        for link in (self.mv, self.bl, self.mac):
            os.symlink(os.path.abspath(BIN), link)
        self.png = os.path.join(root, "logo.png")
        with open(self.png, "wb") as f:
            f.write(PNG)
        self.overrides = {"HOME": self.home, "HVYM_HOME": os.path.join(root, "data"),
                          "XDG_RUNTIME_DIR": os.path.join(root, "run"),
                          "DOCKER_HOST": "unix://" + os.path.join(root, "no-engine.sock"),
                          "DIALOG_FILE": self.png}
        self.overrides.update(extra_env or {})
        for key, value in (("pinggy_base_url", "http://127.0.0.1:9"),
                           ("stellar_friendbot_url", "http://127.0.0.1:9")):
            r = subprocess.run([BIN, "config", "set", key, value], env=self.env(),
                               capture_output=True, timeout=60)
            assert r.returncode == 0, r
        self.server = self.proxy = self.log = None

    def env(self, **more):
        env = dict(os.environ)
        env.update(self.overrides)
        env.update(more)
        return env

    def start_server(self):
        sock = os.path.join(self.root, "s.sock")
        self.log = os.path.join(self.root, "serve.log")
        with open(self.log, "wb") as log:
            self.server = subprocess.Popen([BIN, "serve", "--socket", sock], env=self.env(),
                                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if not wait_for(lambda: connects(sock), 15):
            self.server.kill()
            raise RuntimeError("hvym serve did not start: %s" % self.server_log())
        self.proxy = CountingProxy(sock, os.path.join(self.root, "p.sock"))
        return self.proxy.path

    def server_log(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def stop_server(self):
        if self.proxy:
            self.proxy.close()
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.communicate()

    def normal(self, x):
        """x with this side's folder as <SIDE>, Stellar keys as G<KEY>/S<KEY>
        and curl's elapsed milliseconds as <N>."""
        if isinstance(x, str):
            x = x.replace(self.root, "<SIDE>")
            # curl says how long a refused connection took ("after 0 ms"):
            # time, not behaviour; under load the two sides differ.
            x = re.sub(r"\bafter \d+ ms\b", "after <N> ms", x)
            return re.sub(r"\b([GS])[A-Z2-7]{55}\b", r"\1<KEY>", x)
        if isinstance(x, bytes):
            return self.normal(x.decode("utf-8", "replace"))
        if isinstance(x, (list, tuple)):
            return type(x)(self.normal(v) for v in x)
        if isinstance(x, dict):
            return {k: self.normal(v) for k, v in x.items()}
        return x


def program_of(caller, side):
    return side.mv if caller == "metavinci" else side.bl


def prog_of(caller, side):
    """The name messages give the program (a subprocess's argv[0]): run()
    is told it, as subprocess_hvym tells it itself."""
    return os.path.basename(program_of(caller, side))


def command_string(call, side, caller):
    return call["command"].replace("{HVYM}", side.mv).replace("{CLI}", side.bl)


def argv_of(call, side, caller):
    """The words after the program (a shell string split as sh would)."""
    if "argv" in call:
        return list(call["argv"])
    return shlex.split(command_string(call, side, caller))[1:]


CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # what certifi.where() stands for
LIMIT = 300  # seconds: a harness bound, the callers set none


def by_caller(call, side, caller):
    """The call run as its caller runs it; returns what the caller gets."""
    runner = call["runner"]
    program = program_of(caller, side)
    env = side.env()
    folder = os.path.dirname(program)
    if runner == "metavinci._subprocess_hvym(list)":
        r = subprocess.run([program] + call["argv"], capture_output=True, text=True, cwd=folder,
                           env=env, timeout=LIMIT)
        return r.stdout if r.returncode == 0 else None
    if runner == "metavinci._subprocess_hvym(str)":
        try:
            out = subprocess.check_output(command_string(call, side, caller), shell=True,
                                          stderr=subprocess.STDOUT, cwd=folder, env=env,
                                          timeout=LIMIT)
            return out.decode("utf-8")
        except subprocess.CalledProcessError:
            return None
    if runner == "metavinci._subprocess_hvym(list, non_blocking=True)":
        # The caller drops the Popen; what it would have produced is compared.
        p = subprocess.Popen([program] + call["argv"], cwd=folder, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=LIMIT)
        return (p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    if runner == "metavinci.PintheonInstallWorker":
        env["REQUESTS_CA_BUNDLE"] = CA_BUNDLE
        r = subprocess.run([program] + call["argv"], capture_output=True, text=True,
                           cwd=side.home, env=env, timeout=LIMIT)
        return (r.returncode, r.stdout, r.stderr)
    if runner == "metavinci.download_and_install_hvym_cli":
        r = subprocess.run([program] + call["argv"], capture_output=True, text=True, timeout=20,
                           env=env)
        return r.stdout.strip()
    if runner in ("heavymeta_standard.call_cli", "heavymeta_standard.import_probe"):
        r = subprocess.run([program] + [str(p) for p in call["argv"]], capture_output=True,
                           text=True, check=False, env=env, timeout=LIMIT)
        return r.stdout if r.returncode == 0 else r.stderr
    if runner in ("heavymeta_standard.run_command", "heavymeta_standard.call_cli_threaded"):
        got = []

        def run_command():
            p = subprocess.Popen([program] + call["argv"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)
            out, err = p.communicate(timeout=LIMIT)
            got.append(out.decode("utf-8") if p.returncode == 0 else None)
        if runner.endswith("threaded"):  # its result is dropped; the thread's is compared
            t = threading.Thread(target=run_command)
            t.start()
            t.join()
        else:
            run_command()
        return got[0]
    if runner == "heavymeta_standard.run_futures_cmds":
        # The add-on captures nothing (Blender's console gets it); captured
        # here to be compared.
        r = subprocess.run(command_string(call, side, caller), shell=True, capture_output=True,
                           text=True, env=env, timeout=LIMIT)
        return (r.returncode, r.stdout, r.stderr)
    raise AssertionError("no runner " + runner)


def by_client(call, side, caller, client):
    """The same call through hvym_client, as a port of the caller would make it."""
    runner = call["runner"]
    try:
        if runner == "metavinci._subprocess_hvym(list)":
            return client.subprocess_hvym([program_of(caller, side)] + call["argv"])
        if runner == "metavinci._subprocess_hvym(str)":
            return client.subprocess_hvym(command_string(call, side, caller))
        if runner == "metavinci._subprocess_hvym(list, non_blocking=True)":
            p = client.subprocess_hvym([program_of(caller, side)] + call["argv"], non_blocking=True)
            if p is None:
                return None
            out, err = p.communicate(timeout=LIMIT)
            return (p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
        argv = argv_of(call, side, caller)
        prog = prog_of(caller, side)
        if runner == "metavinci.PintheonInstallWorker":
            r = client.run(argv[0], *argv[1:], cwd=side.home, env={"REQUESTS_CA_BUNDLE": CA_BUNDLE},
                           prog=prog)
            return (r.exit, r.stdout, r.stderr)
        if runner == "metavinci.download_and_install_hvym_cli":
            return client.run(argv[0], *argv[1:], prog=prog).stdout.strip()
        r = client.run(argv[0], *argv[1:], prog=prog)
        if runner in ("heavymeta_standard.call_cli", "heavymeta_standard.import_probe"):
            return r.stdout if r.exit == 0 else r.stderr
        if runner in ("heavymeta_standard.run_command", "heavymeta_standard.call_cli_threaded"):
            return r.stdout if r.exit == 0 else None
        if runner == "heavymeta_standard.run_futures_cmds":
            return (r.exit, r.stdout, r.stderr)
    except HvymError as e:  # kept as the answer: the sides stay in step
        return "raised HvymError %s: %s" % (e.code, e.message)
    raise AssertionError("no runner " + runner)


def plain_subprocess(call, side, caller):
    argv = argv_of(call, side, caller)
    r = subprocess.run([program_of(caller, side)] + argv, capture_output=True,
                       stdin=subprocess.DEVNULL, env=side.env(), timeout=LIMIT)
    return (r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace"))


def plain_client(call, side, caller, client):
    argv = argv_of(call, side, caller)
    try:
        r = client.run(argv[0], *argv[1:], prog=prog_of(caller, side))
    except HvymError as e:
        return ("raised HvymError %s: %s" % (e.code, e.message), "", "")
    return (r.exit, r.stdout, r.stderr)


def as_read(read, answer):
    """What the caller makes of an answer (callsites.json read_kinds)."""
    kind = read["kind"]
    try:
        if kind == "ignored":
            return None
        if kind == "not_none":
            return answer is not None
        if kind == "clean_cli_bool_eq":
            if answer is None:
                return None
            v = answer.strip().lower()
            v = "True" if v in ("true", "1", "yes") else "False" if v in ("false", "0", "no") \
                else answer.strip()
            return v == read["value"]
        if kind == "truthy_text":
            return answer is not None and answer.strip().lower() in ("true", "1", "yes")
        if kind == "strip_eq":
            return answer is not None and answer.strip() == read["value"]
        if kind == "rstrip_eq":
            return answer.rstrip() == read["value"]
        if kind == "strip":
            return answer
        if kind == "contains":
            return bool(answer) and read["value"] in answer
        if kind == "len_ge":
            return len(answer) >= read["value"]
        if kind == "json_or_raw":
            if answer is None:
                return None
            try:
                v = json.loads(answer)
            except ValueError:
                return answer
            return {k: v[k] for k in read["keys"]}
        if kind == "json_loads":
            return json.loads(answer)
        if kind in ("stdout_or_stderr", "stdout_or_none"):
            return answer
        if kind == "worker_rc_detail":
            return (answer[0] == 0, answer[2].strip() or answer[1].strip())
        if kind == "worker_true":
            return answer[0] == 0 and answer[1].strip() == "True"
    except Exception as e:  # the caller raises here: that is what it makes of it
        return "raises %s" % type(e).__name__
    raise AssertionError("no read kind " + kind)


def label(caller, call):
    what = " ".join(call["argv"]) if "argv" in call else call["command"]
    return "%s@%s %s: %s" % (caller["caller"], caller["revision"], call["function"], what[:80])


# Differences that are what a client with an ask handler means, not faults:
# (client, pattern in the subprocess's text, replacement, why). Applied to
# side A's answers before they are compared with that client's.
NAMED_DIFFERENCES = [
    ("ask handler", re.compile(r"the dialog program \$HVYM_DIALOG \([^)]*\) answered badly"),
     "the client answered badly",
     "a bad answer (a .png for a .did question) is blamed on whoever answered: the dialog "
     "program for a subprocess, the client for a request whose client answers"),
]


def named(client_name, x):
    if isinstance(x, str):
        for who, pattern, replacement, _ in NAMED_DIFFERENCES:
            if who == client_name:
                x = pattern.sub(replacement, x)
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(named(client_name, v) for v in x)
    return x


class CallSites:
    """A: the callers' way; the clients of CLIENTS: hvym_client over serve.
    (A mixin: the classes below are the tests.)"""
    EXTRA_ENV = {}
    CLIENTS = {"drop-in": None}  # name -> ask handler maker (None: no handler)

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hvym-callsites-")
        cls.dialog = os.path.join(cls.tmp, "dialog.sh")
        with open(cls.dialog, "w") as f:
            f.write(DIALOG)
        os.chmod(cls.dialog, 0o755)
        extra = {k: v.replace("{DIALOG}", cls.dialog) for k, v in cls.EXTRA_ENV.items()}
        cls.a = Side(os.path.join(cls.tmp, "A"), extra)
        cls.sides, cls.clients = {}, {}
        try:
            for i, (name, ask) in enumerate(cls.CLIENTS.items()):
                side = Side(os.path.join(cls.tmp, "BCDE"[i]), extra)
                cls.sides[name] = side
                address = side.start_server()
                cls.clients[name] = Hvym(binary=side.mv, socket=address, env=side.overrides,
                                         ask=ask(side.png) if ask else None, fallback=False)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for client in cls.clients.values():
            client.close()
        for side in cls.sides.values():
            side.stop_server()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        for name, client in self.clients.items():
            self.assertEqual(client.mode, "serve", "%s: %s" % (name, client.why_subprocess))

    def replay(self, caller):
        """Every call of one caller revision on every side, in order."""
        a = self.a
        for call in caller["calls"]:
            name = caller["caller"]
            a_answer = a.normal(by_caller(call, a, name))
            a_plain = a.normal(plain_subprocess(call, a, name))
            theirs = {}
            for cname, client in self.clients.items():
                side = self.sides[cname]
                got = side.normal(by_client(call, side, name, client))
                got_plain = side.normal(plain_client(call, side, name, client))
                theirs[cname] = (got, got_plain)
            for cname, (got, got_plain) in theirs.items():
                where = "%s [%s]" % (label(caller, call), cname)
                mine, mine_plain = named(cname, a_answer), named(cname, a_plain)
                with self.subTest(where, compare="as the caller gets it"):
                    self.assertEqual(got, mine)
                with self.subTest(where, compare="as the caller reads it"):
                    self.assertEqual(as_read(call["read"], got), as_read(call["read"], mine))
                with self.subTest(where, compare="run(): exit and stdout"):
                    self.assertEqual(got_plain[:2], mine_plain[:2])
                with self.subTest(where, compare="run(): stderr"):
                    self.assertEqual(got_plain[2], mine_plain[2])

    def caller(self, name, revision):
        for c in CALLSITES["callers"]:
            if (c["caller"], c["revision"]) == (name, revision):
                return c
        raise AssertionError("no %s@%s in callsites.json" % (name, revision))

    # Named in the order they run (unittest sorts): the sides stay in step.
    def test_1_metavinci_35ad2f7(self):
        self.replay(self.caller("metavinci", "35ad2f7"))

    def test_2_metavinci_d0d792d(self):
        self.replay(self.caller("metavinci", "d0d792d"))

    def test_3_metavinci_daf2c4b(self):
        self.replay(self.caller("metavinci", "daf2c4b"))

    def test_4_blender_calls(self):
        self.replay(self.caller("heavymeta_standard", "3b69982"))

    def test_5_shell_string_with_a_space_in_the_path(self):
        # Metavinci's only string command, with its macOS program path (an
        # unquoted "Application Support"): the shell splits it on every side.
        call = {"runner": "metavinci._subprocess_hvym(str)", "command": "{HVYM} update-npm-modules"}
        mine = subprocess.run(call["command"].replace("{HVYM}", self.a.mac), shell=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              cwd=os.path.dirname(self.a.mac), env=self.a.env(), timeout=LIMIT)
        self.assertNotEqual(mine.returncode, 0)  # so the caller gets None
        for cname, side in self.sides.items():
            client = Hvym(binary=side.mac, socket=side.proxy.path, env=side.overrides,
                          fallback=False)
            try:
                with self.subTest(cname):
                    self.assertIsNone(client.subprocess_hvym(
                        call["command"].replace("{HVYM}", side.mac)))
            finally:
                client.close()


class NoDialog(CallSites, unittest.TestCase):
    """A caller with no dialog program and no terminal (a tray app on a
    system without zenity/kdialog; the add-on in a headless Blender): every
    question fails; the drop-in has no ask handler."""

    def test_6_update_nft_data_is_one_round_trip(self):
        """updateNftData's three calls (one process each in the add-on) in one
        run_many: one request line to the server, one answer line back, the
        same stdouts as three subprocesses run the add-on's way."""
        cases = CALLSITES["callers"][-1]["update_nft_data"]["cases"]
        self.assertTrue(cases)
        for name, client in self.clients.items():
            side = self.sides[name]
            for case in cases:
                argvs = [call["argv"] for call in case["calls"]]
                mine = []
                for argv in argvs:
                    r = subprocess.run([self.a.bl] + [str(p) for p in argv], capture_output=True,
                                       text=True, check=False, env=self.a.env(), timeout=LIMIT)
                    mine.append((r.returncode, r.stdout, r.stderr))
                with side.proxy.lock:
                    sent, answered = len(side.proxy.sent), side.proxy.answered
                got = client.run_many(argvs)
                with side.proxy.lock:
                    lines = side.proxy.sent[sent:]
                    answers = side.proxy.answered - answered
                with self.subTest(case["case"], client=name, compare="one round trip"):
                    self.assertEqual(len(lines), 1, [line[:120] for line in lines])
                    self.assertEqual(answers, 1)
                    request = json.loads(lines[0])
                    self.assertEqual(request.get("method"), "batch")
                    self.assertEqual(len(request["params"]["requests"]), len(argvs))
                with self.subTest(case["case"], client=name, compare="results"):
                    self.assertEqual([(r.exit, r.stdout, r.stderr) for r in got], mine)
                    for (code, out, err), call in zip(mine, case["calls"]):
                        self.assertEqual(code, 0, err)  # the add-on json.loads each answer
                    self.assertEqual([json.loads(r.stdout) for r in got],
                                     [json.loads(out) for _, out, _ in mine])
                    self.assertEqual([r.value for r in got],
                                     [json.loads(out) for _, out, _ in mine])


class WithDialog(CallSites, unittest.TestCase):
    """A caller on a desktop with a dialog program ($HVYM_DIALOG; zenity
    would do the same): a subprocess asks through it. The drop-in as it
    comes (no ask handler) and a client whose ask handler answers as the
    dialog program does."""
    EXTRA_ENV = {"HVYM_DIALOG": "{DIALOG}"}
    CLIENTS = {"drop-in": None, "ask handler": make_ask}


if __name__ == "__main__":
    unittest.main()
