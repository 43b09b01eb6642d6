#!/usr/bin/env python3
"""A unix-socket proxy in front of a Docker API engine (podman's service in
the tests) that counts the requests it forwards and can misbehave on command
in the engine's event streams (`GET /events`), for the watch benchmark
(tests/bench/watch.py) and tests of hvym serve's event following.

    proxy = EngineProxy(listen_path, upstream_path)   # listens at once
    proxy.requests()          # [(method, path), ...] forwarded, in order
    proxy.count()             # how many were not /events
    proxy.streams()           # how many /events streams are open now
    proxy.cut(hold=False)     # close the open streams (hold: and every new one, until resume)
    proxy.stall()             # keep them open, forward nothing further (new ones too)
    proxy.flood(n, seconds)   # inject n well-formed events of images/containers that matter to no one
    proxy.garbage(raw=False)  # inject non-JSON bytes (raw: outside the chunked framing too)
    proxy.resume()            # back to forwarding
    proxy.down() / proxy.up() # stop / start listening (the socket file goes / comes), as the engine's does
    proxy.hide_libpod = True  # answer 404 to podman's own API (/libpod/...): an engine like Docker's
    proxy.close()

podman answers /events with HTTP/1.1 chunked transfer encoding, one event (a
JSON line) per chunk; the proxy parses the response's framing and injects
whole chunks between the engine's. A response that is not chunked (close-
delimited) gets its injections between lines. Requests are parsed too
(Content-Length or chunked bodies), so keep-alive connections are counted
right, though hvym sends `Connection: close`.

Run as a program (`engine_proxy.py LISTEN UPSTREAM`) it reads commands on
stdin (count, requests, streams, cut, hold, stall, flood N, garbage, raw,
resume, down, up, quit) for trying it by hand; `engine_proxy.py --self-test`
tries each against a podman service of its own.
"""
import json
import os
import select
import socket
import sys
import threading
import time
import uuid

MAX_HEAD = 64 * 1024


class _Closed(Exception):
    pass


class _Reader:
    """Buffered reads of lines and exact sizes from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise _Closed()
        self.buf += data

    def line(self):  # through \n, included
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise _Closed()
            self._more()
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def head(self):  # through the blank line, included
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise _Closed()
            self._more()
        i = self.buf.index(b"\r\n\r\n") + 4
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def some(self):
        if not self.buf:
            self._more()
        out, self.buf = self.buf, b""
        return out


def _headers(head):
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    return lines[0], fields


def _gone(sock):
    """The peer closed its end (POLLHUP): not a mere half-close, after
    which it still reads."""
    try:
        p = select.poll()
        p.register(sock, select.POLLHUP)
        return any(ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, ev in p.poll(0))
    except (OSError, ValueError):
        return True


def _chunked(fields):
    return "chunked" in fields.get("transfer-encoding", "").lower()


def _copy_body(reader, fields, send):
    """Forwards one message body framed as `fields` say (requests only: a
    request without either header has none)."""
    if _chunked(fields):
        while True:
            size_line = reader.line()
            send(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:  # trailers, then the blank line
                while True:
                    t = reader.line()
                    send(t)
                    if t in (b"\r\n", b"\n"):
                        return
            send(reader.exact(size + 2))
    n = int(fields.get("content-length", "0") or 0)
    while n > 0:
        part = reader.exact(min(n, 65536))
        send(part)
        n -= len(part)


def is_events(path):
    p = path.split("?", 1)[0].rstrip("/")
    return p == "/events" or (p.endswith("/events") and p.count("/") == 2 and p.startswith("/v"))


def is_libpod(path):
    parts = path.split("?", 1)[0].split("/")
    return len(parts) > 2 and (parts[1] == "libpod" or (parts[1].startswith("v") and parts[2] == "libpod"))


def synthetic_event(i, kind=None):
    """A well-formed podman-style event of an image or container that matters
    to no one (not Pintheon's)."""
    kind = kind or ("image" if i % 2 == 0 else "container")
    now = time.time_ns()
    oid = uuid.uuid4().hex + uuid.uuid4().hex
    if kind == "image":
        action = ("tag", "untag", "pull")[i % 3]
        name = f"docker.io/library/noise-{i}:latest"
        ev = {"status": action, "id": oid, "Type": "image", "Action": action,
              "Actor": {"ID": oid, "Attributes": {"name": name}}}
    else:
        action = ("create", "start", "died", "stop")[i % 4]
        ev = {"status": action, "id": oid, "from": "docker.io/library/noise:latest",
              "Type": "container", "Action": action,
              "Actor": {"ID": oid, "Attributes": {"image": "docker.io/library/noise:latest",
                                                  "name": f"noise-{i}"}}}
    ev.update({"scope": "local", "time": now // 10**9, "timeNano": now})
    return (json.dumps(ev, separators=(",", ":")) + "\n").encode()


GARBAGE = b"\x00\xff\xfe not json {{{ \"Type\": image ]]\x1b[0m\n"


class _Stream:
    """One /events response going through: engine -> client."""

    def __init__(self, proxy, client, upstream):
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.lock = threading.Lock()  # one whole chunk at a time
        self.chunked = None  # known once the head went through
        self.events = 0  # the engine's events forwarded
        self.injected = 0
        self.started = False  # head forwarded
        self.dead = False  # cut
        self.t_started = None  # time.monotonic() when its head went through

    def send(self, data):
        with self.lock:
            self.client.sendall(data)

    def inject(self, payload, raw=False):
        with self.lock:
            if not self.started:
                return False
            if self.chunked and not raw:
                data = b"%x\r\n%s\r\n" % (len(payload), payload)
            else:
                data = payload
            try:
                self.client.sendall(data)
            except OSError:
                return False
            self.injected += 1
            return True

    def close(self):
        self.dead = True
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class EngineProxy:
    def __init__(self, listen_path, upstream_path, log=None):
        self.listen_path = listen_path
        self.upstream_path = upstream_path
        self.log = log
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self._requests = []  # (time, method, path)
        self._streams = set()
        self._conns = set()
        self.mode = "forward"  # forward | stall | hold (cut, and cut every new stream)
        self.event_times = []  # (time, bytes) of each engine event forwarded
        self.keep_event_times = False
        self.hide_libpod = False
        self.listener = None
        self.up()

    # -- listening ---------------------------------------------------------
    def up(self):
        with self.lock:
            if self.listener is not None:
                return
            try:
                os.unlink(self.listen_path)
            except FileNotFoundError:
                pass
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(self.listen_path)
            s.listen(128)
            self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        """Stop listening and drop every connection: the socket file goes, as
        an engine's does when its service stops."""
        with self.lock:
            s, self.listener = self.listener, None
            conns = list(self._conns)
        if s is not None:
            try:
                os.unlink(self.listen_path)
            except FileNotFoundError:
                pass
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.down()

    def _accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    # -- what went through -------------------------------------------------
    def requests(self):
        with self.lock:
            return [(m, p) for _, m, p in self._requests]

    def count(self):
        """Requests forwarded that were not /events."""
        with self.lock:
            return sum(1 for _, _, p in self._requests if not is_events(p))

    def count_events_requests(self):
        with self.lock:
            return sum(1 for _, _, p in self._requests if is_events(p))

    def streams(self):
        """Event streams open now: answered, neither cut nor left by their
        client (a client that left an idle stream is seen here, not only at
        the engine's next event)."""
        with self.lock:
            streams = [st for st in self._streams if st.started and not st.dead]
        return sum(1 for st in streams if not _gone(st.client))

    def stream_starts(self):
        """time.monotonic() at which each open stream began."""
        with self.lock:
            streams = [st for st in self._streams if st.started and not st.dead]
        return [st.t_started for st in streams if not _gone(st.client)]

    def wait_streams(self, n=1, seconds=10):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.streams() >= n:
                return True
            time.sleep(0.005)
        return False

    # -- misbehaving -------------------------------------------------------
    def cut(self, hold=False):
        """Closes the open event streams; with hold, every new one too (right
        after its request) until resume()."""
        with self.lock:
            if hold:
                self.mode = "hold"
            streams = list(self._streams)
            self.cond.notify_all()
        for st in streams:
            st.close()
        return len(streams)

    def stall(self):
        """The open streams (and new ones) stay open and forward nothing
        further; the engine's events wait in the sockets' buffers."""
        with self.lock:
            self.mode = "stall"

    def resume(self):
        with self.lock:
            self.mode = "forward"
            self.cond.notify_all()

    def _open_streams(self):
        with self.lock:
            return [st for st in self._streams if st.started]

    def flood(self, n=10000, seconds=1.0):
        """Injects n synthetic events into each open stream, spread over
        `seconds` (in 100 slices). Returns how many went out."""
        sent = 0
        slices = 100 if seconds > 0 else 1
        per = max(1, -(-n // slices))
        start = time.monotonic()
        i = 0
        k = 0
        while i < n:
            batch = [synthetic_event(j) for j in range(i, min(n, i + per))]
            for st in self._open_streams():
                for ev in batch:
                    if st.inject(ev):
                        sent += 1
            i += len(batch)
            k += 1
            delay = start + seconds * k / slices - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return sent

    def garbage(self, raw=False):
        """Injects bytes that are not JSON; raw: not in a chunk either (the
        framing itself is broken)."""
        n = 0
        for st in self._open_streams():
            if st.inject(b"zz\r\n" + GARBAGE if raw else GARBAGE, raw=raw):
                n += 1
        return n

    # -- one connection ----------------------------------------------------
    def _serve(self, client):
        with self.lock:
            self._conns.add(client)
        upstream = None
        try:
            creader = _Reader(client)
            head = creader.head()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with self.lock:
                self._conns.add(upstream)
            try:
                upstream.connect(self.upstream_path)
            except OSError:
                return  # no engine: the client sees its connection closed
            first = _headers(head)
            self._note(first[0])
            method, path = (first[0].split(" ") + ["", ""])[:2]
            if self.hide_libpod and is_libpod(path):
                client.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 29\r\nConnection: close\r\n\r\n"
                               b'{"message":"page not found"}\n')
                return
            stream = None
            if is_events(path):
                stream = _Stream(self, client, upstream)
                with self.lock:
                    self._streams.add(stream)
                    if self.mode == "hold":
                        return
            upstream.sendall(head)
            t = threading.Thread(target=self._requests_loop,
                                 args=(creader, first[1], upstream, stream), daemon=True)
            t.start()
            ureader = _Reader(upstream)
            if stream is not None:
                self._relay_events(stream, ureader)
            else:
                while True:
                    client.sendall(ureader.some())
        except (_Closed, OSError, ValueError):
            pass
        finally:
            with self.lock:
                self._streams = {st for st in self._streams if st.client is not client}
                self._conns.discard(client)
                self._conns.discard(upstream)
            for s in (client, upstream):
                if s is None:
                    continue
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _note(self, request_line):
        parts = request_line.split(" ")
        if len(parts) >= 2:
            with self.lock:
                self._requests.append((time.monotonic(), parts[0], parts[1]))
            if self.log:
                self.log(f"{parts[0]} {parts[1]}")

    def _requests_loop(self, creader, fields, upstream, stream=None):
        """The client's side: the first request's body, then any further
        requests (keep-alive), each counted. An event stream whose client
        left is closed at once (its relay may be waiting on the engine, or
        stalled)."""
        try:
            _copy_body(creader, fields, upstream.sendall)
            while True:
                head = creader.head()
                line, fields = _headers(head)
                self._note(line)
                upstream.sendall(head)
                _copy_body(creader, fields, upstream.sendall)
        except (_Closed, OSError, ValueError):
            try:
                upstream.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            while stream is not None and not stream.dead:
                if _gone(stream.client):
                    stream.close()
                    with self.cond:
                        self.cond.notify_all()
                    break
                time.sleep(0.02)

    def _wait_forwarding(self, stream):
        """Blocks while stalled; raises _Closed when the stream is cut."""
        with self.lock:
            while self.mode == "stall" and not stream.dead:
                self.cond.wait(0.1)
            if stream.dead or self.mode == "hold":
                raise _Closed()

    def _relay_events(self, stream, ureader):
        self._wait_forwarding(stream)
        head = ureader.head()
        status, fields = _headers(head)
        stream.chunked = _chunked(fields)
        with stream.lock:
            stream.client.sendall(head)
            stream.started = True
            stream.t_started = time.monotonic()
        while True:
            if stream.chunked:
                size_line = ureader.line()
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    rest = b""
                    while True:
                        t = ureader.line()
                        rest += t
                        if t in (b"\r\n", b"\n"):
                            break
                    self._wait_forwarding(stream)
                    stream.send(size_line + rest)
                    return
                data = ureader.exact(size + 2)
                payload = data[:-2]
                self._wait_forwarding(stream)
                stream.send(size_line + data)
            else:
                payload = ureader.line()
                self._wait_forwarding(stream)
                stream.send(payload)
            stream.events += 1
            if self.keep_event_times:
                with self.lock:
                    self.event_times.append((time.monotonic(), payload))


class _EventsClient:
    """A client of one /events stream through the proxy, parsing the chunked
    framing strictly: .events (parsed JSON), .bad (chunks that were not
    JSON), .framing_error, .ended."""

    def __init__(self, path, query=""):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.sendall(f"GET /v1.41/events{query} HTTP/1.1\r\nHost: d\r\n"
                          "Connection: close\r\n\r\n".encode())
        self.events, self.bad = [], []
        self.framing_error = None
        self.ended = threading.Event()
        self.status = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        r = _Reader(self.sock)
        try:
            self.status, fields = _headers(r.head())
            assert _chunked(fields), fields
            while True:
                size = int(r.line().strip(), 16)
                if size == 0:
                    break
                data = r.exact(size + 2)
                if data[-2:] != b"\r\n":
                    raise ValueError("chunk not ended by CRLF")
                try:
                    self.events.append(json.loads(data[:-2]))
                except ValueError:
                    self.bad.append(data[:-2])
        except _Closed:
            pass
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.framing_error = e
        self.ended.set()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # seen by the proxy though the reader still waits in recv
        except OSError:
            pass
        self.sock.close()


def _until(check, seconds=5):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return False


def _http(path, method="GET", sock_path=None, keep=1):
    """`keep` requests on one connection (keep-alive, the last with
    Connection: close); returns the raw response bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    for i in range(keep):
        conn = "close" if i == keep - 1 else "keep-alive"
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: d\r\nConnection: {conn}\r\n\r\n".encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out


def self_test():
    """Against a real podman service: counting, and each misbehaviour as a
    client of the stream sees it."""
    import shutil
    import tempfile
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from realparts import Podman, connects, wait_for
    root = tempfile.mkdtemp(prefix="engine-proxy-")
    upstream = os.path.join(root, "docker.sock")
    listen = os.path.join(root, "proxy.sock")
    engine = Podman(os.path.join(root, "engine"), "unix://" + upstream)
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)
    try:
        assert wait_for(lambda: connects(upstream)), "podman's service did not start"
        engine.import_image("docker.io/tiny/base:latest")
        proxy = EngineProxy(listen, upstream)
        r = _http("/_ping", sock_path=listen)
        check(r.startswith(b"HTTP/1.1 200") and r.endswith(b"OK"), "GET /_ping answered through the proxy")
        r = _http("/images/json", sock_path=listen, keep=2)
        check(r.count(b"HTTP/1.1 200") == 2, "two keep-alive requests answered")
        check(proxy.count() == 3, f"3 requests counted ({proxy.requests()})")

        ev = _EventsClient(listen)
        check(_until(lambda: proxy.streams() == 1), "the /events stream is seen as open")
        check(proxy.count() == 3 and proxy.count_events_requests() == 1, "/events is not in count()")

        def tag(n):
            engine.podman("tag", "docker.io/tiny/base:latest", f"docker.io/tiny/t{n}:latest")
        tag(1)
        check(_until(lambda: any(e.get("Action") == "tag" for e in ev.events)), "a real tag event arrives")
        before = len(ev.events)
        start = time.monotonic()
        sent = proxy.flood(2000, 0.5)
        took = time.monotonic() - start
        check(sent == 2000 and 0.45 < took < 2, f"flood(2000, 0.5 s) sent {sent} in {took:.2f} s")
        check(_until(lambda: len(ev.events) >= before + 2000), "the flood's events arrive, well framed, as JSON")
        check(all(e.get("Type") in ("image", "container") for e in ev.events[before:]), "they are image/container events")
        check(not ev.bad and ev.framing_error is None, "nothing malformed so far")
        proxy.garbage()
        check(_until(lambda: len(ev.bad) == 1) and ev.framing_error is None, "garbage: one chunk that is not JSON")
        tag(2)
        check(_until(lambda: any(e.get("Actor", {}).get("Attributes", {}).get("name", "").endswith("t2:latest")
                                 for e in ev.events)), "the stream goes on after the garbage")
        proxy.stall()
        n = len(ev.events)
        tag(3)
        time.sleep(1)
        check(len(ev.events) == n and not ev.ended.is_set(), "stall: open, nothing forwarded for 1 s")
        check(proxy.streams() == 1, "the stalled stream counts as open")
        proxy.resume()
        check(_until(lambda: len(ev.events) > n), "resume: the held event arrives")
        gone = _EventsClient(listen)
        check(_until(lambda: proxy.streams() == 2), "a second stream")
        gone.close()
        check(_until(lambda: proxy.streams() == 1, 2), "its client left an idle stream: not counted")
        proxy.cut()
        check(ev.ended.wait(5), "cut: the stream ends")
        check(_until(lambda: proxy.streams() == 0), "no stream open after the cut")
        ev2 = _EventsClient(listen)
        check(_until(lambda: proxy.streams() == 1), "a new stream connects after a cut")
        proxy.cut(hold=True)
        check(ev2.ended.wait(5), "cut(hold): the stream ends")
        ev3 = _EventsClient(listen)
        check(ev3.ended.wait(5) and ev3.status is None, "cut(hold): a new stream is closed at once")
        proxy.resume()
        ev4 = _EventsClient(listen)
        check(_until(lambda: proxy.streams() == 1), "resume: streams connect again")
        proxy.garbage(raw=True)
        check(ev4.ended.wait(5) and ev4.framing_error is not None, "garbage(raw) breaks the framing")
        ev4.close()
        proxy.stall()
        ev5 = _EventsClient(listen)
        time.sleep(0.5)
        check(ev5.status is None and not ev5.ended.is_set(), "stall: a new stream gets nothing, not even its head")
        ev6 = _EventsClient(listen)
        time.sleep(0.3)
        ev6.close()
        time.sleep(0.3)
        check(len([st for st in proxy._streams if not st.dead]) == 1, "a stalled stream whose client left is closed")
        proxy.cut()
        check(ev5.ended.wait(5), "cut ends a stalled stream")
        proxy.resume()
        proxy.down()
        check(not os.path.exists(listen) and not connects(listen), "down: the socket file is gone")
        proxy.up()
        check(connects(listen) and _http("/_ping", sock_path=listen).endswith(b"OK"), "up: answers again")
        proxy.hide_libpod = True
        check(_http("/v4.0.0/libpod/info", sock_path=listen).startswith(b"HTTP/1.1 404"), "hide_libpod: 404")
        check(_http("/_ping", sock_path=listen).endswith(b"OK"), "hide_libpod: the rest answers")
        proxy.hide_libpod = False
        counted = proxy.count()
        check(counted == 6, f"6 requests that were not /events in all ({counted})")
        proxy.close()
    finally:
        engine.reset()
        shutil.rmtree(root, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 3:
        print("usage: engine_proxy.py LISTEN_SOCKET UPSTREAM_SOCKET", file=sys.stderr)
        return 2
    p = EngineProxy(sys.argv[1], sys.argv[2], log=lambda s: print(s, file=sys.stderr, flush=True))
    print(f"listening on {sys.argv[1]}", file=sys.stderr, flush=True)
    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        c = w[0]
        if c == "quit":
            break
        r = {"count": p.count, "requests": p.requests, "streams": p.streams,
             "cut": p.cut, "hold": lambda: p.cut(hold=True), "stall": p.stall,
             "garbage": p.garbage, "raw": lambda: p.garbage(raw=True), "resume": p.resume,
             "down": p.down, "up": p.up,
             "flood": lambda: p.flood(int(w[1]) if len(w) > 1 else 10000)}.get(c)
        print(r() if r else f"unknown command {c}", flush=True)
    p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
