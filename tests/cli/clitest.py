"""Helpers for the CLI tests: run the built hvym and look at what it did."""
import functools
import os
import subprocess
import tempfile
import unittest

BIN = os.environ.get("HVYM_BIN", "")
# The CPU hvym was built for (meson's cpu_family): the recorded cases were
# made on x86-64, where the dapp name ends in linux-amd64.
HOST_CPU = os.environ.get("HVYM_HOST_CPU", "x86_64")


def as_on_this_cpu(recorded, files=None):
    """A recorded stdout as the original prints it on hvym's CPU (a dapp name
    the recorded data folder stores is printed as stored)."""
    stored = any("-linux-amd64" in text for text in (files or {}).values())
    if HOST_CPU == "aarch64" and not stored:
        return recorded.replace("-linux-amd64", "-linux-arm64")
    return recorded

STRICT = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def require(present, what):
    """unittest.skipUnless for a part scripts/setup installs, except that
    under CI=true a missing part fails the test instead of skipping it."""
    if present:
        return lambda test: test
    if not STRICT:
        return unittest.skip(what)
    why = f"CI=true and {what}"

    def failing(test):
        if isinstance(test, type):
            def set_up_class(cls):
                raise RuntimeError(why)
            test.setUpClass = classmethod(set_up_class)
            return test

        @functools.wraps(test)
        def fail(*args, **kwargs):
            raise AssertionError(why)
        return fail
    return failing


class Result:
    def __init__(self, p):
        self.code = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    def __repr__(self):
        return f"<exit {self.code} out={self.out!r} err={self.err[-400:]!r}>"


def run(*args, exe=None, env=None, stdin=b"", cwd=None, timeout=20, home=None):
    """Runs hvym (or exe, e.g. a link to it) with a scratch HOME by default."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    scratch = None
    if home is None:
        scratch = tempfile.TemporaryDirectory()
        home = scratch.name
    full_env["HOME"] = home
    for name in ("HVYM_EXE", "WINEPREFIX", "WINEDEBUG"):  # the Windows build's wrapper
        if name in os.environ:
            full_env[name] = os.environ[name]
    if env:
        full_env.update(env)
    argv = [exe or BIN, *args]
    try:
        p = subprocess.run(argv, input=stdin, capture_output=True, env=full_env, cwd=cwd,
                           timeout=timeout)
    finally:
        if scratch:
            scratch.cleanup()
    return Result(p)
