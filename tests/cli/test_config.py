"""The config store as callers meet it: queries, setters, config/migrate,
the import of a Python install, damaged files and read-only folders."""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, as_on_this_cpu, run  # noqa: E402

REL = ".local/share/heavymeta-cli"
GOLDEN = os.environ.get("HVYM_GOLDEN", "")


def tree(path):
    """Every path under path, with file contents' hashes. LMDB's lock.mdb
    (its reader table, which every read rewrites) counts by name only."""
    out = {}
    for root, dirs, files in os.walk(path):
        for d in dirs:
            out[os.path.relpath(os.path.join(root, d), path)] = "dir"
        for f in files:
            p = os.path.join(root, f)
            if f == "lock.mdb":
                out[os.path.relpath(p, path)] = "file"
                continue
            with open(p, "rb") as fh:
                out[os.path.relpath(p, path)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def tinydb(app=None, tunnel=None, extra=None):
    app_doc = {"data_type": "APP_DATA", "pinggy_token": "tok-1", "pinggy_tiers": ["free", "pro"],
               "pintheon_dapp": "pintheon-mainnet-linux-arm64", "pintheon_sif_path": "/x.sif",
               "pintheon_port": 4242, "pintheon_networks": ["mainnet", "testnet"]}
    app_doc.update(app or {})
    db = {"_default": {}, "app_data": {"1": app_doc}}
    if tunnel is not False:
        db["app_data"]["2"] = tunnel or {"data_type": "TUNNEL_STATUS", "status": "running",
                                         "timestamp": 1760000000.5}
    db.update(extra or {})
    return json.dumps(db)


class Home(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.data = os.path.join(self.home, REL)

    def tearDown(self):
        subprocess.run(["chmod", "-R", "u+w", self.home])
        shutil.rmtree(self.home)

    def hvym(self, *args, **kw):
        return run(*args, home=self.home, **kw)

    def write(self, name, text):
        os.makedirs(self.data, exist_ok=True)
        with open(os.path.join(self.data, name), "w") as f:
            f.write(text)

    def ok(self, *args, **kw):
        r = self.hvym(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r.out.decode()


class Queries(Home):
    def test_fresh_home_answers_defaults_and_creates_nothing(self):
        want = {"pintheon-port": "9998\n", "pintheon-network": "testnet\n", "pinggy-tier": "pro\n",
                "pinggy-token": "\n"}
        for cmd, out in want.items():
            self.assertEqual(self.ok(cmd), out)
        self.assertRegex(self.ok("pintheon-dapp"), r"^pintheon-testnet-linux-(amd64|arm64|\w+)\n$")
        self.ok("config", "list")
        self.assertEqual(os.listdir(self.home), [])

    def test_set_port_then_query(self):
        self.assertEqual(self.ok("pintheon-set-port", "12345"), "")
        self.assertEqual(self.ok("pintheon-port"), "12345\n")
        self.assertEqual(self.ok("pintheon-set-port", " +1_000 "), "")  # Python int() forms
        self.assertEqual(self.ok("pintheon-port"), "1000\n")

    def test_set_network_moves_it_first_and_recomputes_the_dapp(self):
        self.ok("pintheon-set-network", "mainnet")
        self.assertEqual(self.ok("pintheon-network"), "mainnet\n")
        self.assertTrue(self.ok("pintheon-dapp").startswith("pintheon-mainnet-linux-"))
        self.assertEqual(self.ok("config", "get", "pintheon_networks"), "mainnet,testnet\n")

    def test_set_tier_and_token(self):
        self.assertEqual(self.ok("pinggy-set-tier", "free"), "\n")
        self.assertEqual(self.ok("pinggy-tier"), "free\n")
        self.assertEqual(self.ok("pinggy-set-token", "abc123"), "\n")
        self.assertEqual(self.ok("pinggy-token"), "abc123\n")

    def test_token_from_stdin_keeps_it_out_of_argv(self):
        self.ok("pinggy-set-token", "--stdin", stdin="s3cr\u00eat-t\u00f8k\n".encode())
        self.assertEqual(self.ok("pinggy-token"), "s3cr\u00eat-t\u00f8k\n")

    def test_bad_values_are_usage_errors_and_change_nothing(self):
        self.ok("pintheon-set-port", "2000")
        before = tree(self.home)
        for args in (["pintheon-set-port", "0"], ["pintheon-set-port", "65536"],
                     ["pintheon-set-port", "http"], ["pinggy-set-tier", "gold"],
                     ["pintheon-set-network", "devnet"], ["pinggy-set-token", "a\nb"],
                     ["pinggy-set-token", "x", "--stdin"], ["config", "set", "pintheon_port", "-1"],
                     ["config", "set", "nope", "1"], ["config", "set", "tunnel_status", "zzz"],
                     ["config", "set", "pinggy_tiers", "[]"], ["config", "get"],
                     # a line end inside one element would store two
                     ["config", "set", "--", "pintheon_networks", '["mainnet\\ntestnet"]'],
                     ["config", "set", "--", "pinggy_tiers", '["pro\\u0000", "free"]']):
            r = self.hvym(*args)
            self.assertEqual((r.code, r.out), (2, b""), args)
            self.assertIn(b"Error:", r.err)
        self.assertEqual(tree(self.home), before)
        self.assertEqual(self.ok("pintheon-port"), "2000\n")

    def test_setters_without_a_value_say_how_to_give_it(self):
        # No terminal, no dialog program (test_prompts covers the asking).
        for cmd in ("pintheon-set-port", "pintheon-set-network", "pinggy-set-tier",
                    "pinggy-set-token"):
            r = self.hvym(cmd, stdin=b"")
            self.assertEqual((r.code, r.out), (1, b""), cmd)
            self.assertIn(b"no terminal and no dialog program; give it as an argument", r.err)
        listed = json.loads(self.ok("config", "list", "--json"))
        self.assertEqual((listed["pintheon_port"], listed["pinggy_tiers"], listed["pinggy_token"]),
                         (9998, ["pro", "free"], ""))

    def test_config_list_get_set(self):
        self.ok("config", "set", "pinggy_tiers", '["free", "pro"]')
        self.ok("config", "set", "pintheon_networks", "mainnet, testnet")
        self.ok("config", "set", "pintheon_sif_path", "/data/a b.sif")
        listed = json.loads(self.ok("config", "list", "--json"))
        self.assertEqual(listed["pinggy_tiers"], ["free", "pro"])
        self.assertEqual(listed["pintheon_networks"], ["mainnet", "testnet"])
        self.assertEqual(listed["pintheon_port"], 9998)
        self.assertEqual(listed["pintheon_sif_path"], "/data/a b.sif")
        self.assertIn("pinggy_tiers=free,pro\n", self.ok("config", "list"))
        self.assertEqual(self.ok("pinggy-tier"), "free\n")

    def test_first_writers_racing_to_create_the_store_all_succeed(self):
        env = {"HOME": self.home, "PATH": "/usr/bin:/bin"}
        procs = [subprocess.Popen([BIN, "pintheon-set-port", str(2000 + i)], env=env,
                                  stderr=subprocess.PIPE) for i in range(8)]
        for p in procs:
            _, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
        self.assertIn(self.ok("pintheon-port"), [f"{2000 + i}\n" for i in range(8)])
        self.assertTrue(self.ok("config", "verify").startswith("consistent"))

    def test_verify(self):
        self.assertIn("no store", self.ok("config", "verify"))
        self.ok("pintheon-set-port", "3000")
        self.assertTrue(self.ok("config", "verify").startswith("consistent"))


@unittest.skipUnless(os.geteuid() == 0, "needs root to give a folder to another user")
class ForeignDataFolder(Home):
    """A data folder another local user owns or may write: they could swap
    the store, the lock or a creation folder under us. hvym refuses it."""

    def test_refused_when_owned_or_writable_by_another_user(self):
        import pwd
        nobody = pwd.getpwnam("nobody").pw_uid
        self.ok("pintheon-set-port", "4444")
        before = sorted(os.listdir(self.data))
        for owner, mode, why in ((nobody, 0o700, b"belongs to another user"),
                                 (0, 0o777, b"may be written by other users"),
                                 (0, 0o770, b"may be written by other users")):
            os.chown(self.data, owner, -1)
            os.chmod(self.data, mode)
            for args in (("pintheon-port",), ("pintheon-set-port", "5555"), ("pintheon-stop",),
                         ("batch", "pintheon-port")):
                r = self.hvym(*args)
                err = r.err if args[0] != "batch" else json.loads(r.out)[0]["stderr"].encode()
                self.assertIn(why, err, (args, r))
            self.assertEqual(sorted(os.listdir(self.data)), before)
        os.chown(self.data, 0, -1)
        os.chmod(self.data, 0o755)  # the Python CLI's own folders are 0755: fine
        self.assertEqual(self.ok("pintheon-port"), "4444\n")


class Import(Home):
    def test_xdg_data_home_is_not_the_data_folder(self):
        # The original keeps db.json in ~/.local/share/heavymeta-cli whatever
        # XDG_DATA_HOME says (hvym.py's _get_platform_paths; platformdirs
        # only for its ICP sessions): hvym finds and imports it there too.
        self.write("db.json", tinydb())
        xdg = os.path.join(self.home, "xdg-data")
        os.mkdir(xdg)
        self.assertEqual(self.ok("pintheon-port", env={"XDG_DATA_HOME": xdg}), "4242\n")
        self.ok("pintheon-set-port", "4343", env={"XDG_DATA_HOME": xdg})
        self.assertEqual(os.listdir(xdg), [])
        self.assertEqual(self.ok("pintheon-port"), "4343\n")

    def test_db_json_of_older_releases_under_xdg_data_home_is_imported(self):
        # Releases before 2025-07-25 kept db.json in platformdirs'
        # user_data_dir, $XDG_DATA_HOME/heavymeta-cli when XDG_DATA_HOME is
        # set: with nothing in the current folder, that file is imported.
        xdg = os.path.join(self.home, "xdg-data")
        older = os.path.join(xdg, "heavymeta-cli")
        os.makedirs(older)
        with open(os.path.join(older, "db.json"), "w") as f:
            f.write(tinydb())
        before = tree(xdg)
        env = {"XDG_DATA_HOME": xdg}
        # A folder others may write is no source: another user could have put the file there.
        os.chmod(older, 0o777)
        self.assertIn("no Python CLI files found", self.ok("migrate", "--status", env=env))
        os.chmod(older, 0o755)
        status = self.ok("migrate", "--status", env=env)
        self.assertIn("will import " + os.path.join(older, "db.json"), status)
        # HVYM_HOME chooses the folder: nothing else is looked at.
        self.assertEqual(self.ok("pintheon-port", env={**env, "HVYM_HOME": self.data}), "9998\n")
        self.assertFalse(os.path.exists(self.data))
        self.assertEqual(self.ok("pintheon-port", env=env), "4242\n")
        self.assertTrue(os.path.isdir(os.path.join(self.data, "hvym.lmdb")))  # the store: current folder
        self.assertEqual(tree(xdg), before)  # the older file is only read
        self.assertIn("imported from: " + os.path.join(older, "db.json"), self.ok("migrate", "--status"))
        # A blank XDG_DATA_HOME is no folder (platformdirs' rule), not the
        # relative " /heavymeta-cli" (made here, in the working folder).
        blank = os.path.join(self.home, " ", "heavymeta-cli")
        os.makedirs(blank)
        shutil.copy(os.path.join(older, "db.json"), blank)
        fresh = os.path.join(self.home, "fresh")
        os.mkdir(fresh)
        r = run("migrate", "--status", home=fresh, env={"XDG_DATA_HOME": " "}, cwd=self.home)
        self.assertEqual(r.code, 0, r)
        self.assertIn(b"no Python CLI files found", r.out)
        r = run("migrate", "--status", home=fresh, env={"XDG_DATA_HOME": " x"}, cwd=self.home)
        self.assertIn(b"no Python CLI files found", r.out)  # " x/heavymeta-cli" is not there

    def test_db_json_is_imported_once_and_never_modified(self):
        self.write("db.json", tinydb(extra={"stellar_identities": {"1": {
            "data_type": "STELLAR_ID", "name": "me", "public": "GABC", "25519_pub": "x=",
            "active": True}}, "ic_projects": {"3": {"k": [1, 2.5, None]}}}))
        before = tree(self.data)
        self.assertEqual(self.ok("pintheon-port"), "4242\n")
        self.assertEqual(self.ok("pinggy-tier"), "free\n")
        self.assertEqual(self.ok("pintheon-dapp"), "pintheon-mainnet-linux-arm64\n")
        self.assertEqual(self.ok("config", "get", "tunnel_status"), "running\n")
        self.assertEqual(self.ok("config", "get", "tunnel_timestamp"), "1760000000.5\n")
        self.assertEqual(self.ok("config", "get", "pintheon_sif_path"), "/x.sif\n")
        after = tree(self.data)
        for name, digest in before.items():
            self.assertEqual(after[name], digest, name)  # the legacy files are untouched
        self.assertIn("hvym.lmdb/data.mdb", after)
        status = self.ok("migrate", "--status")
        self.assertIn("imported from: " + os.path.join(self.data, "db.json"), status)
        for table in ("_default", "app_data", "stellar_identities", "ic_projects"):
            self.assertIn("table " + table, status)
        # Later changes to db.json are not imported again: the store is the source now.
        self.write("db.json", tinydb(app={"pintheon_port": 1}))
        self.assertEqual(self.ok("pintheon-port"), "4242\n")

    def test_queries_racing_to_import_all_answer(self):
        self.write("db.json", tinydb())
        env = {"HOME": self.home, "PATH": "/usr/bin:/bin"}
        procs = [subprocess.Popen([BIN, "pintheon-port"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(8)]
        for p in procs:
            out, err = p.communicate(timeout=30)
            self.assertEqual((p.returncode, out, err), (0, b"4242\n", b""))
        self.assertEqual(sorted(os.listdir(self.data)), ["db.json", "hvym.lmdb"])
        self.assertTrue(self.ok("config", "verify").startswith("consistent"))

    def test_abandoned_creation_folders_are_cleaned_up(self):
        dead = os.path.join(self.data, "hvym.lmdb.new-999999999")
        os.makedirs(dead)
        open(os.path.join(dead, "data.mdb"), "w").close()
        self.ok("pintheon-set-port", "5")
        self.assertFalse(os.path.exists(dead))

    def test_db_json_is_read_as_python_reads_it(self):
        # json.loads keeps a repeated key's last value and accepts NaN.
        text = tinydb(app={"pintheon_port": 1}, tunnel={"data_type": "TUNNEL_STATUS",
                                                          "status": "running", "timestamp": 0})
        text = text.replace('"pintheon_port": 1', '"pintheon_port": 1, "pintheon_port": 4242')
        text = text.replace('"timestamp": 0', '"timestamp": NaN')
        self.write("db.json", text)
        self.assertEqual(self.ok("pintheon-port"), "4242\n")
        self.assertEqual(self.ok("config", "get", "tunnel_status"), "running\n")
        self.assertIn("left out app_data/2.tunnel_timestamp (not a number): NaN",
                      self.ok("migrate", "--status"))

    def test_db_json_wins_over_fast_config(self):
        self.write("db.json", tinydb())
        self.write("fast_config.json", json.dumps({"pintheon_port": 1, "pinggy_tier": "pro"}))
        self.assertEqual(self.ok("pintheon-port"), "4242\n")

    def test_fast_config_alone_is_used(self):
        self.write("fast_config.json", json.dumps({
            "pintheon_dapp": "pintheon-mainnet-linux-amd64", "pintheon_network": "mainnet",
            "pintheon_port": 7777, "pinggy_tier": "free", "pinggy_token": "ft"}))
        self.assertEqual(self.ok("pintheon-port"), "7777\n")
        self.assertEqual(self.ok("pintheon-network"), "mainnet\n")
        self.assertEqual(self.ok("config", "get", "pinggy_tiers"), "free,pro\n")

    def test_malformed_db_json(self):
        good = tinydb()
        for bad in (good[: len(good) // 2], "{not json", "[1, 2]", '{"app_data": 5}'):
            with self.subTest(bad=bad[:20]):
                self.write("db.json", bad)
                r = self.hvym("pintheon-port")
                self.assertEqual((r.code, r.out), (0, b"9998\n"), r)
                self.assertIn(b"db.json", r.err)
                self.assertFalse(os.path.exists(os.path.join(self.data, "hvym.lmdb")))
                r = self.hvym("migrate", "--from", os.path.join(self.data, "db.json"))
                self.assertEqual((r.code, r.out), (1, b""), r)
                self.assertIn(b"db.json", r.err)
                r = self.hvym("pintheon-set-port", "5")
                self.assertEqual(r.code, 1, r)
                self.assertFalse(os.path.exists(os.path.join(self.data, "hvym.lmdb")))
                with open(os.path.join(self.data, "db.json")) as f:
                    self.assertEqual(f.read(), bad)

    def test_wrong_types_are_left_out_and_reported(self):
        self.write("db.json", tinydb(app={"pintheon_port": "abc", "pinggy_tiers": "pro"}))
        self.assertEqual(self.ok("pintheon-port"), "9998\n")
        self.assertEqual(self.ok("pinggy-token"), "tok-1\n")
        status = self.ok("migrate", "--status")
        self.assertIn("left out app_data/1.pintheon_port", status)
        self.assertIn("left out app_data/1.pinggy_tiers", status)

    def test_migrate_from_replaces_an_earlier_import(self):
        self.write("db.json", tinydb())
        self.ok("pintheon-port")
        other = os.path.join(self.home, "other.json")
        with open(other, "w") as f:
            f.write(tinydb(app={"pintheon_port": 31337, "pinggy_token": "new"}, tunnel=False))
        out = self.ok("migrate", "--from", other)
        self.assertIn("imported " + other, out)
        self.assertEqual(self.ok("pintheon-port"), "31337\n")
        self.assertEqual(self.ok("pinggy-token"), "new\n")
        self.assertEqual(self.ok("config", "get", "tunnel_status"), "stopped\n")

    def test_migrate_from_what_is_not_a_regular_file_changes_nothing(self):
        self.ok("pintheon-set-port", "4321")
        fifo = os.path.join(self.home, "fifo")
        os.mkfifo(fifo)
        for source in ("/dev/zero", "/dev/urandom", fifo, self.home):
            r = self.hvym("migrate", "--from", source, timeout=10)  # a FIFO must not block
            self.assertEqual(r.code, 1, (source, r))
            self.assertIn(b"is not a regular file", r.err)
            self.assertEqual(self.ok("pintheon-port"), "4321\n", source)

    @unittest.skipUnless(GOLDEN and os.path.isdir(GOLDEN), "no ../shared/golden")
    def test_golden_states_answer_through_the_store(self):
        """Every golden state, imported once, then asked every query."""
        with open(os.path.join(GOLDEN, "legacy-config.jsonl")) as f:
            cases = [json.loads(line) for line in f]
        queries = {"pintheon-port", "pintheon-dapp", "pintheon-network", "pinggy-tier",
                   "pinggy-token"}
        by_state = {}
        for c in cases:
            if c["argv"][0] in queries:
                by_state.setdefault(json.dumps(c["files"], sort_keys=True), []).append(c)
        for state, group in by_state.items():
            home = tempfile.mkdtemp()
            try:
                for rel, text in json.loads(state).items():
                    os.makedirs(os.path.dirname(os.path.join(home, rel)), exist_ok=True)
                    with open(os.path.join(home, rel), "w") as f:
                        f.write(text)
                run("pintheon-port", home=home)  # imports
                for c in group:
                    r = run(*c["argv"], home=home)
                    self.assertEqual((r.code, r.out.decode()), (0, as_on_this_cpu(c["stdout"], c.get("files"))), c["argv"])
            finally:
                shutil.rmtree(home)


class Damage(Home):
    COMMANDS = (["pintheon-port"], ["pinggy-token"], ["pintheon-set-port", "5"],
                ["config", "list"], ["config", "verify"], ["migrate", "--status"])

    def make_store(self):
        self.ok("pintheon-set-port", "3000")
        self.ok("pinggy-set-token", "t" * 3000)  # more than one page of data
        return os.path.join(self.data, "hvym.lmdb", "data.mdb")

    def assert_every_command_fails_cleanly(self):
        for args in self.COMMANDS:
            r = self.hvym(*args, timeout=30)
            self.assertEqual(r.code, 1, (args, r))
            self.assertEqual(r.out, b"", args)
            self.assertIn(b"damaged", r.err, (args, r))

    def test_truncated(self):
        path = self.make_store()
        size = os.path.getsize(path)
        for keep in (0, 100, 4096, size // 2, size - 1):
            with self.subTest(keep=keep):
                with open(path, "r+b") as f:
                    f.truncate(keep)
                self.assert_every_command_fails_cleanly()

    def test_garbage(self):
        path = self.make_store()
        size = os.path.getsize(path)
        # Seeded, so a run is repeatable: the whole file, the pages after the
        # two meta pages, and a part of one page.
        for seed, start in ((1, 0), (2, 8192), (3, 4096 * 2 + 100)):
            with self.subTest(start=start):
                with open(path, "r+b") as f:
                    f.seek(start)
                    f.write(random.Random(seed).randbytes(max(size - start, 4096)))
                self.assert_every_command_fails_cleanly()

    def test_scattered_bytes_never_kill_a_reader(self):
        # 200 bytes changed here and there: some damage LMDB's own checks
        # miss and a value then points past the file (13 and 33 did, as
        # SIGSEGV and SIGBUS, before values were copied under the guard).
        path = self.make_store()
        with open(path, "rb") as f:
            good = f.read()
        for seed in (13, 33, *range(100, 130)):
            b = bytearray(good)
            r = random.Random(seed)
            for _ in range(200):
                b[r.randrange(len(b))] = r.randrange(256)
            with open(path, "wb") as f:
                f.write(b)
            for args in (["pintheon-port"], ["config", "list"], ["config", "verify"]):
                res = self.hvym(*args, timeout=30)
                self.assertIn(res.code, (0, 1), (seed, args, res))
                if res.code == 1:
                    self.assertRegex(res.err, b"damaged|invalid value", (seed, args, res))
            # In-process, as batch and serve run queries: answered, not killed.
            res = self.hvym("batch", "pintheon-port", "config", timeout=30)
            self.assertEqual(res.code, 0, (seed, res))
            self.assertEqual(len(json.loads(res.out)), 2, (seed, res))

    def test_newer_schema_is_refused(self):
        path = self.make_store()
        with open(path, "rb") as f:
            blob = bytearray(f.read())
        # An LMDB leaf node holds the key, then the value: patch "1" to "9"
        # in every copy of the page (copy-on-write leaves older ones behind).
        key = b"meta/schema_version"
        i = blob.find(key)
        self.assertGreater(i, 0)
        while i >= 0:
            self.assertEqual(blob[i + len(key):i + len(key) + 1], b"1")
            blob[i + len(key)] = ord("9")
            i = blob.find(key, i + 1)
        with open(path, "wb") as f:
            f.write(blob)
        for args in (["pintheon-port"], ["pintheon-set-port", "5"]):
            r = self.hvym(*args)
            self.assertEqual((r.code, r.out), (1, b""), r)
            self.assertIn(b"newer hvym (schema 9)", r.err)


class ReadOnly(Home):
    """A data folder the user cannot write: queries still answer."""

    def as_user(self, *args):
        cmd = [BIN, *args]
        env = {"HOME": self.home, "PATH": "/usr/bin:/bin"}
        if os.geteuid() == 0:  # root ignores permissions: ask as nobody
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        p = subprocess.run(cmd, capture_output=True, env=env, timeout=20)
        return p

    def lock_down(self):
        subprocess.run(["chmod", "-R", "a+rX,a-w", self.home], check=True)

    def test_store_in_read_only_folder(self):
        self.ok("pintheon-set-port", "4444")
        self.lock_down()
        p = self.as_user("pintheon-port")
        self.assertEqual((p.returncode, p.stdout), (0, b"4444\n"), p.stderr)
        p = self.as_user("pintheon-set-port", "5")
        self.assertEqual(p.returncode, 1)

    def test_legacy_only_in_read_only_folder(self):
        self.write("db.json", tinydb())
        self.lock_down()
        p = self.as_user("pintheon-port")
        self.assertEqual((p.returncode, p.stdout), (0, b"4242\n"), p.stderr)
        self.assertIn(b"without importing", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
