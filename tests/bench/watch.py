#!/usr/bin/env python3
"""scripts/bench --watch: hvym serve's watches against real parts, measured
from outside (a benchmark, never a timed test).

  watch.py HVYM [--count N] [--kinds K=N,...] [--clients C] [--polls P]
           [--idle SECONDS] [--hostile MODE,...] [--parts PART,...]

Sets up podman's API service with storage of its own (able to run a
container here: realparts.RUNNABLE), tests/cli/engine_proxy.py in front of it
(counting every request and breaking the event stream on command), a HOME of
its own (store, pinggy stand-in), and `hvym serve --socket S` with
DOCKER_HOST at the proxy. C raw-socket clients (default 20; JSON-RPC lines
written and read here, not through hvym_client) each `hello` then `watch`
the topics in TOPICS.

Parts (all by default):
- changes: for each kind, N changes (--count sets the cheap kinds' N,
  --kinds any kind's), one at a time: the next starts when every client has
  seen the last or 5 s passed. Per kind: latency from the change to each
  client's `changed` carrying the new value, p50/p99/max; missed,
  duplicated (a value equal to what the watch was last told), spurious (a
  value that is not the change made), seq gaps, and notifications that only
  changed `sources`. Kinds:
    image      tag / untag of Pintheon's image (metavinci/DAPP:latest) on a
               tiny image, through the engine's API (as `podman tag` and
               `podman image rm` do), alternately; from the engine's event
               leaving the proxy (the change is then visible), also shown
               from the API call's start
    container  start / stop (t=0) of the container `pintheon` (the tiny
               image runs a static program that sleeps), alternately; same
    port       `hvym pintheon-set-port P` as another process; from its exit
    tunnel     SIGKILL of the recorded tunnel stand-in (a static program
               named pinggy serving 200 on pinggy_debugger_port, recorded
               as tunnel_pid/tunnel_status running); from the kill. Each is
               started and recorded first ("tunnel-open": the store commit
               that records it, from `hvym batch`'s exit)
    engine     the engine's service stopped (its socket gone) and started
               again (its socket back): one restart is two changes; from
               the socket going / coming back
  Budget: p99 <= 100 ms; none missed, duplicated or spurious; no seq gap.
- poll: one more raw client `run`s each of the five frequent questions
  (docker-installed, pintheon-image-exists, installation-stats,
  is-pintheon-tunnel-open, pinggy-token) P times (default 2000) and `batch`es
  all five P times, the engine live and nothing changing: p50 each (budget
  <= 0.3 ms) and requests that reached the engine's socket (budget 0).
- idle: serve with the C watchers and nothing changing for SECONDS (default
  60): its CPU (utime+stime from /proc/PID/stat; budget 0 ticks), context
  switches of its threads (reported) and VmRSS (budget < 10 MiB).
- hostile: for each MODE (default cut,refuse,stall,flood,garbage,rawgarbage)
  the proxy breaks the event stream (cut: closed once; refuse: closed, and
  every new one until it ends; stall: open and silent; flood: 10,000 events
  of other images and containers in 1 s; garbage: a chunk that is not JSON;
  rawgarbage: bytes that break the chunked framing), then the image is
  tagged or untagged. Reported: how many streams the mode reached and how
  many connected since, when `run pintheon-image-exists` first gives the new
  answer (from the API call's start: podman's own delay included) and how
  many wrong answers came before, when every watcher has it, any spurious
  value, the slowest poll meanwhile, serve's VmRSS and VmHWM. Budgets: the
  poll right within 1 s and every watcher within 6 s (the server asks the
  engine every 5 s while the stream is down), stall within 130 s (the
  2-minute silence check); the slowest poll under 2 s; VmHWM under 16 MiB.
  Then the proxy forwards again: the stream was kept, or a new one came
  (when, from the resume).
With --docker-like the proxy answers 404 to podman's own API (/libpod/...),
as Docker's engine would: serve then cannot follow podman's storage folders
and learns of changes from the event stream alone (podman's file event
logger delivers them about 200 ms late), and a stalled stream is found only
by the 2-minute check (--verify-ms shortens it: HVYM_WATCH_VERIFY_MS).
Exits 1 when a budget is broken."""
import argparse
import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
from engine_proxy import EngineProxy  # noqa: E402
from realparts import RUNNABLE, RUNNABLE_CREATE, Podman, connects, free_port, switches, wait_for  # noqa: E402

TOPICS = ["docker-installed", "pintheon-image-exists", "installation-stats", "is-pintheon-tunnel-open",
          "pinggy-token", "pintheon-port", "pintheon-container", "pintheon-network", "pinggy-tier",
          "pintheon-dapp"]
FIVE = ["docker-installed", "pintheon-image-exists", "installation-stats", "is-pintheon-tunnel-open",
        "pinggy-token"]
TICK = os.sysconf("SC_CLK_TCK")
BASE_IMAGE = "docker.io/tiny/base:latest"
LATENCY_BUDGET_MS = 100
POLL_BUDGET_MS = 0.3
RSS_BUDGET_KIB = 10 * 1024
HOSTILE_RSS_BUDGET_KIB = 16 * 1024
DEFAULT_KINDS = {"image": None, "container": None, "port": None, "tunnel": None, "engine": 50}


def now():
    return time.perf_counter()


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))]


# --- the engine's API, straight to podman (not counted by the proxy) -------------
def api(sock_path, method, path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    status = int(out.split(b" ", 2)[1])
    return status, out


# --- /proc ------------------------------------------------------------------------
def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def per_thread(pid):
    """tid -> (name, context switches)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            n = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
            out[tid] = (name, n)
        except OSError:
            pass
    return out


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


# --- raw clients ------------------------------------------------------------------
class Client:
    """One connection; lines read by Hub's thread, timestamped at recv."""

    def __init__(self, path, index):
        self.index = index
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.answers = {}  # id -> (time, message)
        self.cond = threading.Condition()
        self.watch = None
        self.seq = None
        self.told = {}  # topic -> result last told
        self.sources = None
        self.log = []  # (time, topic, result) of each value told after the watch
        self.gaps = 0
        self.duplicates = []
        self.source_only = 0
        self.notifications = 0
        self.other = []  # messages that are none of the above

    def send(self, method, params):
        with self.cond:
            i = self.next_id
            self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n"
        self.sock.sendall(line.encode())
        return i

    def wait(self, i, seconds=30):
        end = time.monotonic() + seconds
        with self.cond:
            while i not in self.answers:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"client {self.index}: no answer to request {i}")
                self.cond.wait(left)
            return self.answers.pop(i)

    def call(self, method, params, seconds=30):
        t, msg = self.wait(self.send(method, params), seconds)
        if "error" in msg:
            raise RuntimeError(f"{method} {params}: {msg['error']}")
        return msg["result"]

    def feed(self, t, data, on_value):
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "id" in msg and ("result" in msg or "error" in msg):
                with self.cond:
                    self.answers[msg["id"]] = (t, msg)
                    self.cond.notify_all()
            elif msg.get("method") == "changed":
                p = msg["params"]
                with self.cond:
                    self.notifications += 1
                    if p["watch"] != self.watch:
                        self.other.append(msg)
                        continue
                    if self.seq is not None and p["seq"] != self.seq + 1:
                        self.gaps += 1
                    self.seq = p["seq"]
                    self.sources = p.get("sources")
                    if not p["values"]:
                        self.source_only += 1
                    for topic, result in p["values"].items():
                        if self.told.get(topic) == result:
                            self.duplicates.append((t, topic, result))
                        self.told[topic] = result
                        self.log.append((t, topic, result))
                        on_value(self, t, topic, result)
                    self.cond.notify_all()
            else:
                with self.cond:
                    self.other.append(msg)


class Hub:
    """Reads every client's socket on one thread."""

    def __init__(self):
        self.clients = {}
        self.on_value = lambda c, t, topic, result: None
        self.r, self.w = os.pipe()
        self.poller = select.epoll()
        self.poller.register(self.r, select.EPOLLIN)
        self.lock = threading.Lock()
        self.closed = set()
        threading.Thread(target=self._run, daemon=True).start()

    def add(self, client):
        with self.lock:
            self.clients[client.sock.fileno()] = client
        self.poller.register(client.sock.fileno(), select.EPOLLIN)

    def _run(self):
        while True:
            for fd, _ in self.poller.poll():
                t = now()
                if fd == self.r:
                    return
                c = self.clients[fd]
                try:
                    data = c.sock.recv(1 << 20)
                except OSError:
                    data = b""
                if not data:
                    self.poller.unregister(fd)
                    self.closed.add(c.index)
                    continue
                c.feed(t, data, self.on_value)

    def stop(self):
        os.write(self.w, b"x")


# --- the setup ----------------------------------------------------------------------
class Setup:
    def __init__(self, hvym, root, log, serve_args=(), serve_env=None):
        self.hvym_bin = hvym
        self.root = root
        self.log = log
        self.home = os.path.join(root, "home")
        run_dir = os.path.join(root, "run")
        os.makedirs(self.home)
        os.mkdir(run_dir, 0o700)
        self.engine_root = os.path.join(root, "engine")
        self.upstream = os.path.join(self.engine_root, "docker.sock")
        self.proxy_path = os.path.join(root, "proxy.sock")
        self.env = {"HOME": self.home, "XDG_RUNTIME_DIR": run_dir, "LANG": "C.UTF-8",
                    "PATH": "/usr/local/bin:/usr/bin:/bin", "DOCKER_HOST": "unix://" + self.proxy_path}
        self.engine = self.proxy = self.serve = self.tunnel = None
        try:
            self._set_up(hvym, root, serve_args, serve_env)
        except BaseException:
            self.close()  # nothing of it left running
            raise

    def _set_up(self, hvym, root, serve_args, serve_env):
        self.standin = os.path.join(root, "standin")
        subprocess.run(["cc", "-O2", "-static", "-o", self.standin, os.path.join(HERE, "standin.c")], check=True)
        self.start_engine()
        self.proxy = EngineProxy(self.proxy_path, self.upstream)
        self.proxy.keep_event_times = True
        # The tiny image runs the stand-in (it sleeps); the container Pintheon's.
        tree = os.path.join(root, "tree")
        os.makedirs(tree)
        shutil.copy(self.standin, os.path.join(tree, "standin"))
        subprocess.run(["tar", "-C", tree, "-cf", os.path.join(root, "tiny.tar"), "."], check=True)
        self.engine.podman("import", "--change", 'CMD ["/standin"]', os.path.join(root, "tiny.tar"), BASE_IMAGE)
        self.dapp = "docker.io/metavinci/" + self.hvym("pintheon-dapp").strip() + ":latest"
        self.engine.podman("create", "--name", "pintheon", *RUNNABLE_CREATE, BASE_IMAGE)
        # The store: a token, a debugger port; pinggy's stand-in where hvym looks.
        pinggy_dir = os.path.join(self.home, ".local", "share", "pinggy")
        os.makedirs(pinggy_dir)
        self.pinggy = os.path.join(pinggy_dir, "pinggy")
        shutil.copy(self.standin, self.pinggy)
        self.dport = free_port()
        self.hvym("batch", "pinggy-set-token tok-0123456789abcdef", "pintheon-set-port 20000",
                  f"config set pinggy_debugger_port {self.dport}")
        self.sock = os.path.join(root, "hvym.sock")
        self.serve = subprocess.Popen([hvym, "serve", "--socket", self.sock, *serve_args], env={**self.env, **(serve_env or {})},
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, "serve.log"), "wb"))
        if not wait_for(lambda: connects(self.sock), 10):
            raise RuntimeError("hvym serve did not listen")

    def hvym(self, *args):
        p = subprocess.run([self.hvym_bin, *args], env=self.env, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"hvym {' '.join(args)}: {p.stderr.decode()}")
        return p.stdout.decode()

    def start_engine(self):
        self.engine = Podman(self.engine_root, "unix://" + self.upstream, wrap=RUNNABLE)
        if not wait_for(lambda: connects(self.upstream), 30):
            raise RuntimeError("podman's service did not start")

    def stop_engine(self):
        self.engine.stop()

    def close(self):
        if self.serve and self.serve.poll() is None:
            self.serve.terminate()
            try:
                self.serve.wait(10)
            except subprocess.TimeoutExpired:
                self.serve.kill()
        if self.tunnel and self.tunnel.poll() is None:
            self.tunnel.kill()
            self.tunnel.wait()
        if self.proxy:
            self.proxy.close()
        if self.engine:
            self.engine.reset()


# --- the changes ----------------------------------------------------------------------
def image_value(exists):
    return {"pintheon-image-exists": lambda v: v is exists,
            "installation-stats": lambda v: isinstance(v, dict) and v.get("pintheon_image_exists") is exists}


class Bench:
    def __init__(self, setup, clients, hub, log):
        self.s = setup
        self.clients = clients
        self.hub = hub
        self.log = log
        self.lock = threading.Lock()
        self.expect = {}  # topic -> predicate, for the change in progress
        self.arrivals = {}  # (client index, topic) -> time
        self.spurious = []  # (kind, client, topic, result)
        self.passing = {}  # topic -> values the engine passes through on the way (podman's "stopping")
        self.intermediate = []  # (kind, client, topic, value) of those told
        self.kind = None
        self.t0 = now()
        self.no_event = 0  # changes whose engine event never went through the proxy
        hub.on_value = self.on_value

    def on_value(self, client, t, topic, result):
        with self.lock:
            pred = self.expect.get(topic)
            value = result.get("value")
            if pred is not None and pred(value):
                self.arrivals.setdefault((client.index, topic), t)
            elif pred is not None and (client.index, topic) not in self.arrivals \
                    and value in self.passing.get(topic, ()):
                self.intermediate.append((self.kind, client.index, topic, value))
            else:
                self.spurious.append((self.kind, client.index, topic, result))

    def current(self, topic):
        """What every client was last told of topic (they agree, or None)."""
        vals = {json.dumps(c.told.get(topic, {}).get("value"), sort_keys=True) for c in self.clients}
        return json.loads(vals.pop()) if len(vals) == 1 else None

    def change(self, kind, expect, act, seconds=5.0):
        """Runs act() (which returns (t_done, t_issue, needle): the change
        made, started, and what its engine event holds, or None) with
        `expect` set; waits until every client has every expected topic.
        Returns a row: latencies from t_done and t_issue per client, the
        arrivals, missed; the event's time is found later (resolve_events):
        podman's file event logger delivers events about 200 ms late."""
        with self.lock:
            self.kind = kind
            self.expect = dict(expect)
            self.arrivals = {}
        t_from, t_issue, needle = act()
        want = len(self.clients) * len(expect)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with self.lock:
                if len(self.arrivals) >= want:
                    break
            time.sleep(0.0005)
        with self.lock:
            arrivals = dict(self.arrivals)
            self.expect = {}
        lat, lat_issue, arr, missed = [], [], [], 0
        for c in self.clients:
            ts = [arrivals.get((c.index, topic)) for topic in expect]
            if any(x is None for x in ts):
                missed += 1
                continue
            lat.append((max(ts) - t_from) * 1e3)
            lat_issue.append((max(ts) - t_issue) * 1e3)
            arr.append(max(ts))
        return {"lat": lat, "lat_issue": lat_issue, "arr": arr, "t_issue": t_issue, "needle": needle,
                "lat_event": [], "missed": missed, "t": t_issue - self.t0}

    def resolve_events(self, rows):
        """Each row's engine event: in order, the first through the proxy
        after its start and after the last row's that holds its needle
        (podman's come in order, late)."""
        rows = [r for r in rows if r["needle"]]
        if not rows:
            return
        time.sleep(0.5)
        events = list(self.s.proxy.event_times)
        k = 0
        for r in rows:
            j = next((j for j in range(k, len(events))
                      if events[j][0] >= r["t_issue"] and r["needle"] in events[j][1]), None)
            if j is None:
                self.no_event += 1
                continue
            k = j + 1
            r["lat_event"] = [(a - events[j][0]) * 1e3 for a in r["arr"]]

    def settle(self, seconds=0.3):
        """Lets stragglers arrive between kinds (they count as spurious:
        nothing is expected)."""
        time.sleep(seconds)

    # Each kind: a generator of (name, expect, act).
    def image_changes(self, n):
        dapp = self.s.dapp
        repo, tag = dapp.rsplit(":", 1)
        exists = self.current("pintheon-image-exists")
        for i in range(n):
            want = not exists

            def act(want=want):
                t0 = now()
                if want:
                    st, out = api(self.s.upstream, "POST", f"/images/{BASE_IMAGE}/tag?repo={repo}&tag={tag}")
                else:
                    st, out = api(self.s.upstream, "DELETE", f"/images/{dapp}")
                if st >= 300:
                    raise RuntimeError(f"image change: {out[-300:]}")
                return now(), t0, b'"Action":"tag"' if want else b'"Action":"untag"'
            yield ("tag" if want else "untag"), image_value(want), act
            exists = want

    def container_changes(self, n):
        state = self.current("pintheon-container")
        for i in range(n):
            start = state != "running"

            def act(start=start):
                t0 = now()
                st, out = api(self.s.upstream, "POST",
                              "/containers/pintheon/start" if start else "/containers/pintheon/stop?t=0")
                if st >= 300 and st != 304:
                    raise RuntimeError(f"container change: {out[-300:]}")
                return now(), t0, b'"Action":"start"' if start else b'"Action":"die"'
            want = "running" if start else "exited"
            self.passing = {"pintheon-container": () if start else ("stopping", "stopped")}
            yield ("start" if start else "stop"), {"pintheon-container": lambda v, w=want: v == w}, act
            self.passing = {}
            state = want

    def port_changes(self, n):
        base = self.current("pintheon-port")
        for i in range(n):
            port = 20001 if base != 20001 else 20002

            def act(port=port):
                t0 = now()
                p = subprocess.run([self.s.hvym_bin, "pintheon-set-port", str(port)], env=self.s.env,
                                   capture_output=True)
                t1 = now()
                if p.returncode != 0:
                    raise RuntimeError(p.stderr.decode())
                return t1, t0, None
            yield "set-port", {"pintheon-port": lambda v, w=port: v == w}, act
            base = port

    def tunnel_changes(self, n):
        """Pairs: open (recorded), then kill; only kills are the kind's."""
        for i in range(n):
            def open_(i=i):
                t0 = now()
                self.s.tunnel = subprocess.Popen([self.s.pinggy, f"-L{self.s.dport}:localhost:4300"])
                end = time.monotonic() + 5
                while not self.answers(self.s.dport):
                    if time.monotonic() > end:
                        raise RuntimeError("the tunnel stand-in did not listen")
                    time.sleep(0.002)
                t1 = now()
                p = subprocess.run([self.s.hvym_bin, "batch", "config set tunnel_status running",
                                    f"config set tunnel_pid {self.s.tunnel.pid}"],
                                   env=self.s.env, capture_output=True)
                t2 = now()
                if p.returncode != 0:
                    raise RuntimeError(p.stdout.decode() + p.stderr.decode())
                return t2, t1, None

            def kill():
                t0 = now()
                self.s.tunnel.kill()
                self.s.tunnel.wait()
                return t0, t0, None
            yield "tunnel-open", {"is-pintheon-tunnel-open": lambda v: v is True}, open_
            yield "kill", {"is-pintheon-tunnel-open": lambda v: v is False}, kill

    @staticmethod
    def answers(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    def engine_changes(self, n):
        exists = self.current("pintheon-image-exists")
        state = self.current("pintheon-container")
        for i in range(n):
            def stop():
                t0 = now()
                self.s.stop_engine()
                self.s.proxy.down()
                return now(), t0, None

            def start():
                t0 = now()
                self.s.start_engine()
                self.s.proxy.up()
                return now(), t0, None
            down = {"pintheon-container": lambda v: v == "unreachable"}
            up = {"pintheon-container": lambda v, w=state: v == w}
            if exists:
                down.update(image_value(False))
                up.update(image_value(True))
            yield "stop", down, stop
            yield "start", up, start


def report_kind(name, rows, budget_ms=LATENCY_BUDGET_MS, budgeted=True):
    """rows: Bench.change's, one per change."""
    lat = [x for r in rows for x in r["lat"]]
    lat_issue = [x for r in rows for x in r["lat_issue"]]
    lat_event = [x for r in rows for x in r["lat_event"]]
    missed = sum(r["missed"] for r in rows)
    ev = f"{pct(lat_event, 50):>8.2f} {pct(lat_event, 99):>8.2f}" if lat_event else f"{'-':>8} {'-':>8}"
    line = (f"  {name:<22} {len(rows):>5} {pct(lat, 50):>8.2f} {pct(lat, 99):>8.2f} {max(lat or [float('nan')]):>8.2f}"
            f"   {pct(lat_issue, 50):>8.2f} {pct(lat_issue, 99):>8.2f}   {ev} {missed:>6}")
    over = budgeted and (missed > 0 or not lat or pct(lat, 99) > budget_ms)
    print(line + ("  OVER BUDGET" if over else ""))
    slow = [r for r in rows if r["lat"] and max(r["lat"]) > budget_ms]
    for r in slow[:3]:
        late = sum(1 for x in r["lat"] if x > budget_ms)
        print(f"    over {budget_ms} ms: the change at {r['t']:.3f} s: {late} of {len(r['lat'])} clients late, "
              f"{min(r['lat']):.1f} to {max(r['lat']):.1f} ms")
    if len(slow) > 3:
        print(f"    ... {len(slow)} changes over {budget_ms} ms in all")
    return over


def run_changes(bench, kinds, log):
    failed = False
    print(f"\nchanges: one at a time, each to {len(bench.clients)} watching clients; latency in ms "
          f"(budget p99 <= {LATENCY_BUDGET_MS} ms, none missed)")
    print(f"  {'kind':<22} {'count':>5} {'p50':>8} {'p99':>8} {'max':>8}   "
          f"{'p50 st':>8} {'p99 st':>8}   {'p50 ev':>8} {'p99 ev':>8} {'missed':>6}")
    spurious_before = 0
    for kind, n in kinds.items():
        if n <= 0:
            continue
        gen = getattr(bench, kind + "_changes")(n)
        bench.s.proxy.event_times.clear()
        rows = {}
        start = time.monotonic()
        for name, expect, act in gen:
            label = {"tunnel-open": "tunnel open (recorded)", "kill": "tunnel killed"}.get(name, f"{kind} {name}")
            rows.setdefault(label, []).append(bench.change(kind, expect, act,
                                                           seconds=15 if kind == "engine" else 5))
        bench.settle()
        bench.resolve_events(sorted((r for rs in rows.values() for r in rs), key=lambda r: r["t_issue"]))
        for label, r in rows.items():
            failed |= report_kind(label, r)
        with bench.lock:
            sp = bench.spurious[spurious_before:]
            spurious_before = len(bench.spurious)
            inter = bench.intermediate
            bench.intermediate = []
        if inter:
            words = sorted({str(x[3]) for x in inter})
            print(f"    {len(inter)} values the engine passed through on the way told (not counted spurious): "
                  + ", ".join(words))
        if bench.no_event:
            print(f"    {bench.no_event} changes' engine events did not go through the proxy")
            bench.no_event = 0
        if sp:
            failed = True
            print(f"    {len(sp)} spurious values, e.g. client {sp[0][1]} {sp[0][2]} = {json.dumps(sp[0][3])[:300]}")
        log(f"{kind}: {time.monotonic() - start:.1f} s")
    print("  (p50/p99/max from the change made: the engine API call's return (image, container), the setter's\n"
          "  exit, the kill, the recording batch's exit, the engine's socket gone / back; negative: told before;\n"
          "  st: from the change's start; ev: from the engine's event leaving the proxy)")
    dup = sum(len(c.duplicates) for c in bench.clients)
    gaps = sum(c.gaps for c in bench.clients)
    src = sum(c.source_only for c in bench.clients)
    other = sum(len(c.other) for c in bench.clients)
    closed = len(bench.hub.closed)
    print(f"  all kinds: duplicated {dup}, spurious {len(bench.spurious)}, seq gaps {gaps}, "
          f"notifications with only sources changed {src}, other messages {other}, connections closed {closed}")
    if dup:
        c = next(c for c in bench.clients if c.duplicates)
        print(f"    e.g. client {c.index}: {json.dumps(c.duplicates[0][1:])[:300]}")
    if other:
        c = next(c for c in bench.clients if c.other)
        print(f"    e.g. client {c.index}: {json.dumps(c.other[0])[:300]}")
    return failed or dup > 0 or gaps > 0 or closed > 0 or other > 0


def run_poll(s, polls):
    c = Client(s.sock, -1)
    hub = Hub()
    hub.add(c)
    c.call("hello", {"protocol": 1, "client": "watch-bench-poll"})
    failed = False

    def timed(method, params):
        t0 = now()
        t, msg = c.wait(c.send(method, params))
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return (t - t0) * 1e3, msg["result"]

    for _ in range(200):  # warm up
        for q in FIVE:
            timed("run", {"cmd": q})
    count0 = s.proxy.count()
    print(f"\npoll: {polls} of each through serve, the engine live and nothing changing "
          f"(budget p50 <= {POLL_BUDGET_MS} ms; no request at the engine)")
    answers = {}
    for q in FIVE:
        times = []
        for _ in range(polls):
            ms, r = timed("run", {"cmd": q})
            times.append(ms)
        answers[q] = r["stdout"].strip().replace("\n", " ")
        over = pct(times, 50) > POLL_BUDGET_MS
        failed |= over
        print(f"  run {q:<26} p50 {pct(times, 50):6.3f} ms  p99 {pct(times, 99):6.3f} ms"
              + ("  OVER BUDGET" if over else ""))
    times = []
    for _ in range(polls):
        ms, r = timed("batch", {"requests": [[q] for q in FIVE]})
        times.append(ms)
    over = pct(times, 50) > POLL_BUDGET_MS
    failed |= over
    print(f"  batch of the five              p50 {pct(times, 50):6.3f} ms  p99 {pct(times, 99):6.3f} ms"
          + ("  OVER BUDGET" if over else ""))
    reached = s.proxy.count() - count0
    failed |= reached != 0
    print(f"  requests that reached the engine: {reached}" + ("  OVER BUDGET" if reached else ""))
    print("  answers: " + "; ".join(f"{q}={a[:60]}" for q, a in answers.items()))
    hub.stop()
    c.sock.close()
    return failed


def run_idle(s, seconds):
    pid = s.serve.pid
    time.sleep(1)
    t0, sw0, th0 = cpu_ticks(pid), switches(pid), per_thread(pid)
    count0 = s.proxy.count()
    time.sleep(seconds)
    ticks, sw, th1 = cpu_ticks(pid) - t0, switches(pid) - sw0, per_thread(pid)
    rss, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
    reached = s.proxy.count() - count0
    over_cpu, over_rss = ticks > 0, rss >= RSS_BUDGET_KIB
    print(f"\nidle: serve with its watchers, nothing changing, {seconds} s")
    print(f"  CPU {ticks} ticks ({ticks * 1000 // TICK} ms; budget 0)" + ("  OVER BUDGET" if over_cpu else ""))
    print(f"  context switches of its {threads(pid)} threads: {sw}; requests at the engine: {reached}")
    woke = sorted(((n - th0.get(tid, (name, 0))[1], tid, name) for tid, (name, n) in th1.items()), reverse=True)
    woke = [w for w in woke if w[0] > 0]
    if woke:
        print("  threads that woke: " + ", ".join(f"{tid} ({'main' if tid == str(pid) else name}) {n}"
                                               for n, tid, name in woke[:6]))
    print(f"  VmRSS {rss} KiB (budget < {RSS_BUDGET_KIB} KiB), VmHWM {hwm} KiB" + ("  OVER BUDGET" if over_rss else ""))
    return over_cpu or over_rss


HOSTILE = {"cut": 1.0, "refuse": 1.0, "stall": 130.0, "flood": 1.0, "garbage": 1.0, "rawgarbage": 1.0}


def run_hostile(s, bench, modes, log):
    print("\nhostile: the event stream broken, then the image tagged or untagged "
          f"(budgets: poll right within 1 s, every watcher within 6 s; stall {HOSTILE['stall']:g} s; a poll under 2 s;"
          f" VmHWM < {HOSTILE_RSS_BUDGET_KIB} KiB)")
    c = Client(s.sock, -1)
    hub = Hub()
    hub.add(c)
    c.call("hello", {"protocol": 1, "client": "watch-bench-hostile"})
    failed = False
    pid = s.serve.pid
    for mode in modes:
        bound = HOSTILE[mode]
        watch_bound = 6.0 if mode != "stall" else HOSTILE["stall"]
        # A stream open for a moment: not one the server is about to replace.
        end = time.monotonic() + 15
        while time.monotonic() < end and not any(time.monotonic() - t > 0.3 for t in s.proxy.stream_starts()):
            time.sleep(0.01)
        if not s.proxy.stream_starts():
            print(f"  {mode}: no event stream open before it (serve did not follow the engine)")
            failed = True
        t_mode = time.monotonic()
        connects0 = s.proxy.count_events_requests()
        hit = None  # streams the mode reached
        spurious0 = len(bench.spurious)
        flood = None
        if mode == "cut":
            hit = s.proxy.cut()
        elif mode == "refuse":
            hit = s.proxy.cut(hold=True)
        elif mode == "stall":
            s.proxy.stall()
            hit = len(s.proxy.stream_starts())
        elif mode == "garbage":
            hit = s.proxy.garbage()
        elif mode == "rawgarbage":
            hit = s.proxy.garbage(raw=True)
        elif mode == "flood":
            flood_sent = []
            flood = threading.Thread(target=lambda: flood_sent.append(s.proxy.flood(10000, 1.0)))
            flood.start()
        time.sleep(0.5 if mode == "flood" else 0.2)
        exists = bench.current("pintheon-image-exists")
        want = not exists
        name, expect, act = next(bench.image_changes(1))
        with bench.lock:
            bench.kind = "hostile-" + mode
            bench.expect = dict(expect)
            bench.arrivals = {}
        t0 = now()
        if want:
            repo, tag = s.dapp.rsplit(":", 1)
            api(s.upstream, "POST", f"/images/{BASE_IMAGE}/tag?repo={repo}&tag={tag}")
        else:
            api(s.upstream, "DELETE", f"/images/{s.dapp}")
        t_poll = None
        slowest = 0.0
        wrong = 0
        end = time.monotonic() + max(bound, watch_bound) + 2
        everyone = None
        while time.monotonic() < end:
            t1 = now()
            tt, msg = c.wait(c.send("run", {"cmd": "pintheon-image-exists"}), 60)
            slowest = max(slowest, tt - t1)
            if msg.get("result", {}).get("value") is want:
                if t_poll is None:
                    t_poll = tt - t0
            else:
                wrong += 1
                t_poll = None  # right, then wrong again: counts from the last wrong one
            with bench.lock:
                if everyone is None and len(bench.arrivals) >= len(bench.clients) * len(expect):
                    everyone = max(bench.arrivals.values()) - t0
            if t_poll is not None and everyone is not None:
                break
            time.sleep(0.01)
        if flood:
            flood.join()
            hit = f"{flood_sent[0]} events into"
        with bench.lock:
            bench.expect = {}
        s.proxy.resume()
        t_res = time.monotonic()
        # The stream: kept through it (open since before), or a new one
        # (when, from the resume: negative, before it).
        back, t_back, kept = False, None, False
        end = t_res + 15
        while time.monotonic() < end:
            starts = s.proxy.stream_starts()
            new = [t for t in starts if t > t_mode]
            if new:
                back, t_back = True, min(new) - t_res
                break
            if starts and time.monotonic() - t_res > 1.0:
                back, kept = True, True
                break
            time.sleep(0.002)
        time.sleep(0.3)
        sp = bench.spurious[spurious0:]
        rss, hwm = status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM")
        over = (t_poll is None or t_poll > bound or everyone is None or everyone > watch_bound
                or slowest > 2.0 or hwm >= HOSTILE_RSS_BUDGET_KIB or sp or not back)
        failed |= bool(over)
        fmt = lambda x: "never" if x is None else f"{x * 1e3:.0f} ms"  # noqa: E731
        print(f"  {mode:<10} ({hit} stream(s); {s.proxy.count_events_requests() - connects0} connected since) poll right after {fmt(t_poll)} ({wrong} wrong answers), every watcher after "
              f"{fmt(everyone)}, slowest poll {slowest * 1e3:.1f} ms, spurious {len(sp)}, "
              f"VmRSS {rss} KiB, VmHWM {hwm} KiB; stream "
              + ("kept" if kept else f"new at {fmt(t_back)} from the resume" if back else "never back")
              + ("  OVER BUDGET" if over else ""))
        if sp:
            print(f"    e.g. client {sp[0][1]} {sp[0][2]} = {json.dumps(sp[0][3])[:300]}")
        log(f"hostile {mode} done")
    hub.stop()
    c.sock.close()
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hvym")
    ap.add_argument("--count", type=int, default=1000, help="changes of each kind but engine (50 restarts)")
    ap.add_argument("--kinds", default="", help="KIND=N,...: any kind's count (image, container, port, tunnel, engine)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--polls", type=int, default=2000)
    ap.add_argument("--idle", type=float, default=60)
    ap.add_argument("--hostile", default=",".join(HOSTILE))
    ap.add_argument("--parts", default="changes,poll,idle,hostile")
    ap.add_argument("--idle-exit", type=int, default=0,
                    help="serve's --idle-exit (as `hvym serve --ensure` starts it: 600)")
    ap.add_argument("--docker-like", action="store_true",
                    help="the proxy answers 404 to podman's own API (/libpod/...), as Docker would: serve "
                         "cannot find podman's storage and follows the event stream alone")
    ap.add_argument("--verify-ms", type=int, default=0,
                    help="HVYM_WATCH_VERIFY_MS for serve: how long a silent stream may stay unchecked "
                         "(default its 2 minutes; the stall's budget follows)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (serve.log)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    kinds = {k: (a.count if v is None else v) for k, v in DEFAULT_KINDS.items()}
    for kv in filter(None, a.kinds.split(",")):
        k, v = kv.split("=")
        if k not in kinds:
            ap.error(f"no kind {k}")
        kinds[k] = int(v)
    parts = a.parts.split(",")
    modes = [m for m in a.hostile.split(",") if m]
    for m in modes:
        if m not in HOSTILE:
            ap.error(f"no hostile mode {m}")
    t_start = time.monotonic()

    def log(msg):
        if a.verbose:
            print(f"[{time.monotonic() - t_start:7.1f} s] {msg}", file=sys.stderr, flush=True)

    root = tempfile.mkdtemp(prefix="hvym-watch-")
    s = None
    failed = False
    try:
        s = Setup(os.path.abspath(a.hvym), root, log,
                  ["--idle-exit", str(a.idle_exit)] if a.idle_exit else [],
                  {"HVYM_WATCH_VERIFY_MS": str(a.verify_ms)} if a.verify_ms else None)
        if a.verify_ms:
            HOSTILE["stall"] = a.verify_ms / 1000 + 10
        s.proxy.hide_libpod = a.docker_like
        log("set up")
        hub = Hub()
        clients = []
        for i in range(a.clients):
            c = Client(s.sock, i)
            hub.add(c)
            clients.append(c)
        bench = Bench(s, clients, hub, log)
        for c in clients:
            c.call("hello", {"protocol": 1, "client": f"watch-bench-{c.index}"})
            r = c.call("watch", {"topics": TOPICS})
            with c.cond:
                c.watch, c.seq = r["watch"], r["seq"]
                c.told = dict(r["values"])
                c.sources = r.get("sources")
        print(f"hvym serve (pid {s.serve.pid}) with {a.clients} clients, each watching {len(TOPICS)} topics")
        if clients:
            print(f"  sources {json.dumps(clients[0].sources)}; "
                  + ", ".join(f"{t}={json.dumps(clients[0].told[t].get('value'))[:40]}" for t in TOPICS))
        print("run: " + ", ".join(f"{k} {v}" for k, v in kinds.items()) + f"; polls {a.polls}; idle {a.idle:g} s; "
              f"hostile {','.join(modes) or 'none'}; parts {','.join(parts)}"
              + ("; podman's own API hidden (--docker-like)" if a.docker_like else ""))
        if "changes" in parts:
            failed |= run_changes(bench, kinds, log)
        if "poll" in parts:
            failed |= run_poll(s, a.polls)
        if "idle" in parts:
            failed |= run_idle(s, a.idle)
        if "hostile" in parts and modes:
            failed |= run_hostile(s, bench, modes, log)
        if s.serve.poll() is not None:
            print(f"hvym serve exited ({s.serve.returncode})")
            failed = True
        hub.stop()
    finally:
        if s:
            s.close()
        if a.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print("\n" + ("a budget is broken" if failed else "every budget kept"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
