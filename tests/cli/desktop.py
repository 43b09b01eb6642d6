"""Real parts for the prompt tests: an X server (Debian's Xvfb) driven with
xdotool, screenshots (xwd, turned into PNG here), the text a window holds
(selected with the mouse, read back with xclip), and a pseudo-terminal that
hvym sees as its terminal."""
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
import zlib

from realparts import wait_for

XVFB = shutil.which("Xvfb")
XDOTOOL = shutil.which("xdotool")
XWD = shutil.which("xwd")
XCLIP = shutil.which("xclip")
XPROP = shutil.which("xprop")
XWININFO = shutil.which("xwininfo")
ZENITY = shutil.which("zenity")


class Xvfb:
    """A private X server on a free display number. -noreset: by default an
    X server resets when its last client leaves, and a program connecting
    during that reset gets "Can't open display" (seen on a loaded CI
    machine: the xmessage after a closed terminal window)."""

    def __init__(self, *options):
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [XVFB, "-displayfd", str(w), "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset", *options],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        number = b""
        ready, _, _ = select.select([r], [], [], 20)
        while ready:
            chunk = os.read(r, 16)
            if not chunk:
                break
            number += chunk
            if number.endswith(b"\n"):
                break
        os.close(r)
        if not number.strip():
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.display = ":" + number.decode().strip()

    def env(self):
        return {"DISPLAY": self.display}

    def xdotool(self, *args, timeout=20):
        return subprocess.run([XDOTOOL, *args], env={**os.environ, "DISPLAY": self.display},
                              capture_output=True, text=True, timeout=timeout)

    def window(self, name, timeout=20):
        """The id of the first window whose name matches the regex `name`."""
        end = time.time() + timeout
        while time.time() < end:
            found = self.xdotool("search", "--onlyvisible", "--name", name).stdout.split()
            if found:
                self.xdotool("windowfocus", "--sync", found[0])
                time.sleep(0.4)  # let the toolkit finish drawing and take focus
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no window named {name!r} appeared on {self.display}")

    def describe(self):
        """What is on the screen and which related processes run: for a failure's message."""
        names = []
        for w in self.xdotool("search", "--onlyvisible", "--name", ".").stdout.split():
            names.append(self.xdotool("getwindowname", w).stdout.strip())
        ps = subprocess.run(["ps", "-eo", "pid,ppid,stat,wchan:24,args"], capture_output=True, text=True).stdout
        def related(line):
            words = line.split()[4:6]
            return any(k in os.path.basename(w) for w in words for k in ("hvym", "xterm", "xmessage", "zenity", "qemu"))
        related = [l for l in ps.splitlines() if related(l)]
        return f"windows on {self.display}: {names}\n" + "\n".join(related)

    def close(self, name):
        """Closes every window whose name matches `name` (its client is cut off)."""
        for w in self.xdotool("search", "--name", name).stdout.split():
            self.xdotool("windowkill", w)

    def gone(self, name):
        return not self.xdotool("search", "--onlyvisible", "--name", name).stdout.split()

    def keys(self, *keys):
        for k in keys:
            self.xdotool("key", "--clearmodifiers", k)
            time.sleep(0.1)

    def type(self, text):
        self.xdotool("type", "--delay", "20", text)
        time.sleep(0.2)

    def size(self, w):
        """A window's width and height in pixels."""
        shell = dict(l.split("=", 1) for l in self.xdotool("getwindowgeometry", "--shell", w).stdout.split())
        return int(shell["WIDTH"]), int(shell["HEIGHT"])

    def property(self, w, name):
        """A window's 8-bit property as (type, bytes), e.g. ("STRING", b"HEAVYMETA\xae")."""
        out = subprocess.run([XPROP, "-id", w, "-f", name, "8x", name], env={**os.environ, **self.env()},
                             capture_output=True, text=True, timeout=20).stdout
        m = re.match(r"\S+\((\w+)\) = (.*)", out.strip())
        if not m:
            return None, b""
        return m.group(1), bytes(int(x, 16) for x in m.group(2).split(", "))

    def window_class(self, w):
        out = subprocess.run([XPROP, "-id", w, "WM_CLASS"], env={**os.environ, **self.env()},
                             capture_output=True, text=True, timeout=20).stdout
        return out.rsplit('"', 2)[-2] if out.count('"') >= 4 else ""

    def held_text(self, w, timeout=20):
        """The text window w holds, as a person gets it: selected with the
        mouse (a click at the top left of the text, then one with the third
        button, which extends the selection, at its bottom right), then read
        back as UTF-8 from the PRIMARY selection with xclip; a click at the
        top left then takes the selection's highlight away. First xclip owns
        the selection with a marker, so the read waits until the window has
        taken it (None when it did not within `timeout` seconds)."""
        env = {**os.environ, **self.env()}
        marker = b"\x01not selected yet"
        subprocess.run([XCLIP, "-i", "-selection", "primary"], input=marker, env=env, timeout=20,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # serves it until it is taken
        if self.window_class(w) == "XTerm":
            left, top, (width, height) = 0, 0, self.size(w)
        else:  # xmessage: its Text widget, the form's first child, has a scroll bar at its left
            left, top, width, height = self.text_widget(w)
            left += 15
            width -= 15
        self.xdotool("mousemove", "--window", w, str(left + 2), str(top + 2), "click", "1", "mousemove",
                     "--window", w, str(left + width - 3), str(top + height - 3), "click", "3")
        got = {}

        def taken():
            r = subprocess.run([XCLIP, "-o", "-selection", "primary", "-t", "UTF8_STRING"], env=env,
                               capture_output=True, timeout=20)
            got["text"] = r.stdout
            return r.returncode == 0 and r.stdout != marker
        end = time.time() + timeout
        while not taken():
            if time.time() > end:
                return None
            time.sleep(0.1)
        self.xdotool("mousemove", "--window", w, str(left + 2), str(top + 2), "click", "1")
        return got["text"].decode()

    def shows(self, w, same, timeout=20):
        """Waits until the text window w holds, read back (lines()), passes
        same(text); that text, or an AssertionError saying what it held."""
        seen = []

        def check():
            text = self.held_text(w, timeout=3)
            if text is not None:
                seen.append(self.lines(text))
            return text is not None and same(seen[-1])
        if not wait_for(check, timeout):
            raise AssertionError(f"window {w} holds {seen[-1]!r}" if seen else f"window {w} took no selection")
        return seen[-1]

    def text_widget(self, w):
        """x, y (in w), width and height of the first grandchild window of
        w: the Text widget of an xmessage (shell, form, text)."""
        tree = subprocess.run([XWININFO, "-tree", "-id", w], env={**os.environ, **self.env()},
                              capture_output=True, timeout=20).stdout.decode("latin-1")  # names as STRING
        found = re.findall(r"^( +)0x[0-9a-f]+ .*?(\d+)x(\d+)\+(-?\d+)\+(-?\d+) ", tree, re.M)
        depth = sorted({len(f[0]) for f in found})
        form = next(f for f in found if len(f[0]) == depth[0])
        text = next(f for f in found if len(f[0]) == depth[1])
        return (int(form[3]) + int(text[3]), int(form[4]) + int(text[4]), int(text[1]), int(text[2]))

    @staticmethod
    def lines(text):
        """Text as a screen shows it: each line without the blanks at its
        end, and no empty lines at the end."""
        return "\n".join(l.rstrip() for l in text.split("\n")).rstrip("\n")

    def screenshot(self, path):
        """The whole screen as a PNG file at path."""
        xwd = subprocess.run([XWD, "-root", "-silent"], env={**os.environ, "DISPLAY": self.display},
                             capture_output=True, timeout=20, check=True).stdout
        with open(path, "wb") as f:
            f.write(xwd_to_png(xwd))
        return path

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def xwd_to_png(data):
    """An xwd dump of a TrueColor screen (24 or 32 bits a pixel) as PNG bytes."""
    (header_size, _version, _format, _depth, width, height, _xoff, byte_order, _unit, _bit_order,
     _pad, bits_per_pixel, bytes_per_line) = struct.unpack(">13I", data[:52])
    ncolors = struct.unpack(">I", data[76:80])[0]
    step = bits_per_pixel // 8
    if step not in (3, 4):
        raise ValueError(f"xwd with {bits_per_pixel} bits per pixel")
    start = header_size + ncolors * 12
    rows = []
    for y in range(height):
        line = data[start + y * bytes_per_line: start + y * bytes_per_line + width * step]
        if byte_order == 0:  # LSBFirst: B G R (x)
            b, g, r = line[0::step], line[1::step], line[2::step]
        else:                # MSBFirst: (x) R G B
            r, g, b = line[step - 3::step], line[step - 2::step], line[step - 1::step]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = r, g, b
        rows.append(b"\0" + bytes(rgb))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))


class Pty:
    """A program with a pseudo-terminal as its stdin and stderr (its
    controlling terminal, so Ctrl-C works) and a pipe as its stdout."""

    def __init__(self, argv, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stderr=slave, stdout=subprocess.PIPE, env=env,
                                     preexec_fn=self._take_terminal)
        os.close(slave)
        self.screen = b""
        self.seen = 0

    @staticmethod
    def _take_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the program is gone
            return None
        if not chunk:
            return None
        self.screen += chunk
        return True

    def expect(self, text, timeout=15):
        """Waits until `text` shows after what was expected before."""
        text = text.encode() if isinstance(text, str) else text
        end = time.time() + timeout
        while True:
            at = self.screen.find(text, self.seen)
            if at >= 0:
                self.seen = at + len(text)
                return
            left = end - time.time()
            if left <= 0 or self._read(left) is None:
                raise AssertionError(f"{text!r} not shown; the terminal shows {self.screen!r}")

    def send(self, text):
        os.write(self.master, text.encode() if isinstance(text, str) else text)

    def echo_on(self):
        return bool(termios.tcgetattr(self.master)[3] & termios.ECHO)

    def finish(self, timeout=15):
        """Exit status and stdout; the terminal's text stays in self.screen."""
        end = time.time() + timeout
        while time.time() < end and self._read(0.2) is not None:
            pass
        try:
            out, _ = self.proc.communicate(timeout=max(0.1, end - time.time()))
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            raise
        return self.proc.returncode, out

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        os.close(self.master)
