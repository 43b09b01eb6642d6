"""Stellar accounts and the vault as a user meets them: words shown once,
recovery from the words, wrong passphrases, a new passphrase, the Python
CLI's enc_db.json (written here with openssl), Friendbot on loopback,
concurrent creation, and no secret in clear anywhere."""
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, run  # noqa: E402
from realparts import http_server  # noqa: E402

REL = ".local/share/heavymeta-cli"
# SEP-0005 test case 1, account 0 (a published key: never for real money).
WORDS = "illness spike retreat truth genius clock brain pass fit cave bargain toe"
G = "GDRXE2BQUC3AZNPVFSCEZ76NJ3WWL25FYFK6RGZGIEKWE4SOOHSUJUJ6"
S = "SBGWSG6BTNCKCOB3DIFBGCVMUPQFYPA2G4O34RMTB343OYPXU5DJDVMN"
# SEP-0005 test case 3 (24 words).
WORDS24 = ("bench hurt jump file august wise shallow faculty impulse spring exact slush thunder author "
           "capable act festival slice deposit sauce coconut afford frown better")
G24 = "GC3MMSXBWHL6CPOAVERSJITX7BH76YU252WGLUOM5CJX3E7UCYZBTPJQ"
S24 = "SAEWIVK3VLNEJ3WEJRZXQGDAS5NVG2BYSYDFRSH4GKVTS5RXNVED5AX7"


def b32decode_strkey(key):
    import base64
    return base64.b32decode(key)[1:33]


def x25519_of(public_key):
    """The original's 25519_pub, computed here independently: the Edwards
    y of the Ed25519 key mapped to Montgomery u = (1 + y) / (1 - y)."""
    import base64
    p = 2 ** 255 - 19
    y = int.from_bytes(b32decode_strkey(public_key), "little") & ((1 << 255) - 1)
    u = (1 + y) * pow((1 - y) % p, p - 2, p) % p
    return base64.urlsafe_b64encode(u.to_bytes(32, "little")).decode()


HOLDER = os.path.join(os.path.dirname(BIN), "tests", "tools", "store-holder")


class Base(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.home, True)
        self.data = os.path.join(self.home, REL)
        self.pw = self.secret_file("pw", "correct horse battery\n")

    def secret_file(self, name, text):
        path = os.path.join(self.home, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def hvym(self, *args, env=None, stdin=b""):
        r = run(*args, env=env, stdin=stdin, home=self.home, timeout=60)
        self.seen_err = getattr(self, "seen_err", b"") + r.err
        return r

    def ok(self, *args, **kw):
        r = self.hvym(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r.out.decode()

    def new(self, name, *extra):
        return self.ok("stellar-new-account", "--name", name, "--passphrase-file", self.pw, *extra)

    def listed(self):
        return json.loads(self.ok("stellar-list", "--json"))

    def store(self, *args):
        """Reads or writes a key with LMDB's own API (tests/tools/store-holder)."""
        p = subprocess.run([HOLDER, os.path.join(self.data, "hvym.lmdb"), *args], capture_output=True, check=True)
        return p.stdout.decode()

    def data_mdb(self):
        with open(os.path.join(self.data, "hvym.lmdb", "data.mdb"), "rb") as f:
            return f.read()



class Vault(Base):
    def test_words_recover_the_same_account(self):
        out = self.new("alice", "--show-mnemonic").splitlines()
        self.assertEqual(len(out), 2)
        public, words = out
        self.assertTrue(public.startswith("G") and len(public) == 56)
        self.assertEqual(len(words.split()), 24)
        self.assertEqual(self.listed()[0]["25519_pub"], x25519_of(public))
        self.hvym("stellar-remove-account", "alice", "--yes")
        self.assertEqual(self.listed(), [])
        words_file = self.secret_file("words", words.upper() + "\n")
        again = self.new("alice-again", "--mnemonic-file", words_file)
        self.assertEqual(again, public + "\n")

    def test_sep0005_words_give_the_published_keys(self):
        words = self.secret_file("words", WORDS24)
        self.assertEqual(self.new("vector", "--mnemonic-file", words), G24 + "\n")
        out = self.ok("stellar-load-keys", "--show-secret", "--passphrase-file", self.pw)
        self.assertEqual(out, f"{G24}\n{S24}\n")
        self.assertEqual(self.ok("stellar-load-shared-pub"), x25519_of(G24) + "\n")
        r = self.hvym("stellar-new-account", "--name", "twice", "--passphrase-file", self.pw, "--mnemonic-file", words)
        self.assertEqual(r.code, 1)
        self.assertIn(b"already, as 'vector'", r.err)

    def test_bad_words_are_refused_and_nothing_changes(self):
        self.new("first", "--show-mnemonic")
        before = self.data_mdb()
        for text, why in ((WORDS.replace("toe", "tow"), b"word 12 is not in the BIP-39 English list"),
                          (WORDS.replace("illness", "spike", 1), b"checksum"),
                          ("illness spike", b"12, 15, 18, 21 or 24 words")):
            r = self.hvym("stellar-new-account", "--name", "x", "--passphrase-file", self.pw,
                          "--mnemonic-file", self.secret_file("w", text))
            self.assertEqual(r.code, 1, r)
            self.assertIn(why, r.err)
        self.assertEqual(self.data_mdb(), before)

    def test_a_passphrase_of_spaces_is_no_passphrase(self):
        spaces = self.secret_file("spaces", "    \n")
        r = self.hvym("stellar-new-account", "--name", "x", "--passphrase-file", spaces, "--show-mnemonic")
        self.assertEqual((r.code, r.out), (1, b""), r)
        self.assertIn(b"empty or only spaces", r.err)
        self.new("alice", "--show-mnemonic")
        before = self.data_mdb()
        r = self.hvym("stellar-update-db-pw", "--passphrase-file", self.pw, "--new-passphrase-file", spaces)
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"empty or only spaces", r.err)
        self.assertEqual(self.data_mdb(), before)

    def test_wrong_passphrase_changes_nothing(self):
        self.new("alice", "--show-mnemonic")
        before = self.data_mdb()
        bad = self.secret_file("bad", "not it\n")
        for args in (("stellar-new-account", "--name", "bob", "--passphrase-file", bad, "--show-mnemonic"),
                     ("stellar-load-keys", "--show-secret", "--passphrase-file", bad),
                     ("stellar-update-db-pw", "--passphrase-file", bad, "--new-passphrase-file", self.pw)):
            r = self.hvym(*args)
            self.assertEqual((r.code, r.out), (1, b""), args)
            self.assertIn(b"wrong passphrase", r.err)
        self.assertEqual(self.data_mdb(), before)
        self.assertEqual([a["name"] for a in self.listed()], ["alice"])

    def test_new_passphrase_seals_everything_again(self):
        words = self.secret_file("words", WORDS)
        self.new("one", "--mnemonic-file", words)
        self.new("two", "--show-mnemonic")
        new_pw = self.secret_file("new", "a whole new phrase\n")
        self.ok("stellar-update-db-pw", "--passphrase-file", self.pw, "--new-passphrase-file", new_pw)
        r = self.hvym("stellar-select-keys", "one", "--show-secret", "--passphrase-file", self.pw)
        self.assertIn(b"wrong passphrase", r.err)
        self.assertEqual(self.ok("stellar-select-keys", "one", "--show-secret", "--passphrase-file", new_pw),
                         f"{G}\n{S}\n")
        self.assertEqual(len(self.ok("stellar-select-keys", "two", "--show-secret", "--passphrase-file",
                                     new_pw).split()), 2)
        # Both from standard input: the current one first, then the new one.
        self.ok("stellar-update-db-pw", "--passphrase-file", "-", "--new-passphrase-file", "-",
                stdin=b"a whole new phrase\nthird\n")
        self.assertEqual(self.ok("stellar-load-keys", "--show-secret", "--passphrase-file", "-", stdin=b"third\n"),
                         self.ok("stellar-select-keys", "two", "--show-secret", "--passphrase-file", "-",
                                 stdin=b"third\n"))

    def test_active_account_set_and_removed(self):
        for n in ("a", "b", "c"):
            self.new(n, "--show-mnemonic")
        active = lambda: [x["name"] for x in self.listed() if x["active"]]  # noqa: E731
        self.assertEqual(active(), ["c"])  # the newest
        self.assertEqual(self.ok("stellar-set-account", "-q", "a"), "a\n")
        self.assertEqual(active(), ["a"])
        r = self.hvym("stellar-remove-account", "a", "--yes")
        self.assertIn(b"the active account is b", r.err)
        self.assertEqual(active(), ["b"])
        self.hvym("stellar-set-account", "c")
        self.hvym("stellar-remove-account", "c", "--yes")
        self.assertEqual(active(), ["b"])  # the last one: the one before it
        self.assertEqual(self.hvym("stellar-set-account", "nobody").code, 1)
        text = self.ok("stellar-list")
        self.assertTrue(text.startswith("* G") and text.rstrip().endswith("  b"), text)

    def test_removing_asks_unless_yes(self):
        self.new("keep", "--show-mnemonic")
        r = self.hvym("stellar-remove-account", "keep")
        self.assertEqual(r.code, 1)
        self.assertIn(b"cannot ask for a confirmation (or give --yes)", r.err)
        self.assertEqual(len(self.listed()), 1)

    def test_no_input_and_no_dialog(self):
        r = self.hvym("stellar-new-account", "--name", "x", "--no-input")
        self.assertEqual(r.code, 1)
        self.assertIn(b"input is disabled (--no-input)", r.err)
        # Without --show-mnemonic the words must be seen: no terminal, no dialog, no account.
        r = self.hvym("stellar-new-account", "--name", "x", "--passphrase-file", self.pw)
        self.assertEqual((r.code, r.out), (1, b""), r)
        self.assertIn(b"cannot ask for the recovery words to be seen", r.err)
        self.assertEqual(self.listed(), [])

    def test_dialog_protocol_asks_name_passphrase_twice_and_shows_words(self):
        log = os.path.join(self.home, "dialog.log")
        script = self.secret_file("dialog", f"""#!/bin/sh
printf '%s\\n' "$1" >> {log}
printf '%s\\n' "$*" >> {log}.args
case "$1" in
  line) echo dialog-made ;;
  secret) echo sekret-pass ;;
  copy) cat > {log}.words ;;
esac
""")
        os.chmod(script, 0o755)
        out = self.ok("stellar-new-account", env={"HVYM_DIALOG": script})
        with open(log) as f:
            self.assertEqual(f.read().split(), ["line", "secret", "secret", "copy"])
        with open(log + ".words") as f:
            shown = f.read()
        # Labelled and numbered in two columns (1-12 beside 13-24), all in view.
        self.assertTrue(shown.startswith("Recovery words:\n"), shown)
        cells = re.findall(r"(\d+)\. ([a-z]+)", shown)
        self.assertEqual([int(n) for n, _ in sorted(cells, key=lambda c: int(c[0]))], list(range(1, 25)))
        words = " ".join(w for _, w in sorted(cells, key=lambda c: int(c[0]))) + "\n"
        with open(log + ".args") as f:  # never in a dialog program's arguments
            args = f.read()
        self.assertIn("--read-only", args)
        w = words.split()
        for probe in (" ".join(w[:3]), " ".join(w[-3:]), "1. " + w[0], "13. " + w[12]):
            self.assertNotIn(probe, args)
        self.ok("stellar-remove-account", "dialog-made", "--yes")
        recovered = self.ok("stellar-new-account", "--name", "again", "--passphrase-file", "-",
                            "--mnemonic-file", self.secret_file("w", words), stdin=b"sekret-pass\n")
        self.assertEqual(recovered, out)

    def asking_dialog(self, *secrets):
        """An $HVYM_DIALOG program answering the secret questions in turn."""
        answers = self.secret_file("answers", "".join(a + "\n" for a in secrets))
        count = os.path.join(self.home, "count")
        script = self.secret_file("dialog", f"""#!/bin/sh
case "$1" in
  line) echo typed-name ;;
  secret) n=$(($(cat {count} 2>/dev/null || echo 0) + 1)); echo $n > {count}; sed -n "${{n}}p" {answers} ;;
  copy) cat > /dev/null ;;
esac
""")
        os.chmod(script, 0o755)
        return {"HVYM_DIALOG": script}

    def test_two_passphrases_that_differ_are_asked_again(self):
        r = self.hvym("stellar-new-account", env=self.asking_dialog("first-try", "frist-try", "", "good-pass", "good-pass"))
        self.assertEqual(r.code, 0, r)
        self.assertIn(b"the two passphrases differ; type it again.", r.err)
        self.assertIn(b"the passphrase is empty or only spaces; type it again.", r.err)
        for wrong in ("first-try\n", "frist-try\n"):
            r = self.hvym("stellar-load-keys", "--show-secret", "--passphrase-file", "-", stdin=wrong.encode())
            self.assertIn(b"wrong passphrase", r.err)
        r = self.hvym("stellar-load-keys", "--show-secret", "--passphrase-file", "-", stdin=b"good-pass\n")
        self.assertEqual(r.code, 0, r)

    def test_three_slips_change_nothing(self):
        r = self.hvym("stellar-new-account", env=self.asking_dialog("a1", "b1", "a2", "b2", "a3", "b3", "ok", "ok"))
        self.assertEqual((r.code, r.out), (1, b""), r)
        self.assertIn(b"the two passphrases differ (3 tries); nothing changed.", r.err)
        self.assertEqual(self.listed(), [])

    def test_friendbot_funding(self):
        words = self.secret_file("words", WORDS)
        server = http_server(files={f"/?addr={G}": b'{"successful": true}'})
        self.addCleanup(server.close)
        self.ok("config", "set", "stellar_friendbot_url", f"http://127.0.0.1:{server.port}")
        r = self.hvym("stellar-new-testnet-account", "--name", "t1", "--passphrase-file", self.pw,
                      "--mnemonic-file", words)
        self.assertEqual((r.code, r.out), (0, (G + "\n").encode()), r)
        self.assertIn(b"Funded by Friendbot", r.err)
        entry = self.listed()[0]
        self.assertEqual((entry["testnet"], entry["funded"]), (True, True))

    def test_friendbot_failures_keep_the_account(self):
        bad = http_server(status=400)
        self.addCleanup(bad.close)
        self.ok("config", "set", "stellar_friendbot_url", f"http://127.0.0.1:{bad.port}")
        r = self.hvym("stellar-new-testnet-account", "--name", "t400", "--passphrase-file", self.pw, "--show-mnemonic")
        self.assertEqual(r.code, 0, r)
        self.assertIn(b"not funded: Friendbot answered HTTP 400", r.err)
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        self.ok("config", "set", "stellar_friendbot_url", f"http://127.0.0.1:{closed}")
        r = self.hvym("stellar-new-testnet-account", "--name", "tdown", "--passphrase-file", self.pw, "--show-mnemonic")
        self.assertEqual(r.code, 0, r)
        self.assertIn(b"not funded: cannot reach Friendbot", r.err)
        self.assertEqual([(a["name"], a["funded"]) for a in self.listed()], [("t400", False), ("tdown", False)])

    def test_concurrent_creation_loses_nothing(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home, "LANG": "C.UTF-8"}
        procs = []
        for p in range(4):
            script = "; ".join(
                f"{BIN} stellar-new-account --name p{p}-{i} --passphrase-file {self.pw} --show-mnemonic >/dev/null || exit 1"
                for i in range(5))
            procs.append(subprocess.Popen(["sh", "-c", script], env=env, stderr=subprocess.PIPE))
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
        names = sorted(a["name"] for a in self.listed())
        self.assertEqual(names, sorted(f"p{p}-{i}" for p in range(4) for i in range(5)))
        for name in names[::4]:
            keys = self.ok("stellar-select-keys", name, "--show-secret", "--passphrase-file", self.pw).split()
            self.assertEqual(len(keys), 2)

    def test_no_secret_in_clear_anywhere(self):
        out = self.new("alice", "--show-mnemonic").splitlines()
        words = out[1]
        secret = self.ok("stellar-load-keys", "--show-secret", "--passphrase-file", self.pw).split()[1]
        self.ok("stellar-update-db-pw", "--passphrase-file", self.pw, "--new-passphrase-file", self.pw)
        blobs = b""
        for root, _, files in os.walk(self.data):
            for f in files:
                path = os.path.join(root, f)
                self.assertEqual(os.stat(path).st_mode & 0o077, 0, path)
                with open(path, "rb") as fh:
                    blobs += fh.read()
        for needle in (secret, words, " ".join(words.split()[:3]), "correct horse battery"):
            self.assertNotIn(needle.encode(), blobs)
            self.assertNotIn(needle.encode(), self.seen_err)


def openssl_encrypt(key, iv, data):
    return subprocess.run(["openssl", "enc", "-aes-256-cbc", "-nopad", "-K", key.hex(), "-iv", iv.hex()],
                          input=data, capture_output=True, check=True).stdout


def write_legacy(path, passphrase, accounts):
    """enc_db.json as tinydb-encrypted-jsonstorage writes it."""
    table = {str(i + 1): a for i, a in enumerate(accounts)}
    message = json.dumps({"_default": {}, "stellar_accounts": table})
    padded = message + " " * (-len(message) % 64)
    iv = os.urandom(16)
    body = openssl_encrypt(hashlib.sha256(passphrase.encode()).digest(), iv, padded.encode())
    with open(path, "wb") as f:
        f.write(iv + str(len(message)).zfill(16).encode() + body)


class Tampered(Base):
    """Another local user's (or a bad disk's) edits of the vault records,
    made with LMDB's own API (tests/tools/store-holder)."""

    def test_a_flipped_bit_in_a_stored_key_fails_loudly(self):
        g = self.new("alice", "--show-mnemonic").split()[0]
        key = "vault/account/alice"
        record = json.loads(self.store("get", key))
        for field in ("public", "25519_pub"):
            bad = dict(record)
            text = bad[field]
            i = len(text) // 2
            bad[field] = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1:]
            self.store("put", key, json.dumps(bad))
            for args in (("stellar-load-keys",), ("stellar-load-shared-pub",), ("stellar-list", "--json")):
                r = self.hvym(*args)
                self.assertEqual((r.code, r.out), (1, b""), (field, args, r))
                self.assertIn(b"is damaged", r.err)
        self.store("put", key, json.dumps(record))
        self.assertEqual(self.ok("stellar-load-keys").strip(), g)

    def test_a_tampered_name_is_never_listed(self):
        self.new("alice", "--show-mnemonic")
        key = "vault/account/alice"
        record = json.loads(self.store("get", key))
        for name in ("mallory", "alice\u001b]0;pwned\u0007"):  # another name; a terminal escape
            self.store("put", key, json.dumps(dict(record, name=name)))
            for args in (("stellar-list", "--json"), ("stellar-list",)):
                r = self.hvym(*args)
                self.assertEqual((r.code, r.out), (1, b""), (name, r))
                self.assertIn(b"is damaged", r.err)
                self.assertNotIn(b"\x1b", r.err)
        self.store("put", key, json.dumps(record))
        self.assertEqual([a["name"] for a in self.listed()], ["alice"])

    def test_a_tampered_header_cannot_make_unlocking_run_forever(self):
        self.new("alice", "--show-mnemonic")
        header = json.loads(self.store("get", "vault/header"))
        for field, value in (("opslimit", 1 << 40), ("memlimit", 1 << 45), ("opslimit", 0)):
            bad = dict(header, **{field: value})
            self.store("put", "vault/header", json.dumps(bad))
            start = time.monotonic()
            r = self.hvym("stellar-load-keys", "--show-secret", "--passphrase-file", self.pw)
            self.assertEqual(r.code, 1, r)
            self.assertIn(b"limits hvym never writes", r.err)
            self.assertLess(time.monotonic() - start, 5)
        self.store("put", "vault/header", json.dumps(header))
        self.assertEqual(len(self.ok("stellar-load-keys", "--show-secret", "--passphrase-file", self.pw).split()), 2)


class FreePages(Base):
    """LMDB copies pages on write: what a removal or a new passphrase
    replaced must not stay readable in the file's free pages."""

    def test_a_removed_account_leaves_no_copy(self):
        for name in ("alice", "bob", "carol"):
            self.new(name, "--show-mnemonic")
        sealed = json.loads(self.store("get", "vault/account/bob"))["sealed"].encode()
        self.assertIn(sealed, self.data_mdb())
        for _ in range(3):  # older versions of the page, too
            self.ok("pintheon-set-port", "9100")
        r = self.hvym("stellar-remove-account", "bob", "--yes")
        self.assertEqual(r.code, 0, r)
        self.assertNotIn(b"Warning", r.err)
        self.assertNotIn(sealed, self.data_mdb())
        self.assertNotIn(b"vault/account/bob", self.data_mdb())
        self.assertEqual([a["name"] for a in self.listed()], ["alice", "carol"])
        self.assertTrue(self.ok("config", "verify").startswith("consistent"))

    def test_a_new_passphrase_leaves_no_record_sealed_under_the_old_one(self):
        self.new("alice", "--show-mnemonic")
        old = [json.loads(self.store("get", "vault/account/alice"))["sealed"].encode(),
               json.loads(self.store("get", "vault/header"))["check"].encode()]
        new_pw = self.secret_file("new", "another passphrase\n")
        self.ok("stellar-update-db-pw", "--passphrase-file", self.pw, "--new-passphrase-file", new_pw)
        data = self.data_mdb()
        for blob in old:
            self.assertNotIn(blob, data)
        self.assertEqual(len(self.ok("stellar-load-keys", "--show-secret", "--passphrase-file", new_pw).split()), 2)


def core_pattern():
    with open("/proc/sys/kernel/core_pattern") as f:
        return f.read().strip()


@unittest.skipUnless(core_pattern() == "core", "cores are not written as ./core here")
class CoreDumps(Base):
    """A crash of a process that held a secret leaves no core to read it
    from: serve (passphrases on requests' stdin, --show-secret answers) and
    a one-process stellar command. A control process shows that cores are
    written here at all."""

    def crash(self, argv, stdin=subprocess.DEVNULL, ready=lambda p: time.sleep(0.5)):
        cwd = tempfile.mkdtemp(dir=self.home)
        env = {"HOME": self.home, "PATH": "/usr/bin:/bin"}
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (-1, -1)))
        ready(p)
        p.send_signal(signal.SIGSEGV)
        p.communicate(timeout=20)
        cores = [os.path.join(cwd, n) for n in os.listdir(cwd) if n.startswith("core")]
        return p.returncode, cores

    def test_a_control_process_leaves_a_core(self):
        code, cores = self.crash(["sleep", "30"])
        self.assertEqual(code, -signal.SIGSEGV)
        self.assertEqual(len(cores), 1)

    def test_serve_leaves_no_core_with_a_secret_in_it(self):
        self.new("alice", "--show-mnemonic")
        sock = os.path.join(self.home, "s.sock")
        answers = []

        def ask(p):
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(sock)
                f = s.makefile("rwb")
                f.write(json.dumps({"cmd": "stellar-load-keys", "args": ["--show-secret", "--passphrase-file", "-"],
                                    "stdin": "correct horse battery\n"}).encode() + b"\n")
                f.flush()
                answers.append(json.loads(f.readline()))

        code, cores = self.crash([BIN, "serve", "--socket", sock], ready=ask)
        secret = answers[0][0]["stdout"].split()[1]
        self.assertTrue(secret.startswith("S"), answers)
        self.assertEqual(code, -signal.SIGSEGV)
        self.assertEqual(cores, [])

    def test_a_stellar_command_waiting_for_its_passphrase_leaves_no_core(self):
        self.new("alice", "--show-mnemonic")
        fifo = os.path.join(self.home, "pw.fifo")
        os.mkfifo(fifo)
        code, cores = self.crash([BIN, "stellar-load-keys", "--show-secret", "--passphrase-file", fifo])
        self.assertEqual(code, -signal.SIGSEGV)
        self.assertEqual(cores, [])


class LegacyImport(Base):
    def legacy(self):
        path = os.path.join(self.home, "enc_db.json")
        write_legacy(path, "old pass", [
            {"data_type": "ACCOUNT", "name": "main", "public": G, "secret": S,
             "25519_pub": x25519_of(G), "seed": "unrelated words from the old cli"},
            {"data_type": "ACCOUNT", "name": "forged", "public": G24, "secret": S,
             "25519_pub": "", "seed": ""},
            {"data_type": "ACCOUNT", "name": "test", "public": G24, "secret": S24, "25519_pub": x25519_of(G24),
             "seed": "x", "is_testnet": True, "funded": True, "funding_timestamp": 1760000000.5},
        ])
        return path

    def test_import_checks_each_key_and_leaves_the_file(self):
        path = self.legacy()
        with open(path, "rb") as f:
            before = f.read()
        old = self.secret_file("old", "old pass\n")
        r = self.hvym("stellar-import-legacy", "--file", path, "--passphrase-file", old)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out.decode(), f"{G}  main\n{G24}  test\n")
        self.assertIn(b"Skipped forged: its secret key does not match its public key.", r.err)
        self.assertIn(b"Imported 2 of 3 accounts", r.err)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before)
        listed = self.listed()
        self.assertEqual([(a["name"], a["public"], a["25519_pub"], a["active"], a["testnet"], a["funded"]) for a in listed],
                         [("main", G, x25519_of(G), True, False, None), ("test", G24, x25519_of(G24), False, True, True)])
        # The legacy passphrase became the vault's.
        self.assertEqual(self.ok("stellar-select-keys", "test", "--show-secret", "--passphrase-file", old),
                         f"{G24}\n{S24}\n")
        # Again: nothing new.
        r = self.hvym("stellar-import-legacy", "--file", path, "--passphrase-file", old)
        self.assertIn(b"already in the vault as main", r.err)
        self.assertEqual(r.out, b"")

    def test_wrong_legacy_passphrase_imports_nothing(self):
        path = self.legacy()
        r = self.hvym("stellar-import-legacy", "--file", path, "--passphrase-file", self.secret_file("b", "nope\n"))
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"wrong passphrase", r.err)
        self.assertFalse(os.path.exists(os.path.join(self.data, "hvym.lmdb")))

    def test_a_vault_with_its_own_passphrase(self):
        self.new("existing", "--show-mnemonic")
        path = self.legacy()
        r = self.hvym("stellar-import-legacy", "--file", path, "--passphrase-file", "-",
                      "--vault-passphrase-file", "-", stdin=b"old pass\ncorrect horse battery\n")
        self.assertEqual(r.code, 0, r)
        self.assertEqual([a["name"] for a in self.listed()], ["existing", "main", "test"])
        self.assertEqual(self.ok("stellar-select-keys", "main", "--show-secret", "--passphrase-file", self.pw),
                         f"{G}\n{S}\n")

    def test_default_path_is_the_data_folder(self):
        os.makedirs(self.data, exist_ok=True)
        shutil.copy(self.legacy(), os.path.join(self.data, "enc_db.json"))
        r = self.hvym("stellar-import-legacy", "--passphrase-file", self.secret_file("o", "old pass"))
        self.assertEqual(r.code, 0, r)
        self.assertEqual(len(self.listed()), 2)

    def test_default_path_falls_back_to_the_older_releases_folder(self):
        # Releases before 2025-07-25 kept enc_db.json under $XDG_DATA_HOME.
        older = os.path.join(self.home, "xdg", "heavymeta-cli")
        os.makedirs(older)
        shutil.copy(self.legacy(), os.path.join(older, "enc_db.json"))
        env = {"XDG_DATA_HOME": os.path.join(self.home, "xdg")}
        r = self.hvym("stellar-import-legacy", "--passphrase-file", self.secret_file("o", "old pass"), env=env)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(len(self.listed()), 2)


if __name__ == "__main__":
    unittest.main()
