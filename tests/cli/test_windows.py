"""The Windows build under wine: what differs from Linux. hvym.exe is run
directly (not through wine_hvym.py) where the raw bytes matter."""
import concurrent.futures
import contextlib
import functools
import gzip
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import zipfile

import desktop

EXE = os.environ.get("HVYM_EXE", "")
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.environ.get("HVYM_GOLDEN", os.path.join(HERE, "..", "..", "..", "shared", "golden"))
RECORDED = os.path.join(HERE, "..", "data", "data-cases.jsonl.gz")


def number(text):
    """Click refused a number starting with '-' as an unknown option; hvym
    may take it as the number (docs/compatibility.md), as test_golden.py."""
    try:
        float(text)
        return True
    except ValueError:
        return False


def lone_surrogate(text):
    """Bytes no Windows command line can carry (the original's argv held
    undecodable bytes as lone surrogates)."""
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def winpath(path):
    return "Z:" + path.replace("/", "\\")


def wine(*args, home, stdin=b"", env=None, timeout=60, exe=None):
    """hvym.exe under wine with a scratch profile folder; raw bytes back."""
    # wine takes USERPROFILE from its prefix: each test's data folder is
    # given as HVYM_HOME (the profile's own folder is checked by diag).
    return subprocess.run(["/usr/bin/wine", exe or EXE, *args], input=stdin, capture_output=True,
                          env=wine_env(home, env), timeout=timeout)


def wine_env(home, env=None):
    """What hvym.exe runs with under wine: the scratch home's profile
    folder as HVYM_HOME, this prefix, and env."""
    e = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
         "HVYM_HOME": winpath(os.path.join(home, "AppData", "Local", "heavymeta-cli")),
         "WINEPREFIX": os.environ["WINEPREFIX"], "WINEDEBUG": "-all"}
    e.update(env or {})
    return e


class Windows(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = self.tmp.name
        self.data = os.path.join(self.home, "AppData", "Local", "heavymeta-cli")

    def tearDown(self):
        self.tmp.cleanup()

    def hvym(self, *args, **kw):
        return wine(*args, home=self.home, **kw)

    def test_line_ends_are_crlf_as_python_text_mode(self):
        p = self.hvym("check")
        self.assertEqual((p.returncode, p.stdout), (0, b"ONE-TWO\r\n"))
        p = self.hvym("installation-stats")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"{\r\n  \"docker_installed\": false,\r\n", p.stdout)
        self.assertNotIn(b"\n", p.stdout.replace(b"\r\n", b""))

    def test_the_data_folder_is_the_originals_windows_folder(self):
        profile = subprocess.run(["/usr/bin/wine", "cmd", "/c", "echo", "%USERPROFILE%"], capture_output=True,
                                 env={**os.environ, "WINEDEBUG": "-all"}).stdout.decode().strip()
        self.assertTrue(profile.startswith("C:\\"), profile)
        p = self.hvym("check", env={"HVYM_HOME": "", "HVYM_DIAG": "1"})
        diag = json.loads(p.stderr.decode().strip().splitlines()[0])
        self.assertEqual(diag["data_dir"], profile + "\\AppData\\Local\\heavymeta-cli")
        self.assertEqual(diag["system"], "windows")
        self.assertEqual(self.hvym("pintheon-set-port", "4242").returncode, 0)
        self.assertTrue(os.path.isfile(os.path.join(self.data, "hvym.lmdb", "data.mdb")))
        self.assertEqual(self.hvym("pintheon-port").stdout, b"4242\r\n")
        self.assertEqual(self.hvym("pintheon-dapp").stdout, b"pintheon-testnet-linux-amd64\r\n")

    def test_the_originals_db_json_there_is_imported(self):
        os.makedirs(self.data)
        with open(os.path.join(self.data, "db.json"), "w") as f:
            json.dump({"_default": {}, "app_data": {"1": {"data_type": "APP_DATA", "pintheon_port": 9311,
                                                          "pinggy_tiers": ["free", "pro"]}}}, f)
        self.assertEqual(self.hvym("pintheon-port").stdout, b"9311\r\n")
        self.assertEqual(self.hvym("pinggy-tier").stdout, b"free\r\n")

    def test_arguments_arrive_as_utf8(self):
        p = self.hvym("single-float-data", "caf\u00e9 \u2603", "1.5", "0", "2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b'{"name": "caf\\u00e9 \\u2603", "default": 1.5, "min": 0.0, "max": 2.0}\r\n')

    def test_batch_runs_setters_as_children_with_raw_output(self):
        p = self.hvym("batch", "pintheon-set-port 5151", "pintheon-port", "pinggy-set-tier free", "pinggy-tier")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout)
        self.assertEqual([g["exit"] for g in got], [0, 0, 0, 0], got)
        self.assertEqual(got[1]["stdout"], "5151\n")  # no \r inside the answers
        self.assertEqual(got[3]["value"], "free")

    def test_concurrent_setters_lose_nothing(self):
        keys = [("pintheon-set-port", "7001", "pintheon-port", b"7001\r\n"),
                ("pinggy-set-tier", "free", "pinggy-tier", b"free\r\n"),
                ("pinggy-set-token", "tok", "pinggy-token", b"tok\r\n")]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            got = list(pool.map(lambda k: self.hvym(k[0], k[1]), keys))
        self.assertEqual([p.returncode for p in got], [0, 0, 0], [p.stderr for p in got])
        for _, _, query, out in keys:
            self.assertEqual(self.hvym(query).stdout, out)

    def test_install_makes_command_programs(self):
        bin_dir = os.path.join(self.home, "bin")
        os.mkdir(bin_dir)
        p = self.hvym("--install", winpath(bin_dir))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"78 linked, 0 updated", p.stdout)
        # Launchers of a few kilobytes, not copies of hvym.exe.
        port = os.path.join(bin_dir, "pintheon-port.exe")
        self.assertLess(os.path.getsize(port), 16384)
        self.assertEqual(sorted(os.listdir(bin_dir)), sorted(n + ".exe" for n in self.commands()))
        self.hvym("pintheon-set-port", "6060")
        p = wine(home=self.home, exe=port)
        self.assertEqual((p.returncode, p.stdout), (0, b"6060\r\n"), p.stderr)
        # The name it was called by, its arguments, exit status and streams.
        p = wine("--help", home=self.home, exe=os.path.join(bin_dir, "pintheon-set-port.exe"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith(b"Usage: pintheon-set-port [OPTIONS] [PORT]"), p.stdout[:80])
        p = wine("not a port", home=self.home, exe=os.path.join(bin_dir, "pintheon-set-port.exe"))
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"'not a port' is not a valid integer", p.stderr)
        p = wine("--json", home=self.home, exe=os.path.join(bin_dir, "batch.exe"), stdin=b'[["pintheon-port"]]')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b'"value": 6060', p.stdout)
        again = self.hvym("--install", winpath(bin_dir))
        self.assertIn(b"0 linked, 0 updated, 78 already there, 0 skipped, 0 failed", again.stdout)

    def folders(self):
        """app/ (where an hvym is put) and bin/ (where --install links), made."""
        app, bin_dir = os.path.join(self.home, "app"), os.path.join(self.home, "bin")
        os.mkdir(app)
        os.mkdir(bin_dir)
        return app, bin_dir

    def commands(self):
        return self.hvym("--list").stdout.decode().split()

    def upgraded(self, path, version):
        """hvym.exe with another version line, put at path as an upgrade
        does: a new file in place of the old one."""
        with open(EXE, "rb") as f:
            image = f.read()
        old = b"HeavyMeta CLI v1.0.0"
        self.assertEqual(image.count(old), 1)
        new = f"HeavyMeta CLI v{version}".encode()
        self.assertEqual(len(new), len(old))
        with open(path + ".new", "wb") as f:
            f.write(image.replace(old, new))
        os.replace(path + ".new", path)

    def test_command_programs_follow_an_upgrade(self):
        app, bin_dir = self.folders()
        hvym = os.path.join(app, "hvym-windows.exe")
        self.upgraded(hvym, "1.0.1")
        p = wine("--install", winpath(bin_dir), home=self.home, exe=hvym)
        self.assertEqual(p.returncode, 0, p.stderr)
        version = os.path.join(bin_dir, "version.exe")
        self.assertEqual(wine(home=self.home, exe=version).stdout, b"HeavyMeta CLI v1.0.1\r\n")
        self.upgraded(hvym, "1.0.2")  # what an installer does: a new hvym-windows.exe
        self.assertEqual(wine(home=self.home, exe=version).stdout, b"HeavyMeta CLI v1.0.2\r\n")
        # hvym moved away: the launcher says what to do.
        os.rename(hvym, hvym + ".gone")
        p = wine(home=self.home, exe=version)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"cannot start", p.stderr)
        self.assertIn(b"run 'hvym --install DIR' again", p.stderr)

    def test_install_replaces_the_links_of_an_older_hvym(self):
        # Before launchers, --install made hard links (copies on another
        # volume): an upgrade left them on the old program and --install
        # skipped them. They are replaced now, and it says so.
        app, bin_dir = self.folders()
        old = os.path.join(app, "hvym-old.exe")
        self.upgraded(old, "0.9.9")
        os.link(old, os.path.join(bin_dir, "version.exe"))
        shutil.copyfile(old, os.path.join(bin_dir, "pintheon-port.exe"))
        with open(os.path.join(bin_dir, "about.exe"), "wb") as f:
            f.write(b"MZ not hvym")
        self.assertEqual(wine(home=self.home, exe=os.path.join(bin_dir, "version.exe")).stdout,
                         b"HeavyMeta CLI v0.9.9\r\n")
        p = self.hvym("--install", winpath(bin_dir))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"75 linked, 2 updated, 0 already there, 1 skipped, 0 failed", p.stdout)
        self.assertIn(b"updated " + winpath(bin_dir).encode() + b"/version.exe", p.stdout)
        self.assertIn(b"skipped " + winpath(bin_dir).encode() + b"/about.exe", p.stderr)
        self.assertEqual(wine(home=self.home, exe=os.path.join(bin_dir, "version.exe")).stdout,
                         b"HeavyMeta CLI v1.0.0\r\n")
        self.assertLess(os.path.getsize(os.path.join(bin_dir, "pintheon-port.exe")), 16384)
        # Launchers for another hvym are updated to this one.
        other = os.path.join(app, "hvym-windows.exe")
        shutil.copyfile(EXE, other)
        p = wine("--install", winpath(bin_dir), home=self.home, exe=other)
        self.assertIn(b"0 linked, 77 updated, 0 already there, 1 skipped, 0 failed", p.stdout)

    def test_what_install_finds_in_its_folder(self):
        # (From a hostile review.) A hard link to the running hvym (the old
        # --install's) is replaced, not failed; a launcher cut short and a
        # read-only old copy are replaced; a file that only holds hvym's
        # text, not a program, is left; a launcher for this hvym spelt in
        # other case is already there.
        app, bin_dir = self.folders()
        hvym = os.path.join(app, "hvym.exe")
        shutil.copyfile(EXE, hvym)
        os.link(hvym, os.path.join(bin_dir, "check.exe"))
        p = wine("--install", winpath(bin_dir), home=self.home, exe=hvym)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"77 linked, 1 updated, 0 already there, 0 skipped, 0 failed", p.stdout)
        with open(os.path.join(bin_dir, "about.exe"), "rb") as f:
            launcher = f.read()
        with open(os.path.join(bin_dir, "about.exe"), "wb") as f:
            f.write(launcher[:2000])
        old = os.path.join(bin_dir, "version.exe")
        os.remove(old)
        self.upgraded(old, "0.9.9")
        os.chmod(old, 0o444)
        with open(os.path.join(bin_dir, "config.exe"), "wb") as f:
            f.write(b"\0" * 4096 + b"--ask-on-terminal takes one folder")
        p = wine("--install", winpath(bin_dir), home=self.home, exe=hvym)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"0 linked, 2 updated, 75 already there, 1 skipped, 0 failed", p.stdout)
        self.assertEqual(wine(home=self.home, exe=old).stdout, b"HeavyMeta CLI v1.0.0\r\n")
        self.assertEqual([n for n in os.listdir(bin_dir) if ".hvym-new" in n], [])  # no temporary files left
        upper = "Z:" + os.path.join(self.home, "app").upper().replace("/", "\\") + "\\HVYM.EXE"
        p = subprocess.run(["/usr/bin/wine", upper, "--install", winpath(bin_dir)], capture_output=True,
                           env=wine_env(self.home), timeout=60)
        self.assertIn(b"0 linked, 0 updated, 77 already there", p.stdout, p.stderr)
        # The hard link to the running hvym could only be renamed aside
        # (check.exe.hvym-old); an --install run by another program removes it.
        other = os.path.join(self.home, "other.exe")
        shutil.copyfile(EXE, other)
        p = wine("--install", winpath(bin_dir), home=self.home, exe=other)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([n for n in os.listdir(bin_dir) if ".hvym-" in n], [])

    def test_an_older_hvym_earlier_on_path_is_told(self):
        old_dir, bin_dir = os.path.join(self.home, "old"), os.path.join(self.home, "bin")
        os.mkdir(old_dir)
        self.upgraded(os.path.join(old_dir, "pintheon-port.exe"), "0.9.9")
        p = self.hvym("--install", winpath(bin_dir), env={"WINEPATH": winpath(old_dir)})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"PATH has another pintheon-port", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(bin_dir, "pintheon-port.exe")))

    def test_a_launcher_never_starts_a_launcher(self):
        bin_dir = os.path.join(self.home, "bin")
        self.assertEqual(self.hvym("--install", winpath(bin_dir)).returncode, 0)
        with open(os.path.join(bin_dir, "check.exe"), "rb") as f:
            launcher = f.read()
        size = int.from_bytes(launcher[-12:-8], "little")
        loop = os.path.join(bin_dir, "loop.exe")
        path = winpath(loop).encode("utf-16-le")
        with open(loop, "wb") as f:
            f.write(launcher[:-12 - size] + path + len(path).to_bytes(4, "little") + b"HVYMLNK1")
        p = wine(home=self.home, exe=loop, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"another command program", p.stderr)

    def test_arguments_arrive_as_given(self):
        # hvym splits its command line itself (shell32's splitter would
        # load user32 and gdi32): quotes, backslashes, blanks, tabs.
        for name in ['a "b" \\c\\\\"', "tab\there", "", "trailing\\", '""', "x y  z"]:
            p = self.hvym("mesh-data", name, "true", "slider", "false")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["name"], name)

    def test_a_killed_command_program_ends_its_hvym(self):
        bin_dir = os.path.join(self.home, "bin")
        self.assertEqual(self.hvym("--install", winpath(bin_dir)).returncode, 0)
        e = wine_env(self.home)
        # batch --json waits for its input's end: hvym.exe runs until then.
        p = subprocess.Popen(["/usr/bin/wine", os.path.join(bin_dir, "batch.exe"), "--json"], env=e,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        mark = winpath(bin_dir) + "\\batch.exe"
        try:
            deadline = time.monotonic() + 60
            while not self.running(mark):
                self.assertLess(time.monotonic(), deadline, "hvym.exe never started")
                time.sleep(0.05)
        finally:
            p.kill()
            p.communicate()
        deadline = time.monotonic() + 30
        while self.running(mark):
            self.assertLess(time.monotonic(), deadline, "hvym.exe outlived its command program")
            time.sleep(0.05)

    def test_ctrl_c_reaches_hvym_through_a_command_program(self):
        # The launcher waits through Ctrl-C without passing its ignoring on
        # (SetConsoleCtrlHandler(NULL, TRUE) is inherited): hvym stops.
        bin_dir = os.path.join(self.home, "bin")
        self.assertEqual(self.hvym("--install", winpath(bin_dir)).returncode, 0)
        name = "hvym-launched-%d" % os.getpid()
        e = wine_env(self.home)
        p = subprocess.Popen(["/usr/bin/wine", os.path.join(bin_dir, "serve.exe"), "--socket", name], env=e,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.assertIn(b"listening on", p.stderr.readline())
            hvym = [pid for pid in self.running(winpath(bin_dir) + "\\serve.exe", pids=True)]
            self.assertEqual(len(hvym), 1)
            os.kill(hvym[0], signal.SIGINT)
            self.assertEqual(p.wait(timeout=30), 0)
            self.assertIn(b"stopped", p.stderr.read())
        finally:
            if p.poll() is None:
                p.kill()
            p.communicate()

    @staticmethod
    def running(mark, pids=False):
        """Whether a process's command line starts with mark (wine shows a
        Windows process by its command line); with pids, their pids."""
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if f.read().startswith(mark.encode()):
                            found.append(int(pid))
                except OSError:
                    pass
        return found if pids else bool(found)

    def test_a_damaged_store_is_an_error_not_a_crash(self):
        self.hvym("pintheon-set-port", "4242")
        mdb = os.path.join(self.data, "hvym.lmdb", "data.mdb")
        with open(mdb, "r+b") as f:  # garbage over the meta pages, size kept
            f.write(os.urandom(8192))
        p = self.hvym("pintheon-port")
        self.assertEqual(p.returncode, 1, p)
        self.assertIn(b"damaged", p.stderr)
        with open(mdb, "r+b") as f:
            f.truncate(100)
        p = self.hvym("pintheon-port")
        self.assertEqual(p.returncode, 1, p)
        self.assertIn(b"truncated", p.stderr)

    def test_the_engine_on_a_named_pipe(self):
        engine = os.path.join(os.path.dirname(EXE), "tests", "tools", "npipe-engine.exe")
        name = "hvym-test-%d" % os.getpid()
        env = {**os.environ, "WINEDEBUG": "-all"}
        with subprocess.Popen(["/usr/bin/wine", engine, name], stdout=subprocess.PIPE, env=env) as p:
            try:
                self.assertEqual(p.stdout.readline().strip(), b"ready")
                host = {"DOCKER_HOST": "npipe:////./pipe/" + name}
                self.assertEqual(self.hvym("pintheon-image-exists", env=host).stdout, b"True\r\n")
                absent = {"DOCKER_HOST": "npipe:////./pipe/" + name + "-absent"}
                self.assertEqual(self.hvym("pintheon-image-exists", env=absent).stdout, b"False\r\n")
            finally:
                p.kill()

    def serve(self, name, *extra):
        """hvym.exe serve on \\\\.\\pipe\\NAME, once it listens."""
        e = {"PATH": "/usr/bin:/bin", "HOME": self.home, "LANG": "C.UTF-8", "WINEDEBUG": "-all",
             "HVYM_HOME": winpath(self.data), "WINEPREFIX": os.environ["WINEPREFIX"]}
        p = subprocess.Popen(["/usr/bin/wine", EXE, "serve", "--socket", name, *extra],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        self.assertIn(b"listening on \\\\.\\pipe\\" + name.encode(), p.stderr.readline())
        return p

    def client(self, name, lines, *extra):
        """tests/tools/pipe-client.exe: each line sent, its answer read."""
        tool = os.path.join(os.path.dirname(EXE), "tests", "tools", "pipe-client.exe")
        text = "".join(line + "\n" for line in lines).encode()
        p = subprocess.run(["/usr/bin/wine", tool, name, *extra], input=text, capture_output=True, timeout=120,
                           env={**os.environ, "WINEDEBUG": "-all"})
        return p.returncode, [json.loads(line) for line in p.stdout.decode().splitlines()], p.stderr

    def test_serve_on_a_named_pipe(self):
        name = "hvym-serve-%d" % os.getpid()
        server = self.serve(name)
        try:
            rc, answers, err = self.client(name, ['["check"]', '{"cmd": "pintheon-port"}', '[bad',
                                                  '["pintheon-set-port", "4567"]', '["pintheon-port"]'])
            self.assertEqual(rc, 0, err)
            self.assertEqual([a[0]["value"] for a in answers[:2]], ["ONE-TWO", 9998])
            self.assertEqual((answers[2]["offset"], answers[2]["error"][:17]), (1, "malformed request"))
            self.assertEqual((answers[3][0]["exit"], answers[4][0]["value"]), (0, 4567))
            # One server per name: a second is refused, the first goes on.
            second = self.hvym("serve", "--socket", name, env={"HVYM_HOME": winpath(self.data)})
            self.assertEqual(second.returncode, 1)
            self.assertIn(b"already answers", second.stderr)
            # Clients at once, each answered in its own order.
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                runs = list(pool.map(lambda i: self.client(name, ['["pintheon-port"]', '["check"]'] * 25), range(6)))
            for rc, answers, err in runs:
                self.assertEqual((rc, len(answers)), (0, 50), err)
                self.assertEqual({a[0]["value"] for a in answers}, {4567, "ONE-TWO"})
            # Ctrl-C (wine turns SIGINT into the console's control event)
            # stops it at once, a client still connected.
            tool = os.path.join(os.path.dirname(EXE), "tests", "tools", "pipe-client.exe")
            with subprocess.Popen(["/usr/bin/wine", tool, name, "--hold", "30000"], stdin=subprocess.DEVNULL,
                                  env={**os.environ, "WINEDEBUG": "-all"}) as holder:
                time.sleep(2)
                server.send_signal(signal.SIGINT)
                start = time.monotonic()
                self.assertEqual(server.wait(timeout=10), 0)
                self.assertLess(time.monotonic() - start, 4)
                holder.kill()
            self.assertIn(b"stopped", server.stderr.read())
            # The name is free again.
            again = self.serve(name, "--idle-exit", "1")
            self.assertEqual(again.wait(timeout=30), 0)
            again.communicate()
        finally:
            server.kill()
            server.communicate()

    def test_a_watch_on_a_named_pipe(self):
        """Windows follows no folder: the store is looked at every second
        while a watch is open, and a change made by another process comes."""
        name = "hvym-watch-%d" % os.getpid()
        server = self.serve(name)
        tool = os.path.join(os.path.dirname(EXE), "tests", "tools", "pipe-client.exe")
        client = subprocess.Popen(["/usr/bin/wine", tool, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  env={**os.environ, "WINEDEBUG": "-all"})
        try:
            client.stdin.write(b'{"jsonrpc": "2.0", "id": 1, "method": "watch", "params": {"topics": ["pintheon-port"]}}\n')
            client.stdin.flush()
            first = json.loads(client.stdout.readline())["result"]
            self.assertEqual((first["seq"], first["values"]["pintheon-port"]["value"]), (0, 9998))
            self.assertEqual(first["sources"]["store"], "checked")
            self.assertEqual(self.hvym("pintheon-set-port", "4321").returncode, 0)
            client.stdin.write(b"#read 1\n")
            client.stdin.flush()
            changed = json.loads(client.stdout.readline())["params"]
            self.assertEqual((changed["seq"], changed["values"]["pintheon-port"]["value"]), (1, 4321))
        finally:
            client.kill()
            client.communicate()
            server.kill()
            server.communicate()

    def test_a_store_held_by_another_writer_ends_within_the_deadline(self):
        """Another program holding LMDB's write lock: a setter gives up after
        10 s with a message and exit 1; reads still answer meanwhile."""
        self.assertEqual(self.hvym("pintheon-set-port", "1111").returncode, 0)
        tool = os.path.join(os.path.dirname(EXE), "tests", "tools", "store-holder.exe")
        with subprocess.Popen(["/usr/bin/wine", tool, winpath(os.path.join(self.data, "hvym.lmdb")), "write", "40"],
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              env={**os.environ, "WINEDEBUG": "-all"}) as holder:
            try:
                self.assertEqual(holder.stdout.readline().strip(), b"holding")
                start = time.monotonic()
                p = self.hvym("pintheon-set-port", "2222", timeout=60)
                took = time.monotonic() - start
                self.assertEqual(p.returncode, 1, p)
                self.assertIn(b"no answer from the store within 10 s", p.stderr)
                self.assertTrue(9 < took < 30, took)
                self.assertEqual(self.hvym("pintheon-port").stdout, b"1111\r\n")
            finally:
                holder.kill()
        self.assertEqual(self.hvym("pintheon-set-port", "3333").returncode, 0)
        self.assertEqual(self.hvym("pintheon-port").stdout, b"3333\r\n")

    def test_serve_takes_pipe_names_only(self):
        p = self.hvym("serve", "--socket", "a\\b")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"not a pipe name", p.stderr)

    def replay_in_batches(self, cases):
        """Recorded data-command cases through `hvym.exe batch --json`, 500
        a batch: one wine start per batch instead of one per case."""
        cases = [c for c in cases if not any(lone_surrogate(a) for a in c["argv"]) and
                 not lone_surrogate(c["stdout"])]
        checked = 0
        for at in range(0, len(cases), 500):
            part = cases[at:at + 500]
            p = self.hvym("batch", "--json", stdin=json.dumps([c["argv"] for c in part]).encode(), timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr[-500:])
            for case, got in zip(part, json.loads(p.stdout)):
                numeric_dash = any(a.startswith("-") and len(a) > 1 and number(a) for a in case["argv"][1:])
                if case["exit"] == 0:
                    self.assertEqual((got["exit"], got["stdout"]), (0, case["stdout"]), case["argv"][:3])
                elif not (numeric_dash and got["exit"] == 0):
                    self.assertEqual((got["exit"], got["stdout"]), (case["exit"], ""), case["argv"][:3])
                checked += 1
        return checked

    def test_recorded_data_commands_byte_for_byte(self):
        cases = []
        golden = os.path.join(GOLDEN, "data-commands.jsonl")
        if os.path.exists(golden):
            with open(golden) as f:
                cases += [json.loads(line) for line in f]
        with gzip.open(RECORDED, "rt") as f:
            cases += [json.loads(line) for line in f]
        self.assertGreater(self.replay_in_batches(cases), 2000)

    def test_recorded_legacy_config_states(self):
        """The original's data folders, imported and queried (probes aside)."""
        if not os.path.exists(os.path.join(GOLDEN, "legacy-config.jsonl")):
            self.skipTest("no recorded legacy cases here (../shared/golden), as in test_golden.py")
        with open(os.path.join(GOLDEN, "legacy-config.jsonl")) as f:
            cases = [json.loads(line) for line in f]
        checked = 0
        for i, case in enumerate(cases):
            if case["argv"][0] not in ("pintheon-port", "pintheon-dapp", "pintheon-network", "pinggy-tier",
                                       "pinggy-token"):
                continue
            with tempfile.TemporaryDirectory() as home, self.subTest(case=i, argv=case["argv"]):
                for rel, text in case.get("files", {}).items():
                    path = os.path.join(home, rel)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(text)
                data = winpath(os.path.join(home, ".local", "share", "heavymeta-cli"))
                p = wine(*case["argv"], home=home, env={"HVYM_HOME": data})
                self.assertEqual((p.returncode, p.stdout.replace(b"\r\n", b"\n").decode()),
                                 (case["exit"], case["stdout"]), p.stderr.decode(errors="replace"))
                checked += 1
        self.assertGreater(checked, 20)

    def test_no_docker_is_false(self):
        self.assertEqual(self.hvym("docker-installed").stdout, b"False\r\n")


@contextlib.contextmanager
def serve_folder(folder):
    """A real HTTP server on loopback serving folder: its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def metavinci_install(url, dest, order):
    """Metavinci's installer (inviti8/metavinci up to daf2c4b,
    metavinci.py), restated: download the asset into a temporary folder,
    extract the zip there, walk the folder and take the first file whose
    name starts with "hvym" (archives and .exe.config skipped), make it
    executable and move it into dest under its own name. `order` is the
    directory order the walk sees (NTFS gives names sorted; others do not).
    The installed path."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = os.path.join(tmp, "hvym-windows.zip")
        with urllib.request.urlopen(url, timeout=30) as r, open(archive, "wb") as f:
            shutil.copyfileobj(r, f)
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
        found = None
        for root, dirs, files in os.walk(tmp):
            dirs[:] = order(dirs)
            for name in order(files):
                if name.endswith(".tar.gz") or name.endswith(".zip"):
                    continue
                if name.startswith("hvym") and not name.endswith(".exe.config") and os.path.isfile(os.path.join(root, name)):
                    found = os.path.join(root, name)
                    break
            if found:
                break
        if not found:
            raise AssertionError("no hvym binary in the archive")
        os.chmod(found, 0o755)
        os.makedirs(dest, mode=0o755, exist_ok=True)
        target = os.path.join(dest, os.path.basename(found))
        shutil.move(found, target)
        return target


def restart_wine(display):
    """wine's server and desktop process again, for X display `display`
    (None: none), started with no test's pipes open (scripts/cross-test)."""
    e = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    e["WINEDEBUG"] = "-all"
    if display:
        e["DISPLAY"] = display
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": e}
    subprocess.run(["wineserver", "-k"], **quiet)
    subprocess.run(["wineserver", "-w"], **quiet, timeout=60)
    subprocess.run(["wineserver", "-p"], **quiet, timeout=60)
    subprocess.run(["/usr/bin/wine", "cmd", "/c", "exit"], **quiet, timeout=120)


class WindowsDialogs(unittest.TestCase):
    """hvym.exe with no console (its input a pipe, as Metavinci and the
    Blender add-on call it) asks through its own dialog mode, Windows' own
    windows drawn by wine on a real X server (Xvfb) and answered with
    xdotool's keys."""

    @classmethod
    def setUpClass(cls):
        missing = [n for n, p in (("Xvfb", desktop.XVFB), ("xdotool", desktop.XDOTOOL)) if not p]
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)}: run scripts/setup")
        cls.x = desktop.Xvfb()
        # scripts/cross-test started wine's server and desktop with no
        # display, and wine's windows then fail (error 1400) on any: they
        # are started again here on this X server, and again with no
        # display when the class is done.
        restart_wine(cls.x.display)
        cls.warm_up = subprocess.run(
            ["/usr/bin/wine", EXE, "--dialog-window", "splash", "--text", "warming up", "--seconds", "1"],
            env={**os.environ, "DISPLAY": cls.x.display, "WINEDEBUG": "-all"},
            stdin=subprocess.DEVNULL, capture_output=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        restart_wine(None)
        cls.x.stop()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def ask(self, *args, keys=(), text=None, exe=None):
        """Runs hvym.exe ARGS with no console; once its window shows, types
        text and presses keys; returns the finished process."""
        e = {"PATH": "/usr/bin:/bin", "HOME": self.home, "LANG": "C.UTF-8", "DISPLAY": self.x.display,
             "HVYM_HOME": winpath(os.path.join(self.home, "data")),
             "WINEPREFIX": os.environ["WINEPREFIX"], "WINEDEBUG": "-all"}
        p = subprocess.Popen(["/usr/bin/wine", exe or EXE, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        try:
            try:
                self.x.window("HEAVYMETA", timeout=60)
            except AssertionError as e:
                p.kill()
                out, err = p.communicate()
                raise AssertionError(f"{e}; hvym.exe: {p.returncode} {out!r} {err!r}") from None
            if text is not None:
                self.x.type(text)
            self.x.keys(*keys)
            out, err = p.communicate(b"", timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            left = not self.gone()
        if left:
            self.fail("a dialog window stayed after its program ended")
        return p.returncode, out.replace(b"\r\n", b"\n"), err.replace(b"\r\n", b"\n")

    def gone(self):
        """Whether the dialog's window went with its program; one left
        behind (a failed test) is closed, or it would take the next test's
        keys."""
        for _ in range(50):
            if self.x.gone("HEAVYMETA"):
                return True
            time.sleep(0.1)
        for w in self.x.xdotool("search", "--name", "HEAVYMETA").stdout.split():
            self.x.xdotool("windowkill", w)
        return False

    def hvym(self, *args):
        return wine(*args, home=self.home, env={"HVYM_HOME": winpath(os.path.join(self.home, "data"))})

    def test_a_splash_is_shown_and_goes(self):
        self.assertEqual(self.warm_up.returncode, 0, self.warm_up.stderr)

    def test_the_port_is_asked_in_a_window(self):
        code, out, err = self.ask("pintheon-set-port", text="9555", keys=("Return",))
        self.assertEqual((code, out, err), (0, b"", b"Pintheon port set to: 9555\n"))
        self.assertEqual(self.hvym("pintheon-port").stdout, b"9555\r\n")

    def test_closing_the_window_answers_as_the_original(self):
        self.hvym("pintheon-set-port", "7070")
        code, out, err = self.ask("pintheon-set-port", keys=("Escape",))
        self.assertEqual((code, out, err), (0, b"", b""))  # the original printed nothing
        self.assertEqual(self.hvym("pintheon-port").stdout, b"7070\r\n")

    def test_a_token_is_typed_hidden(self):
        code, out, err = self.ask("pinggy-set-token", text="tok-\u00e9-42", keys=("Return",))
        self.assertEqual(code, 0, err)
        self.assertEqual(self.hvym("pinggy-token").stdout, "tok-\u00e9-42\r\n".encode())

    def test_a_choice_from_a_list(self):
        before = self.hvym("pintheon-network").stdout
        code, out, err = self.ask("pintheon-set-network", keys=("Down", "Return"))
        self.assertEqual(code, 0, err)
        after = self.hvym("pintheon-network").stdout
        self.assertNotEqual(after, before)
        self.assertIn(after.strip(), (b"testnet", b"mainnet"))

    def test_a_text_is_shown_edited_and_printed(self):
        code, out, err = self.ask("custom-copy-text-prompt", "Words:", "alpha\nbeta",
                                  keys=("ctrl+End", "Return", "g", "a", "m", "m", "a", "Tab", "Return"))
        self.assertEqual((code, out), (0, b"alpha\nbeta\ngamma\n"), err)

    def test_a_yes_no_question(self):
        code, out, err = self.ask("custom-choice-prompt", "Go on?", keys=("Return",))
        self.assertEqual((code, out), (0, b"OK\n"), err)
        code, out, err = self.ask("custom-choice-prompt", "Go on?", keys=("Escape",))
        self.assertEqual((code, out), (0, b"CANCEL\n"), err)

    def test_hvym_exe_alone_asks_in_its_own_window(self):
        # The whole install is one file: a copy of hvym.exe alone in a
        # folder (what an installer that keeps one file leaves) still asks.
        alone = os.path.join(self.home, "alone")
        os.mkdir(alone)
        with open(EXE, "rb") as f, open(os.path.join(alone, "hvym-windows.exe"), "wb") as g:
            g.write(f.read())
        code, out, err = self.ask("pintheon-set-port", text="9444", keys=("Return",),
                                  exe=os.path.join(alone, "hvym-windows.exe"))
        self.assertEqual((code, out, err), (0, b"", b"Pintheon port set to: 9444\n"))
        self.assertEqual(self.hvym("pintheon-port").stdout, b"9444\r\n")

    def test_installed_as_metavinci_installs_it(self):
        # The release zip, served over HTTP, installed by Metavinci's own
        # steps (restated in metavinci_install), the walk seeing its folder
        # in either order; then a setter without its value asks in a window
        # through the installed file alone.
        dist = os.path.join(self.home, "dist")
        os.mkdir(dist)
        stage = os.path.join(self.home, "stage")
        os.mkdir(stage)
        shutil.copyfile(EXE, os.path.join(stage, "hvym-windows.exe"))
        strip = shutil.which("x86_64-w64-mingw32-strip")
        if strip:  # as scripts/release does
            subprocess.run([strip, "--strip-all", os.path.join(stage, "hvym-windows.exe")], check=True)
        subprocess.run([os.path.join(HERE, "..", "..", "scripts", "pack-zip"), os.path.join(dist, "hvym-windows.zip"),
                        os.path.join(stage, "hvym-windows.exe")], check=True)
        with serve_folder(dist) as url:
            for order in (sorted, lambda names: sorted(names, reverse=True)):
                dest = os.path.join(self.home, "installed-" + ("sorted" if order is sorted else "reversed"))
                installed = metavinci_install(url + "/hvym-windows.zip", dest, order)
                self.assertEqual(os.path.basename(installed), "hvym-windows.exe")
                self.assertEqual(os.listdir(dest), ["hvym-windows.exe"])
                code, out, err = self.ask("pintheon-set-port", text="9333", keys=("Return",), exe=installed)
                self.assertEqual((code, out, err), (0, b"", b"Pintheon port set to: 9333\n"))
                self.assertEqual(self.hvym("pintheon-port").stdout, b"9333\r\n")
                self.hvym("pintheon-set-port", "9998")

    def test_the_dialog_mode_refuses_bad_usage(self):
        p = wine("--dialog-window", "nonsense", home=self.home)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"unknown kind nonsense", p.stderr)
        p = wine("--dialog-window", "line", "--title", home=self.home)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"--title needs a value", p.stderr)
        p = wine("--dialog-window", home=self.home)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"usage: hvym --dialog-window KIND", p.stderr)


if __name__ == "__main__":
    unittest.main()
