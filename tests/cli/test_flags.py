"""Every unit's needs flags (src/unit/command.h) say what it does to the
store, checked against what it did: each command of `hvym --list` runs its
representative invocations (the golden cases of ../shared/golden where there
are any, and the table HAND below) under HVYM_STORE_TRACE (store/store.h),
in a fresh data folder that one setter made first, twice: as its own process
and as the one request of `hvym batch` (in-process for kInProcess units, a
child process for the others). It asserts:

1. nothing undeclared: every event an invocation caused (read, read-other,
   write-config, write-cache, write-other, lock: store/store.h) is allowed
   by a flag of its command (ALLOWED);
2. the same events (as a set) both ways;
3. nothing declared and never done: every store flag of a command shows in
   the events of one of its invocations (SHOWS), but for EXEMPT.

The flags are read from the units' declarations in commands/*.cpp (and the
helper functions some declarations call), never from hvym itself.
Run: HVYM_BIN=build/hvym HVYM_GOLDEN=../shared/golden python3 tests/cli/test_flags.py"""
import collections
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from clitest import BIN  # noqa: E402
from test_stellar import G, S, write_legacy, x25519_of  # noqa: E402

GOLDEN = os.environ.get("HVYM_GOLDEN", "")
REL = os.path.join(".local", "share", "heavymeta-cli")  # the data folder under HOME
POPULATE = ["config", "set", "pinggy_debugger_port", "4300"]  # a setter: the store exists (its default value)
GOLDEN_PER_COMMAND = 4  # data commands: the first few cases of each (pure functions of their arguments)

# What each event needs: one of these flags.
ALLOWED = {
    "read": {"kReadsConfig", "kWritesCache", "kOwnReads", "kOwnWrites", "kWritesConfig"},
    "read-other": {"kOwnReads", "kOwnWrites"},  # the vault's records read
    "write-config": {"kWritesConfig", "kOwnWrites"},
    "write-cache": {"kWritesCache"},
    "write-other": {"kOwnWrites"},
    "lock": {"kExclusive"},  # the Stellar layer takes no lock (only dispatch.cpp does)
}
# What shows that a declared flag is true: one of these events. kWritesCache
# asks for a written cache entry, not only a read one (a docker on the PATH
# gives the probes a definite answer to remember).
SHOWS = {
    "kReadsConfig": {"read"},
    "kWritesConfig": {"write-config"},
    "kWritesCache": {"write-cache"},
    "kOwnWrites": {"write-config", "write-cache", "write-other"},
    "kOwnReads": {"read-other"},
    "kExclusive": {"lock"},
}
# What the checks let pass, with the reason: (command, what), what being a
# flag declared and never shown, an event done undeclared, or "batch" (other
# events in batch than as a process). Keep it short: every store flag of
# every command is shown by HAND and the golden cases now (the three untrue
# flags it first found are mended: stellar-new-account read no config,
# stellar-list and stellar-load-shared-pub read the vault, kOwnReads).
# test_every_exemption_is_still_needed says when an entry is stale.
EXEMPT = {}

# Commands the golden files do not cover: (command, args, setup, options).
# Arguments and setup words may name fixtures as {fx}. setup: argv lists run
# after POPULATE, untraced. options: "bin" puts fakes of docker, npm and
# pinggy on the PATH (else it is an empty folder), "stdin" is the input.
NEW = ["stellar-new-account", "--name", "a", "--passphrase-file", "{fx}/pw", "--show-mnemonic"]
NEW_B = ["stellar-new-account", "--name", "b", "--passphrase-file", "{fx}/pw", "--show-mnemonic"]
HAND = [
    ("about", [], [], {}),
    ("check", [], [], {}),
    ("version", [], [], {}),
    ("batch", ["--json", "[]"], [], {}),  # kServer: never a request (own process only)
    ("serve", ["--help"], [], {}),        # kServer: starting one is test_protocol's
    ("config", ["list"], [], {}),
    ("config", ["get", "pintheon_port"], [], {}),
    ("config", ["set", "pintheon_port", "9001"], [], {}),
    ("config", ["verify"], [], {}),
    ("migrate", ["--status"], [], {}),
    ("migrate", ["--from", "{fx}/db.json"], [], {}),
    ("pinggy-set-token", ["tok"], [], {}),
    ("pinggy-set-token", [], [], {}),  # asks: refused (--no-input)
    ("pinggy-set-tier", ["free"], [], {}),
    ("pinggy-set-tier", [], [], {}),   # reads the tiers to ask: refused
    ("pintheon-set-network", ["mainnet"], [], {}),
    ("pintheon-set-network", [], [], {}),
    ("pintheon-set-port", ["9000"], [], {}),
    ("pintheon-set-port", [], [], {}),
    ("docker-installed", [], [], {}),
    ("docker-installed", [], [], {"bin": True}),  # a definite answer: remembered
    ("installation-stats", [], [], {"bin": True}),
    ("pintheon-image-exists", [], [], {"bin": True}),
    ("is-pintheon-tunnel-open", [], [], {}),
    ("pintheon-setup", [], [], {}),  # no curl, no engine (DOCKER_HOST): fails fast
    ("pintheon-start", [], [], {}),
    ("pintheon-stop", [], [], {}),
    ("pintheon-open", [], [], {}),   # no browser
    ("pinggy-install", [], [], {}),  # no curl
    ("pintheon-tunnel-open", [], [], {}),  # no token
    ("pintheon-tunnel-open", [], [["pinggy-set-token", "tok"]], {"bin": True}),  # a pinggy that exits at once
    ("pintheon-tunnel-status", [], [], {}),
    ("pintheon-tunnel-status", [], [["config", "set", "tunnel_status", "running"],
                                    ["config", "set", "tunnel_pid", "999999"]], {}),  # stale: recorded stopped
    ("pintheon-tunnel-close", [], [["config", "set", "tunnel_status", "running"],
                                   ["config", "set", "tunnel_pid", "999999"]], {}),
    ("up", [], [["config", "set", "npm_links_source", "/nonexistent"]], {"bin": True}),
    ("update-npm-modules", [], [], {}),
    ("update-proprium-js-file", [], [], {}),
    ("png-to-data-url", ["{fx}/a.png"], [], {}),
    ("svg-to-data-url", ["{fx}/a.svg"], [], {}),
    ("img-to-url", ["pick one"], [], {}),
    ("print-hvym-data", ["{fx}/a.svg"], [], {}),
    ("didc-install", ["--script", "/nonexistent"], [], {}),
    ("didc-bind-js", ["{fx}/a.did"], [], {}),
    ("didc-bind-ts", ["{fx}/a.did"], [], {}),
    ("didc-bind-js-popup", [], [], {}),
    ("didc-bind-ts-popup", [], [], {}),
    ("splash", ["--seconds", "1"], [], {}),
    ("custom-prompt", ["hi"], [], {}),
    ("custom-choice-prompt", ["hi"], [], {}),
    ("custom-copy-line-prompt", ["hi", "text"], [], {}),
    ("custom-copy-text-prompt", ["hi", "text"], [], {}),
    ("custom-loading-msg", ["hi", "--seconds", "1"], [], {}),
    ("stellar-list", [], [], {}),
    ("stellar-list", ["--json"], [NEW], {}),
    ("stellar-new-account", NEW[1:], [], {}),
    ("stellar-new-testnet-account", NEW[1:], [["config", "set", "stellar_friendbot_url", "http://127.0.0.1:9"]], {}),
    ("stellar-set-account", ["a"], [NEW, NEW_B], {}),
    ("stellar-remove-account", ["--yes", "a"], [NEW], {}),
    ("stellar-load-keys", [], [NEW], {}),
    ("stellar-load-keys", ["--show-secret", "--passphrase-file", "-"], [NEW], {"stdin": "pw\n"}),
    ("stellar-select-keys", ["a"], [NEW], {}),
    ("stellar-load-shared-pub", [], [NEW], {}),
    ("stellar-select-shared-pub", ["a"], [NEW], {}),
    ("stellar-update-db-pw", ["--passphrase-file", "{fx}/pw", "--new-passphrase-file", "{fx}/pw2"], [NEW], {}),
    ("stellar-import-legacy", ["--file", "{fx}/enc_db.json", "--passphrase-file", "{fx}/pw"], [], {}),
    # The data commands the golden file lacks: pure functions of their arguments.
    ("anim-prop-data", ["walk", "True", "0", "10", "True", "1.0", "True", "ref", "slider", "True"], [], {}),
    ("collection-data", ["c", "single"] + ["{}"] * 11, [], {}),
    ("lambert-material-data", ["#ffffff"], [], {}),
    ("mat-prop-data", ["m", "PBR", "False", "False", "False", "False", "{}", "meter", "True"], [], {}),
    ("mesh-set-data", ["[]", "0", "meter", "True"], [], {}),
    ("pbr-material-data", ["#ffffff", "0.5", "0.5"], [], {}),
    ("phong-material-data", ["#ffffff", "#000000", "30"], [], {}),
    ("slider-data", ["SLIDER", "Immutable", "meter", "True"], [], {}),
    ("slider-float-data", ["0.5", "0", "1", "SLIDER", "Immutable", "meter", "True"], [], {}),
    ("slider-int-data", ["5", "0", "10", "SLIDER", "Immutable", "meter", "True"], [], {}),
    ("standard-material-data", ["#ffffff", "0.5", "0.5"], [], {}),
]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def flag_bits():
    """The Needs enum of src/unit/command.h: name -> bit."""
    text = read(os.path.join(ROOT, "src", "unit", "command.h"))
    enum = re.search(r"enum Needs : uint32_t \{(.*?)\n\};", text, re.S).group(1)
    return {m.group(1): 1 << int(m.group(2)) for m in re.finditer(r"\b(k\w+) = 1u << (\d+)", enum)}


def declared_flags():
    """Each command's needs as written in commands/*.cpp: name -> set of flag
    names. A declaration is `extern constinit const Command X{... .name =
    "NAME", ... .needs = FLAGS, ...}` or `... X = helper<...>("NAME", ...)`,
    whose needs are the flags named in the helper's body."""
    names = set(flag_bits()) | {"kNeedsNothing"}
    sources = {p: read(p) for p in sorted(glob.glob(os.path.join(ROOT, "commands", "*.cpp")) +
                                                 glob.glob(os.path.join(ROOT, "src", "*", "*.h")))}

    def flags_in(text):
        return {w for w in re.findall(r"\bk[A-Z]\w*\b", text) if w in names} - {"kNeedsNothing"}

    def helper(name):
        for text in sources.values():
            m = re.search(r"(?:consteval|constexpr)\s+Command\s+" + name + r"\s*\([^)]*\)\s*\{(.*?)\n\}", text, re.S)
            if m:
                return flags_in(m.group(1))
        raise AssertionError(f"no helper {name}() declaring a Command")

    out = {}
    for path, text in sources.items():
        if not path.endswith(".cpp"):
            continue
        for m in re.finditer(r"extern\s+constinit\s+const\s+Command\s+\w+\s*\{(.*?)\n\};", text, re.S):
            body = m.group(1)
            name = re.search(r'\.name\s*=\s*"([^"]+)"', body).group(1)
            out[name] = flags_in(re.search(r"\.needs\s*=\s*([^,]+),", body).group(1))
        for m in re.finditer(r'extern\s+constinit\s+const\s+Command\s+\w+\s*=\s*(\w+)(?:<[^>]*>)?\(\s*"([^"]+)"', text):
            out[m.group(2)] = helper(m.group(1))
    return out


def golden_cases(commands):
    """(command, args, files) from the golden files: every case of the
    config file (each a different Python install), a few per data command."""
    cases = []
    for name, limit in (("legacy-config.jsonl", None), ("data-commands.jsonl", GOLDEN_PER_COMMAND)):
        taken = collections.Counter()
        with open(os.path.join(GOLDEN, name), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                case = json.loads(line)
                cmd = case["argv"][0]
                if cmd not in commands or (limit and taken[cmd] >= limit):
                    continue
                taken[cmd] += 1
                cases.append((cmd, case["argv"][1:], [], {"files": case.get("files", {})}))
    return cases


class Fixtures:
    def __init__(self, root):
        self.dir = os.path.join(root, "fx")
        self.empty = os.path.join(root, "empty-path")
        self.bin = os.path.join(root, "fake-bin")
        for d in (self.dir, self.empty, self.bin):
            os.makedirs(d)
        self.write("pw", "pw\n")
        self.write("pw2", "pw2\n")
        self.write("a.png", b"\x89PNG\r\n\x1a\n0000")
        self.write("a.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
        self.write("a.did", "service : {}\n")
        self.write("db.json", json.dumps({"_default": {}, "app_data": {"1": {
            "data_type": "APP_DATA", "pinggy_token": "t", "pinggy_tiers": ["free", "pro"],
            "pintheon_dapp": "pintheon-mainnet-linux-amd64", "pintheon_sif_path": "",
            "pintheon_port": 4242, "pintheon_networks": ["mainnet", "testnet"]}}}))
        write_legacy(os.path.join(self.dir, "enc_db.json"), "pw", [
            {"data_type": "ACCOUNT", "name": "main", "public": G, "secret": S,
             "25519_pub": x25519_of(G), "seed": ""}])
        fakes = {"docker": 'echo "Docker version 24.0.7, build afdd53b"', "npm": "exit 1", "pinggy": "exit 1"}
        for name, body in fakes.items():
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
            os.chmod(path, 0o755)

    def write(self, name, content):
        with open(os.path.join(self.dir, name), "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)


def events_of(path):
    """The set of events in a trace file ("PID EVENT" lines)."""
    if not os.path.exists(path):
        return frozenset()
    with open(path) as f:
        return frozenset(line.split()[1] for line in f if line.strip())


def invoke(fx, cmd, args, setup, options, in_batch):
    """Runs one invocation in a fresh data folder: (exit status, events, what it said)."""
    home = tempfile.mkdtemp(prefix="hvym-flags-")
    try:
        for rel, text in options.get("files", {}).items():
            path = os.path.join(home, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        env = {"HOME": home, "HVYM_HOME": os.path.join(home, REL), "LANG": "C.UTF-8",
               "PATH": fx.bin if options.get("bin") else fx.empty, "HVYM_NO_INPUT": "1",
               "DOCKER_HOST": "unix:///nonexistent"}

        def sub(words):
            return [w.replace("{fx}", fx.dir) for w in words]

        for words in [POPULATE] + setup:
            subprocess.run([BIN, *sub(words)], env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        trace = os.path.join(home, "trace")
        stdin = options.get("stdin", "")
        if in_batch:
            request = {"cmd": cmd, "args": sub(args)}
            if stdin:
                request["stdin"] = stdin
            argv, data = [BIN, "batch", "--json"], json.dumps([request]).encode()
        else:
            argv, data = [BIN, cmd, *sub(args)], stdin.encode()
        p = subprocess.run(argv, env={**env, "HVYM_STORE_TRACE": trace}, input=data, capture_output=True, timeout=60)
        status = p.returncode
        said = p.stderr.decode(errors="replace")[-300:]
        if in_batch and p.returncode == 0:
            result = json.loads(p.stdout)[0]
            status, said = result["exit"], result["stderr"][-300:]
        return status, events_of(trace), said
    finally:
        subprocess.run(["chmod", "-R", "u+w", home], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


# The config queries' cases are the golden ones: skipped without them, as
# test_golden.py is.
@unittest.skipUnless(GOLDEN and os.path.isdir(GOLDEN), "no ../shared/golden beside the project")
class Flags(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.commands = subprocess.run([BIN, "--list"], capture_output=True, check=True).stdout.decode().split()
        cls.declared = declared_flags()
        cls.scratch = tempfile.mkdtemp(prefix="hvym-flags-fx-")
        fx = Fixtures(cls.scratch)
        cls.cases = cases = HAND + golden_cases(set(cls.commands))
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(4, 2 * (os.cpu_count() or 1))) as pool:
            for i, (cmd, args, setup, options) in enumerate(cases):
                for in_batch in (False, True):
                    if in_batch and "kServer" in cls.declared.get(cmd, ()):
                        continue  # never a request inside a batch
                    jobs[(i, in_batch)] = pool.submit(invoke, fx, cmd, args, setup, options, in_batch)
        cls.results = {key: job.result() for key, job in jobs.items()}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def runs(self):
        """(command, args, {in_batch: (status, events, said)}) of every case."""
        for i, (cmd, args, _, _) in enumerate(self.cases):
            yield cmd, args, {b: self.results[(i, b)] for b in (False, True) if (i, b) in self.results}

    def findings(self):
        """What is wrong, as {(command, what): [evidence]}; what is an event
        done undeclared, a flag declared and never shown, or "batch" (other
        events in batch than as a process)."""
        found = collections.defaultdict(list)
        seen = collections.defaultdict(set)
        for cmd, args, modes in self.runs():
            flags = self.declared[cmd]
            for in_batch, (_, events, said) in modes.items():
                seen[cmd] |= events
                for e in sorted(events):
                    if not ALLOWED[e] & flags:
                        found[(cmd, e)].append(f"{cmd} {args[:3]} ({'batch' if in_batch else 'process'}): {e}, "
                                               f"declares {sorted(flags)}; stderr {said[-200:]!r}")
            if len(modes) == 2:
                (s1, e1, said1), (s2, e2, said2) = modes[False], modes[True]
                if e1 != e2 or s1 != s2:
                    found[(cmd, "batch")].append(f"{cmd} {args[:3]}: process exit {s1} {sorted(e1)}, batch exit "
                                                 f"{s2} {sorted(e2)}; stderr {said1[-200:]!r} / {said2[-200:]!r}")
        for cmd, flags in self.declared.items():
            for flag in sorted(flags & SHOWS.keys()):
                if not SHOWS[flag] & seen[cmd]:
                    found[(cmd, flag)].append(f"{cmd}: declares {flag}, its invocations did only {sorted(seen[cmd])}")
        return found

    def unexempt(self, kind):
        return [line for (cmd, what), lines in sorted(self.findings().items())
                if kind(what) and (cmd, what) not in EXEMPT for line in lines]

    def test_every_command_is_declared_and_run(self):
        self.assertEqual(sorted(self.declared), sorted(self.commands), "commands/*.cpp declarations vs hvym --list")
        self.assertEqual(sorted(set(self.commands) - {c for c, *_ in self.cases}), [], "commands with no invocation")

    def test_nothing_undeclared(self):
        self.assertEqual(self.unexempt(lambda what: what in ALLOWED), [])

    def test_the_same_events_in_process_and_in_batch(self):
        self.assertEqual(self.unexempt(lambda what: what == "batch"), [])

    def test_every_declared_store_flag_is_done(self):
        self.assertEqual(self.unexempt(lambda what: what in SHOWS), [])

    def test_every_exemption_is_still_needed(self):
        found = self.findings()
        self.assertEqual([key for key in EXEMPT if key not in found], [],
                         "exemptions nothing needs any more: remove them")
        self.assertEqual([key for key, why in EXEMPT.items() if not why], [], "an exemption says why")


if __name__ == "__main__":
    unittest.main(verbosity=1)
