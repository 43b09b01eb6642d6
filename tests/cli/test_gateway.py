"""The gateway's lifecycle and the tunnel against real parts: podman's
Docker API, Debian's registry on loopback, a file server for pinggy-install,
and a stand-in pinggy for the tunnel."""
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request  # noqa: F401  (kept for debugging by hand)

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, by_part, part, require, run  # noqa: E402
from realparts import (PODMAN, REGISTRY, Podman, Registry, connects, free_port,  # noqa: E402
                       http_server, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
# Parts (tests/cli/meson.build): the tests with podman services ("engine")
# run alone; the others beside other suites.
load_tests = by_part


class Home(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.data = os.path.join(self.home, ".local/share/heavymeta-cli")
        self.env = {}

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def hvym(self, *args, env=None, **kw):
        return run(*args, home=self.home, env={**self.env, **(env or {})}, **kw)

    def ok(self, *args, **kw):
        r = self.hvym(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r.out.decode()


@part("engine")
@require(PODMAN and REGISTRY and os.geteuid() == 0,
                     "needs root, podman and docker-registry (scripts/setup installs them)")
class Gateway(Home):
    @classmethod
    def setUpClass(cls):
        # Cleanups run even when this setup fails half-way.
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.registry = Registry(cls.root)
        cls.addClassCleanup(cls.registry.stop)
        assert cls.registry.up(), "docker-registry did not start"
        # The image, pushed to the registry from a podman of its own.
        pusher = Podman(os.path.join(cls.root, "pusher"), "unix://" + os.path.join(cls.root, "p.sock"),
                        insecure=[cls.registry.address])
        try:
            cls.dapp = run("pintheon-dapp").out.decode().strip()
            cls.image = f"{cls.registry.address}/metavinci/{cls.dapp}:latest"
            pusher.import_image(cls.image, payload_bytes=3_000_000)
            pusher.podman("push", "--tls-verify=false", cls.image)
        finally:
            pusher.reset()

    def setUp(self):
        super().setUp()
        self.engine_root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.engine_root, ignore_errors=True)  # runs last
        self.sock = os.path.join(self.engine_root, "docker.sock")
        self.engine = Podman(self.engine_root, "unix://" + self.sock, insecure=[self.registry.address])
        self.addCleanup(self.engine.reset)
        self.assertTrue(wait_for(lambda: connects(self.sock)), "podman's API did not start")
        self.env = {"DOCKER_HOST": "unix://" + self.sock}
        self.ok("config", "set", "pintheon_registry", f"{self.registry.address}/metavinci")
        self.files = http_server(files={"/linux/amd64/pinggy": b"#!/bin/sh\necho pinggy\n",
                                        "/linux/arm64/pinggy": b"#!/bin/sh\necho pinggy\n"})
        self.ok("config", "set", "pinggy_base_url", f"http://127.0.0.1:{self.files.port}")

    def tearDown(self):
        self.files.close()
        super().tearDown()

    def containers(self):
        out = self.engine.podman("ps", "-a", "--format", "{{.Names}}").stdout.decode()
        return [n for n in out.split() if n]

    def inspect(self):
        return json.loads(self.engine.podman("inspect", "pintheon").stdout)[0]

    def test_setup_pulls_with_progress_installs_pinggy_and_creates_the_container(self):
        r = self.hvym("pintheon-setup")
        self.assertEqual(r.code, 0, r)
        out = r.out.decode()
        self.assertIn("installed pinggy to " + self.home, out)
        self.assertIn("pulled " + self.image, out)
        self.assertIn("created container pintheon", out)
        # Plain progress lines (stderr is no terminal here): podman reports
        # layers, not bytes.
        self.assertRegex(r.err.decode(), r"pulling .*: \d+% \(\d+ of \d+ layers\)")
        self.assertEqual(self.containers(), ["pintheon"])
        info = self.inspect()
        host = info["HostConfig"]
        self.assertEqual(set(host["PortBindings"]), {"9998/tcp", "9999/tcp"})
        self.assertEqual(host["Dns"], ["8.8.8.8"])
        self.assertIn(os.path.join(self.data, "pintheon_data") + ":/home/pintheon/data",
                      host["Binds"][0])
        again = self.hvym("pintheon-setup")
        self.assertEqual(again.code, 0, again)
        self.assertIn(b"container pintheon already exists", again.out)
        self.assertEqual(self.containers(), ["pintheon"])

    def test_setup_on_a_terminal_draws_a_bar(self):
        import pty
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update({"HOME": self.home, **self.env})
            os.execv(BIN, [BIN, "pintheon-setup"])
        out = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, out)
        self.assertRegex(out.decode(), r"\rpulling \S+ \[#+\.*\] \d+% \d+ of \d+ layers")
        self.assertIn(b"created container pintheon", out)

    def test_setup_through_serve_streams_its_lines_with_the_callers_engine(self):
        # A server started without DOCKER_HOST; the request carries the
        # caller's, as the official client sends it.
        sock = os.path.join(self.home, "s.sock")
        server = subprocess.Popen([BIN, "serve", "--socket", sock], stderr=subprocess.DEVNULL,
                                  env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home,
                                       "LANG": "C.UTF-8"})
        self.addCleanup(lambda: (server.terminate(), server.wait(20)))
        self.assertTrue(wait_for(lambda: connects(sock)), "serve did not start")
        client = socket.socket(socket.AF_UNIX)
        client.connect(sock)
        self.addCleanup(client.close)
        lines = client.makefile("rb")
        start = time.monotonic()
        client.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "run",
                                   "params": {"cmd": "pintheon-setup", "env": self.env}}).encode() + b"\n")
        notes = []
        while True:
            msg = json.loads(lines.readline())
            at = time.monotonic() - start
            if msg.get("id") == 1:
                result, served_end = msg["result"], at
                break
            notes.append((at, msg["params"]["stream"], msg["params"]["text"]))
        self.assertEqual(result["exit"], 0, result)
        self.assertIn("created container pintheon", result["stdout"])
        self.assertEqual("".join(t for _, s, t in notes if s == "stderr"), result["stderr"])
        pulls = [at for at, s, t in notes if s == "stderr" and "pulling" in t]
        self.assertTrue(pulls, notes)
        # The same run as a subprocess (after the engine is reset), its
        # stderr lines timed as they come.
        self.engine.podman("rm", "-f", "pintheon")
        self.engine.podman("rmi", "-f", self.image)
        os.remove(os.path.join(self.home, ".local/share/pinggy/pinggy"))
        start = time.monotonic()
        p = subprocess.Popen([BIN, "pintheon-setup"], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                             env={**os.environ, "HOME": self.home, **self.env})
        first_pull = None
        for line in p.stderr:
            if first_pull is None and b"pulling" in line:
                first_pull = time.monotonic() - start
        out = p.stdout.read()
        p.wait(60)
        sub_end = time.monotonic() - start
        self.assertEqual(out.decode(), result["stdout"])
        # The first progress line reached the client about as long before
        # the end as it reaches a subprocess's reader (not with the result).
        lead_serve, lead_sub = served_end - pulls[0], sub_end - first_pull
        self.assertGreaterEqual(lead_serve, lead_sub / 2 - 0.05, (notes, lead_serve, lead_sub))

    def test_start_and_stop_or_a_clean_refusal(self):
        self.ok("pintheon-setup")
        before = self.ok("config", "list")
        r = self.hvym("pintheon-start")
        if r.code == 0:
            self.assertIn(b"started container pintheon", r.out)
            self.assertIn(b"stopped container pintheon", self.hvym("pintheon-stop").out)
        else:  # podman in a sandbox may not start containers
            self.assertEqual((r.code, r.out), (1, b""), r)
            self.assertRegex(r.err.decode(), r"^Error: cannot start container pintheon: \S")
            stop = self.hvym("pintheon-stop")
            self.assertEqual((stop.code, stop.out), (0, b"container pintheon is not running\n"))
        self.assertEqual(self.ok("config", "list"), before)  # the store is unchanged

    def test_two_starts_at_once_make_one_container(self):
        self.engine.podman("pull", "--tls-verify=false", self.image)
        env = {"HOME": self.home, "PATH": os.environ["PATH"], **self.env}
        procs = [subprocess.Popen([BIN, "pintheon-start"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        results = [p.communicate(timeout=120) for p in procs]
        self.assertEqual(self.containers(), ["pintheon"], results)
        created = sum(b"created container pintheon" in out for out, _ in results)
        self.assertEqual(created, 1, results)

    def test_stop_without_a_container_fails(self):
        r = self.hvym("pintheon-stop")
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"no container named pintheon", r.err)

    def test_start_without_the_image_says_to_run_setup(self):
        r = self.hvym("pintheon-start")
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"pintheon-setup", r.err)
        self.assertEqual(self.containers(), [])


class NoEngine(Home):
    def test_lifecycle_without_an_engine_fails_cleanly(self):
        self.env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
        for cmd in ("pintheon-start", "pintheon-stop"):
            r = self.hvym(cmd)
            self.assertEqual((r.code, r.out), (1, b""), cmd)
            self.assertIn(b"no Docker engine answers", r.err)

    def test_tcp_docker_host_is_explained(self):
        r = self.hvym("pintheon-stop", env={"DOCKER_HOST": "tcp://127.0.0.1:2375"})
        self.assertEqual(r.code, 1)
        self.assertIn(b"not a unix socket", r.err)


class EngineWords(Home):
    """What an engine or a docker context says reaches a message printable."""

    def test_an_answer_without_a_message_says_its_status(self):
        sock = os.path.join(self.home, "engine.sock")
        server = socket.socket(socket.AF_UNIX)
        server.bind(sock)
        server.listen(8)
        self.addCleanup(server.close)

        def answer():
            for _ in range(8):
                try:
                    c, _ = server.accept()
                except OSError:
                    return
                c.recv(65536)
                c.sendall(b"HTTP/1.1 999 Odd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                c.close()
        threading.Thread(target=answer, daemon=True).start()
        r = self.hvym("pintheon-stop", env={"DOCKER_HOST": "unix://" + sock})
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"status 999", r.err)
        self.assertNotIn(b"Error: {}", r.err)

    def test_a_nul_in_a_contexts_host_is_not_printed(self):
        import hashlib
        config = os.path.join(self.home, ".docker")
        meta = os.path.join(config, "contexts", "meta", hashlib.sha256(b"odd").hexdigest())
        os.makedirs(meta)
        with open(os.path.join(meta, "meta.json"), "w") as f:
            json.dump({"Name": "odd", "Endpoints": {"docker": {"Host": "tcp://a\u0000b\u001b[31m:2375"}}}, f)
        with open(os.path.join(config, "config.json"), "w") as f:
            json.dump({"currentContext": "odd"}, f)
        r = self.hvym("pintheon-stop")
        self.assertEqual(r.code, 1, r)
        self.assertNotIn(b"\0", r.err)
        self.assertNotIn(b"\x1b", r.err)
        self.assertIn(b"tcp://a?b?[31m:2375", r.err)


class Open(Home):
    def test_prints_the_url_and_runs_the_browser(self):
        record = os.path.join(self.home, "opened")
        self.ok("pintheon-set-port", "12345")
        browser = f"sh -c 'echo \"$0\" > {record}'"
        r = self.hvym("pintheon-open", env={"BROWSER": browser})
        self.assertEqual((r.code, r.out), (0, b"https://127.0.0.1:12345/admin\n"), r)
        self.assertTrue(wait_for(lambda: os.path.exists(record), 10))
        self.assertTrue(wait_for(lambda: open(record).read() == "https://127.0.0.1:12345/admin\n", 10))

    def test_no_opener_is_a_failure_that_still_prints_the_url(self):
        r = self.hvym("pintheon-open", env={"PATH": "/nonexistent", "BROWSER": ""})
        self.assertEqual((r.code, r.out), (1, b"https://127.0.0.1:9998/admin\n"))
        self.assertIn(b"no way to open a browser", r.err)


class PinggyInstall(Home):
    def setUp(self):
        super().setUp()
        self.binary = b"#!/bin/sh\necho I am pinggy\n" + os.urandom(50_000)
        self.files = http_server(files={"/linux/amd64/pinggy": self.binary,
                                        "/linux/arm64/pinggy": self.binary})
        self.ok("config", "set", "pinggy_base_url", f"http://127.0.0.1:{self.files.port}")
        self.dir = os.path.join(self.home, ".local/share/pinggy")

    def tearDown(self):
        self.files.close()
        super().tearDown()

    def test_installs_the_served_binary(self):
        out = self.ok("pinggy-install")
        path = os.path.join(self.dir, "pinggy")
        self.assertEqual(out, f"installed pinggy to {path}\n")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), self.binary)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o755)
        self.assertEqual(os.listdir(self.dir), ["pinggy"])

    def test_a_download_longer_than_the_store_guard(self):
        # The store is closed before the download: its 10 s guard must not
        # end a slow one (it did: SIGALRM after 10 s).
        slow = http_server(files={"/linux/amd64/pinggy": self.binary, "/linux/arm64/pinggy": self.binary},
                           delay=11)
        self.addCleanup(slow.close)
        self.ok("config", "set", "pinggy_base_url", f"http://127.0.0.1:{slow.port}")
        r = self.hvym("pinggy-install")
        self.assertEqual(r.code, 0, r)
        with open(os.path.join(self.dir, "pinggy"), "rb") as f:
            self.assertEqual(f.read(), self.binary)

    def test_a_failed_download_leaves_nothing(self):
        self.ok("config", "set", "pinggy_base_url", f"http://127.0.0.1:{self.files.port}/missing")
        r = self.hvym("pinggy-install")
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"failed", r.err)
        self.assertEqual(os.listdir(self.dir) if os.path.isdir(self.dir) else [], [])


class Lock(Home):
    """The data folder's lock: the second command waits; a killed holder frees it."""

    def test_waits_for_the_holder_and_survives_its_death(self):
        hung = __import__("realparts").Silent()
        port = hung.getsockname()[1]
        try:
            self.ok("config", "set", "pinggy_base_url", f"http://127.0.0.1:{port}")
            env = {"HOME": self.home, "PATH": os.environ["PATH"],
                   "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
            holder = subprocess.Popen([BIN, "pinggy-install"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            lock = os.path.join(self.data, "hvym.lock")

            def held():  # the holder has the lock itself (the file alone was not enough: a flake)
                try:
                    fd = os.open(lock, os.O_RDONLY)
                except OSError:
                    return False
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    return False
                except OSError:
                    return True
                finally:
                    os.close(fd)
            self.assertTrue(wait_for(held))
            waiter = subprocess.Popen([BIN, "pintheon-stop"], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            # Blocked behind the holder: it says so, and waits.
            said = b""
            deadline = time.monotonic() + 20
            while b"waiting for another hvym command" not in said and time.monotonic() < deadline:
                ready, _, _ = select.select([waiter.stderr], [], [], deadline - time.monotonic())
                chunk = os.read(waiter.stderr.fileno(), 4096) if ready else b""
                if not chunk:
                    break
                said += chunk
            self.assertIsNone(waiter.poll())
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            _, err = waiter.communicate(timeout=20)
            err = said + err
            self.assertIn(f"waiting for another hvym command (pid {holder.pid})".encode(), err)
            self.assertIn(b"no Docker engine answers", err)  # it ran after the holder died
        finally:
            hung.close()
            subprocess.run(["pkill", "-f", f"127.0.0.1:{port}"])  # the orphaned curl


class Tunnel(Home):
    def setUp(self):
        super().setUp()
        pinggy_dir = os.path.join(self.home, ".local/share/pinggy")
        os.makedirs(pinggy_dir)
        shutil.copy(os.path.join(HERE, "fake_pinggy.py"), os.path.join(pinggy_dir, "pinggy"))
        os.chmod(os.path.join(pinggy_dir, "pinggy"), 0o755)
        self.args_file = os.path.join(self.home, "pinggy-args.json")
        self.env = {"FAKE_PINGGY_ARGS": self.args_file, "DISPLAY": ""}
        self.port = free_port()
        self.ok("config", "set", "pinggy_debugger_port", str(self.port))
        self.ok("pintheon-set-port", "9876")
        self.ok("pinggy-set-tier", "free")

    def tearDown(self):
        self.hvym("pintheon-tunnel-close")
        super().tearDown()

    def test_open_status_close_agree_with_reality(self):
        self.ok("pinggy-set-token", "--stdin", stdin=b"tok-secret\n")
        out = self.ok("pintheon-tunnel-open")
        self.assertRegex(out, r"^tunnel running \(pid \d+\), log in .*pinggy\.log\n$")
        pid = int(out.split("pid ")[1].split(")")[0])
        self.assertTrue(wait_for(lambda: self.ok("is-pintheon-tunnel-open") == "true\n", 10))
        self.assertEqual(self.ok("pintheon-tunnel-status"), "running\n")
        self.assertEqual(self.ok("config", "get", "tunnel_pid"), f"{pid}\n")
        with open(self.args_file) as f:
            args = json.load(f)
        self.assertEqual(args, ["-p", "443", "-R0:localhost:9876", f"-L{self.port}:localhost:4300",
                                "-o", "StrictHostKeyChecking=no", "-o", "ServerAliveInterval=30",
                                "-t", "tok-secret@free.pinggy.io", "x:https",
                                "x:localServerTls:localhost", "x:passpreflight"])
        again = self.ok("pintheon-tunnel-open")
        self.assertIn("already running", again)
        self.assertEqual(self.ok("pintheon-tunnel-close"), f"tunnel stopped (pid {pid})\n")
        self.assertEqual(self.ok("pintheon-tunnel-status"), "stopped\n")
        self.assertEqual(self.ok("is-pintheon-tunnel-open"), "false\n")
        self.assertEqual(self.ok("config", "get", "tunnel_status"), "stopped\n")
        # The token was handed over through a pipe: none of the tunnel's
        # files holds it, and the pipe is gone.
        self.assertFalse(os.path.exists(os.path.join(self.data, "pinggy-token.fifo")))
        for name in ("pinggy.log", "pinggy.pid"):
            with open(os.path.join(self.data, name), "rb") as f:
                self.assertFalse(b"tok-secret" in f.read(), name)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.data, name)).st_mode), 0o600, name)

    def test_the_terminal_the_user_chose_comes_first(self):
        # Debian's x-terminal-emulator (the user's choice) before xterm, as
        # docs/dialogs.md says; stand-ins that run what follows -e.
        terms = os.path.join(self.home, "terms")
        os.makedirs(terms)
        for name in ("xterm", "x-terminal-emulator"):
            path = os.path.join(terms, name)
            with open(path, "w") as f:
                f.write('#!/bin/sh\nwhile [ "$1" != "-e" ]; do shift; done\nshift\nexec "$@"\n')
            os.chmod(path, 0o755)
        self.ok("pinggy-set-token", "tok")
        out = self.ok("pintheon-tunnel-open", env={"DISPLAY": ":97", "PATH": terms + ":/usr/bin:/bin"})
        self.assertIn("in a x-terminal-emulator window", out)

    def test_a_tunnel_that_died_is_never_reported_running(self):
        self.ok("pinggy-set-token", "tok")
        out = self.ok("pintheon-tunnel-open")
        pid = int(out.split("pid ")[1].split(")")[0])
        os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_for(lambda: self.ok("pintheon-tunnel-status") == "stopped\n", 10))
        self.assertEqual(self.ok("config", "get", "tunnel_status"), "stopped\n")
        self.assertEqual(self.ok("pintheon-tunnel-close"), "the tunnel was not running\n")

    def test_no_token_or_no_pinggy(self):
        r = self.hvym("pintheon-tunnel-open")
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"no Pinggy token", r.err)
        self.ok("pinggy-set-token", "tok")
        os.remove(os.path.join(self.home, ".local/share/pinggy/pinggy"))
        r = self.hvym("pintheon-tunnel-open", env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(r.code, 1)
        self.assertIn(b"pinggy-install", r.err)


if __name__ == "__main__":
    unittest.main(verbosity=1)
