"""Helpers for the CLI tests: run the built hvym and look at what it did."""
import atexit
import functools
import os
import shutil
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

def _scratch_on_tmpfs():
    """The tests' scratch folders (tempfile's, so their HOMEs and stores) on
    /dev/shm when it has room: the stores' commits then cost no fsync, which
    on a busy disk was most of the wall time of the store-heavy suites (2500
    setters: 20 s on disk, 4 s here). Nothing asserts durability on disk;
    HVYM_TEST_ON_DISK=1 (scripts/bench --races and --soak set it) or an
    explicit TMPDIR keeps them where tempfile puts them. One folder per test
    process, /dev/shm/hvPID (short: podman refuses a run root over 50
    characters), removed when it exits, or by the next run if it was killed."""
    if os.environ.get("HVYM_TEST_ON_DISK") or os.environ.get("TMPDIR") \
            or os.environ.get("HVYM_HOST_SYSTEM") == "windows" or tempfile.tempdir:
        return
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize < (2 << 30) or not os.access(shm, os.W_OK | os.X_OK):
            return
        for name in os.listdir(shm):  # left by a test process that was killed
            path = os.path.join(shm, name)
            if name[:2] == "hv" and name[2:].isdigit() and not os.path.exists(f"/proc/{name[2:]}") \
                    and os.lstat(path).st_uid == os.getuid():
                shutil.rmtree(path, ignore_errors=True)
        mine = os.path.join(shm, f"hv{os.getpid()}")
        shutil.rmtree(mine, ignore_errors=True)
        os.mkdir(mine)
        os.chmod(mine, 0o755)  # reachable by others, as /tmp is (test_trust's second user)
    except OSError:
        return
    tempfile.tempdir = mine
    pid = os.getpid()
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(mine, ignore_errors=True))


_scratch_on_tmpfs()

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


# --- parts of a suite ----------------------------------------------------------
# A suite whose tests mostly wait (for hvym's own deadlines: the store's 10 s
# guard, the engine call's bound) runs as more than one meson test, so the
# waits overlap with other work (tests/cli/meson.build). @part("NAME") puts a
# test method or class in part NAME; the rest are part "main". With
# HVYM_TEST_PART set, `load_tests = by_part` in a test file runs that part
# only; unset (by hand, scripts/bench), every test runs.
def part(name):
    def mark(test):
        test.hvym_part = name
        return test
    return mark


def _flat(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flat(t)
        else:
            yield t


def by_part(loader, tests, pattern):
    want = os.environ.get("HVYM_TEST_PART")
    if not want:
        return tests
    kept = unittest.TestSuite()
    for t in _flat(tests):
        method = getattr(t, getattr(t, "_testMethodName", ""), None)
        name = getattr(method, "hvym_part", None) or getattr(type(t), "hvym_part", None) or "main"
        if name == want:
            kept.addTest(t)
    if not kept.countTestCases():
        raise RuntimeError(f"no test is in part {want!r} (HVYM_TEST_PART)")
    return kept
