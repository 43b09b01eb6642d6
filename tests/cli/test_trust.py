"""The data folder against another local user (issue 28, points 2 and 12).

A user who owns a parent folder of root's data folder swaps folders under it
(renameat2 RENAME_EXCHANGE in a loop, as that user) while root runs hvym:
root must never read that user's store or legacy file, never write its
token into their store, never make its store in their folder. hvym opens
the folder once, checks the descriptor and works relative to it.

Real processes throughout: a second local user (hvymtest, made here with
useradd when missing), the attacker as that user, hvym as root. Without
root the tests are skipped; under CI=true they fail instead.

Also: files in the data folder that are not what they should be (another
user's db.json, a linked one, a data.mdb that is a folder or FIFO), and a
store created on a full disk. HVYM_TRUST_ROUNDS sets the rounds of each
race (default 300)."""
import ctypes
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import STRICT, require, run  # noqa: E402

USER = "hvymtest"
ROUNDS = int(os.environ.get("HVYM_TRUST_ROUNDS", "300"))
IS_ROOT = os.geteuid() == 0

# The attacker: swaps two folders (RENAME_EXCHANGE: both names always
# exist) as fast as it can until killed. Run as the second user.
ATTACKER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
if libc.renameat2(-100, a, -100, b, 2) != 0 or libc.renameat2(-100, a, -100, b, 2) != 0:
    print("renameat2:", os.strerror(ctypes.get_errno()), flush=True)
    sys.exit(1)
print("swapping", flush=True)
while True:
    libc.renameat2(-100, a, -100, b, 2)
"""


def tinydb(port, token):
    return json.dumps({"_default": {}, "app_data": {"1": {
        "data_type": "APP_DATA", "pinggy_token": token, "pintheon_port": port}}})


def missing(why):
    """A part the tests need is not there: skipped, or failed under CI=true."""
    if STRICT:
        raise AssertionError("CI=true and " + why)
    raise unittest.SkipTest(why)


def second_user():
    """The second local user's passwd entry, made when missing (root only)."""
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        pass
    p = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                       capture_output=True)
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        missing(f"no user {USER} and useradd could not make one: {p.stderr!r}")


def renameat2_works():
    return hasattr(ctypes.CDLL(None), "renameat2")


def python_for(user):
    """A python3 the second user may run (not one under /root)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", sys.executable):
        if os.path.exists(candidate) and subprocess.run(
                [candidate, "-c", ""], preexec_fn=as_user(user), capture_output=True).returncode == 0:
            return candidate
    return None


def as_user(user):
    def become():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    return become


@require(IS_ROOT, "needs root: the attacker is a second local user")
class SwappedFolders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.user = second_user()
        if not renameat2_works():
            missing("no renameat2 in this C library")

    def setUp(self):
        self.base = tempfile.mkdtemp()
        os.chmod(self.base, 0o755)  # the attacker reaches its folder through it
        self.home = os.path.join(self.base, "roothome")
        os.mkdir(self.home, 0o700)
        self.parent = os.path.join(self.base, "att")  # the attacker's own folder
        os.mkdir(self.parent, 0o755)
        self.attacker = None

    def tearDown(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def hvym(self, *args, env=None):
        return run(*args, home=self.home, env=env)

    def give_away(self, path):
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), self.user.pw_uid, self.user.pw_gid)
        os.lchown(path, self.user.pw_uid, self.user.pw_gid)

    def folder(self, name, owner_is_attacker, files=None, port=None):
        path = os.path.join(self.parent, name)
        os.mkdir(path, 0o700)
        for fname, text in (files or {}).items():
            with open(os.path.join(path, fname), "w") as f:
                f.write(text)
        if port is not None:
            r = self.hvym("pintheon-set-port", str(port), env={"HVYM_HOME": path})
            self.assertEqual(r.code, 0, r)
        if owner_is_attacker:
            self.give_away(path)
        return path

    def start(self, a, b):
        os.lchown(self.parent, self.user.pw_uid, self.user.pw_gid)
        python = python_for(self.user)
        if not python:
            missing(f"no python3 that {USER} may run")
        self.attacker = subprocess.Popen([python, "-c", ATTACKER, a, b], stdout=subprocess.PIPE,
                                         preexec_fn=as_user(self.user))
        line = self.attacker.stdout.readline()
        if line != b"swapping\n":
            self.stop()
            missing(f"the attacker cannot swap folders here: {line!r}")

    def stop(self):
        if self.attacker:
            if self.attacker.poll() is None:
                self.attacker.kill()
            self.attacker.wait()
            self.attacker.stdout.close()
            self.attacker = None

    def tally(self, results, ours, theirs):
        counts = {"ours": 0, "theirs": 0, "refused": 0, "other": []}
        for r in results:
            if r.code == 0 and r.out == ours:
                counts["ours"] += 1
            elif r.out == theirs:
                counts["theirs"] += 1
            elif r.code == 1 and (b"belongs to another user" in r.err or
                                  b"changed while it was opened" in r.err):  # without /proc
                counts["refused"] += 1
            else:
                counts["other"].append(r)
        return counts

    def assert_never_theirs(self, counts, what):
        print(f"\n{what}: {ROUNDS} rounds: {counts['ours']} ours, {counts['refused']} refused, "
              f"{counts['theirs']} the other user's, {len(counts['other'])} other", file=sys.stderr)
        self.assertEqual(counts["theirs"], 0, f"{what}: root used the other user's folder")
        self.assertEqual(counts["other"], [], what)
        # The race ran: both folders stood at the path during the rounds.
        self.assertGreater(counts["ours"], 0, what)
        self.assertGreater(counts["refused"], 0, what)

    def test_the_store_is_never_the_other_users(self):
        """Queries read root's store or refuse the other user's folder; a setter
        never writes root's token into the other user's store."""
        data = self.folder("data", False, port=5555)
        theirs = self.folder("other", True, port=4444)
        env = {"HVYM_HOME": data}
        self.start(data, theirs)
        reads = [self.hvym("pintheon-port", env=env) for _ in range(ROUNDS)]
        writes = [self.hvym("pinggy-set-token", f"ROOTSECRET-{i}", env=env) for i in range(ROUNDS)]
        self.stop()
        leaked = set()  # root's tokens found in the other user's store (old pages too)
        for name in ("data", "other"):
            path = os.path.join(self.parent, name)
            if os.stat(path).st_uid == self.user.pw_uid:
                with open(os.path.join(path, "hvym.lmdb", "data.mdb"), "rb") as f:
                    leaked.update(re.findall(rb"ROOTSECRET-\d+", f.read()))
        written = sum(1 for w in writes if w.code == 0)
        print(f"\ntoken writes: {ROUNDS} rounds: {written} written, {len(leaked)} of them found in the "
              "other user's store", file=sys.stderr)
        self.assert_never_theirs(self.tally(reads, b"5555\n", b"4444\n"), "store reads")
        self.assertEqual(leaked, set(), "root's token went into the other user's store")
        self.assertGreater(written, 0)

    def import_rounds(self, env, ours_fd, theirs_fd, made_in=None):
        results, stores_in_theirs = [], 0
        for _ in range(ROUNDS):
            results.append(self.hvym("pintheon-port", env=env))
            # Back to a first run: no store anywhere.
            for fd in (ours_fd, theirs_fd):
                for name in os.listdir(fd):
                    if name.startswith("hvym.lmdb"):
                        if fd == theirs_fd:
                            stores_in_theirs += 1
                        shutil.rmtree(name, dir_fd=fd)
            if made_in:
                shutil.rmtree(os.path.join(made_in, "hvym.lmdb"), ignore_errors=True)
        return results, stores_in_theirs

    def test_the_first_import_never_reads_the_other_users_db_json(self):
        data = self.folder("data", False, files={"db.json": tinydb(5555, "root-token")})
        theirs = self.folder("other", True, files={"db.json": tinydb(4444, "their-token")})
        ours_fd, theirs_fd = os.open(data, os.O_RDONLY), os.open(theirs, os.O_RDONLY)
        try:
            self.start(data, theirs)
            results, stores_in_theirs = self.import_rounds({"HVYM_HOME": data}, ours_fd, theirs_fd)
            self.stop()
        finally:
            os.close(ours_fd)
            os.close(theirs_fd)
        print(f"\nfirst imports: {stores_in_theirs} stores made in the other user's folder", file=sys.stderr)
        self.assert_never_theirs(self.tally(results, b"5555\n", b"4444\n"), "first imports")
        self.assertEqual(stores_in_theirs, 0, "root made its store in the other user's folder")

    def test_the_older_releases_db_json_is_never_the_other_users(self):
        # No HVYM_HOME: the data folder is root's own (~/.local/share/...),
        # and the older releases' folder is $XDG_DATA_HOME/heavymeta-cli,
        # under the attacker's folder.
        older = self.folder("heavymeta-cli", False, files={"db.json": tinydb(5555, "root-token")})
        theirs = self.folder("other", True, files={"db.json": tinydb(4444, "their-token")})
        made_in = os.path.join(self.home, ".local", "share", "heavymeta-cli")
        ours_fd, theirs_fd = os.open(older, os.O_RDONLY), os.open(theirs, os.O_RDONLY)
        try:
            self.start(older, theirs)
            results, stores_in_theirs = self.import_rounds({"XDG_DATA_HOME": self.parent}, ours_fd, theirs_fd,
                                                           made_in=made_in)
            self.stop()
        finally:
            os.close(ours_fd)
            os.close(theirs_fd)
        counts = self.tally(results, b"5555\n", b"4444\n")
        # An untrusted older folder is no source: the defaults answer then.
        defaults = [r for r in counts["other"] if r.code == 0 and r.out == b"9998\n"]
        counts["refused"] += len(defaults)
        counts["other"] = [r for r in counts["other"] if r not in defaults]
        self.assert_never_theirs(counts, "older releases' imports")
        self.assertEqual(stores_in_theirs, 0)


@require(IS_ROOT, "needs root: the attacker is a second local user")
class WithoutProc(unittest.TestCase):
    def test_the_check_after_open_where_there_is_no_proc(self):
        """Where /proc/self/fd is not there (another system, a chroot), LMDB
        opens by path and hvym then compares what it opened with what it
        looked at: the store race again, with /proc unmounted in a mount
        namespace of its own."""
        if os.environ.get("HVYM_TRUST_NO_PROC"):
            self.skipTest("inside the namespace already")
        unshare = shutil.which("unshare")
        probe = unshare and subprocess.run([unshare, "--mount", "--propagation", "private", "true"],
                                           capture_output=True)
        if not probe or probe.returncode != 0:
            self.skipTest("no mount namespace for this process (unshare)")
        p = subprocess.run(
            [unshare, "--mount", "--propagation", "private", "sh", "-c",
             'umount -l /proc && test ! -e /proc/self/fd && exec "$0" "$@"',
             sys.executable, os.path.abspath(__file__), "SwappedFolders.test_the_store_is_never_the_other_users"],
            env={**os.environ, "HVYM_TRUST_NO_PROC": "1"}, capture_output=True, timeout=600)
        for line in p.stderr.decode(errors="replace").splitlines():
            if "rounds" in line:
                print("\nwithout /proc, " + line, file=sys.stderr)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace")[-3000:])
        self.assertIn(b"OK", p.stderr)


@require(IS_ROOT, "needs root: files of a second local user")
class ForeignFiles(unittest.TestCase):
    """Files in root's own data folder that are not root's, or not files."""

    @classmethod
    def setUpClass(cls):
        cls.user = second_user()

    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.data = os.path.join(self.home, "data")
        os.mkdir(self.data, 0o700)
        self.env = {"HVYM_HOME": self.data}

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def hvym(self, *args):
        return run(*args, home=self.home, env=self.env, timeout=10)

    def test_another_users_db_json_is_not_read(self):
        path = os.path.join(self.data, "db.json")
        with open(path, "w") as f:
            f.write(tinydb(4444, "their-token"))
        os.chown(path, self.user.pw_uid, self.user.pw_gid)
        r = self.hvym("pintheon-port")
        self.assertEqual((r.code, r.out), (0, b"9998\n"), r)  # a warning and the defaults
        self.assertIn(b"belongs to another user", r.err)
        r = self.hvym("pintheon-set-port", "5555")
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"belongs to another user", r.err)
        self.assertEqual(sorted(os.listdir(self.data)), ["db.json"])  # nothing imported or made
        os.chown(path, 0, 0)
        self.assertEqual(self.hvym("pintheon-port").out, b"4444\n")  # root's own: imported

    def test_a_linked_db_json_or_data_folder_is_not_followed(self):
        elsewhere = os.path.join(self.home, "elsewhere.json")
        with open(elsewhere, "w") as f:
            f.write(tinydb(4444, "linked"))
        os.symlink(elsewhere, os.path.join(self.data, "db.json"))
        r = self.hvym("pintheon-port")
        self.assertEqual((r.code, r.out), (0, b"9998\n"), r)
        linked = os.path.join(self.home, "linked-data")
        os.symlink(self.data, linked)
        r = run("pintheon-port", home=self.home, env={"HVYM_HOME": linked})
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"symbolic link", r.err)

    def test_an_enc_db_json_of_another_user_is_not_read(self):
        path = os.path.join(self.data, "enc_db.json")
        with open(path, "wb") as f:
            f.write(b"0" * 64)
        os.chown(path, self.user.pw_uid, self.user.pw_gid)
        r = run("stellar-import-legacy", "--passphrase-file", "-", home=self.home, env=self.env,
                stdin=b"pass\n", timeout=30)
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"belongs to another user", r.err)


def fill(path):
    """Writes to path until the file system holding it is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


class Errors(unittest.TestCase):
    """Point 12: a full disk, and a data.mdb that is not a file."""

    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.data = os.path.join(self.home, "data")
        self.env = {"HVYM_HOME": self.data}

    def tearDown(self):
        subprocess.run(["umount", os.path.join(self.home, "full")], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def hvym(self, *args, env=None):
        return run(*args, home=self.home, env=env or self.env, timeout=10)

    def test_a_data_mdb_that_is_not_a_file(self):
        self.assertEqual(self.hvym("pintheon-set-port", "4000").code, 0)
        mdb = os.path.join(self.data, "hvym.lmdb", "data.mdb")
        os.rename(mdb, mdb + ".away")
        for make in (os.mkdir, os.mkfifo, lambda p: os.symlink(mdb + ".away", p)):
            make(mdb)
            for args in (("pintheon-port",), ("pintheon-set-port", "4001"), ("batch", "pintheon-port")):
                r = self.hvym(*args)
                err = r.err if args[0] != "batch" else json.loads(r.out)[0]["stderr"].encode()
                self.assertIn(b"data.mdb is not a regular file", err, (make, args, r))
                self.assertNotIn(b"truncated", err)
            (os.rmdir if make is os.mkdir else os.unlink)(mdb)
        os.rename(mdb + ".away", mdb)
        self.assertEqual(self.hvym("pintheon-port").out, b"4000\n")

    @unittest.skipUnless(IS_ROOT, "needs root to mount a small file system")
    def test_a_full_disk_says_so(self):
        full = os.path.join(self.home, "full")
        os.mkdir(full)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", full], capture_output=True)
        if p.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here: {p.stderr!r}")
        data = os.path.join(full, "data")
        os.mkdir(data, 0o700)
        # Fill it to the last byte, then a first setter creates the store.
        fill(os.path.join(full, "fill"))
        r = self.hvym("pintheon-set-port", "4000", env={"HVYM_HOME": data})
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"no space left on the device", r.err)
        self.assertNotIn(b"damaged", r.err)
        self.assertNotIn(b".new-", r.err)  # named at its real place, not the creation's folder
        self.assertIn(os.path.join(data, "hvym.lmdb").encode(), r.err)
        self.assertEqual(os.listdir(data), [])  # nothing left behind
        # An existing store whose commit finds the disk full: no room at all
        # (ENOSPC), or room for part of the pages (a short write, which LMDB
        # reports as EIO).
        os.unlink(os.path.join(full, "fill"))
        self.assertEqual(self.hvym("pintheon-set-port", "4000", env={"HVYM_HOME": data}).code, 0)
        for room in (0, 12288):
            fill(os.path.join(full, "fill"))
            os.truncate(os.path.join(full, "fill"), os.path.getsize(os.path.join(full, "fill")) - room)
            r = self.hvym("pinggy-set-token", "t" * 30000, env={"HVYM_HOME": data})
            self.assertEqual(r.code, 1, (room, r))
            self.assertIn(b"no space left on the device", r.err, room)
            self.assertNotIn(b"Input/output error", r.err)
            os.unlink(os.path.join(full, "fill"))
            self.assertEqual(self.hvym("pintheon-port", env={"HVYM_HOME": data}).out, b"4000\n")


if __name__ == "__main__":
    unittest.main()
