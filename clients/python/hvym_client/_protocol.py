"""The serve protocol (docs/protocol.md) as an event-driven object.

`Protocol` does no I/O of its own: bytes read from the connection go in
through `feed()`, the bytes to send come out through the `write` callable
given to it, and what arrives is handed to callbacks. The threaded client
(`hvym_client.Hvym`), the sequential named-pipe client (Windows) and the Qt
client (`hvym_client.qt`) all drive this one object.

It is safe to use from several threads (one lock guards its tables;
callbacks run outside the lock), and `feed()` may be re-entered from a
callback (a modal dialog that runs a nested Qt event loop while it asks).
"""
import json
import threading

PROTOCOL = 1

# Error codes of docs/protocol.md.
MALFORMED = -32700
INVALID_REQUEST = -32600
NO_SUCH_METHOD = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TOO_LARGE = -32001
TOO_MANY_CLIENTS = -32002
TIMEOUT = -32003
STOPPING = -32004
NOT_RUN = -32005
UNSUPPORTED_PROTOCOL = -32010
CANCELLED = -32800
# Errors the client makes itself (the server never sends these).
CONNECTION_LOST = -32090  # the connection closed (or was closed) before the answer
NOT_PROTOCOL = -32091  # the other side answered something that is not the protocol

MAX_LINE = 1 << 20  # the server's bound on one line it reads
# The longest line read: an answer holds up to 64 MiB of output, escaped.
MAX_ANSWER = 512 << 20


class HvymError(Exception):
    """A request that did not finish: `code` (see the constants above),
    `message`, and `data` (for a command that was stopped: what it had
    printed, {"cmd", "exit", "stdout", "stderr"})."""

    def __init__(self, code, message, data=None):
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self):
        return "%s (%d)" % (self.message, self.code)

    @property
    def result(self):
        """What the stopped command had printed, as a Result (None when the
        error carries no such data)."""
        d = self.data
        if isinstance(d, dict) and "cmd" in d:
            return Result(d.get("cmd", ""), d.get("exit", 1), d.get("stdout", ""),
                          d.get("stderr", ""), None)
        return None

    @classmethod
    def from_json(cls, error):
        if not isinstance(error, dict):
            return cls(NOT_PROTOCOL, "a malformed error: %r" % (error,))
        code = error.get("code")
        return cls(code if isinstance(code, int) else INTERNAL_ERROR,
                   str(error.get("message", "")), error.get("data"))


class Result(object):
    """One command's answer, as in docs/batch.md: `cmd`, `exit` (0 ok,
    1 failed, 2 usage), `stdout`, `stderr` (text, exactly as the command
    prints them) and `value` (stdout typed; None when exit is not 0)."""

    __slots__ = ("cmd", "exit", "stdout", "stderr", "value")

    def __init__(self, cmd, exit, stdout, stderr, value):
        self.cmd = cmd
        self.exit = exit
        self.stdout = stdout
        self.stderr = stderr
        self.value = value

    @classmethod
    def from_json(cls, d):
        if not isinstance(d, dict) or "exit" not in d:
            raise HvymError(NOT_PROTOCOL, "a malformed result: %r" % (d,))
        return cls(d.get("cmd", ""), d["exit"], d.get("stdout", ""), d.get("stderr", ""),
                   d.get("value"))

    @property
    def ok(self):
        return self.exit == 0

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def _key(self):
        # value compared with its type: True is not 1 here.
        return (self.cmd, self.exit, self.stdout, self.stderr,
                json.dumps(self.value, sort_keys=True))

    def __eq__(self, other):
        if not isinstance(other, Result):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other):
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None

    def __repr__(self):
        return "Result(cmd=%r, exit=%r, stdout=%r, stderr=%r, value=%r)" % (
            self.cmd, self.exit, self.stdout, self.stderr, self.value)


def _is_integer(t):
    digits = t[1:] if t.startswith("-") else t
    if not digits or len(digits) > 18:
        return False
    if digits[0] == "0" and len(digits) > 1:
        return False
    return all("0" <= c <= "9" for c in digits) and t != "-0"


def typed_value(exit, stdout):
    """`value` as docs/batch.md types it (the rule hvym's batch applies):
    None unless exit is 0; stdout without its final line end; True/true and
    False/false are booleans; a whole number of at most 18 digits without
    leading zeros is a number; text starting with { or [ that is JSON is
    that JSON; anything else stays text."""
    if exit != 0:
        return None
    t = stdout[:-1] if stdout.endswith("\n") else stdout
    if t in ("True", "true"):
        return True
    if t in ("False", "false"):
        return False
    if _is_integer(t):
        return int(t)
    if t[:1] in ("{", "["):
        try:
            return json.loads(t)
        except ValueError:
            pass
    return t


def answer_params(answer):
    """The result of an `ask` request for what a handler returned: text is
    the answer, None or False a cancel, True an acknowledgement ("")."""
    if answer is None or answer is False:
        return {"cancelled": True}
    if answer is True:
        return {"answer": ""}
    return {"answer": answer if isinstance(answer, str) else str(answer)}


class _Pending(object):
    __slots__ = ("id", "method", "on_result", "on_output", "ask", "on_show")

    def __init__(self, id, method, on_result, on_output, ask, on_show):
        self.id = id
        self.method = method
        self.on_result = on_result
        self.on_output = on_output
        self.ask = ask
        self.on_show = on_show


def call_ask_handler(handler, question):
    """Runs an ask handler; returns the `ask` response's (result, error)."""
    if handler is None:
        return {"cancelled": True}, None
    try:
        return answer_params(handler(question)), None
    except Exception as e:  # an error response counts as cancelled
        return None, {"code": INTERNAL_ERROR, "message": "the ask handler failed: %s" % (e,)}


class Protocol(object):
    """One connection's protocol state.

    write(bytes): sends bytes (called with whole lines, possibly from
        several threads; the caller serialises).
    ask: the connection's ask handler, handler(question) -> str | None,
        used for requests that have none of their own.
    on_show: show(params) for `show` notifications of requests without one.
    run_ask: run_ask(handler, question, reply): how a question is handled;
        the default calls the handler at once, on the thread that feeds.
        reply(result, error) sends the answer; run_ask may call it later,
        from any thread (the threaded client runs handlers on threads of
        their own so answers to other requests keep arriving).
    on_unexpected(message): a line that is not the protocol (for logs).
    """

    def __init__(self, write, ask=None, on_show=None, run_ask=None, on_unexpected=None):
        self._write = write
        self.ask = ask
        self.on_show = on_show
        self._run_ask = run_ask or (lambda handler, question, reply:
                                    reply(*call_ask_handler(handler, question)))
        self.on_unexpected = on_unexpected
        self._lock = threading.RLock()
        self._pending = {}
        self._next_id = 1
        self._buffer = bytearray()
        self._scanned = 0  # how much of _buffer has no line end
        self._watches = {}  # watch number -> handler: .changed(params), .lost(error)
        self.closed = None  # the HvymError that ended the connection

    # -- sending -----------------------------------------------------------

    def _send(self, message):
        message["jsonrpc"] = "2.0"
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._write(line.encode("utf-8"))

    def new_id(self):
        """An id for a request about to be made (request(..., rid=...)), so
        that the caller knows it before any answer can arrive."""
        with self._lock:
            rid = self._next_id
            self._next_id += 1
            return rid

    def request(self, method, params, on_result, on_output=None, ask=None, on_show=None,
                rid=None):
        """Sends a request; on_result(result, error) is called once with its
        result (JSON) or an HvymError. Returns the request's id."""
        with self._lock:
            if self.closed is not None:
                error = self.closed
                rid = None
            else:
                if rid is None:
                    rid = self.new_id()
                self._pending[rid] = _Pending(rid, method, on_result, on_output, ask, on_show)
        if rid is None:
            on_result(None, HvymError(error.code, error.message, error.data))
            return None
        message = {"id": rid, "method": method}
        if params is not None:
            message["params"] = params
        try:
            self._send(message)
        except Exception as e:
            self.connection_lost(e)
        return rid

    def notify(self, method, params=None):
        message = {"method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def cancel(self, rid):
        """Asks the server to stop request `rid` (a notification); False when
        it has already answered."""
        with self._lock:
            if rid not in self._pending or self.closed is not None:
                return False
        try:
            self.notify("cancel", {"id": rid})
        except Exception as e:
            self.connection_lost(e)
            return False
        return True

    def pending(self):
        with self._lock:
            return list(self._pending)

    def add_watch(self, number, handler):
        """Routes the `changed` notifications of watch `number` to
        handler.changed(params); handler.lost(error) is called once when the
        connection ends. Call it from the result's callback (it runs before
        the next line is read, so no `changed` can come first). False when
        the connection has already ended (handler.lost is not called)."""
        with self._lock:
            if self.closed is not None:
                return False
            self._watches[number] = handler
            return True

    def remove_watch(self, number, handler=None):
        """Stops routing watch `number` (only when it is `handler`'s, if given)."""
        with self._lock:
            if handler is None or self._watches.get(number) is handler:
                self._watches.pop(number, None)

    def is_pending(self, rid):
        with self._lock:
            return rid in self._pending

    # -- receiving ---------------------------------------------------------

    def feed(self, data):
        """Bytes read from the connection."""
        with self._lock:
            self._buffer += data
        while True:
            with self._lock:
                # Search only what was not searched yet: a 64 MiB answer
                # arrives in many pieces.
                end = self._buffer.find(b"\n", self._scanned)
                if end < 0:
                    self._scanned = len(self._buffer)
                    if len(self._buffer) <= MAX_ANSWER:
                        return
                    self._buffer.clear()
                    self._scanned = 0
                    overlong = True
                else:
                    overlong = False
                    line = bytes(self._buffer[:end])
                    del self._buffer[:end + 1]
                    self._scanned = 0
            if overlong:
                self.connection_lost(HvymError(NOT_PROTOCOL, "a line of over %d MiB arrived" %
                                               (MAX_ANSWER >> 20)))
                return
            if line.strip():
                self._line(line)

    def _line(self, line):
        try:
            message = json.loads(line.decode("utf-8"))
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            # A server without the protocol answers a batch error line: the
            # connection cannot be used.
            text = line.decode("utf-8", "replace")
            if self.on_unexpected:
                self.on_unexpected(text)
            self.connection_lost(HvymError(NOT_PROTOCOL, "not a protocol message: " + text[:300]))
            return
        if "method" in message:
            if "id" in message:
                self._server_request(message)
            else:
                self._notification(message)
            return
        rid = message.get("id")
        with self._lock:
            pending = self._pending.pop(rid, None) if isinstance(rid, (int, str)) else None
        if pending is None:
            if self.on_unexpected:
                self.on_unexpected(line.decode("utf-8", "replace"))
            if rid is None and "error" in message:
                # An error for a line the server could not read: it is about
                # something we sent, so nothing that waits can be trusted.
                self.connection_lost(HvymError.from_json(message["error"]))
            return
        if "error" in message:
            pending.on_result(None, HvymError.from_json(message["error"]))
        else:
            pending.on_result(message.get("result"), None)

    def _notification(self, message):
        params = message.get("params")
        if not isinstance(params, dict):
            return
        method = message["method"]
        if method == "output":
            with self._lock:
                pending = self._pending.get(params.get("id"))
            if pending is not None and pending.on_output is not None:
                pending.on_output(params.get("stream", "stdout"), params.get("text", ""))
        elif method == "show":
            with self._lock:
                pending = self._pending.get(params.get("request"))
            show = pending.on_show if pending is not None and pending.on_show else self.on_show
            if show is not None:
                show(params)
        elif method == "changed":
            with self._lock:
                watch = self._watches.get(params.get("watch"))
            if watch is not None:
                watch.changed(params)

    def _server_request(self, message):
        sid = message["id"]
        params = message.get("params")

        def reply(result, error=None):
            if self.closed is not None:
                return
            response = {"id": sid}
            if error is not None:
                response["error"] = error
            else:
                response["result"] = result
            try:
                self._send(response)
            except Exception as e:
                self.connection_lost(e)

        if message["method"] != "ask" or not isinstance(params, dict):
            reply(None, {"code": NO_SUCH_METHOD, "message": "no such method: %s" % message["method"]})
            return
        with self._lock:
            pending = self._pending.get(params.get("request"))
        handler = pending.ask if pending is not None and pending.ask else self.ask
        self._run_ask(handler, params, reply)

    def connection_lost(self, exc=None):
        """The connection ended: every request waiting fails with
        CONNECTION_LOST (or `exc` when it is an HvymError)."""
        if isinstance(exc, HvymError):
            error = exc
        else:
            error = HvymError(CONNECTION_LOST, "the connection to hvym serve closed" +
                              (": %s" % exc if exc else ""))
        with self._lock:
            if self.closed is None:
                self.closed = error
            waiting = list(self._pending.values())
            self._pending.clear()
            watches = list(self._watches.values())
            self._watches.clear()
        for p in waiting:
            p.on_result(None, HvymError(error.code, error.message, error.data))
        for w in watches:
            w.lost(HvymError(error.code, error.message, error.data))
