"""hvym_client: the Python client of `hvym serve` (docs/protocol.md).

    from hvym_client import Hvym
    h = Hvym()                                   # starts or finds the server
    print(h.run("pintheon-port").value)          # 9998
    r = h.run("pintheon-set-port", ask=lambda q: "9000")
    with h.watch(["pintheon-port"]) as w:        # answers that change, without polling
        for change in w:
            print(change.values)                 # {"pintheon-port": 4000}
    h.close()

Standard library only. When no server can be had it runs `hvym CMD ARGS` as
a child process instead, with the same results (`Hvym.mode` tells which).
"""
import json
import os
import shutil
import socket as _socket
import subprocess
import sys
import threading

from ._protocol import (CANCELLED, CONNECTION_LOST, INTERNAL_ERROR, INVALID_PARAMS, MALFORMED,
                        NO_SUCH_METHOD, NOT_PROTOCOL, NOT_RUN, PROTOCOL, STOPPING, TIMEOUT,
                        TOO_LARGE, TOO_MANY_CLIENTS, UNSUPPORTED_PROTOCOL, INVALID_REQUEST,
                        HvymError, Protocol, Result, call_ask_handler, typed_value)
from ._subprocess import DEFAULT_TIMEOUT, ChildRun, child_env, run_batch
from ._watch import (RECONNECT_TIMEOUT, WATCH_TIMEOUT, Change, Watch, WatchTimeout,
                     WatchUnavailable, check_topics, watch_refused)

__version__ = "0.1.0"
__all__ = ["Hvym", "Call", "Result", "HvymError", "Protocol", "Watch", "Change", "WatchTimeout", "find_binary",
           "WatchUnavailable", "typed_value", "hello_env",
           "hello_params", "run_params", "child_env",
           "ENV_VARS", "PROTOCOL", "MALFORMED", "INVALID_REQUEST", "NO_SUCH_METHOD",
           "INVALID_PARAMS", "INTERNAL_ERROR", "TOO_LARGE", "TOO_MANY_CLIENTS", "TIMEOUT",
           "STOPPING", "NOT_RUN", "UNSUPPORTED_PROTOCOL", "CANCELLED", "CONNECTION_LOST",
           "NOT_PROTOCOL"]

WINDOWS = sys.platform == "win32"
PIPE_PREFIX = "\\\\.\\pipe\\"

# The variables that change answers (docs/protocol.md, Environment): sent in
# hello as this process has them, so the server answers as a child would.
ENV_VARS = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_CERT_PATH",
            "DOCKER_TLS_VERIFY", "HVYM_HOME", "HOME", "PATH", "XDG_RUNTIME_DIR", "XDG_DATA_HOME",
            "DISPLAY", "WAYLAND_DISPLAY", "LANG", "HVYM_DIALOG", "HVYM_NO_INPUT")

ENSURE_TIMEOUT = 60  # seconds `hvym serve --ensure` may take
ANSWER_MARGIN = 120  # seconds past a request's timeout before run() gives up on the server
NO_TIMEOUT = 86400  # the longest timeout a request may have


def hello_env(overrides=None):
    """The `env` of hello: ENV_VARS as os.environ has them, then `overrides`
    (any variable; None: unset)."""
    env = {name: os.environ[name] for name in ENV_VARS if name in os.environ}
    env.update(overrides or {})
    return env


def hello_params(client="hvym_client", ask=False, env=None, cwd=None):
    """The params of hello: this process's variables and working folder."""
    params = {"protocol": PROTOCOL, "client": client, "ask": bool(ask), "env": hello_env(env)}
    try:
        params["cwd"] = cwd or os.getcwd()
    except OSError:  # a working folder that was removed: the server's then
        pass
    return params


def run_params(cmd, args=(), stdin=None, timeout=None, env=None, cwd=None, output=True, prog=None):
    """The params of a `run` request."""
    params = {"cmd": str(cmd)}
    if prog:
        params["prog"] = prog
    if args:
        params["args"] = [a if isinstance(a, int) and not isinstance(a, bool) else str(a)
                          for a in args]
    if stdin is not None:
        params["stdin"] = stdin.decode("utf-8") if isinstance(stdin, bytes) else stdin
    if timeout is not None:
        params["timeout"] = timeout
    if env:
        params["env"] = dict(env)
    if cwd is not None:
        params["cwd"] = os.path.abspath(cwd)
    if not output:
        params["output"] = False
    return params


def batch_requests(requests, timeout=None):
    """run_many's requests as the `batch` method (and `hvym batch --json`)
    takes them: argv lists, or dicts of run params."""
    out = []
    for r in requests:
        if isinstance(r, dict):
            r = dict(r)
            if "args" in r:
                r["args"] = list(r["args"])
            if timeout is not None:
                r.setdefault("timeout", timeout)
        elif isinstance(r, (list, tuple)):
            words = [a if isinstance(a, int) and not isinstance(a, bool) else str(a) for a in r]
            r = words if timeout is None else {"cmd": words[0] if words else "", "args": words[1:],
                                               "timeout": timeout}
        elif isinstance(r, str):
            r = [r]
        else:
            raise TypeError("a request is an argv list or a dict, not %r" % (r,))
        out.append(r)
    return out


class Call(object):
    """A request in flight (from Hvym.submit)."""

    def __init__(self, cmd, on_done=None):
        self.cmd = cmd
        self.id = None  # the request's id on the connection (serve mode)
        self._event = threading.Event()
        self._result = None
        self._error = None
        self._on_done = on_done
        self._cancel = None  # () -> bool

    def _finish(self, result, error):
        if self._event.is_set():
            return
        self._result, self._error = result, error
        self._event.set()
        if self._on_done is not None:
            self._on_done(self)

    def done(self):
        return self._event.is_set()

    def result(self, timeout=None):
        """The Result; raises HvymError when it did not finish, TimeoutError
        when `timeout` seconds pass first (the request goes on)."""
        if not self._event.wait(timeout):
            raise TimeoutError("%s has not answered within %s s" % (self.cmd, timeout))
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self, timeout=None):
        if not self._event.wait(timeout):
            raise TimeoutError("%s has not answered within %s s" % (self.cmd, timeout))
        return self._error

    def cancel(self):
        """Stops it (and every process it started). True when a cancel was
        sent; False when it had already answered (or cannot be cancelled:
        a named pipe). result() then raises HvymError CANCELLED."""
        if self._event.is_set() or self._cancel is None:
            return False
        return self._cancel()

    def __repr__(self):
        return "<Call %s id=%s %s>" % (self.cmd, self.id, "done" if self.done() else "running")


def _threaded_ask(handler, question, reply):
    # Questions are answered on threads of their own: while a person thinks,
    # the answers and output of other requests keep arriving.
    def answer():
        reply(*call_ask_handler(handler, question))
    threading.Thread(target=answer, name="hvym-ask", daemon=True).start()


class _SocketConnection(object):
    """A unix socket read by a thread of its own; many requests in flight."""
    sequential = False

    def __init__(self, address, timeout, **protocol_kwargs):
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            sock.settimeout(None)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self._wlock = threading.Lock()
        self.protocol = Protocol(self._write, run_ask=_threaded_ask, **protocol_kwargs)
        self.reader = threading.Thread(target=self._read, name="hvym-reader", daemon=True)
        self.reader.start()

    def _write(self, data):
        with self._wlock:
            self.sock.sendall(data)

    def _read(self):
        error = None
        try:
            while True:
                data = self.sock.recv(1 << 18)
                if not data:
                    break
                self.protocol.feed(data)
        except OSError as e:
            error = e
        self.protocol.connection_lost(error)

    def call(self, method, params, on_result, **handlers):
        return self.protocol.request(method, params, on_result, **handlers)

    def on_reader_thread(self):
        return threading.current_thread() is self.reader

    def close(self):
        try:
            self.sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass
        if not self.on_reader_thread():
            self.reader.join(10)
        self.sock.close()
        self.protocol.connection_lost(HvymError(CONNECTION_LOST, "the connection was closed"))


class _PipeConnection(object):
    """A Windows named pipe (\\\\.\\pipe\\hvym-USER), opened as a file and
    used one request at a time: a synchronous pipe handle cannot be read by
    one thread while another writes, so there is no reader thread; a
    request writes its line, then reads until its answer. Questions are
    answered on the calling thread. Call.cancel() is not available (it
    returns False). Works over any binary file object whose read(n)
    returns what is available."""
    sequential = True

    def __init__(self, address, timeout=None, fileobj=None, **protocol_kwargs):
        self.file = fileobj if fileobj is not None else open(address, "r+b", buffering=0)
        self._lock = threading.Lock()
        self.protocol = Protocol(self._write, **protocol_kwargs)

    def _write(self, data):
        view = memoryview(data)
        while view:
            n = self.file.write(view)
            view = view[n or 0:]

    def call(self, method, params, on_result, **handlers):
        with self._lock:
            answered = []

            def finish(result, error):
                answered.append(True)
                on_result(result, error)

            rid = self.protocol.request(method, params, finish, **handlers)
            try:
                while not answered:
                    data = self.file.read(1 << 16)
                    if not data:
                        self.protocol.connection_lost(None)
                        break
                    self.protocol.feed(data)
            except OSError as e:
                self.protocol.connection_lost(e)
            return rid

    def on_reader_thread(self):
        return False

    def close(self):
        try:
            self.file.close()
        except OSError:
            pass
        self.protocol.connection_lost(HvymError(CONNECTION_LOST, "the connection was closed"))


def _connect(address, timeout, **protocol_kwargs):
    if address.startswith(PIPE_PREFIX):
        return _PipeConnection(address, timeout, **protocol_kwargs)
    return _SocketConnection(address, timeout, **protocol_kwargs)


class Hvym(object):
    """A connection to `hvym serve`, or the same answers from child processes.

    binary: the hvym program (default: `hvym` on PATH).
    socket: the server's address (a unix socket path or \\\\.\\pipe\\NAME);
        given, no server is started. Else `hvym serve --ensure` finds or
        starts this user's server.
    env: variables (name -> text, None: unset) over this process's, for the
        connection (sent in hello) and for the children of the fallback.
    ask: ask(question) -> str | None, answers the server's questions
        (question: the `ask` params of docs/protocol.md: kind, what,
        message, default, choices, ...; return the answer text, "" to
        acknowledge a message or say yes, None to cancel). Runs on a thread
        of its own. Without one no question comes here: a command asks as
        `hvym CMD` would with the connection's environment (a $HVYM_DIALOG
        or dialog program), else fails. A request given its own handler
        (run(..., ask=...)) makes the connection say "ask": true from then
        on; questions of later requests without a handler are then
        answered cancelled.
    fallback: when no server can be had, run each command as a child
        process (mode "subprocess"); False: raise HvymError instead.
    on_show: on_show(params) for `show` notifications (splash, busy).
    serve: False: use no server at all (mode "subprocess" from the start).
    """

    def __init__(self, binary=None, socket=None, env=None, ask=None, fallback=True,
                 on_show=None, client="hvym_client", connect_timeout=30.0, serve=True):
        self.binary = binary if binary is not None else find_binary()
        self.socket = socket
        self.env = dict(env or {})
        self.ask = ask
        self.on_show = on_show
        self.fallback = fallback
        self.client = client
        self.connect_timeout = connect_timeout
        self.mode = None  # "serve" or "subprocess"
        self.hello = None  # the server's answer to hello
        self.hello_params = None  # what this client said in hello
        self.ensured = None  # what `hvym serve --ensure` printed
        self.address = None
        self.why_subprocess = None  # why no server could be had
        self._conn = None
        self._said_ask = False
        self._lock = threading.RLock()
        self._children = set()
        self._closed = False
        if serve:
            self._start()
        else:
            self.mode = "subprocess"
            self.why_subprocess = "serve=False"

    # -- connecting ----------------------------------------------------------

    def _start(self):
        try:
            self._connect_serve()
            self.mode = "serve"
            self.why_subprocess = None
        except (HvymError, OSError, ValueError, subprocess.SubprocessError) as e:
            if not self.fallback:
                if isinstance(e, HvymError):
                    raise
                raise HvymError(CONNECTION_LOST, "no hvym server: %s" % (e,))
            self._conn = None
            self.mode = "subprocess"
            self.why_subprocess = str(e)

    def _ensure(self):
        if not self.binary:
            raise HvymError(NOT_RUN, "no hvym program (not on PATH and none given)")
        p = subprocess.run([self.binary, "serve", "--ensure"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=child_env(self.env), timeout=ENSURE_TIMEOUT)
        lines = [line for line in p.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
        if p.returncode != 0 or not lines:
            raise HvymError(NOT_RUN, "hvym serve --ensure failed (exit %d): %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace").strip()))
        ensured = json.loads(lines[-1])
        if not isinstance(ensured, dict) or not isinstance(ensured.get("address"), str):
            raise HvymError(NOT_PROTOCOL, "hvym serve --ensure printed %r" % lines[-1])
        return ensured

    def _open(self, address):
        try:
            conn = _connect(address, self.connect_timeout, ask=self.ask, on_show=self.on_show)
        except OSError as e:
            raise HvymError(CONNECTION_LOST, "cannot connect to %s: %s" % (address, e))
        params = hello_params(self.client, self.ask is not None, self.env)
        got = {}
        answered = threading.Event()

        def on_hello(result, error):
            got["result"], got["error"] = result, error
            answered.set()

        conn.call("hello", params, on_hello)
        if not answered.wait(self.connect_timeout):
            conn.close()
            raise HvymError(CONNECTION_LOST, "no answer to hello within %s s" % self.connect_timeout)
        if got["error"] is not None or not isinstance(got["result"], dict):
            conn.close()
            raise got["error"] or HvymError(NOT_PROTOCOL, "hello answered %r" % (got["result"],))
        return conn, got["result"], params

    def _connect_serve(self):
        if self.socket:
            address = self.socket
        else:
            self.ensured = self._ensure()
            address = self.ensured["address"]
        conn, hello, params = self._open(address)
        if not self.socket and hello.get("hvym") != self.ensured.get("version"):
            # Another version answers (an upgrade happened between ensure and
            # hello): ensure replaces it; reconnect once.
            conn.close()
            self.ensured = self._ensure()
            address = self.ensured["address"]
            conn, hello, params = self._open(address)
        self._conn, self.hello, self.hello_params, self.address = conn, hello, params, address
        self._said_ask = params["ask"]

    def _connection(self):
        """The live connection, reconnecting once when it was lost; None in
        subprocess mode."""
        with self._lock:
            if self._closed:
                raise HvymError(CONNECTION_LOST, "this Hvym was closed")
            if self.mode == "serve" and self._conn.protocol.closed is not None:
                # The server went away (killed, upgraded): find one again.
                self._conn.close()
                self._start()
            return self._conn if self.mode == "serve" else None

    def _reconnect(self, lost):
        """A live connection to a server for a watch whose connection `lost`
        dropped: the one another caller already made, else a new one (one
        attempt; no fallback to subprocesses). Raises HvymError."""
        with self._lock:
            if self._closed:
                raise HvymError(CONNECTION_LOST, "this Hvym was closed")
            conn = self._conn
            if conn is not None and conn is not lost and conn.protocol.closed is None:
                return conn
            if conn is not None:
                conn.close()
            try:
                self._connect_serve()
            except (OSError, ValueError, subprocess.SubprocessError) as e:
                raise HvymError(CONNECTION_LOST, "no hvym server: %s" % (e,))
            self.mode = "serve"
            self.why_subprocess = None
            return self._conn

    def _say_ask(self, conn):
        # A request brings its own ask handler on a connection that said
        # "ask": false: say true from now on (hello may be sent again).
        with self._lock:
            if self._said_ask:
                return
            self._said_ask = True
            params = dict(self.hello_params, ask=True)
            self.hello_params = params
        conn.call("hello", params, lambda result, error: None)

    # -- requests ------------------------------------------------------------

    def submit(self, cmd, *args, stdin=None, timeout=None, env=None, cwd=None, on_output=None,
               ask=None, on_show=None, on_done=None, prog=None):
        """Starts `hvym CMD ARGS...` and returns a Call at once.

        stdin: its standard input (text). timeout: seconds (default 600).
        env, cwd: over the connection's. on_output(stream, text): what it
        writes, line by line, as it writes it ("stdout"/"stderr"; from a
        thread of the client). ask: this request's question handler.
        on_done(call): called once it has answered (from a thread of the
        client; do not block there)."""
        call = Call(str(cmd), on_done)
        conn = self._connection()
        if conn is None:
            return self._submit_child(call, cmd, args, stdin, timeout, env, cwd, on_output)
        if ask is not None and not self._said_ask:
            self._say_ask(conn)

        def on_result(result, error):
            if error is None:
                try:
                    result = Result.from_json(result)
                except HvymError as e:
                    result, error = None, e
            call._finish(result, error)

        params = run_params(cmd, args, stdin, timeout, env, cwd, output=on_output is not None, prog=prog)
        call.id = conn.protocol.new_id()  # known before any answer or output arrives
        if not conn.sequential:
            call._cancel = lambda: conn.protocol.cancel(call.id)
            conn.call("run", params, on_result, on_output=on_output, ask=ask, on_show=on_show,
                      rid=call.id)
        else:
            def sequential():
                conn.call("run", params, on_result, on_output=on_output, ask=ask,
                          on_show=on_show, rid=call.id)
            threading.Thread(target=sequential, name="hvym-call", daemon=True).start()
        return call

    def _child(self, cmd, args, stdin, timeout, env, cwd, on_output):
        if not self.binary:
            raise HvymError(NOT_RUN, "no hvym program (not on PATH and none given)")
        argv = [self.binary, str(cmd)] + [str(a) for a in args]
        return ChildRun(argv, str(cmd), stdin, timeout, child_env(self.env, env), cwd, on_output)

    def _submit_child(self, call, cmd, args, stdin, timeout, env, cwd, on_output):
        try:
            child = self._child(cmd, args, stdin, timeout, env, cwd, on_output)
        except HvymError as e:
            call._finish(None, e)
            return call
        call._cancel = child.cancel

        def work():
            try:
                result, error = self._wait_child(child), None
            except HvymError as e:
                result, error = None, e
            call._finish(result, error)

        try:
            child.start()
        except OSError as e:
            call._finish(None, HvymError(NOT_RUN, "cannot run %s: %s" % (self.binary, e)))
            return call
        with self._lock:
            self._children.add(child)
        threading.Thread(target=work, name="hvym-child", daemon=True).start()
        return call

    def _wait_child(self, child):
        try:
            return child.wait()
        finally:
            with self._lock:
                self._children.discard(child)

    def run(self, cmd, *args, stdin=None, timeout=None, env=None, cwd=None, on_output=None,
            ask=None, on_show=None, prog=None):
        """Runs `hvym CMD ARGS...` and returns its Result. A command that
        fails is a Result (exit 1 or 2); one that could not finish (timeout,
        cancelled, the server stopping, ...) raises HvymError. prog: the
        name the caller runs hvym by ("hvym-linux"), for its messages."""
        conn = self._connection()
        if conn is not None and conn.on_reader_thread():
            raise RuntimeError("Hvym.run called from a callback of the reader thread; use submit")
        if conn is None:  # subprocess mode: on this thread
            child = self._child(cmd, args, stdin, timeout, env, cwd, on_output)
            try:
                child.start()
            except OSError as e:
                raise HvymError(NOT_RUN, "cannot run %s: %s" % (self.binary, e))
            with self._lock:
                self._children.add(child)
            return self._wait_child(child)
        call = self.submit(cmd, *args, stdin=stdin, timeout=timeout, env=env, cwd=cwd,
                           on_output=on_output, ask=ask, on_show=on_show, prog=prog)
        # The server answers within the request's timeout (it kills what
        # outlives it); a generous margin past it guards against a server
        # that hangs.
        bound = (timeout or DEFAULT_TIMEOUT) + ANSWER_MARGIN
        try:
            return call.result(bound)
        except TimeoutError:
            call.cancel()
            raise HvymError(TIMEOUT, "hvym serve did not answer %s within %s s" % (cmd, bound))

    def run_many(self, requests, env=None, cwd=None, timeout=None):
        """Many commands in one round trip (the `batch` method): requests are
        argv lists (["pintheon-port"], ["pintheon-set-port", 9000]) or dicts
        ({"cmd": ..., "args": [...], "stdin": ..., "timeout": ...}). Returns
        their Results in order. Batch rules: nothing asks, no output
        notifications, a setter's change is seen by the requests after it."""
        reqs = batch_requests(requests, timeout)
        conn = self._connection()
        if conn is None:
            if not self.binary:
                raise HvymError(NOT_RUN, "no hvym program (not on PATH and none given)")
            return run_batch(self.binary, reqs, child_env(self.env, env),
                             os.path.abspath(cwd) if cwd else None)
        params = {"requests": reqs}
        if env:
            params["env"] = dict(env)
        if cwd is not None:
            params["cwd"] = os.path.abspath(cwd)
        call = Call("batch")

        def on_result(result, error):
            if error is None:
                try:
                    if not isinstance(result, list):
                        raise HvymError(NOT_PROTOCOL, "batch answered %r" % (result,))
                    result = [Result.from_json(r) for r in result]
                except HvymError as e:
                    result, error = None, e
            call._finish(result, error)

        call.id = conn.call("batch", params, on_result)
        return call.result()

    def watch(self, topics, on_change=None, on_error=None, reconnect_timeout=RECONNECT_TIMEOUT,
              timeout=WATCH_TIMEOUT):
        """Subscribes to answers that change (the `watch` method): returns a
        Watch whose values (topic -> value), results (topic -> Result),
        sources and seq hold the answers now. Then either iterate it
        (`for change in w:` blocks; w.next(timeout) raises WatchTimeout) or
        give on_change(change), called on the client's reader thread for
        each Change (keep it short; do not call run() there: use submit).

        topics: names of commands without arguments that run in the server
        (pintheon-port, docker-installed, pintheon-image-exists, ...) or
        pintheon-container (docs/protocol.md, `watch`).

        When the connection drops, the watch finds a server again (as run()
        does; retrying for reconnect_timeout seconds), subscribes again and
        delivers a Change with resubscribed=True holding the topics that
        differ from what it reported. When no server can be reached, the
        iterator raises the HvymError (CONNECTION_LOST), and on_error(error)
        is called (from a thread of the client). w.close() ends it
        (`unwatch`); so does `with hvym.watch(...) as w:`.

        Raises WatchUnavailable in subprocess mode (no server: there is
        nothing that could tell a change; poll with run() instead), on a
        Windows named pipe, or with an hvym serve that has no `watch`;
        HvymError when the server refuses it (an unknown topic: -32602)."""
        topics = check_topics(topics)
        conn = self._connection()
        if conn is None:
            raise watch_refused(None, "this client runs subprocesses (%s)" % self.why_subprocess)
        if conn.sequential:
            raise watch_refused(None, "a named pipe is used one request at a time")
        refused = watch_refused(self.hello)
        if refused is not None:
            raise refused
        if conn.on_reader_thread():
            raise RuntimeError("Hvym.watch called from a callback of the reader thread")
        w = Watch(self, topics, on_change, on_error, reconnect_timeout, timeout)
        w._subscribe(conn, again=False)
        return w

    def shutdown(self):
        """Asks the server to stop (the `shutdown` method)."""
        conn = self._connection()
        if conn is None:
            return
        done = threading.Event()
        conn.call("shutdown", {}, lambda result, error: done.set())
        done.wait(self.connect_timeout)

    def close(self):
        """Closes the connection: the server cancels what it still runs for
        it. In subprocess mode the children still running are killed."""
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            children = list(self._children)
        if conn is not None:
            conn.close()
        for child in children:
            child.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the drop-in for Metavinci's _subprocess_hvym --------------------------

    def _is_hvym(self, word):
        name = os.path.basename(word).lower()
        if name.endswith(".exe"):
            name = name[:-4]
        if name == "hvym":
            return True
        return bool(self.binary) and os.path.abspath(word) == os.path.abspath(self.binary)

    def subprocess_hvym(self, command, non_blocking=False):
        """A drop-in for Metavinci's `_subprocess_hvym(command)`.

        command: an argv list ([HVYM, "pintheon-port"]) or a shell command
        string (f"{HVYM} update-npm-modules"), the hvym program first.
        Returns what Metavinci's returned:
        - a list: the command's standard output (text, line ends as "\\n");
          its standard error is dropped;
        - a string: standard output and standard error together, as one
          pipe would have them;
        - None when the command exits non-zero or cannot be run at all.
        Nothing is stripped. It runs in the hvym program's folder. With a
        server, the command goes to it (one round trip, no process when it
        runs in-process); a string with shell syntax (pipes, redirections,
        $, globs, ...), a command that is not hvym, subprocess mode, or
        non_blocking=True (which returns the subprocess.Popen with stdout
        and stderr piped, as Metavinci's daf2c4b did) run a real process.
        """
        words = self._hvym_words(command)
        folder = os.path.dirname(self.binary or (words[0] if words else "")) or "."
        if non_blocking:
            return self._popen_original(command, folder)
        if words is None or self.mode != "serve":
            return self._run_original(command, folder)
        parts = []
        try:
            result = self.run(words[1], *words[2:], cwd=folder, timeout=NO_TIMEOUT, prog=_prog(words[0]),
                              on_output=lambda stream, text: parts.append((stream, text)))
        except HvymError:
            return None
        if result.exit != 0:
            return None
        if not isinstance(command, str):
            return result.stdout.replace("\r\n", "\n").replace("\r", "\n")
        out = "".join(t for s, t in parts if s == "stdout")
        err = "".join(t for s, t in parts if s == "stderr")
        if parts and out == result.stdout and err == result.stderr:
            return "".join(t for _, t in parts)  # in the order they were written
        return result.stdout + result.stderr

    def _hvym_words(self, command):
        """[HVYM, CMD, ARGS...] when the command can go to the server, else None."""
        if isinstance(command, (list, tuple)):
            words = [str(w) for w in command]
        elif isinstance(command, str):
            words = _split_plain(command)
        else:
            return None
        if words is None or len(words) < 2 or not self._is_hvym(words[0]):
            return None
        return words

    def _run_original(self, command, folder):
        """The command as Metavinci ran it: a list without a shell (stdout;
        text mode), a string through the shell (stderr into stdout; UTF-8);
        None for a non-zero exit or any failure."""
        env = child_env(self.env)
        as_list = not isinstance(command, str)
        try:
            proc = subprocess.Popen(list(command) if as_list else command, shell=not as_list,
                                    cwd=folder, env=env, stdin=None, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE if as_list else subprocess.STDOUT,
                                    universal_newlines=as_list)
            out, _ = proc.communicate()
            if proc.returncode != 0:
                return None
            return out if as_list else out.decode("utf-8")
        except Exception:
            return None

    def _popen_original(self, command, folder):
        as_list = not isinstance(command, str)
        try:
            return subprocess.Popen(list(command) if as_list else command, shell=not as_list,
                                    cwd=folder, env=child_env(self.env), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        except Exception:
            return None


def _release_name():
    """The release's file name on this platform, as installers keep it."""
    import platform
    system = platform.system().lower()
    if system == "windows":
        return "hvym-windows.exe"
    if system == "darwin":
        machine = (platform.machine() or "").lower()
        return "hvym-macos-" + ("arm64" if "arm" in machine or "aarch64" in machine else "amd64")
    return "hvym-linux"


def find_binary():
    """The hvym program: `hvym` on PATH, else the release's file where
    Metavinci's installer puts it (Windows
    %USERPROFILE%\\AppData\\Local\\heavymeta-cli\\hvym-windows.exe, Linux
    ~/.local/share/heavymeta-cli/hvym-linux, macOS ~/Library/Application
    Support/Metavinci/bin/hvym-macos-ARCH), else the release's name on
    PATH; None when there is none."""
    found = shutil.which("hvym")
    if found:
        return found
    name = _release_name()
    home = os.path.expanduser("~")
    if name.endswith(".exe"):
        folder = os.path.join(home, "AppData", "Local", "heavymeta-cli")
    elif name.startswith("hvym-macos"):
        folder = os.path.join(home, "Library", "Application Support", "Metavinci", "bin")
    else:
        folder = os.path.join(home, ".local", "share", "heavymeta-cli")
    path = os.path.join(folder, name)
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return shutil.which(name)


def _prog(word):
    """How messages name the program the caller ran ("hvym-linux"), as a
    subprocess's do; None for plain hvym."""
    name = os.path.basename(word.replace("\\", "/"))
    if name.lower().endswith(".exe"):
        name = name[:-4]
    return None if name == "hvym" or not name else name


_SHELL_SYNTAX = set("|&;<>()$`*?[]{}~!#\n\r=%^")
_SHELL_SYNTAX_WINDOWS = set("\"'^%&|<>()!\n\r")


def _split_plain(command):
    """A shell command's words when it is a plain command (words, quotes,
    backslashes: no shell syntax that would do more than split); else None."""
    import shlex
    if WINDOWS:
        if any(c in _SHELL_SYNTAX_WINDOWS for c in command):
            return None
        return command.split()
    if any(c in _SHELL_SYNTAX for c in command):
        return None
    try:
        return shlex.split(command)
    except ValueError:
        return None
