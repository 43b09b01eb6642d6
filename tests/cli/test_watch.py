"""serve's watches (docs/protocol.md: watch, unwatch, changed) against real
sources: the store changed by other hvym processes, a tunnel stand-in
started by pintheon-tunnel-open and killed, a real podman API service whose
images and containers change and which is stopped and started again. Every
wait is on the notification itself, never a fixed sleep. Latency and load
are measured by scripts/bench --watch, not here."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, by_part, part, require, run  # noqa: E402
from realparts import PODMAN, Podman, Silent, connects, free_port, rss_kib, switches, wait_for  # noqa: E402
from engine_proxy import EngineProxy  # noqa: E402
from test_protocol import Client, Served  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
load_tests = by_part


class Watcher(Client):
    """A client that also hands out `changed` notifications in order."""

    def changed(self, seconds=20):
        with self.lock:
            self.lock.wait_for(lambda: any(n["method"] == "changed" for n in self.notes) or self.closed, seconds)
            for i, n in enumerate(self.notes):
                if n["method"] == "changed":
                    params = self.notes.pop(i)["params"]
                    self.sources = params["sources"]
                    return params
        return None

    def until(self, topic, value, seconds=20):
        """The `changed` params that carry `topic` = `value` (earlier ones are
        returned too, in order, so their seq can be checked)."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            c = self.changed(deadline - time.monotonic())
            if c is None:
                break
            seen.append(c)
            if topic in c["values"] and c["values"][topic]["value"] == value:
                return seen
        raise AssertionError(f"{topic} never became {value!r}; got {seen}")

    def live(self, first=None, source="engine", seconds=20):
        """Waits until the watch says `source` is live (its result `first`
        may; else the last `changed` read)."""
        if first is not None:
            self.sources = first["sources"]
        if self.sources[source] == "live":
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            c = self.changed(deadline - time.monotonic())
            if c and c["sources"][source] == "live":
                return
        raise AssertionError(f"{source} never became live")


class Watching(Served):
    def watcher(self):
        c = Watcher(self.sock)
        self.addCleanup(c.close)
        return c

    def watch(self, c, topics):
        r = c.call("watch", {"topics": topics})
        self.assertIn("result", r, r)
        return r["result"]


class Store(Watching):
    def setUp(self):
        super().setUp()
        self.start()

    def test_a_setting_changed_by_another_process_reaches_every_watcher_once(self):
        watchers = [self.watcher() for _ in range(3)]
        firsts = [self.watch(c, ["pintheon-port", "pinggy-token", "pintheon-network"]) for c in watchers]
        for f in firsts:
            self.assertEqual(f["seq"], 0)
            self.assertEqual(f["values"]["pintheon-port"],
                             {"cmd": "pintheon-port", "exit": 0, "stdout": "9998\n", "stderr": "", "value": 9998})
            self.assertEqual(f["sources"]["store"], "live")
        self.hvym("pintheon-set-port", "4000")
        for c in watchers:
            c4 = c.until("pintheon-port", 4000)
            self.assertEqual([x["seq"] for x in c4], [1])
            self.assertEqual(list(c4[0]["values"]), ["pintheon-port"])  # only what changed
        # The same value again changes nothing: the next notification is the
        # next real change, with the next number.
        self.hvym("pintheon-set-port", "4000")
        self.hvym("pinggy-set-token", "tok-1")
        for c in watchers:
            c2 = c.until("pinggy-token", "tok-1")
            self.assertEqual([x["seq"] for x in c2], [2])
            self.assertEqual(list(c2[0]["values"]), ["pinggy-token"])

    def test_values_are_what_run_answers(self):
        c = self.watcher()
        topics = ["pinggy-tier", "pinggy-token", "pintheon-dapp", "pintheon-network", "pintheon-port",
                  "docker-installed", "is-pintheon-tunnel-open", "stellar-list"]
        first = self.watch(c, topics)
        self.assertEqual(list(first["values"]), topics)
        for t in topics:
            self.assertEqual(first["values"][t], c.call("run", {"cmd": t})["result"], t)
        self.hvym("pintheon-set-network", "mainnet")
        got = c.until("pintheon-network", "mainnet")[-1]["values"]
        self.assertEqual(got["pintheon-dapp"], c.call("run", {"cmd": "pintheon-dapp"})["result"])

    def test_a_store_made_after_the_watch_is_followed(self):
        # No store yet: the data folder is followed until hvym.lmdb appears.
        self.assertFalse(os.path.exists(os.path.join(self.home, ".local/share/heavymeta-cli/hvym.lmdb")))
        c = self.watcher()
        self.watch(c, ["pinggy-tier"])
        self.hvym("pinggy-set-tier", "free")
        c.until("pinggy-tier", "free")
        self.hvym("pinggy-set-tier", "pro")
        self.assertEqual([x["seq"] for x in c.until("pinggy-tier", "pro")], [2])

    def test_unwatch_and_bad_requests(self):
        c = self.watcher()
        r = c.call("watch", {"topics": ["pintheon-port", "pintheon-setup"]})
        self.assertEqual(r["error"]["code"], -32602)
        self.assertEqual(r["error"]["data"], {"topic": "pintheon-setup"})
        for params in ({}, {"topics": []}, {"topics": "pintheon-port"}, {"topics": [1]},
                       {"topics": ["pintheon-port", "pintheon-port"]}, {"topics": ["x"] * 33},
                       {"topics": ["pintheon-port"], "every": 1}):
            r = c.call("watch", params)
            self.assertEqual(r["error"]["code"], -32602, params)
        w = self.watch(c, ["pintheon-port"])
        self.assertEqual(w["watch"], 1)
        self.assertEqual(c.call("unwatch", {"watch": 1})["result"], {"unwatched": True})
        self.assertEqual(c.call("unwatch", {"watch": 1})["result"], {"unwatched": False})
        self.assertEqual(c.call("unwatch", {})["error"]["code"], -32602)
        numbers = [self.watch(c, ["pintheon-port"])["watch"] for _ in range(16)]
        self.assertEqual(numbers, list(range(2, 18)))
        r = c.call("watch", {"topics": ["pintheon-port"]})
        self.assertEqual(r["error"]["code"], -32005, r)
        hello = c.call("hello", {"protocol": 1})["result"]
        self.assertIn("watch", hello["capabilities"]["methods"])
        self.assertIn("unwatch", hello["capabilities"]["methods"])

    def test_a_topic_no_one_watched_for_a_while_is_not_stale(self):
        c = self.watcher()
        self.watch(c, ["pintheon-port"])
        c.call("unwatch", {"watch": 1})
        self.hvym("pintheon-set-port", "4300")
        self.assertEqual(self.watch(c, ["pintheon-port"])["values"]["pintheon-port"]["value"], 4300)

    def test_a_watch_ended_by_its_connection_leaves_the_others(self):
        gone, stays = self.watcher(), self.watcher()
        self.watch(gone, ["pintheon-port"])
        self.watch(stays, ["pintheon-port"])
        gone.close()
        self.hvym("pintheon-set-port", "4100")
        stays.until("pintheon-port", 4100)
        self.assertIsNone(self.proc.poll())

    def test_a_client_that_stops_reading_holds_up_no_one_and_is_closed_whole(self):
        # A watches a big value on 16 watches and reads nothing; its socket
        # fills. Then it asks for a 17th watch (answered with an error that
        # cannot be sent). B, meanwhile, must hear every change at once, and
        # A's connection ends after the send timeout (10 s) with whole lines
        # only: never a line cut in half.
        big = "t" * 60000
        a = socket.socket(socket.AF_UNIX)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        a.connect(self.sock)
        self.addCleanup(a.close)
        for n in range(16):
            a.sendall(json.dumps({"jsonrpc": "2.0", "id": n, "method": "watch",
                                  "params": {"topics": ["pinggy-token"]}}).encode() + b"\n")
        b = self.watcher()
        self.watch(b, ["pinggy-token", "pintheon-port"])
        for i in range(6):
            self.hvym("pinggy-set-token", "--stdin", stdin=(big + str(i) + "\n").encode())
            b.until("pinggy-token", big + str(i), seconds=5)
        a.sendall(b'{"jsonrpc": "2.0", "id": 99, "method": "watch", "params": {"topics": ["pinggy-token"]}}\n')
        self.hvym("pintheon-set-port", "4400")
        b.until("pintheon-port", 4400, seconds=5)  # no wait behind A (the hub never waits on A)
        # The server gives A up once a send has waited 10 s (B and C stay).
        c = self.watcher()
        self.assertTrue(wait_for(lambda: c.call("hello", {"protocol": 1})["result"]["connections"] == 2, 40))
        data = b""
        a.settimeout(10)
        while True:
            chunk = a.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        # Every whole line is a message; the last may be cut (the stream
        # ended there: a client drops it and watches afresh).
        lines = data.split(b"\n")
        for line in lines[:-1]:
            json.loads(line)

    def test_a_hung_probe_delays_only_its_own_topic(self):
        hung = Silent()
        self.addCleanup(hung.close)
        self.hvym("config", "set", "pinggy_debugger_port", str(hung.getsockname()[1]))
        a, b = self.watcher(), self.watcher()
        self.watch(a, ["is-pintheon-tunnel-open"])
        self.watch(b, ["pinggy-token"])
        self.hvym("pinggy-set-token", "tok-hung")
        start = time.monotonic()
        b.until("pinggy-token", "tok-hung", seconds=5)
        # Told before the tunnel's probe could end (it waits out its 1 s
        # bound on the silent port): the store's answers go first.
        self.assertLess(time.monotonic() - start, 0.9)

    def test_an_idle_server_with_watchers_sleeps(self):
        watchers = [self.watcher() for _ in range(5)]
        for c in watchers:
            self.watch(c, ["pintheon-port", "pinggy-token", "docker-installed", "is-pintheon-tunnel-open"])
        # Settled: every thread asleep. Nothing may wake for the next 1.5 s
        # (a timer of any period under that would show as a switch).
        time.sleep(0.3)
        before = switches(self.proc.pid)
        time.sleep(1.5)
        self.assertEqual(switches(self.proc.pid), before, "a thread of the idle server woke")
        # ... and it still answers the next change.
        self.hvym("pintheon-set-port", "4200")
        for c in watchers:
            c.until("pintheon-port", 4200)


class Tunnel(Watching):
    def setUp(self):
        super().setUp()
        pinggy_dir = os.path.join(self.home, ".local/share/pinggy")
        os.makedirs(pinggy_dir)
        shutil.copy(os.path.join(HERE, "fake_pinggy.py"), os.path.join(pinggy_dir, "pinggy"))
        os.chmod(os.path.join(pinggy_dir, "pinggy"), 0o755)
        self.env = {**self.env, "DISPLAY": ""}
        self.port = free_port()
        self.hvym("config", "set", "pinggy_debugger_port", str(self.port))
        self.hvym("pinggy-set-token", "tok")
        self.start()
        self.addCleanup(lambda: self.hvym("pintheon-tunnel-close"))

    def test_the_tunnel_opening_and_its_process_dying_are_seen(self):
        c = self.watcher()
        first = self.watch(c, ["is-pintheon-tunnel-open"])
        self.assertFalse(first["values"]["is-pintheon-tunnel-open"]["value"])
        self.assertEqual(first["sources"]["tunnel"], "probing")
        out = self.hvym("pintheon-tunnel-open").out.decode()
        pid = int(out.split("pid ")[1].split(")")[0])
        opened = c.until("is-pintheon-tunnel-open", True)[-1]
        self.assertEqual(opened["sources"]["tunnel"], "live")
        os.kill(pid, signal.SIGKILL)
        closed = c.until("is-pintheon-tunnel-open", False)[-1]
        self.assertEqual(closed["sources"]["tunnel"], "probing")


class WithEngine(Watching):
    """A real engine: podman's API service on a socket of this test's, with
    a tiny image to tag as the Pintheon image."""

    def setUp(self):
        super().setUp()
        self.engine_dir = tempfile.mkdtemp(dir="/tmp", prefix="hvym-watch-engine-")
        self.addCleanup(shutil.rmtree, self.engine_dir, True)
        self.engine_sock = os.path.join(self.engine_dir, "docker.sock")
        self.podman = self.engine()
        self.podman.import_image("tiny:1")
        self.ref = "metavinci/" + self.hvym("pintheon-dapp").out.decode().strip() + ":latest"

    def engine(self):
        p = Podman(self.engine_dir, "unix://" + self.engine_sock)
        self.addCleanup(p.reset)
        self.assertTrue(wait_for(lambda: connects(self.engine_sock)), "podman's API did not start")
        return p


@require(PODMAN, "podman")
class Engine(WithEngine):
    def setUp(self):
        super().setUp()
        self.env = {**self.env, "DOCKER_HOST": "unix://" + self.engine_sock}
        self.start()

    def test_images_and_the_container_changing(self):
        c = self.watcher()
        first = self.watch(c, ["pintheon-image-exists", "pintheon-container", "installation-stats"])
        self.assertFalse(first["values"]["pintheon-image-exists"]["value"])
        self.assertEqual(first["values"]["pintheon-container"]["stdout"], "absent\n")
        self.podman.podman("tag", "tiny:1", self.ref)
        got = c.until("pintheon-image-exists", True)[-1]
        self.assertTrue(got["values"]["installation-stats"]["value"]["pintheon_image_exists"])
        self.assertEqual(got["sources"]["engine"], "live")
        self.podman.podman("create", "--name", "pintheon", "tiny:1")
        c.until("pintheon-container", "created")
        self.podman.podman("rm", "pintheon")
        c.until("pintheon-container", "absent")
        self.podman.podman("rmi", self.ref)
        c.until("pintheon-image-exists", False)

    def test_the_engine_stopped_and_started_again(self):
        self.podman.podman("tag", "tiny:1", self.ref)
        c = self.watcher()
        first = self.watch(c, ["pintheon-image-exists", "pintheon-container"])
        self.assertTrue(first["values"]["pintheon-image-exists"]["value"])
        self.podman.stop()
        down = c.until("pintheon-image-exists", False)
        self.assertEqual(down[-1]["values"]["pintheon-container"]["value"], "unreachable")
        self.podman = self.engine()
        up = c.until("pintheon-image-exists", True)
        self.assertEqual(up[-1]["values"]["pintheon-container"]["value"], "absent")
        self.assertTrue(wait_for(lambda: c.call("hello", {"protocol": 1}) is not None))

    def test_an_idle_server_following_the_engine_sleeps(self):
        watchers = [self.watcher() for _ in range(5)]
        for c in watchers:
            c.live(self.watch(c, ["pintheon-image-exists", "pintheon-container", "installation-stats",
                                  "docker-installed", "pinggy-token"]))
        time.sleep(0.3)
        before = switches(self.proc.pid)
        time.sleep(1.5)
        self.assertEqual(switches(self.proc.pid), before, "a thread of the idle server woke")
        self.podman.podman("tag", "tiny:1", self.ref)
        for c in watchers:
            c.until("pintheon-image-exists", True)

    def test_a_probe_through_serve_answers_from_the_stream(self):
        # Once live, a poll answers from what serve knows: the engine is
        # stopped (SIGSTOP: its socket still accepts, nothing answers) and
        # the answer still comes at once, and right.
        self.podman.podman("tag", "tiny:1", self.ref)
        c = self.watcher()
        c.live(self.watch(c, ["pintheon-image-exists"]))
        os.kill(self.podman.proc.pid, signal.SIGSTOP)
        try:
            r = c.call("run", {"cmd": "pintheon-image-exists"})["result"]
            self.assertEqual(r["stdout"], "True\n")
            self.assertEqual(r["stderr"], "")  # asked, the engine would have run out its 1 s bound
        finally:
            os.kill(self.podman.proc.pid, signal.SIGCONT)



@require(PODMAN, "podman")
class Hostile(WithEngine):
    """The engine's event stream cut, stalled, flooded or garbled between
    the engine and serve (tests/cli/engine_proxy.py): answers stay right,
    serve stays bounded."""

    def setUp(self):
        super().setUp()
        self.proxy_sock = os.path.join(self.engine_dir, "proxy.sock")
        self.proxy = EngineProxy(self.proxy_sock, self.engine_sock)
        self.addCleanup(self.proxy.close)
        self.env = {**self.env, "DOCKER_HOST": "unix://" + self.proxy_sock, "HVYM_WATCH_VERIFY_MS": "1000"}
        self.start()
        self.c = self.watcher()
        self.c.live(self.watch(self.c, ["pintheon-image-exists", "pintheon-container"]))
        self.assertTrue(self.proxy.wait_streams(1))

    def poll(self):
        return self.c.call("run", {"cmd": "pintheon-image-exists"})["result"]["value"]

    def test_a_cut_stream_is_followed_again(self):
        self.proxy.cut()
        self.assertTrue(wait_for(lambda: self.proxy.count_events_requests() >= 2))  # asked again
        self.podman.podman("tag", "tiny:1", self.ref)
        self.c.until("pintheon-image-exists", True)
        self.assertTrue(self.poll())

    def test_while_no_stream_can_be_had_answers_come_from_the_engine(self):
        self.proxy.cut(hold=True)
        self.podman.podman("tag", "tiny:1", self.ref)
        self.assertTrue(self.poll())  # asked, not remembered
        self.c.until("pintheon-image-exists", True)  # the slow re-probe
        self.podman.podman("rmi", self.ref)
        self.assertFalse(self.poll())
        self.proxy.resume()
        self.c.until("pintheon-image-exists", False)
        self.c.live()

    def test_a_stalled_stream_does_not_freeze_the_answers(self):
        self.proxy.stall()
        self.podman.podman("tag", "tiny:1", self.ref)
        self.c.until("pintheon-image-exists", True)
        self.assertTrue(self.poll())
        self.podman.podman("rmi", self.ref)
        self.c.until("pintheon-image-exists", False)
        self.assertFalse(self.poll())

    def test_a_flood_is_bounded(self):
        before = self.proxy.count()
        rss = rss_kib(self.proc.pid)
        sent = self.proxy.flood(10000, 1.0)
        self.assertGreater(sent, 9000)
        self.podman.podman("tag", "tiny:1", self.ref)
        self.c.until("pintheon-image-exists", True)
        self.assertTrue(self.poll())
        # Once questions find nothing changed, at most one per 100 ms (and a
        # few for the change): nowhere near one per event.
        self.assertLess(self.proxy.count() - before, 40)
        self.assertLess(rss_kib(self.proc.pid) - rss, 8 * 1024)

    def test_garbage_drops_the_stream_and_answers_stay_right(self):
        for n, raw in enumerate((False, True)):
            self.assertGreaterEqual(self.proxy.garbage(raw=raw), 1)
            self.assertTrue(wait_for(lambda: self.proxy.count_events_requests() >= n + 2))
            self.assertTrue(self.proxy.wait_streams(1))
        self.podman.podman("tag", "tiny:1", self.ref)
        self.c.until("pintheon-image-exists", True)
        self.assertTrue(self.poll())
        # Reconnections were a few, not a loop.
        self.assertLess(self.proxy.count_events_requests(), 10)


if __name__ == "__main__":
    unittest.main()
