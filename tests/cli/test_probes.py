"""The probes against real parts: podman serving the Docker Engine API, the
real docker CLI, HTTP servers on loopback (answering, refusing, hanging)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import by_part, part, require, run  # noqa: E402

from realparts import DOCKER, PODMAN, Podman, Silent, connects, http_server, wait_for  # noqa: E402


# Parts (tests/cli/meson.build): the tests that run podman ("engine") run
# alone; the others beside other suites.
load_tests = by_part


def wait_for_socket(path):
    return wait_for(lambda: connects(path))


class Base(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def hvym(self, *args, env=None, **kw):
        return run(*args, home=self.home, env=env, **kw)

    def dapp_image(self):
        return "metavinci/" + self.hvym("pintheon-dapp").out.decode().strip() + ":latest"


@part("engine")
@require(PODMAN and os.geteuid() == 0, "needs podman and root (scripts/setup installs podman)")
class Engine(Base):
    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)  # runs last
        self.sock = os.path.join(self.root, "docker.sock")
        self.engine = Podman(self.root, "unix://" + self.sock)
        self.addCleanup(self.engine.reset)
        self.assertTrue(wait_for_socket(self.sock), "podman's API service did not start")
        self.env = {"DOCKER_HOST": "unix://" + self.sock}

    def exists(self):
        r = self.hvym("pintheon-image-exists", env=self.env)
        self.assertEqual(r.code, 0, r)
        return r.out

    def test_importing_and_removing_the_image_flips_the_answer(self):
        self.assertEqual(self.exists(), b"False\n")
        self.engine.import_image("docker.io/" + self.dapp_image())
        self.assertEqual(self.exists(), b"True\n")
        if DOCKER:  # the real docker CLI agrees
            p = subprocess.run([DOCKER, "image", "inspect", self.dapp_image()],
                               capture_output=True, env={**os.environ, **self.env})
            self.assertEqual(p.returncode, 0, p.stderr)
        self.engine.podman("rmi", "docker.io/" + self.dapp_image())
        self.assertEqual(self.exists(), b"False\n")

    def test_an_image_of_another_network_does_not_count(self):
        self.engine.import_image("docker.io/metavinci/pintheon-othernet-linux-amd64:latest")
        self.assertEqual(self.exists(), b"False\n")

    def test_installation_stats_sees_the_image(self):
        self.engine.import_image("docker.io/" + self.dapp_image())
        r = self.hvym("installation-stats", env=self.env)
        self.assertEqual(r.code, 0, r)
        stats = json.loads(r.out)
        self.assertEqual(list(stats), ["docker_installed", "pintheon_image_exists",
                                       "pintheon_network", "pinggy_token", "pinggy_tier"])
        self.assertTrue(stats["pintheon_image_exists"])
        self.assertEqual(stats["docker_installed"], bool(DOCKER))

    def test_through_serve_the_callers_engine_answers(self):
        # serve runs with this engine as its own; a request says its caller
        # has none (DOCKER_HOST elsewhere): every probe answers for the caller,
        # the engine question of installation-stats included (asked on a
        # thread of its own while docker --version runs).
        self.engine.import_image("docker.io/" + self.dapp_image())
        bin_dir = os.path.join(self.home, "bin")
        os.makedirs(bin_dir)
        with open(os.path.join(bin_dir, "docker"), "w") as f:
            f.write("#!/bin/sh\necho 'Docker version 27.0.1, build x'\n")
        os.chmod(os.path.join(bin_dir, "docker"), 0o755)
        sock = os.path.join(self.home, "serve.sock")
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home, "LANG": "C.UTF-8", **self.env}
        server = subprocess.Popen([os.environ["HVYM_BIN"], "serve", "--socket", sock], env=env,
                                  stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (server.terminate(), server.wait(20)))
        self.assertTrue(wait_for_socket(sock))
        caller = {"DOCKER_HOST": "unix://" + os.path.join(self.home, "none.sock"), "PATH": bin_dir + ":/usr/bin:/bin"}
        with socket.socket(socket.AF_UNIX) as c:
            c.connect(sock)
            f = c.makefile("rwb")
            for i, cmd in enumerate(("installation-stats", "pintheon-image-exists", "installation-stats")):
                f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": "run",
                                    "params": {"cmd": cmd, "env": caller, "output": False}}).encode() + b"\n")
                f.flush()
                msg = json.loads(f.readline())
                self.assertIn("result", msg, msg)
                got = msg["result"]
                want = self.hvym(cmd, env=caller)
                self.assertEqual((got["exit"], got["stdout"]), (want.code, want.out.decode()), (i, cmd))

    def test_stopped_engine_is_false_at_once(self):
        self.engine.import_image("docker.io/" + self.dapp_image())
        self.assertEqual(self.exists(), b"True\n")
        self.engine.stop()
        start = time.monotonic()
        self.assertEqual(self.exists(), b"False\n")
        self.assertLess(time.monotonic() - start, 5)  # refused, not waited out

    @unittest.skipUnless(DOCKER, "no docker CLI for the tcp:// fallback")
    def test_tcp_host_falls_back_to_the_docker_cli(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        tcp = Podman(self.root, f"tcp://127.0.0.1:{port}")
        try:
            self.engine.import_image("docker.io/" + self.dapp_image())
            env = {"DOCKER_HOST": f"tcp://127.0.0.1:{port}", "PATH": os.path.dirname(DOCKER)}
            deadline = time.time() + 20
            while time.time() < deadline:
                r = self.hvym("pintheon-image-exists", env=env)
                if r.out == b"True\n":
                    break
                time.sleep(0.2)
            self.assertEqual(r.out, b"True\n")
        finally:
            tcp.stop()


class NoEngine(Base):
    def test_missing_socket_is_false(self):
        r = self.hvym("pintheon-image-exists", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
        self.assertEqual((r.code, r.out, r.err), (0, b"False\n", b""))

    def test_hung_engine_is_bounded(self):
        path = os.path.join(self.home, "hung.sock")
        server = Silent(socket.AF_UNIX, path)
        try:
            start = time.monotonic()
            r = self.hvym("pintheon-image-exists", env={"DOCKER_HOST": "unix://" + path})
            elapsed = time.monotonic() - start
        finally:
            server.close()
        self.assertEqual((r.code, r.out), (0, b"False\n"))
        self.assertIn(b"did not answer", r.err)
        self.assertLess(elapsed, 5)  # the bound is about a second; no hang

    def test_stats_without_docker_or_engine_match_the_original(self):
        r = self.hvym("installation-stats", env={"DOCKER_HOST": "unix:///nonexistent",
                                                 "PATH": "/nonexistent"})
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out, b'{\n  "docker_installed": false,\n  "pintheon_image_exists": false,\n'
                                b'  "pintheon_network": "testnet",\n  "pinggy_token": "",\n'
                                b'  "pinggy_tier": "pro"\n}\n')
        self.assertEqual(os.listdir(self.home), [])


class Tunnel(Base):
    def set_port(self, port):
        self.assertEqual(self.hvym("config", "set", "pinggy_debugger_port", str(port)).code, 0)

    def ask(self):
        r = self.hvym("is-pintheon-tunnel-open")
        self.assertEqual(r.code, 0, r)
        return r.out

    def test_answering_200_is_open(self):
        server = http_server(200)
        try:
            self.set_port(server.server_address[1])
            self.assertEqual(self.ask(), b"true\n")
        finally:
            server.close()

    def test_other_status_is_closed(self):
        server = http_server(502)
        try:
            self.set_port(server.server_address[1])
            self.assertEqual(self.ask(), b"false\n")
        finally:
            server.close()

    def test_closed_port_is_closed(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.set_port(port)
        self.assertEqual(self.ask(), b"false\n")

    def test_silent_server_is_bounded(self):
        server = Silent()
        try:
            self.set_port(server.getsockname()[1])
            start = time.monotonic()
            self.assertEqual(self.ask(), b"false\n")
            self.assertLess(time.monotonic() - start, 5)
        finally:
            server.close()


@part("engine")
@require(PODMAN and os.geteuid() == 0, "needs podman and root (scripts/setup installs podman)")
class Endpoints(Base):
    """The engine found where the docker CLI finds it, with podman's API
    service behind each: a docker context (current, or DOCKER_CONTEXT), a
    rootless Docker's socket, podman's own socket."""

    def setUp(self):
        super().setUp()
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.run_dir = os.path.join(self.root, "xdg-run")
        os.makedirs(os.path.join(self.run_dir, "podman"))

    def start(self, sock):
        engine = Podman(os.path.join(self.root, "engine"), "unix://" + sock)
        self.addCleanup(engine.reset)
        self.assertTrue(wait_for_socket(sock), "podman's API service did not start")
        engine.import_image("docker.io/" + self.dapp_image())
        return engine

    def context(self, name, sock, current=True):
        import hashlib
        docker = os.path.join(self.home, ".docker")
        meta = os.path.join(docker, "contexts", "meta", hashlib.sha256(name.encode()).hexdigest())
        os.makedirs(meta)
        with open(os.path.join(meta, "meta.json"), "w") as f:
            json.dump({"Name": name, "Metadata": {},
                       "Endpoints": {"docker": {"Host": "unix://" + sock, "SkipTLSVerify": False}}}, f)
        if current:
            with open(os.path.join(docker, "config.json"), "w") as f:
                json.dump({"auths": {}, "currentContext": name}, f)

    def exists(self, **env):
        r = self.hvym("pintheon-image-exists", env={"PATH": "/usr/bin:/bin", **env})
        self.assertEqual(r.code, 0, r)
        return r.out

    def test_the_current_docker_context(self):
        sock = os.path.join(self.root, "desktop.sock")
        self.start(sock)
        self.assertEqual(self.exists(), b"False\n")  # no context yet: the default socket, absent
        self.context("desktop-linux", sock)
        self.assertEqual(self.exists(), b"True\n")
        stats = json.loads(self.hvym("installation-stats", env={"PATH": "/usr/bin:/bin"}).out)
        self.assertIs(stats["pintheon_image_exists"], True)
        if DOCKER:  # the real docker CLI takes the same endpoint
            p = subprocess.run([DOCKER, "image", "inspect", self.dapp_image()], capture_output=True,
                               env={"HOME": self.home, "PATH": "/usr/bin:/bin"})
            self.assertEqual(p.returncode, 0, p.stderr)
        # DOCKER_HOST wins over the context, as for the docker CLI.
        self.assertEqual(self.exists(DOCKER_HOST="unix:///nonexistent.sock"), b"False\n")
        # DOCKER_CONTEXT=default names the default endpoint.
        self.assertEqual(self.exists(DOCKER_CONTEXT="default"), b"False\n")

    def test_docker_context_variable_and_docker_config(self):
        sock = os.path.join(self.root, "rootless.sock")
        self.start(sock)
        self.context("rootless", sock, current=False)
        self.assertEqual(self.exists(DOCKER_CONTEXT="rootless"), b"True\n")
        moved = os.path.join(self.root, "dotdocker")
        shutil.move(os.path.join(self.home, ".docker"), moved)
        self.assertEqual(self.exists(DOCKER_CONTEXT="rootless"), b"False\n")
        self.assertEqual(self.exists(DOCKER_CONTEXT="rootless", DOCKER_CONFIG=moved), b"True\n")

    def test_rootless_and_podman_sockets(self):
        for path in ("docker.sock", "podman/podman.sock"):
            with self.subTest(path):
                sock = os.path.join(self.run_dir, path)
                engine = self.start(sock)
                self.assertEqual(self.exists(XDG_RUNTIME_DIR=self.run_dir), b"True\n")
                engine.reset()
                self.assertEqual(self.exists(XDG_RUNTIME_DIR=self.run_dir), b"False\n")


class DockerInstalled(Base):
    """The cache of `docker --version`, with the real CLI behind a counting link."""

    def shim(self, body):
        self.bin = tempfile.mkdtemp()
        self.count = os.path.join(self.bin, "count")
        path = os.path.join(self.bin, "docker")
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\necho run >> '{self.count}'\n{body}\n")
        os.chmod(path, 0o755)
        self.addCleanup(shutil.rmtree, self.bin)
        return path

    def runs(self):
        try:
            with open(self.count) as f:
                return len(f.readlines())
        except FileNotFoundError:
            return 0

    def ask(self):
        r = self.hvym("docker-installed", env={"PATH": self.bin})
        self.assertEqual(r.code, 0, r)
        return r.out

    @unittest.skipUnless(DOCKER, "no docker CLI")
    def test_answer_is_cached_until_the_binary_changes(self):
        path = self.shim(f'exec "{DOCKER}" "$@"')
        self.assertEqual(self.ask(), b"True\n")
        self.assertEqual(self.ask(), b"True\n")
        self.assertEqual(self.runs(), 1)
        os.utime(path, (1, 1))  # a new binary: mtime changed
        self.assertEqual(self.ask(), b"True\n")
        self.assertEqual(self.runs(), 2)

    def test_a_docker_that_is_not_docker_is_false_and_cached(self):
        self.shim("echo 'some other tool 1.0'")
        self.assertEqual(self.ask(), b"False\n")
        self.assertEqual(self.ask(), b"False\n")
        self.assertEqual(self.runs(), 1)

    def test_no_answer_in_time_is_false_now_and_asked_again(self):
        # A docker that is slow this once (a loaded machine): the probe's 3 s
        # pass, the answer is False, and nothing is remembered about it.
        slow = os.path.join(self.home, "slow")
        open(slow, "w").close()
        self.shim(f"[ -e '{slow}' ] && exec /bin/sleep 10\necho 'Docker version 27.0.1, build x'")
        self.assertEqual(self.ask(), b"False\n")
        os.remove(slow)
        self.assertEqual(self.ask(), b"True\n")
        self.assertEqual(self.ask(), b"True\n")
        self.assertEqual(self.runs(), 2)  # the definite answer is cached
        r = self.hvym("installation-stats", env={"PATH": self.bin, "DOCKER_HOST": "unix:///nonexistent"})
        self.assertIs(json.loads(r.out)["docker_installed"], True)

    @part("engine")
    @require(PODMAN, "needs podman")
    def test_podman_docker_shim_is_docker(self):
        # Debian's podman-docker: /usr/bin/docker runs podman with the same
        # arguments. The GUI then works with podman: docker is installed.
        self.shim(f'exec "{PODMAN}" "$@"')
        self.assertEqual(self.ask(), b"True\n")
        r = self.hvym("installation-stats", env={"PATH": self.bin, "DOCKER_HOST": "unix:///nonexistent"})
        self.assertIs(json.loads(r.out)["docker_installed"], True)

    def test_no_docker_is_false_and_creates_nothing(self):
        r = self.hvym("docker-installed", env={"PATH": "/nonexistent"})
        self.assertEqual((r.code, r.out), (0, b"False\n"))
        self.assertEqual(os.listdir(self.home), [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
