"""hvym_client for a Qt event loop: nothing blocks the GUI thread.

    from hvym_client.qt import QtHvym
    h = QtHvym(ask=ask_with_a_dialog)           # returns at once; connects in the background
    h.submit("pintheon-port", on_done=lambda call: label.setText(str(call.result().value)))
    w = h.watch(["pintheon-port"], lambda change: label.setText(str(w.values["pintheon-port"])))

The serve connection is a non-blocking unix socket watched by
QSocketNotifier and driven by the same Protocol object as the threaded
client. Every callback (on_done, on_output, ask, on_show, on_ready) runs on
the GUI thread, so it may touch widgets; ask handlers may open a modal
dialog. Calls submitted before the connection is ready are held and sent
when it is. `hvym serve --ensure` runs on a worker thread. When no server
can be had, commands run as child processes on worker threads (as
`Hvym(serve=False)` runs them), their answers delivered on the GUI thread;
so does a Windows named pipe (used one request at a time, see
hvym_client._PipeConnection).

PyQt5, PyQt6, PySide2 or PySide6 is imported when this module is.
"""
import collections
import importlib
import socket as _socket
import threading

from . import (PIPE_PREFIX, Call, Hvym, HvymError, Result, batch_requests, hello_params,
               run_params)
from ._protocol import CONNECTION_LOST, NOT_PROTOCOL, Protocol
from ._watch import (Change, check_topics, differing, parse_changed, parse_subscribed,
                     report_callback_error, watch_refused)


def _qtcore():
    for name in ("PyQt5", "PySide6", "PyQt6", "PySide2"):
        try:
            return importlib.import_module(name + ".QtCore")
        except ImportError:
            continue
    raise ImportError("hvym_client.qt needs PyQt5, PyQt6, PySide2 or PySide6")


QtCore = _qtcore()


def _notifier(fd, kind):
    kinds = QtCore.QSocketNotifier
    kind = getattr(kinds, kind, None) or getattr(kinds.Type, kind)
    return QtCore.QSocketNotifier(fd, kind)


class _Waker(object):
    """Runs callables on the GUI thread on behalf of worker threads: a
    socket pair whose read end a QSocketNotifier watches."""

    def __init__(self):
        self._r, self._w = _socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._queue = collections.deque()
        self._notifier = _notifier(self._r.fileno(), "Read")
        self._notifier.activated.connect(self._run)

    def call_soon(self, fn, *args):
        self._queue.append((fn, args))
        try:
            self._w.send(b"x")
        except OSError:  # full (it will run anyway) or closed
            pass

    def _run(self, *_):
        try:
            while self._r.recv(4096):
                pass
        except OSError:
            pass
        while self._queue:
            fn, args = self._queue.popleft()
            fn(*args)

    def close(self):
        self._notifier.setEnabled(False)
        self._r.close()
        self._w.close()


class QtHvym(object):
    """Hvym for a Qt application (same arguments as hvym_client.Hvym, plus
    on_ready(qthvym), called on the GUI thread once `mode` is known).

    submit(...) and submit_many(...) return a Call at once; read its
    result in on_done(call) (call.result() before then would block the GUI
    thread). There is no blocking run()."""

    def __init__(self, binary=None, socket=None, env=None, ask=None, fallback=True,
                 on_show=None, on_ready=None, client="hvym_client", connect_timeout=30.0):
        self.binary = binary
        self.socket = socket
        self.env = dict(env or {})
        self.ask = ask
        self.on_show = on_show
        self.on_ready = on_ready
        self.fallback = fallback
        self.client = client
        self.connect_timeout = connect_timeout
        self.mode = None  # "serve" or "subprocess" once ready
        self.error = None  # why nothing could be had (fallback=False)
        self.hello = None
        self.hello_params = None
        self.ensured = None
        self.address = None
        self.why_subprocess = None
        self._said_ask = False
        self._retried = False
        self._held = []  # what was submitted before ready
        self._waker = _Waker()
        self._sock = None
        self._protocol = None
        self._read_notifier = None
        self._write_notifier = None
        self._out = bytearray()
        self._inner = None  # a blocking Hvym: subprocess mode or a named pipe
        self._hello_timer = None
        self._closed = False
        if self.binary is None:
            from . import find_binary
            self.binary = find_binary()
        self._start()

    @property
    def ready(self):
        return self.mode is not None or self.error is not None

    # -- connecting ----------------------------------------------------------

    def _start(self):
        if self.socket and self.socket.startswith(PIPE_PREFIX):
            self._in_thread(self._open_inner, self.socket)
        elif self.socket:
            self._connect(self.socket)
        else:
            self._in_thread(self._ensure)

    def _in_thread(self, fn, *args):
        threading.Thread(target=fn, args=args, name="hvym-qt", daemon=True).start()

    def _ensure(self):  # worker thread
        helper = Hvym(self.binary, env=self.env, serve=False)
        try:
            ensured, error = helper._ensure(), None
        except Exception as e:
            ensured, error = None, e
        self._waker.call_soon(self._ensured, ensured, error)

    def _ensured(self, ensured, error):
        if self._closed:
            return
        if error is not None:
            return self._fail(error)
        self.ensured = ensured
        if ensured["address"].startswith(PIPE_PREFIX):
            self._in_thread(self._open_inner, ensured["address"])
        else:
            self._connect(ensured["address"])

    def _connect(self, address):
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(self.connect_timeout)  # a local connect: at once
            sock.connect(address)
            sock.setblocking(False)
        except OSError as e:
            sock.close()
            return self._fail(e)
        self.address = address
        self._sock = sock
        self._out = bytearray()
        self._protocol = Protocol(self._write, ask=self.ask, on_show=self.on_show)
        self._read_notifier = _notifier(sock.fileno(), "Read")
        self._read_notifier.activated.connect(self._readable)
        self._write_notifier = _notifier(sock.fileno(), "Write")
        self._write_notifier.setEnabled(False)
        self._write_notifier.activated.connect(self._writable)
        params = hello_params(self.client, self.ask is not None, self.env)
        self.hello_params = params
        self._said_ask = params["ask"]
        self._hello_timer = QtCore.QTimer()
        self._hello_timer.setSingleShot(True)
        self._hello_timer.timeout.connect(
            lambda: self._fail(HvymError(CONNECTION_LOST, "no answer to hello")))
        self._hello_timer.start(int(self.connect_timeout * 1000))
        self._protocol.request("hello", params, self._on_hello)

    def _on_hello(self, result, error):
        if self._hello_timer is not None:
            self._hello_timer.stop()
        if self.mode is not None or self._closed:
            return
        if error is None and not isinstance(result, dict):
            error = HvymError(NOT_PROTOCOL, "hello answered %r" % (result,))
        if error is not None:
            return self._fail(error)
        if (self.ensured and result.get("hvym") != self.ensured.get("version")
                and not self._retried):
            self._retried = True  # another version answers: ensure replaces it, once
            self._drop_socket()
            self._in_thread(self._ensure)
            return
        self.hello = result
        self._became("serve")

    def _open_inner(self, address):  # worker thread: a named pipe (Windows)
        try:
            inner = Hvym(self.binary, socket=address, env=self.env, fallback=self.fallback,
                         ask=self._ask_on_gui(self.ask) if self.ask else None,
                         on_show=self._on_gui(self.on_show) if self.on_show else None,
                         client=self.client, connect_timeout=self.connect_timeout)
            error = None
        except HvymError as e:
            inner, error = None, e
        self._waker.call_soon(self._inner_opened, inner, error)

    def _inner_opened(self, inner, error):
        if error is not None:
            return self._fail(error)
        self._inner = inner
        self.hello, self.hello_params, self.address = inner.hello, inner.hello_params, inner.address
        self.why_subprocess = inner.why_subprocess
        self._became(inner.mode)

    def _fail(self, error):
        self._drop_socket()
        if self.mode is not None:
            return
        if not self.fallback:
            self.error = error if isinstance(error, HvymError) else HvymError(
                CONNECTION_LOST, "no hvym server: %s" % (error,))
            held, self._held = self._held, []
            for call, _ in held:
                call._finish(None, self.error)
            if self.on_ready:
                self.on_ready(self)
            return
        self.why_subprocess = str(error)
        self._inner = Hvym(self.binary, env=self.env, serve=False)
        self._became("subprocess")

    def _became(self, mode):
        self.mode = mode
        held, self._held = self._held, []
        for _, send in held:
            send()
        if self.on_ready:
            self.on_ready(self)

    # -- the socket ------------------------------------------------------------

    def _write(self, data):
        self._out += data
        self._flush()

    def _flush(self):
        while self._out and self._sock is not None:
            try:
                n = self._sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                self._write_notifier.setEnabled(True)
                return
            except OSError as e:
                return self._lost(e)
            del self._out[:n]
        if self._write_notifier is not None:
            self._write_notifier.setEnabled(False)

    def _writable(self, *_):
        self._flush()

    def _readable(self, *_):
        while self._sock is not None:
            try:
                data = self._sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                return self._lost(e)
            if not data:
                return self._lost(None)
            self._protocol.feed(data)

    def _lost(self, error):
        protocol = self._protocol
        self._drop_socket()
        if protocol is not None:
            protocol.connection_lost(error)
        if self.mode is None and not self._closed:
            self._fail(error or HvymError(CONNECTION_LOST, "the server closed the connection"))

    def _drop_socket(self):
        for n in (self._read_notifier, self._write_notifier):
            if n is not None:
                n.setEnabled(False)
        self._read_notifier = self._write_notifier = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # -- marshalling for the inner (threaded) client ---------------------------

    def _on_gui(self, fn):
        return lambda *args: self._waker.call_soon(fn, *args)

    def _ask_on_gui(self, handler):
        def ask(question):  # a worker thread: wait for the GUI thread's answer
            done = threading.Event()
            box = {}

            def on_gui():
                try:
                    box["answer"] = handler(question)
                except Exception as e:
                    box["error"] = e
                done.set()
            self._waker.call_soon(on_gui)
            done.wait()
            if "error" in box:
                raise box["error"]
            return box["answer"]
        return ask

    # -- requests ---------------------------------------------------------------

    def submit(self, cmd, *args, stdin=None, timeout=None, env=None, cwd=None, on_output=None,
               ask=None, on_show=None, on_done=None):
        """Starts `hvym CMD ARGS...`; on_done(call) on the GUI thread when it
        has answered. Arguments as Hvym.submit."""
        call = Call(str(cmd), on_done)

        def send():
            if self.error is not None:
                return call._finish(None, self.error)
            if self.mode == "serve" and self._inner is None:
                if self._protocol.closed is not None:
                    return self._restart(call, send)
                if ask is not None and not self._said_ask:
                    self._said_ask = True
                    self.hello_params = dict(self.hello_params, ask=True)
                    self._protocol.request("hello", self.hello_params, lambda r, e: None)
                params = run_params(cmd, args, stdin, timeout, env, cwd, output=on_output is not None)
                protocol = self._protocol
                call._cancel = lambda: protocol.cancel(call.id)
                call.id = protocol.new_id()
                protocol.request("run", params, lambda r, e: self._finish_run(call, r, e),
                                 on_output=on_output, ask=ask, on_show=on_show, rid=call.id)
            else:
                inner = self._inner.submit(
                    cmd, *args, stdin=stdin, timeout=timeout, env=env, cwd=cwd,
                    on_output=self._on_gui(on_output) if on_output else None,
                    ask=self._ask_on_gui(ask) if ask else None,
                    on_show=self._on_gui(on_show) if on_show else None,
                    on_done=lambda c: self._waker.call_soon(call._finish, c._result, c._error))
                call._cancel = inner.cancel
                call.id = inner.id

        self._send_or_hold(call, send)
        return call

    def _restart(self, call, send):
        # The server went away (killed, upgraded): find one again; send()
        # runs once there is one (or the fallback).
        self.mode, self.ensured, self._retried = None, None, False
        self._held.append((call, send))
        self._start()

    def watch(self, topics, on_change, on_error=None):
        """Subscribes to answers that change (Hvym.watch, docs/protocol.md
        `watch`): on_change(change) is called on the GUI thread, first with
        seq 0 and every topic's value (once the server answered), then for
        each change (a hvym_client.Change). Returns a QtWatch at once: its
        values/results/sources/seq are the state of the last change
        delivered ({} and None before the first); close() ends it.

        When the connection drops, the client finds a server again (as
        submit does) and subscribes again: on_change gets a Change with
        resubscribed=True holding the topics that differ from what it
        reported. When that fails (no server; or the client fell back to
        subprocesses), or the server refuses the watch, on_error(error) is
        called on the GUI thread (and QtWatch.error set). In subprocess mode
        the watch fails so at once (WatchUnavailable)."""
        w = QtWatch(self, check_topics(topics), on_change, on_error)
        self._send_or_hold(w, w._send)
        return w

    def submit_many(self, requests, env=None, cwd=None, timeout=None, on_done=None):
        """Hvym.run_many without blocking: call.result() is the list of Results."""
        call = Call("batch", on_done)
        reqs = batch_requests(requests, timeout)

        def send():
            if self.error is not None:
                return call._finish(None, self.error)
            if self.mode == "serve" and self._inner is None:
                params = {"requests": reqs}
                if env:
                    params["env"] = dict(env)
                if cwd is not None:
                    import os
                    params["cwd"] = os.path.abspath(cwd)
                call.id = self._protocol.request("batch", params,
                                                 lambda r, e: self._finish_batch(call, r, e))
            else:
                def work():
                    try:
                        result, error = self._inner.run_many(reqs, env=env, cwd=cwd), None
                    except HvymError as e:
                        result, error = None, e
                    self._waker.call_soon(call._finish, result, error)
                self._in_thread(work)

        self._send_or_hold(call, send)
        return call

    def _send_or_hold(self, call, send):
        if self._closed:
            call._finish(None, HvymError(CONNECTION_LOST, "this QtHvym was closed"))
        elif self.ready:
            send()
        else:
            self._held.append((call, send))

    @staticmethod
    def _finish_run(call, result, error):
        if error is None:
            try:
                result = Result.from_json(result)
            except HvymError as e:
                result, error = None, e
        call._finish(result, error)

    @staticmethod
    def _finish_batch(call, result, error):
        if error is None:
            try:
                if not isinstance(result, list):
                    raise HvymError(NOT_PROTOCOL, "batch answered %r" % (result,))
                result = [Result.from_json(r) for r in result]
            except HvymError as e:
                result, error = None, e
        call._finish(result, error)

    def close(self):
        """Closes the connection (the server cancels what it runs for it);
        calls still waiting fail with CONNECTION_LOST."""
        self._closed = True
        protocol = self._protocol
        self._drop_socket()
        if protocol is not None:
            protocol.connection_lost(HvymError(CONNECTION_LOST, "the connection was closed"))
        held, self._held = self._held, []
        for call, _ in held:
            call._finish(None, HvymError(CONNECTION_LOST, "this QtHvym was closed"))
        if self._inner is not None:
            self._inner.close()
        if self._hello_timer is not None:
            self._hello_timer.stop()
        self._waker.close()


class _QtSubscription(object):
    def __init__(self, watch, protocol):
        self.watch = watch
        self.protocol = protocol
        self.number = None

    def changed(self, params):
        self.watch._changed(self, params)

    def lost(self, error):
        self.watch._lost(self, error)


class QtWatch(object):
    """A watch of a QtHvym (QtHvym.watch); everything happens on the GUI
    thread. values: topic -> value; results: topic -> Result; sources; seq:
    the state of the last change delivered. error: what ended it."""

    def __init__(self, qthvym, topics, on_change, on_error=None):
        self.topics = tuple(topics)
        self.values = {}
        self.results = {}
        self.sources = {}
        self.seq = None
        self.error = None
        self.closed = False
        self.on_change = on_change
        self.on_error = on_error
        self._q = qthvym
        self._sub = None
        self._told = {}
        self._seq = None
        self._subscribed = False  # once subscribed, later subscriptions are re-subscriptions

    def _send(self):  # the GUI thread, the QtHvym ready
        q = self._q
        if self.closed or self.error is not None:
            return
        if q.error is not None:
            return self._fail(q.error)
        if q.mode != "serve" or q._inner is not None:
            if self._subscribed:
                return self._fail(HvymError(CONNECTION_LOST, "lost the connection to hvym serve "
                                             "and could not reach it again (%s)" % q.why_subprocess))
            why = ("this client runs subprocesses (%s)" % q.why_subprocess if q.mode != "serve"
                   else "a named pipe is used one request at a time")
            return self._fail(watch_refused(None, why))
        if q._protocol.closed is not None:
            return q._restart(self, self._send)
        refused = watch_refused(q.hello)
        if refused is not None:
            return self._fail(refused)
        sub = _QtSubscription(self, q._protocol)
        q._protocol.request("watch", {"topics": list(self.topics)},
                            lambda r, e: self._answered(sub, r, e))

    def _finish(self, result, error):  # a held send that will not run
        if self._q._closed:
            self.closed = True
        else:
            self._fail(error)

    def _answered(self, sub, result, error):
        if self.closed:
            if error is None and isinstance(result, dict) and isinstance(result.get("watch"), int):
                sub.protocol.request("unwatch", {"watch": result["watch"]}, lambda r, e: None)
            return
        if error is None:
            try:
                number, seq, results, sources = parse_subscribed(result)
            except HvymError as e:
                error = e
        if error is not None:
            if error.code == CONNECTION_LOST and self._subscribed and not self._q._closed:
                return self._q._waker.call_soon(self._again)  # lost before it answered
            return self._fail(error)
        sub.number = number
        again, old = self._subscribed, self._told
        self._sub, self._told, self._seq, self._subscribed = sub, dict(results), seq, True
        if not sub.protocol.add_watch(number, sub):
            return self._lost(sub, None)
        if again:
            self._deliver(Change(seq, differing(old, results), sources, resubscribed=True))
        else:
            self._deliver(Change(seq, results, sources))

    def _changed(self, sub, params):
        if sub is not self._sub or self.closed:
            return
        try:
            seq, results, sources = parse_changed(params)
        except HvymError:
            return report_callback_error("a malformed changed notification %r" % (params,))
        missed = seq != self._seq + 1
        self._seq = seq
        self._told.update(results)
        self._deliver(Change(seq, results, self.sources if sources is None else sources,
                             missed=missed))

    def _deliver(self, change):
        values = dict(self.values)
        values.update(change.values)
        results = dict(self.results)
        results.update(change.results)
        self.values, self.results = values, results
        self.sources, self.seq = change.sources, change.seq
        try:
            self.on_change(change)
        except Exception:
            report_callback_error("the on_change of a watch of %s" % ", ".join(self.topics))

    def _lost(self, sub, error):
        if sub is not self._sub or self.closed:
            return
        self._sub = None
        if self._q._closed:
            self.closed = True
            return
        # Later: the QtHvym is still handling the loss (its socket, its mode).
        self._q._waker.call_soon(self._again)

    def _again(self):
        if not self.closed and self.error is None and not self._q._closed:
            self._q._send_or_hold(self, self._send)

    def _fail(self, error):
        if self.closed or self.error is not None:
            return
        self.error = error
        if self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:
                report_callback_error("the on_error of a watch")

    def close(self):
        """Ends the watch (`unwatch`, not waited for); no more changes."""
        if self.closed:
            return
        self.closed = True
        sub, self._sub = self._sub, None
        if sub is not None and sub.protocol.closed is None:
            sub.protocol.remove_watch(sub.number, sub)
            sub.protocol.request("unwatch", {"watch": sub.number}, lambda r, e: None)

    def __repr__(self):
        return "<QtWatch %s seq=%s%s>" % (", ".join(self.topics), self.seq,
                                          " closed" if self.closed else "")
