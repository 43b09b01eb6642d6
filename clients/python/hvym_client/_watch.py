"""Watches (docs/protocol.md: `watch`, `unwatch`, `changed`): the parts the
threaded client (hvym_client.Hvym.watch) and the Qt client share, and the
threaded Watch itself."""
import collections
import sys
import threading
import time
import traceback

from ._protocol import (CONNECTION_LOST, NOT_PROTOCOL, NOT_RUN, STOPPING, TIMEOUT,
                        TOO_MANY_CLIENTS, HvymError, Result)

# Errors after which re-subscribing is tried again: the server is away (or
# was not there yet); any other answer to `watch` is final.
RETRIED = (CONNECTION_LOST, NOT_PROTOCOL, NOT_RUN, STOPPING, TOO_MANY_CLIENTS)

RECONNECT_TIMEOUT = 10.0  # seconds a lost watch keeps trying to reach a server
WATCH_TIMEOUT = 120.0  # seconds the answer to `watch` may take


class WatchTimeout(TimeoutError):
    """Watch.next(timeout) saw no change within `timeout` seconds (the watch
    goes on)."""


class WatchUnavailable(HvymError):
    """watch() cannot be had here: the client runs subprocesses (no server),
    uses a Windows named pipe (one request at a time: nothing can arrive
    between requests), or the server is an hvym without `watch`."""


class Change(object):
    """One message of a watch, as the client delivers it.

    seq: the watch's message number (each `changed` is the one before + 1;
        0 after a re-subscription, which starts a new count).
    values: topic -> value (Result.value) of the topics that changed only.
    results: topic -> Result of the same topics.
    sources: {"store": ..., "engine": ..., "tunnel": ...}: how fresh they are.
    missed: True when seq is not the one before + 1: messages were lost
        (the server never does this; if it happens, values of topics
        changed in the lost messages may be stale: close and watch again).
    resubscribed: True for the change delivered after the connection was
        lost and the watch subscribed again: values holds the topics whose
        result differs from what the watch reported before (possibly none).
    """

    __slots__ = ("seq", "values", "results", "sources", "missed", "resubscribed")

    def __init__(self, seq, results, sources, missed=False, resubscribed=False):
        self.seq = seq
        self.results = results
        self.values = {topic: r.value for topic, r in results.items()}
        self.sources = sources
        self.missed = missed
        self.resubscribed = resubscribed

    def __repr__(self):
        flags = "".join([" missed" if self.missed else "",
                         " resubscribed" if self.resubscribed else ""])
        return "<Change seq=%s values=%r sources=%r%s>" % (self.seq, self.values, self.sources,
                                                           flags)


def _results(values):
    if not isinstance(values, dict):
        raise HvymError(NOT_PROTOCOL, "a watch's values are not an object: %r" % (values,))
    return {str(topic): Result.from_json(r) for topic, r in values.items()}


def parse_subscribed(result):
    """(number, seq, results, sources) of a `watch` result."""
    if not isinstance(result, dict) or not isinstance(result.get("watch"), int):
        raise HvymError(NOT_PROTOCOL, "watch answered %r" % (result,))
    seq = result.get("seq", 0)
    sources = result.get("sources")
    return (result["watch"], seq if isinstance(seq, int) else 0, _results(result.get("values")),
            dict(sources) if isinstance(sources, dict) else {})


def parse_changed(params):
    """(seq, results, sources) of a `changed` notification."""
    seq = params.get("seq")
    if not isinstance(seq, int):
        raise HvymError(NOT_PROTOCOL, "a changed notification without seq: %r" % (params,))
    sources = params.get("sources")
    return seq, _results(params.get("values", {})), (
        dict(sources) if isinstance(sources, dict) else None)


def differing(old, new):
    """The results of `new` that differ from (or are not in) `old`."""
    return {topic: r for topic, r in new.items() if old.get(topic) != r}


def check_topics(topics):
    if isinstance(topics, str):
        topics = [topics]
    topics = list(topics)
    if not topics or not all(isinstance(t, str) and t for t in topics):
        raise ValueError("watch needs one or more topic names, not %r" % (topics,))
    return topics


def watch_refused(hello, why=None):
    """A WatchUnavailable when the connection cannot watch, else None."""
    if why is not None:
        return WatchUnavailable(NOT_RUN, "watch needs hvym serve; %s" % why)
    methods = ((hello or {}).get("capabilities") or {}).get("methods")
    if isinstance(methods, list) and "watch" not in methods:
        return WatchUnavailable(
            NOT_RUN, "this hvym serve (%s) has no watch method; upgrade hvym"
            % (hello or {}).get("hvym", "an older version"))
    return None


def report_callback_error(what):
    """A callback that raised: its traceback goes to stderr (the thread that
    called it goes on)."""
    sys.stderr.write("hvym_client: %s raised:\n" % what)
    traceback.print_exc()


class _Subscription(object):
    """One `watch` request's subscription on one connection; the Protocol
    routes its notifications here and Watch ignores stale ones."""

    def __init__(self, watch, conn):
        self.watch = watch
        self.conn = conn
        self.number = None

    def changed(self, params):
        self.watch._changed(self, params)

    def lost(self, error):
        self.watch._lost(self, error)


class Watch(object):
    """A watch of hvym serve (Hvym.watch). Read:

    values: topic -> value; results: topic -> Result; sources; seq: the
        state after the last change delivered (to on_change, or by next()).
    topics: what it watches. error: the HvymError that ended it, if one did.

    Iterate it (`for change in w:`), or next(timeout) for a bounded wait,
    unless it was made with on_change. close() (or leaving a `with` block)
    ends it with `unwatch`; iteration then stops.
    """

    def __init__(self, hvym, topics, on_change=None, on_error=None,
                 reconnect_timeout=RECONNECT_TIMEOUT, timeout=WATCH_TIMEOUT):
        self.topics = tuple(topics)
        self.values = {}
        self.results = {}
        self.sources = {}
        self.seq = None
        self.error = None
        self.closed = False
        self.on_change = on_change
        self.on_error = on_error
        self.reconnect_timeout = reconnect_timeout
        self.timeout = timeout
        self._hvym = hvym
        self._cond = threading.Condition(threading.RLock())
        self._queue = collections.deque()
        self._sub = None  # the live subscription
        self._ended = False  # ended without an error (its Hvym was closed)
        self._stop = threading.Event()
        # What the server has told (ahead of what was delivered).
        self._told = {}
        self._seq = None

    # -- subscribing -------------------------------------------------------------

    def _subscribe(self, conn, again):
        """Sends `watch` on conn and waits for its answer; installs the
        subscription on the reader thread (before any `changed` of it can
        be read). again: a re-subscription (delivers the differences)."""
        sub = _Subscription(self, conn)
        done = threading.Event()
        box = {}

        def on_result(result, error):
            try:
                if error is None:
                    number, seq, results, sources = parse_subscribed(result)
                    sub.number = number
                    box["change"] = self._install(sub, seq, results, sources, again)
            except HvymError as e:
                error = e
            box["error"] = error
            done.set()
            change = box.get("change")
            if change is not None:
                self._deliver(change)

        conn.call("watch", {"topics": list(self.topics)}, on_result)
        if not done.wait(self.timeout):
            raise HvymError(TIMEOUT, "hvym serve did not answer watch within %s s" % self.timeout)
        if box["error"] is not None:
            raise box["error"]

    def _install(self, sub, seq, results, sources, again):
        # The reader thread, on the answer to `watch`.
        with self._cond:
            if self.closed or self.error is not None:  # closed (or given up) meanwhile: end it
                threading.Thread(target=self._unwatch, args=(sub, False), daemon=True).start()
                return None
            old = self._told
            self._sub, self._told, self._seq = sub, dict(results), seq
            if not again:
                self.values = {t: r.value for t, r in results.items()}
                self.results = dict(results)
                self.sources = sources
                self.seq = seq
        if not sub.conn.protocol.add_watch(sub.number, sub):
            self._lost(sub, HvymError(CONNECTION_LOST, "the connection closed"))
            return None
        if again:
            return Change(seq, differing(old, results), sources, resubscribed=True)
        return None

    # -- what the reader thread brings ---------------------------------------------

    def _changed(self, sub, params):
        try:
            seq, results, sources = parse_changed(params)
        except HvymError:
            report_callback_error("a malformed changed notification %r" % (params,))
            return
        with self._cond:
            if sub is not self._sub or self.closed:
                return
            missed = seq != self._seq + 1
            self._seq = seq
            self._told.update(results)
            if sources is None:
                sources = self.sources
        self._deliver(Change(seq, results, sources, missed=missed))

    def _deliver(self, change):
        if self.on_change is None:
            with self._cond:
                self._queue.append(change)
                self._cond.notify_all()
            return
        with self._cond:
            self._apply(change)
        try:
            self.on_change(change)
        except Exception:
            report_callback_error("the on_change of a watch of %s" % ", ".join(self.topics))

    def _apply(self, change):
        values = dict(self.values)
        values.update(change.values)
        results = dict(self.results)
        results.update(change.results)
        self.values, self.results = values, results
        self.sources, self.seq = change.sources, change.seq

    def _lost(self, sub, error):
        with self._cond:
            if sub is not self._sub or self.closed:
                return
            self._sub = None
        if self._hvym._closed:
            return self._end(None)
        threading.Thread(target=self._rewatch, args=(sub.conn, error), name="hvym-rewatch",
                         daemon=True).start()

    def _rewatch(self, lost, error):
        """Finds a server again (as run() does after a drop) and subscribes
        again, retrying for reconnect_timeout seconds."""
        deadline = time.monotonic() + self.reconnect_timeout
        delay = 0.05
        last = error
        while not self.closed:
            if self._hvym._closed:
                return self._end(None)
            try:
                conn = self._hvym._reconnect(lost)
                lost = conn
                self._subscribe(conn, again=True)
                return
            except (HvymError, OSError, ValueError) as e:
                last = e
                if isinstance(e, HvymError) and e.code not in RETRIED:
                    break
            if time.monotonic() + delay > deadline:
                last = HvymError(CONNECTION_LOST, "lost the connection to hvym serve and could not "
                                 "watch again within %s s: %s" % (self.reconnect_timeout, last))
                break
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, 1.0)
        if not self.closed:
            self._end(last if isinstance(last, HvymError) else HvymError(CONNECTION_LOST, str(last)))

    def _end(self, error):
        with self._cond:
            if self.closed or self.error is not None or self._ended:
                return
            if error is None:
                self._ended = True
            else:
                self.error = error
            self._cond.notify_all()
        if error is not None and self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:
                report_callback_error("the on_error of a watch")

    # -- the caller's side -------------------------------------------------------

    def next(self, timeout=None):
        """The next Change, waiting for it (at most `timeout` seconds: then
        WatchTimeout). Raises the HvymError that ended the watch (the server
        could not be reached again) once the changes before it were taken;
        StopIteration once closed."""
        if self.on_change is not None:
            raise TypeError("this watch delivers its changes to on_change")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self.closed:
                    raise StopIteration
                if self._queue:
                    change = self._queue.popleft()
                    self._apply(change)
                    return change
                if self.error is not None:
                    raise self.error
                if self._ended:
                    raise StopIteration
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise WatchTimeout("no change of %s within %s s" % (", ".join(self.topics),
                                                                       timeout))
                self._cond.wait(remaining)

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def close(self):
        """Ends the watch (`unwatch`). Returns the server's `unwatched`
        (True), False when it had none of that number, None when nothing
        could be asked (no live subscription, or called from the reader
        thread, where it does not wait)."""
        with self._cond:
            if self.closed:
                return None
            self.closed = True
            sub, self._sub = self._sub, None
            self._queue.clear()
            self._cond.notify_all()
        self._stop.set()
        if sub is None:
            return None
        return self._unwatch(sub, wait=not sub.conn.on_reader_thread())

    def _unwatch(self, sub, wait):
        sub.conn.protocol.remove_watch(sub.number, sub)
        done = threading.Event()
        box = {}

        def on_result(result, error):
            box["unwatched"] = result.get("unwatched") if isinstance(result, dict) else None
            done.set()

        sub.conn.call("unwatch", {"watch": sub.number}, on_result)
        if wait and done.wait(self.timeout):
            return box["unwatched"]
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<Watch %s seq=%s%s>" % (", ".join(self.topics), self.seq,
                                        " closed" if self.closed else "")
