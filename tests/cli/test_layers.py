"""The architecture's rules (docs/architecture.md), checked on the source:

1. includes point at the file's own folder or a lower layer (LAYERS);
2. OS headers and OS tests only in src/platform/ (OS_HEADERS, OS_MACROS);
3. repository paths named in comments and docs exist (PATH_ROOTS);
4. the shell (src/ without commands/) links and runs on its own:
   HVYM_SHELL_ALONE names the built program (meson passes it).

Each rule fails with the list of every offender, file:line and what is wrong.
Run: python3 tests/cli/test_layers.py (from anywhere)."""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from bisect import bisect_right

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# ---- Rule 1: the layers, lowest first. A file may include its own folder
# or a lower level; folders on one level may not include each other.
LAYERS = {
    "platform": 0,
    "io": 1,
    "json": 2,
    "store": 3,
    "unit": 4,
    "net": 5, "data": 5, "prompt": 5,
    "stellar": 6,
    "cli": 7,
    "commands": 8,  # the top-level commands/ folder: the units
}

# ---- Rule 2: outside src/platform/, these angle-bracket headers and these
# preprocessor tests are forbidden. Standard and library headers are fine.
OS_HEADERS = {
    # POSIX and Windows system headers
    "unistd.h", "fcntl.h", "poll.h", "signal.h", "pthread.h", "dlfcn.h", "termios.h",
    "windows.h", "winsock2.h", "ws2tcpip.h", "io.h", "direct.h", "process.h",
    # more of them, used in src/platform/ today
    "dirent.h", "spawn.h", "malloc.h", "afunix.h", "aclapi.h", "sddl.h", "shellapi.h",
    "commdlg.h", "winuser.h",
}
OS_HEADER_PREFIXES = ("sys/", "arpa/", "netinet/", "net/", "mach/", "mach-o/", "linux/")
OS_MACROS = ("_WIN32", "_WIN64", "__APPLE__", "__linux__", "__MACH__", "__FreeBSD__")

# ---- Rule 3: tokens starting with these folders are repository paths.
PATH_ROOTS = ("src/", "commands/", "tests/", "scripts/", "docs/", "clients/", "subprojects/",
              ".ci/")
# Paths that are named on purpose but are not in the tree. Keep this short,
# each with its reason.
PATH_ALLOWED = {
    "subprojects/packagecache",  # scripts/setup fetches sources into it; git ignores it
    "tests/fuzz/regressions/",   # scripts/fuzz creates it when a fuzzer finds a crash
}

SOURCE_SUFFIXES = (".h", ".cpp")

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
CONDITION_RE = re.compile(r"^[ \t]*#[ \t]*(?:if|ifdef|ifndef|elif|elifdef|elifndef)\b(.*)$", re.M)
MACRO_RE = re.compile(r"\b(" + "|".join(OS_MACROS) + r")\b")
# Comments, with the literals that could hide a comment marker.
LEXEME_RE = re.compile(r'''(?P<raw>(?<![A-Za-z0-9_])(?:u8|u|U|L)?R"(?P<delim>[^()\\\s]{0,16})\(.*?\)(?P=delim)")'''
                       r'''|(?P<str>"(?:\\.|[^"\\\n])*")'''
                       r"""|(?P<chr>'(?:\\.|[^'\\\n])*')"""
                       r"|(?P<line>//[^\n]*)"
                       r"|(?P<block>/\*.*?\*/)", re.S)
TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_./*-])[A-Za-z0-9_./*-]+")
PLACEHOLDER_RE = re.compile(r"(?<![A-Za-z])[A-Z][A-Z0-9]*(?![a-z])")


# ---- reading the tree

def rel(path):
    return os.path.relpath(path, ROOT).replace(os.sep, "/")


def sources(*tops):
    """The .h and .cpp files under tops (repository-relative), sorted."""
    out = []
    for top in tops:
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs.sort()
            out += [rel(os.path.join(folder, f)) for f in sorted(files) if f.endswith(SOURCE_SUFFIXES)]
    return out


_TEXT = {}


def text(path):
    if path not in _TEXT:
        with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
            _TEXT[path] = f.read()
    return _TEXT[path]


class Lines:
    """Offset -> line number in one text."""
    def __init__(self, s):
        self.starts = [0] + [m.end() for m in re.finditer("\n", s)]

    def at(self, offset):
        return bisect_right(self.starts, offset)


def layer_of(path):
    """The folder a source file belongs to: src/X/... -> X, commands/... -> commands."""
    parts = path.split("/")
    if parts[0] == "commands":
        return "commands"
    return parts[1] if len(parts) > 2 else None


def includes(path):
    """(line, '<' or '"', target) for each #include of path."""
    s, lines = text(path), Lines(text(path))
    return [(lines.at(m.start()), m.group(1), m.group(2).strip()) for m in INCLUDE_RE.finditer(s)]


def comments(path):
    """(line of the comment's start, comment text) for each // and /* */ comment."""
    s, lines = text(path), Lines(text(path))
    return [(lines.at(m.start()), m.group()) for m in LEXEME_RE.finditer(s)
            if m.lastgroup in ("line", "block")]


class Rules(unittest.TestCase):
    def assert_none(self, offenders):
        """Fails with every offender, one a line."""
        if offenders:
            self.fail(f"{len(offenders)} offender(s):\n" + "\n".join(offenders))


# ---- rule 1

def include_offenses(path):
    own = layer_of(path)
    if own not in LAYERS:
        return [f"{path}: its folder {own!r} has no layer in LAYERS"]
    out = []
    for line, bracket, target in includes(path):
        if bracket != '"':
            continue
        folder = target.split("/")[0] if "/" in target else own
        where = f"{path}:{line}: includes \"{target}\""
        if folder not in LAYERS:
            out.append(f"{where}: folder {folder!r} has no layer in LAYERS")
        elif folder != own and LAYERS[folder] >= LAYERS[own]:
            rank = "the same level as" if LAYERS[folder] == LAYERS[own] else "a higher layer than"
            out.append(f"{where}: {folder}/ ({LAYERS[folder]}) is {rank} {own}/ ({LAYERS[own]})")
    return out


# ---- rule 2

def is_os_header(target):
    return target in OS_HEADERS or target.startswith(OS_HEADER_PREFIXES)


def os_offenses(path):
    out = [f"{path}:{line}: includes OS header <{target}>"
           for line, bracket, target in includes(path) if bracket == "<" and is_os_header(target)]
    s = text(path)
    lines = Lines(s)
    for m in CONDITION_RE.finditer(s):
        condition = m.group(1).split("//")[0]
        for macro in sorted(set(MACRO_RE.findall(condition))):
            out.append(f"{path}:{lines.at(m.start())}: tests OS macro {macro}")
    return out


# ---- rule 3

def path_tokens(s, first_line=1):
    """(line, token) for each repository path named in s."""
    out = []
    for m in TOKEN_RE.finditer(s):
        token = m.group()
        if token.startswith("./"):
            token = token[2:]
        token = token.rstrip(".-")
        if token.startswith(PATH_ROOTS):
            out.append((first_line + s.count("\n", 0, m.start()), token))
    return out


def path_exists(token):
    """None when token names something in the tree (or is skipped), else why not."""
    if token.startswith(("build/", "build-")) or token in PATH_ALLOWED:
        return None
    path = os.path.join(ROOT, token)
    if os.path.exists(path):
        return None
    if os.path.exists(path.rstrip("/") + ".in"):  # a file meson configures (src/version.h)
        return None
    if os.path.exists(re.sub(r"\.exe$", "", path) + ".cpp"):  # a program built from X.cpp
        return None
    if "*" in token:
        return None if glob.glob(path, recursive=True) else "matches nothing"
    if PLACEHOLDER_RE.search(token):  # commands/NAME.cpp, src/X/: a pattern, not a path
        return None
    return "does not exist"


def stale_paths(path, named):
    return [f"{path}:{line}: names {token}: {why}"
            for line, token in named for why in [path_exists(token)] if why]


def markdown_files():
    return ["README.md"] + sorted(rel(p) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))


# ---- the tests

class Layers(Rules):
    def test_every_folder_under_src_has_a_layer(self):
        src = os.path.join(ROOT, "src")
        folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
        missing = [f"src/{d}/: not in LAYERS (place it in the table)" for d in folders if d not in LAYERS]
        self.assert_none(missing)

    def test_includes_point_at_own_folder_or_lower(self):
        offenders = [o for p in sources("src", "commands") for o in include_offenses(p)]
        self.assert_none(offenders)


class OsOnlyInPlatform(Rules):
    def test_no_os_headers_or_os_tests_outside_platform(self):
        files = [p for p in sources("src", "commands") if not p.startswith("src/platform/")]
        self.assertGreater(len(files), 0)
        offenders = [o for p in files for o in os_offenses(p)]
        self.assert_none(offenders)


class NamedPathsExist(Rules):
    def test_paths_in_source_comments_exist(self):
        offenders = []
        for p in sources("src", "commands"):
            for line, comment in comments(p):
                offenders += stale_paths(p, path_tokens(comment, line))
        self.assert_none(offenders)

    def test_paths_in_docs_exist(self):
        offenders = [o for p in markdown_files() for o in stale_paths(p, path_tokens(text(p)))]
        self.assert_none(offenders)



SHELL_ALONE = os.environ.get("HVYM_SHELL_ALONE", "")


class ModelUnit(unittest.TestCase):
    def test_architecture_shows_the_real_check_cpp(self):
        # The model unit in docs/architecture.md is commands/check.cpp itself.
        doc = text(os.path.join(ROOT, "docs", "architecture.md"))
        unit = text(os.path.join(ROOT, "commands", "check.cpp"))
        start = doc.index("`commands/check.cpp` is the smallest:")
        block = doc[doc.index("```cpp\n", start) + len("```cpp\n"):]
        block = block[:block.index("```\n")]
        self.assertEqual(block, unit, "docs/architecture.md's model unit differs from commands/check.cpp")


@unittest.skipUnless(SHELL_ALONE, "HVYM_SHELL_ALONE is not set (meson sets it)")
class ShellAlone(unittest.TestCase):
    """The shell links without commands/ and says so at run time."""

    def run_shell(self, *args):
        home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, home, True)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}
        return subprocess.run([SHELL_ALONE, *args], env=env, capture_output=True, timeout=60)

    def test_it_was_built(self):
        self.assertTrue(os.path.basename(SHELL_ALONE).startswith("shell-alone"), SHELL_ALONE)
        self.assertTrue(os.path.isfile(SHELL_ALONE), f"{SHELL_ALONE}: not built")
        self.assertTrue(os.access(SHELL_ALONE, os.X_OK), f"{SHELL_ALONE}: not executable")

    def test_help(self):
        r = self.run_shell("--help")
        self.assertEqual(r.returncode, 0, r)
        self.assertTrue(r.stdout.startswith(b"Usage: "), r.stdout[:200])

    def test_no_commands(self):
        r = self.run_shell("check")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"No such command", r.stderr)


if __name__ == "__main__":
    unittest.main()
