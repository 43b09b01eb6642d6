#!/usr/bin/python3
"""hvym.exe under wine64, as the CLI tests' HVYM_BIN for the Windows build.

The tests were written for Linux: they give hvym a scratch HOME and put the
original's data files under HOME/.local/share/heavymeta-cli. On Windows
the original kept them in %USERPROFILE%\\AppData\\Local\\heavymeta-cli, so
this makes HOME the Windows profile folder (USERPROFILE=Z:\\...HOME) and,
when the test prepared a Linux data folder, makes the Windows one point at
it. hvym.exe writes line ends as Python's text mode did ("\\r\\n"); they
are turned back into "\\n" here, so the tests compare what a Windows caller
reading in text mode sees (test_windows.py checks the raw bytes).
"""
import os
import subprocess
import sys

exe = os.environ["HVYM_EXE"]
env = dict(os.environ)
home = env.get("HOME")
if home:
    env["USERPROFILE"] = "Z:" + home.replace("/", "\\")
    linux_data = os.path.join(home, ".local", "share", "heavymeta-cli")
    win_local = os.path.join(home, "AppData", "Local")
    if os.path.isdir(linux_data) and not os.path.exists(os.path.join(win_local, "heavymeta-cli")):
        os.makedirs(win_local, exist_ok=True)
        os.symlink(linux_data, os.path.join(win_local, "heavymeta-cli"))
env.setdefault("WINEDEBUG", "-all")
# A test's PATH says which programs hvym may find; wine's own PATH (the
# Windows one) comes from its prefix, so wine itself is found here.
env["PATH"] = "/usr/bin:/bin"
p = subprocess.run(["/usr/bin/wine", exe, *sys.argv[1:]], stdin=sys.stdin, capture_output=True, env=env)
sys.stdout.buffer.write(p.stdout.replace(b"\r\n", b"\n"))
sys.stderr.buffer.write(p.stderr.replace(b"\r\n", b"\n"))
sys.exit(p.returncode)
