"""The fallback: `hvym CMD ARGS...` as a child process, answering with the
same Result (or HvymError) a server would."""
import json
import os
import signal
import subprocess
import sys
import threading

from ._protocol import (CANCELLED, INVALID_PARAMS, TIMEOUT, HvymError, Result, typed_value)

WINDOWS = sys.platform == "win32"
DEFAULT_TIMEOUT = 600


def child_env(*layers):
    """os.environ with each layer's variables set (None: removed)."""
    env = dict(os.environ)
    for layer in layers:
        for name, value in (layer or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
    return env


def _popen_kwargs():
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}  # a process group of its own, killed whole


def _kill(proc):
    if proc.poll() is not None:
        return
    try:
        if WINDOWS:
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


class ChildRun(object):
    """One command run as a child. start() starts it; wait() returns the
    Result or raises HvymError (timeout, cancelled); cancel() kills it."""

    def __init__(self, argv, cmd, stdin=None, timeout=None, env=None, cwd=None, on_output=None):
        self.argv = argv
        self.cmd = cmd
        self.stdin = (stdin or "").encode("utf-8") if not isinstance(stdin, bytes) else stdin
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.env = env
        self.cwd = cwd
        self.on_output = on_output
        self.proc = None
        self._why = None  # TIMEOUT or CANCELLED once it was killed for that
        self._lock = threading.Lock()
        self._out_lock = threading.Lock()  # one on_output call at a time
        self._out = {"stdout": [], "stderr": []}

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env, cwd=self.cwd,
                                     **_popen_kwargs())
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, "stdout"), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, "stderr"), daemon=True),
                         threading.Thread(target=self._feed, daemon=True)]
        for t in self._readers:
            t.start()
        return self

    def _feed(self):
        try:
            if self.stdin:
                self.proc.stdin.write(self.stdin)
        except OSError:
            pass
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def _read(self, pipe, stream):
        chunks = self._out[stream]
        for line in iter(pipe.readline, b""):
            chunks.append(line)
            if self.on_output is not None:
                with self._out_lock:
                    self.on_output(stream, line.decode("utf-8", "replace"))
        pipe.close()

    def cancel(self):
        with self._lock:
            if self.proc is None or self.proc.poll() is not None or self._why:
                return False
            self._why = CANCELLED
        _kill(self.proc)
        return True

    def wait(self):
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with self._lock:
                self._why = self._why or TIMEOUT
            _kill(self.proc)
            self.proc.wait()
        for t in self._readers:
            t.join()
        stdout = b"".join(self._out["stdout"]).decode("utf-8", "replace")
        stderr = b"".join(self._out["stderr"]).decode("utf-8", "replace")
        if self._why == TIMEOUT:
            raise HvymError(TIMEOUT, "%s took longer than %s s; stopped" % (self.cmd, self.timeout),
                            {"cmd": self.cmd, "exit": 1, "stdout": stdout, "stderr": stderr})
        if self._why == CANCELLED:
            raise HvymError(CANCELLED, "%s was cancelled" % self.cmd,
                            {"cmd": self.cmd, "exit": 1, "stdout": stdout, "stderr": stderr})
        code = self.proc.returncode
        return Result(self.cmd, code, stdout, stderr, typed_value(code, stdout))


def run_batch(binary, requests, env=None, cwd=None, timeout=None):
    """run_many without a server: one `hvym batch --json` process, whose
    answers are a server's batch answers (docs/batch.md)."""
    argv = [binary, "batch", "--json"]
    if timeout is not None:
        argv[2:2] = ["--timeout", str(timeout)]
    p = subprocess.run(argv, input=json.dumps(requests).encode("utf-8"), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, cwd=cwd)
    if p.returncode != 0:
        raise HvymError(INVALID_PARAMS, p.stderr.decode("utf-8", "replace").strip() or
                        "hvym batch exited %d" % p.returncode)
    return [Result.from_json(r) for r in json.loads(p.stdout.decode("utf-8", "replace"))]
