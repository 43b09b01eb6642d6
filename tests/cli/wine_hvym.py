#!/usr/bin/python3
"""hvym.exe under wine64, as the CLI tests' HVYM_BIN for the Windows build.

The tests were written for Linux: they give hvym a scratch HOME and put the
original's data files under HOME/.local/share/heavymeta-cli. wine takes
the Windows profile folder from its prefix, so that folder is given to
hvym.exe as HVYM_HOME (test_windows.py checks the profile's own
AppData\\Local\\heavymeta-cli). hvym.exe writes line ends as Python's text mode did ("\\r\\n"); they
are turned back into "\\n" here, so the tests compare what a Windows caller
reading in text mode sees (test_windows.py checks the raw bytes).
"""
import os
import subprocess
import sys

exe = os.environ["HVYM_EXE"]
env = dict(os.environ)
home = env.get("HOME")
if home and "HVYM_HOME" not in env:
    # wine sets the profile folder (USERPROFILE) from its prefix, whatever
    # the environment says: the test's data folder is given as HVYM_HOME.
    env["HVYM_HOME"] = "Z:" + os.path.join(home, ".local", "share", "heavymeta-cli").replace("/", "\\")
env["LANG"] = env.get("LANG") or "C.UTF-8"  # wine reads argv in the locale's encoding
env.setdefault("WINEDEBUG", "-all")
# A test's PATH says which programs hvym may find; wine's own PATH (the
# Windows one) comes from its prefix, so wine itself is found here.
env["PATH"] = "/usr/bin:/bin"
p = subprocess.run(["/usr/bin/wine", exe, *sys.argv[1:]], stdin=sys.stdin, capture_output=True, env=env)
sys.stdout.buffer.write(p.stdout.replace(b"\r\n", b"\n"))
sys.stderr.buffer.write(p.stderr.replace(b"\r\n", b"\n"))
sys.exit(p.returncode)
