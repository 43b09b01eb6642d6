"""The prompt layer as people and programs meet it: questions on a real
pseudo-terminal (hidden input, Ctrl-C, Ctrl-D), the $HVYM_DIALOG protocol
with a small script, zenity on a real X server (Xvfb) driven by xdotool
with screenshots kept, and the refusals (--no-input, nowhere to ask)."""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, run  # noqa: E402
import desktop  # noqa: E402
from realparts import wait_for  # noqa: E402

ARTIFACTS = os.environ.get("HVYM_ARTIFACTS") or tempfile.mkdtemp(prefix="hvym-artifacts-")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


def cells(line):
    """A line's width in a terminal's cells: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def base_env(home, **extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": home}
    env.update(extra)
    return env


class Home(unittest.TestCase):
    """Each test gets an empty HOME (so a fresh data folder)."""

    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.home, True)

    def hvym(self, *args, env=None, stdin=b""):
        return run(*args, env=env, stdin=stdin, home=self.home)

    def value(self, query):
        r = self.hvym(query)
        self.assertEqual(r.code, 0, r)
        return r.out.decode().rstrip("\n")

    def store_files(self):
        """The data folder's files and bytes: to show nothing changed (not
        lock files: a reader's slot in lock.mdb is no change)."""
        data = os.path.join(self.home, ".local/share/heavymeta-cli")
        out = {}
        for root, _, files in os.walk(data):
            for f in files:
                if f.endswith(".lock") or f == "lock.mdb":
                    continue
                with open(os.path.join(root, f), "rb") as fh:
                    out[os.path.relpath(os.path.join(root, f), data)] = fh.read()
        return out


class Terminal(Home):
    """hvym on a pseudo-terminal: stdin and stderr are the terminal."""

    def pty(self, *args):
        t = desktop.Pty([BIN, *args], base_env(self.home))
        self.addCleanup(t.close)
        return t

    def test_port_is_asked_checked_and_stored(self):
        t = self.pty("pintheon-set-port")
        t.expect("Enter Pintheon Port: [9998] ")
        t.send("70000\n")
        t.expect("Invalid port '70000': a whole number from 1 to 65535.")
        t.expect("[9998] ")
        t.send("9100\n")
        code, out = t.finish()
        self.assertEqual((code, out), (0, b""), t.screen)
        self.assertIn(b"Pintheon port set to: 9100", t.screen)
        self.assertEqual(self.value("pintheon-port"), "9100")

    def test_a_slow_answer_is_fine(self):
        # No store transaction (and its 10 s deadline) stays open while a
        # person thinks.
        t = self.pty("pintheon-set-port")
        t.expect("[9998] ")
        time.sleep(11)
        t.send("9111\n")
        self.assertEqual(t.finish()[0], 0, t.screen)
        self.assertEqual(self.value("pintheon-port"), "9111")

    def test_enter_keeps_the_current_port(self):
        self.assertEqual(self.hvym("pintheon-set-port", "9200").code, 0)
        t = self.pty("pintheon-set-port")
        t.expect("[9200] ")
        t.send("\n")
        self.assertEqual(t.finish()[0], 0, t.screen)
        self.assertEqual(self.value("pintheon-port"), "9200")

    def test_token_is_read_without_echo(self):
        t = self.pty("pinggy-set-token")
        t.expect("Enter Pinggy Token: ")
        self.assertFalse(t.echo_on(), "echo should be off while the token is typed")
        t.send("tok-s3cret\n")
        code, out = t.finish()
        self.assertEqual((code, out), (0, b"\n"), t.screen)
        self.assertNotIn(b"tok-s3cret", t.screen)
        self.assertTrue(t.echo_on(), "echo must be back on after the token")
        self.assertEqual(self.value("pinggy-token"), "tok-s3cret")

    def test_ctrl_c_cancels_restores_echo_and_changes_nothing(self):
        self.assertEqual(self.hvym("pinggy-set-token", "old-token").code, 0)
        before = self.store_files()
        t = self.pty("pinggy-set-token")
        t.expect("Enter Pinggy Token: ")
        t.send("half-typ")
        t.send(b"\x03")
        code, out = t.finish()
        self.assertEqual((code, out), (1, b""), t.screen)
        self.assertIn(b"cancelled; nothing changed.", t.screen)
        self.assertTrue(t.echo_on(), "echo must be back on after Ctrl-C")
        self.assertEqual(self.store_files(), before)
        self.assertEqual(self.value("pinggy-token"), "old-token")

    def test_ctrl_d_cancels_a_choice(self):
        t = self.pty("pintheon-set-network")
        t.expect("Choose 1-2 [1]: ")
        t.send(b"\x04")
        code, _ = t.finish()
        self.assertEqual(code, 1, t.screen)
        self.assertIn(b"cancelled", t.screen)
        self.assertEqual(self.value("pintheon-network"), "testnet")

    def test_tier_from_a_numbered_menu(self):
        t = self.pty("pinggy-set-tier")
        t.expect("Select Pinggy Tier:")
        t.expect("1) pro")
        t.expect("2) free")
        t.expect("Choose 1-2 [1]: ")
        t.send("3\n")
        t.expect("Please enter a number from 1 to 2.")
        t.send("2\n")
        self.assertEqual(t.finish()[0], 0, t.screen)
        self.assertEqual(self.value("pinggy-tier"), "free")

    def test_network_by_name_and_the_dapp_follows(self):
        t = self.pty("pintheon-set-network")
        t.expect("Choose 1-2 [1]: ")
        t.send("mainnet\n")
        self.assertEqual(t.finish()[0], 0, t.screen)
        self.assertEqual(self.value("pintheon-network"), "mainnet")
        self.assertIn("pintheon-mainnet-", self.value("pintheon-dapp"))

    def test_choice_prompt_prints_ok_or_cancel(self):
        for typed, printed in (("y\n", b"OK\n"), ("no\n", b"CANCEL\n")):
            t = self.pty("custom-choice-prompt", "Deploy now?")
            t.expect("Deploy now? [y/n] ")
            t.send("maybe\n")
            t.expect("Please answer y or n.")
            t.send(typed)
            self.assertEqual(t.finish(), (0, printed), t.screen)

    def test_message_waits_for_enter(self):
        t = self.pty("custom-prompt", "Saved.")
        t.expect("Saved.")
        t.expect("(press Enter) ")
        time.sleep(0.3)
        self.assertIsNone(t.proc.poll(), "it must wait for Enter")
        t.send("\n")
        self.assertEqual(t.finish(), (0, b""), t.screen)

    def test_copy_prompts_show_the_text_and_print_it(self):
        t = self.pty("custom-copy-line-prompt", "Your key:", "GABC")
        t.expect("Your key:")
        t.expect("GABC")
        t.send("\n")
        self.assertEqual(t.finish(), (0, b"GABC\n"), t.screen)
        t = self.pty("custom-copy-text-prompt", "Words:", "one two\nthree")
        t.expect("one two\r\nthree")  # the terminal turns \n into \r\n
        t.send("\n")
        self.assertEqual(t.finish(), (0, b"one two\nthree\n"), t.screen)

    def test_img_to_url_asks_again_then_prints_the_data_url(self):
        png = os.path.join(self.home, "logo.png")
        with open(png, "wb") as f:
            f.write(PNG)
        with open(os.path.join(self.home, "notes.txt"), "w") as f:
            f.write("x")
        t = self.pty("img-to-url", "Pick a logo")
        t.expect("Pick a logo (*.png, *.svg) ")
        t.send("/no/such.png\n")
        t.expect("no such file: /no/such.png")
        t.send("~/notes.txt\n")
        t.expect("not a *.png or *.svg file")
        t.send("~/logo.png\n")
        code, out = t.finish()
        self.assertEqual(code, 0, t.screen)
        self.assertEqual(out, self.hvym("png-to-data-url", png).out)
        self.assertEqual(out, b"data:image/png;base64," + base64.b64encode(PNG) + b"\n")

    def test_loading_spinner_for_its_seconds(self):
        t = self.pty("custom-loading-msg", "Working", "--seconds", "1")
        start = time.time()
        t.expect("Working")
        code, out = t.finish()
        self.assertEqual((code, out), (0, b""), t.screen)
        self.assertGreaterEqual(time.time() - start, 0.9)

    def test_splash_prints_the_brand(self):
        t = self.pty("splash")
        t.expect("HEAVYMETA\u00ae")
        self.assertEqual(t.finish(), (0, b""))


DIALOG_SCRIPT = r"""#!/bin/sh
# Records each call (arguments and input), then answers as the test says.
{ printf 'call'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\n'; } >> "$DIALOG_LOG"
case "$1" in
  busy) cat > /dev/null; echo "input closed" >> "$DIALOG_LOG"; exit 0 ;;
  splash) exit 0 ;;
esac
cat > "$DIALOG_LOG.in"
printf '%s' "$DIALOG_ANSWER"
[ -n "$DIALOG_STDERR" ] && echo "$DIALOG_STDERR" >&2
exit "${DIALOG_EXIT:-0}"
"""


class DialogProtocol(Home):
    """$HVYM_DIALOG: hvym's argument protocol (docs/dialogs.md)."""

    def setUp(self):
        super().setUp()
        self.script = os.path.join(self.home, "dialog")
        with open(self.script, "w") as f:
            f.write(DIALOG_SCRIPT)
        os.chmod(self.script, 0o755)
        self.log = os.path.join(self.home, "dialog.log")

    def ask(self, *args, answer="", exit=0, stderr="", stdin=b"", extra=None):
        env = {"HVYM_DIALOG": self.script, "DIALOG_LOG": self.log, "DIALOG_ANSWER": answer,
               "DIALOG_EXIT": str(exit), "DIALOG_STDERR": stderr, **(extra or {})}
        return self.hvym(*args, env=env, stdin=stdin)

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.rstrip("\n") for line in f if line.startswith("call")]

    def given(self):
        with open(self.log + ".in", "rb") as f:
            return f.read()

    def test_port_line_with_the_current_port_on_stdin(self):
        r = self.ask("pintheon-set-port", answer="9300\n")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.calls(), ["call [line] [--title] [HEAVYMETA\u00ae] [--text] [Enter Pintheon Port:]"])
        self.assertEqual(self.given(), b"9998")
        self.assertEqual(self.value("pintheon-port"), "9300")

    def test_bad_answers_are_asked_again_a_few_times_only(self):
        before = self.store_files()
        r = self.ask("pintheon-set-port", answer="abc")
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"no valid port after 5 tries; nothing changed.", r.err)
        self.assertEqual(len(self.calls()), 5)
        self.assertIn("[Invalid port 'abc': a whole number from 1 to 65535. Enter Pintheon Port:]",
                      self.calls()[1])
        self.assertEqual(self.store_files(), before)

    def test_a_closed_setter_answers_as_the_original_and_changes_nothing(self):
        # The original printed click.echo(None) (an empty line) for the token
        # and tier popups, nothing for port and network, and exited 0.
        self.assertEqual(self.hvym("pinggy-set-tier", "free").code, 0)
        before = self.store_files()
        for cmd, out in (("pinggy-set-tier", b"\n"), ("pintheon-set-network", b""),
                         ("pinggy-set-token", b"\n"), ("pintheon-set-port", b"")):
            r = self.ask(cmd, answer="pro", exit=1)
            self.assertEqual((r.code, r.out, r.err), (0, out, b""), cmd)
        self.assertEqual(self.store_files(), before)

    def test_popups_answer_a_cancel_as_the_original(self):
        # The add-on takes stdout as the answer, and stderr as data when a
        # call fails: a closed popup answers what the original printed.
        for args, out in ((("custom-copy-line-prompt", "m", "t"), b"\n"),
                          (("custom-copy-text-prompt", "m", "t"), b"\n"),
                          (("custom-choice-prompt", "m"), b"CANCEL\n"),
                          (("img-to-url", "m"), b"\n"),
                          (("custom-prompt", "m"), b"")):
            r = self.ask(*args, exit=1)
            self.assertEqual((r.code, r.out, r.err), (0, out, b""), args)

    def test_a_loading_message_closed_early_is_no_error(self):
        # The original's loading window, closed before its time, exited 0
        # having printed nothing.
        closer = os.path.join(self.home, "closer")
        with open(closer, "w") as f:
            f.write("#!/bin/sh\nexit 1\n")  # the window closed at once
        os.chmod(closer, 0o755)
        r = self.hvym("custom-loading-msg", "Exporting", "--seconds", "3", env={"HVYM_DIALOG": closer})
        self.assertEqual((r.code, r.out, r.err), (0, b"", b""))

    def test_stellar_popups_answer_a_cancel_as_the_original(self):
        pw = os.path.join(self.home, "pw")
        with open(pw, "w") as f:
            f.write("correct horse\n")
        for name in ("alice", "bob"):
            r = self.hvym("stellar-new-account", "--name", name, "--passphrase-file", pw, "--show-mnemonic")
            self.assertEqual(r.code, 0, r)
        before = self.store_files()
        # stellar-set-account printed the active account; the others
        # click.echo(None) of a function that returned nothing.
        for args, out in ((("stellar-set-account",), b"bob\n"),
                          (("stellar-remove-account",), b"\n"),
                          (("stellar-new-account",), b"\n"),
                          (("stellar-new-testnet-account",), b"\n"),
                          (("stellar-update-db-pw",), b"\n"),
                          (("stellar-select-keys",), b"\n"),
                          (("stellar-select-shared-pub",), b"\n")):
            r = self.ask(*args, exit=1)
            self.assertEqual((r.code, r.out, r.err), (0, out, b""), args)
        self.assertEqual(self.store_files(), before)

    def test_a_failing_dialog_program_is_reported(self):
        r = self.ask("pintheon-set-port", exit=3, stderr="no screen here")
        self.assertEqual(r.code, 1)
        self.assertIn(b"failed (exit status 3): no screen here", r.err)

    def test_choices_are_listed_and_a_bad_answer_refused(self):
        r = self.ask("pinggy-set-tier", answer="gold\n")
        self.assertEqual(r.code, 1)
        self.assertIn(b"answered badly: 'gold' is not one of 'pro', 'free'", r.err)
        self.assertEqual(self.calls()[0],
                         "call [choice] [--title] [HEAVYMETA\u00ae] [--text] [Select Pinggy Tier:] "
                         "[--choice] [pro] [--choice] [free]")
        self.assertEqual(self.given(), b"pro")  # the current choice
        r = self.ask("pinggy-set-tier", answer="free\n")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.value("pinggy-tier"), "free")

    def test_secret_answer_is_stored_and_never_an_argument(self):
        r = self.ask("pinggy-set-token", answer="p1ng-t0ken\n")
        self.assertEqual((r.code, r.out), (0, b"\n"), r)
        self.assertEqual(self.calls(), ["call [secret] [--title] [HEAVYMETA\u00ae] [--text] [Enter Pinggy Token:]"])
        self.assertEqual(self.value("pinggy-token"), "p1ng-t0ken")

    def test_copy_text_goes_on_stdin_and_the_final_text_is_printed(self):
        r = self.ask("custom-copy-text-prompt", "Words:", "alpha\nbeta", answer="alpha\nbeta\ngamma\n")
        self.assertEqual((r.code, r.out), (0, b"alpha\nbeta\ngamma\n"), r)
        self.assertEqual(self.calls(), ["call [copy] [--title] [HEAVYMETA\u00ae] [--text] [Words:]"])
        self.assertEqual(self.given(), b"alpha\nbeta")
        r = self.ask("custom-copy-line-prompt", "Key:", "GABC", answer="GABC\nextra\n")
        self.assertEqual((r.code, r.out), (0, b"GABC\n"), r)
        self.assertIn("[--one-line]", self.calls()[-1])

    def test_choice_prompt_and_message(self):
        self.assertEqual(self.ask("custom-choice-prompt", "Go?").out, b"OK\n")
        self.assertEqual(self.ask("custom-choice-prompt", "Go?", exit=1).out, b"CANCEL\n")
        r = self.ask("custom-prompt", "Done.")
        self.assertEqual((r.code, r.out), (0, b""))
        self.assertEqual(self.calls()[-1], "call [message] [--title] [HEAVYMETA\u00ae] [--text] [Done.]")

    def test_img_to_url_checks_the_picked_file(self):
        svg = os.path.join(self.home, "a.SVG")
        with open(svg, "wb") as f:
            f.write(b'<?xml version="1.0"?>\n<svg/>')
        r = self.ask("img-to-url", "Pick", answer=svg + "\n")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out, self.hvym("svg-to-data-url", svg).out)
        self.assertIn("[--pattern] [*.png] [--pattern] [*.svg] [--filter-name] [Images]", self.calls()[0])
        r = self.ask("img-to-url", "Pick", answer="/etc/hostname\n")
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"not a *.png or *.svg file: /etc/hostname", r.err)
        # Cancel: the original's answer, an empty line and exit 0, nothing on stderr.
        r = self.ask("img-to-url", "Pick", exit=1)
        self.assertEqual((r.code, r.out, r.err), (0, b"\n", b""))

    def test_loading_message_ends_when_stdin_closes(self):
        env = base_env(self.home, HVYM_DIALOG=self.script, DIALOG_LOG=self.log)
        p = subprocess.Popen([BIN, "custom-loading-msg", "Exporting", "--seconds", "0"], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(b"progress 10\n")
        p.stdin.flush()
        time.sleep(0.5)
        self.assertIsNone(p.poll(), "it must wait for its input to close")
        start = time.time()
        p.stdin.close()
        p.stdin = None
        out, err = p.communicate(timeout=10)
        self.assertLess(time.time() - start, 3)
        self.assertEqual((p.returncode, out), (0, b""), err)
        with open(self.log) as f:
            log = f.read()
        self.assertIn("call [busy] [--title] [HEAVYMETA\u00ae] [--text] [Exporting]", log)
        self.assertIn("input closed", log)

    def test_loading_message_ends_after_its_seconds(self):
        # Standard input that is not a pipe (here /dev/null) is not watched.
        env = base_env(self.home, HVYM_DIALOG=self.script, DIALOG_LOG=self.log)
        start = time.time()
        r = subprocess.run([BIN, "custom-loading-msg", "Working", "--seconds", "1"], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        self.assertEqual(r.returncode, 0, r)
        self.assertGreaterEqual(time.time() - start, 0.9)
        self.assertLess(time.time() - start, 5)

    def test_splash_seconds(self):
        r = self.ask("splash", "--seconds", "2")
        self.assertEqual((r.code, r.out), (0, b""), r)
        self.assertEqual(self.calls(), ["call [splash] [--title] [HEAVYMETA\u00ae] [--text] [HEAVYMETA\u00ae] "
                                        "[--seconds] [2]"])
        self.assertEqual(self.ask("splash", "--seconds", "-1").code, 2)

    def test_a_missing_dialog_program_is_named(self):
        r = self.hvym("pintheon-set-port", env={"HVYM_DIALOG": "/no/such/dialog"})
        self.assertEqual(r.code, 1)
        self.assertIn(b"HVYM_DIALOG names /no/such/dialog, which is not an executable program", r.err)


class Refusals(Home):
    """When hvym may not or cannot ask."""

    def test_no_terminal_and_no_dialog_program(self):
        self.hvym("pintheon-port")  # makes the store
        before = self.store_files()
        cases = {
            "pintheon-set-port": "the Pintheon port",
            "pinggy-set-token": "the Pinggy token",
            "pinggy-set-tier": "the Pinggy tier",
            "pintheon-set-network": "the Pintheon network",
            "custom-prompt": "an acknowledgement",
            "custom-choice-prompt": "a choice",
            "img-to-url": "an image file",
        }
        for cmd, what in cases.items():
            args = [cmd] + (["msg"] if cmd.startswith(("custom", "img")) else [])
            r = self.hvym(*args)
            self.assertEqual((r.code, r.out), (1, b""), (cmd, r))
            self.assertEqual(r.err.decode(), f"Error: cannot ask for {what}: no terminal and no dialog program; "
                                             "give it as an argument.\n")
        r = self.hvym("splash")
        self.assertEqual(r.code, 1)
        self.assertIn(b"cannot show the splash: no terminal and no dialog program", r.err)
        # The loading message is only waited out (here: until its input, a
        # closed pipe, ends), as the original only slept: no failure.
        r = self.hvym("custom-loading-msg", "Working", "--seconds", "1")
        self.assertEqual((r.code, r.out, r.err), (0, b"", b""))
        self.assertEqual(self.store_files(), before)

    def test_no_input_forbids_asking_even_with_a_dialog_program(self):
        log = os.path.join(self.home, "called")
        script = os.path.join(self.home, "dialog")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\ntouch {log}\necho 9400\n")
        os.chmod(script, 0o755)
        r = self.hvym("pintheon-set-port", "--no-input", env={"HVYM_DIALOG": script})
        self.assertEqual(r.code, 1)
        self.assertIn(b"cannot ask for the Pintheon port: input is disabled (--no-input)", r.err)
        r = self.hvym("pintheon-set-port", env={"HVYM_DIALOG": script, "HVYM_NO_INPUT": "1"})
        self.assertEqual(r.code, 1)
        self.assertIn(b"input is disabled (HVYM_NO_INPUT is set)", r.err)
        self.assertFalse(os.path.exists(log), "the dialog program must not run")
        r = self.hvym("pintheon-set-port", env={"HVYM_DIALOG": script, "HVYM_NO_INPUT": "0"})
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.value("pintheon-port"), "9400")
        # Given a value, --no-input changes nothing.
        self.assertEqual(self.hvym("pintheon-set-port", "9500", "--no-input").code, 0)
        self.assertEqual(self.value("pintheon-port"), "9500")

    def test_no_input_is_accepted_by_every_command_and_listed_where_it_matters(self):
        self.assertEqual(self.hvym("check", "--no-input").out, b"ONE-TWO\n")
        for cmd in ("pintheon-set-port", "pinggy-set-token", "pinggy-set-tier", "pintheon-set-network",
                    "splash", "custom-prompt", "custom-choice-prompt", "custom-copy-line-prompt",
                    "custom-copy-text-prompt", "custom-loading-msg", "img-to-url"):
            r = self.hvym(cmd, "--help")
            self.assertEqual(r.code, 0, cmd)
            self.assertIn(b"--no-input", r.out, cmd)
        self.assertNotIn(b"--no-input", self.hvym("pintheon-port", "--help").out)


class NoGuiInBinary(unittest.TestCase):
    def test_no_gui_library_is_linked(self):
        with open(BIN, "rb") as f:
            blob = f.read()
        for name in (b"libgtk", b"libgdk", b"libQt", b"libX11", b"libxcb", b"libwayland", b"XOpenDisplay",
                     b"gtk_init", b"QApplication"):
            self.assertNotIn(name, blob)
        nm = shutil.which("nm")
        if nm:
            symbols = subprocess.run([nm, "-C", BIN], capture_output=True, text=True).stdout
            self.assertTrue(symbols, "the binary should keep its symbol table")
            bad = [s for s in symbols.splitlines() if re.search(r"\b(gtk_|gdk_|Gtk|Q[A-Z]\w+::|X[A-Z]\w+Display|xcb_|wl_)", s)]
            self.assertEqual(bad, [])
        if os.environ.get("HVYM_STATIC") == "true":
            dyn = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True).stdout
            self.assertIn("no dynamic section", dyn)


class Desktop(Home):
    """A private X server for the class; `needs` names the programs it uses."""
    needs = ()
    xvfb_options = ()

    @classmethod
    def setUpClass(cls):
        tools = (("Xvfb", desktop.XVFB), ("xdotool", desktop.XDOTOOL), ("xwd", desktop.XWD), *cls.needs)
        missing = [n for n, p in tools if not p]
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)}: run scripts/setup")
        cls.x = desktop.Xvfb(*cls.xvfb_options)
        os.makedirs(ARTIFACTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.x.stop()

    def opened(self, name, *args, **kw):
        """Starts hvym with args and waits for its window named `name`.
        Under qemu-user a process that starts a child can hang inside qemu
        itself (docs/platforms.md): there, a start that shows no window and
        whose hvym is still waiting is tried once more, saying so on stderr."""
        for attempt in (1, 2):
            p = self.start(*args, **kw)
            try:
                return p, self.x.window(name)
            except AssertionError as e:
                state = self.x.describe()
                if p.poll() is not None:
                    out, err = p.communicate(timeout=5)
                    raise AssertionError(f"{e}; hvym exited {p.returncode}: {out!r} {err!r}\n{state}")
                if attempt == 2 or not os.environ.get("HVYM_EMULATED"):
                    raise AssertionError(f"{e}; hvym is still running\n{state}")
                sys.stderr.write(f"{self.id()}: no window under emulation, hvym still waiting; once more\n{state}\n")
                p.kill()
                p.communicate(timeout=10)
                self.x.close("HEAVYMETA")


class KdialogArguments(Home):
    """kdialog (Qt) takes -platformpluginpath, -style, ... from anywhere in
    its arguments: a stand-in kdialog records what it was given, and no text
    hvym passes it may begin with '-'."""

    def setUp(self):
        super().setUp()
        self.bin = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.bin, True)
        self.log = os.path.join(self.bin, "argv")
        with open(os.path.join(self.bin, "kdialog"), "w") as f:
            # Records its arguments, NUL-separated; answers the second choice as kdialog would.
            f.write('#!/bin/sh\nprintf "%s\\0" "$@" > "' + self.log + '"\n'
                    'shift 4\nprintf "%s\\n" "$2"\n')
        os.chmod(os.path.join(self.bin, "kdialog"), 0o755)

    def test_configured_choices_are_never_options(self):
        tiers = ["-platformpluginpath", "--help", "free"]
        r = self.hvym("config", "set", "pinggy_tiers", json.dumps(tiers))
        self.assertEqual(r.code, 0, r)
        r = self.hvym("pinggy-set-tier", env={"PATH": self.bin, "DISPLAY": ":99"})  # no zenity
        self.assertEqual(r.code, 0, r)
        with open(self.log, "rb") as f:
            argv = f.read().split(b"\0")[:-1]
        options = {b"--title", b"--combobox", b"--default"}
        self.assertEqual([a for a in argv if a.startswith(b"-") and a not in options], [], argv)
        self.assertIn("--help".encode().join([b"\xe2\x81\xa0", b""]), argv)
        # kdialog answers what it showed; the choice stored is the choice itself.
        self.assertEqual(self.value("pinggy-tier"), "--help")


class WithoutDialogProgram(Desktop):
    """A desktop without zenity or kdialog (a real X server, a PATH with only
    xterm and, for some tests, xmessage and xlsfonts)."""

    needs = (("xterm", shutil.which("xterm")), ("xmessage", shutil.which("xmessage")),
             ("xlsfonts", shutil.which("xlsfonts")), ("xclip", desktop.XCLIP), ("xprop", desktop.XPROP),
             ("xwininfo", desktop.XWININFO))
    # Beyond Latin-1: an arrow, Greek (fontconfig's DejaVu, xterm's font
    # here, has them) and, for xmessage's Unicode core fonts, CJK.
    cell_px = 9  # xmessage's cell: 9x18-pixel fonts (xfonts-base)
    MESSAGE = "Grüße → Ωμέγα ®"
    WIDE = "Grüße → 東京 ®"

    def setUp(self):
        super().setUp()
        self.bin = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.bin, True)
        self.addCleanup(self.close_windows)  # a failed test leaves none for the next
        self.link("xterm")

    def close_windows(self):
        self.x.close("HEAVYMETA")

    def link(self, name):
        os.symlink(shutil.which(name), os.path.join(self.bin, name))

    def link_xmessage(self):
        """xmessage, and xlsfonts, which comes with it (Debian's x11-utils)."""
        self.link("xmessage")
        self.link("xlsfonts")

    def start(self, *args, stdin=subprocess.DEVNULL, lang="C.UTF-8"):
        env = base_env(self.home, **self.x.env(), LANG=lang)
        env["PATH"] = self.bin  # no zenity, no kdialog; only what the test links
        p = subprocess.Popen([BIN, *args], env=env, stdin=stdin, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def end(self, p):
        out, err = p.communicate(timeout=30)
        return p.returncode, out, err

    def shot(self, name):
        return self.x.screenshot(os.path.join(ARTIFACTS, name + ".png"))

    def shows(self, w, kind, text, name):
        """Window w is a readable `kind` ("Xmessage" or "XTerm") window
        titled HEAVYMETA® whose text, read back, is `text` (waited for: the
        hvym in a terminal window may not have written it yet); a screenshot
        `name` is kept."""
        self.assertEqual(self.x.window_class(w), kind)
        self.assertEqual(self.x.property(w, "WM_NAME"), ("STRING", "HEAVYMETA®".encode("latin-1")))
        width, height = self.x.size(w)
        self.assertGreaterEqual(width, 400, f"{kind} window {width}x{height}")
        wrapped = kind == "Xmessage" and max(cells(line) for line in text.split("\n")) > 72
        # Wrapped: the same but for line ends.
        held = self.x.shows(w, lambda held: "".join(held.split()) == "".join(text.split()) if wrapped
                            else held == text)
        self.shot(name)
        if kind == "Xmessage":
            # What it holds is also what it shows: each line fits the text's
            # width (xmessage cut a long line at 70% of the screen), at most
            # 72 cells, a longer line wrapped at its spaces.
            left, top, text_width, text_height = self.x.text_widget(w)
            for line in held.split("\n"):
                self.assertLessEqual(cells(line), 72, line)
                self.assertLessEqual(15 + self.cell_px * cells(line), text_width, f"{line!r} is cut off")

    def asking(self, p=None):
        """The window's hvym has read the question and is about to ask: its
        answer FIFO is open (keys typed before its prompt are flushed)."""
        def ready():
            for pid in os.listdir("/proc"):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if b"--ask-on-terminal" not in f.read():
                            continue
                    fds = os.listdir(f"/proc/{pid}/fd")
                    if any(os.readlink(f"/proc/{pid}/fd/{fd}").endswith("/a") for fd in fds):
                        return True
                except OSError:
                    pass
            return False
        if not wait_for(ready, 20):
            found = subprocess.run(["ps", "-eo", "pid,stat,wchan:30,args"], capture_output=True, text=True).stdout
            gone = repr(p.communicate(timeout=5)) if p and p.poll() is not None else ""
            self.fail("the terminal window's hvym did not start asking: " + gone + "\n" +
                      "\n".join(l for l in found.splitlines() if "hvym" in l or "xterm" in l))
        time.sleep(0.5)



class NoDialogProgram(WithoutDialogProgram):
    """hvym still asks, through xmessage or a terminal window running its
    own terminal prompts, and shows the splash and the loading message."""

    def test_port_in_a_terminal_window(self):
        p, w = self.opened("HEAVYMETA", "pintheon-set-port")
        self.asking(p)
        self.x.type("9777")
        self.shows(w, "XTerm", "Enter Pintheon Port: [9998] 9777", "pintheon-set-port-terminal-window")
        self.x.keys("Return")
        code, out, err = self.end(p)
        self.assertEqual((code, out), (0, b""), err)
        self.assertEqual(self.value("pintheon-port"), "9777")

    def test_token_in_a_terminal_window_is_hidden_and_never_an_argument(self):
        p, w = self.opened("HEAVYMETA", "pinggy-set-token")
        self.asking(p)
        cmdlines = []
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdlines.append(f.read())
            except OSError:
                pass
        self.x.type("tok-secret-77")
        self.x.keys("Return")
        code, out, err = self.end(p)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.value("pinggy-token"), "tok-secret-77")
        self.assertFalse([c for c in cmdlines if b"tok-secret" in c])

    def test_closing_the_window_cancels(self):
        p, w = self.opened("HEAVYMETA", "pintheon-set-port")
        self.x.xdotool("windowkill", w)
        code, out, err = self.end(p)
        self.assertEqual((code, out, err), (0, b"", b""))  # the original's answer to a closed popup

    def test_a_loading_text_that_looks_like_an_option_is_shown_as_text(self):
        # xmessage took its last argument's "-help" as an option: usage, no
        # window, and hvym said nothing. The text now comes on its input.
        self.link_xmessage()
        for text in ("-help", "-iconic"):
            p, w = self.opened("HEAVYMETA", "custom-loading-msg", "--seconds", "0", "--", text, stdin=subprocess.PIPE)
            self.shows(w, "Xmessage", text, "custom-loading-msg-xmessage" + text)
            self.assertIsNone(p.poll())
            p.stdin.close()  # the end of the loading
            p.stdin = None
            self.assertEqual(self.end(p), (0, b"", b""))
            self.assertTrue(wait_for(lambda: self.x.gone("HEAVYMETA"), 10))

    def test_xmessage_shows_utf8_and_the_brand(self):
        # xmessage was given Latin-1 (its default font is Latin-1): in a
        # UTF-8 locale its title lost the "®" and anything beyond Latin-1
        # was a "?". It now runs in a UTF-8 locale with a Unicode font set:
        # the window's name is "HEAVYMETA®" and its text is the message.
        self.link_xmessage()
        p, w = self.opened("HEAVYMETA", "custom-prompt", self.WIDE)
        self.shows(w, "Xmessage", self.WIDE, "custom-prompt-xmessage-utf8")
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b""))

    def test_xmessage_sizes_a_long_text_to_fit(self):
        # The 400-pixel width is a least: a longer text is not cut to it,
        # and a line too long for the screen is wrapped, not cut.
        self.link_xmessage()
        text = ("The export of Ωμέγα → 東京 is about to overwrite 12 files in the project folder, "
                "then upload them all.\nSecond line, a long word: "
                "https://example.org/heavymeta/exports/0123456789abcdef0123456789abcdef/files.tar")
        p, w = self.opened("HEAVYMETA", "custom-prompt", text)
        self.shows(w, "Xmessage", text, "custom-prompt-xmessage-long")
        self.assertGreater(self.x.size(w)[0], 9 * 60)  # wider than 400: lines of 60-odd cells
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b""))

    def test_xmessage_in_a_latin1_locale_still_shows_utf8(self):
        # hvym's own locale is not UTF-8 (LANG=C): xmessage gets a UTF-8
        # one all the same, as it is given UTF-8.
        self.link_xmessage()
        p, w = self.opened("HEAVYMETA", "custom-choice-prompt", self.WIDE, lang="C")
        self.shows(w, "Xmessage", self.WIDE, "custom-choice-prompt-xmessage-c-locale")
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b"OK\n"))

    def test_terminal_window_shows_utf8(self):
        p, w = self.opened("HEAVYMETA", "custom-prompt", self.MESSAGE)
        self.asking(p)
        self.shows(w, "XTerm", self.MESSAGE + "\n(press Enter)", "custom-prompt-terminal-window-utf8")
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b""))

    def test_splash_in_a_terminal_window(self):
        # No xmessage: the splash showed nothing. It is shown in a terminal
        # window for its seconds, which then closes.
        start = time.time()
        p, w = self.opened("HEAVYMETA", "splash", "--seconds", "6")  # time enough to read it back under load
        self.shows(w, "XTerm", "HEAVYMETA®", "splash-terminal-window")
        code, out, err = self.end(p)
        self.assertEqual((code, out, err), (0, b"", b""))
        self.assertGreaterEqual(time.time() - start, 5.5)
        self.assertTrue(wait_for(lambda: self.x.gone("HEAVYMETA"), 10))

    def test_loading_message_in_a_terminal_window_until_its_input_closes(self):
        # No xmessage: the loading message showed nothing. It is shown in a
        # terminal window, a turning bar under it, until hvym's input closes.
        p, w = self.opened("HEAVYMETA", "custom-loading-msg", self.MESSAGE, "--seconds", "0", stdin=subprocess.PIPE)
        self.assertEqual(self.x.window_class(w), "XTerm")
        self.x.shows(w, lambda held: held.split("\n")[0] == self.MESSAGE and held.split("\n")[1:] in
                     (["|"], ["/"], ["-"], ["\\"]))
        self.shot("custom-loading-msg-terminal-window")
        self.assertIsNone(p.poll())
        p.stdin.close()
        p.stdin = None
        code, out, err = self.end(p)
        self.assertEqual((code, out, err), (0, b"", b""))
        self.assertTrue(wait_for(lambda: self.x.gone("HEAVYMETA"), 10))

    def test_splash_in_xmessage(self):
        self.link_xmessage()
        p, w = self.opened("HEAVYMETA", "splash", "--seconds", "6")  # time enough to read it back under load
        self.shows(w, "Xmessage", "HEAVYMETA®", "splash-xmessage")
        self.assertEqual(self.end(p), (0, b"", b""))

    def test_xmessage_for_a_choice_prompt(self):
        self.link_xmessage()
        p, w = self.opened("HEAVYMETA", "custom-choice-prompt", "Proceed with the export?")
        self.shows(w, "Xmessage", "Proceed with the export?", "custom-choice-prompt-xmessage")
        self.x.keys("Return")  # the default button: OK
        self.assertEqual(self.end(p)[:2], (0, b"OK\n"))
        p, w = self.opened("HEAVYMETA", "custom-choice-prompt", "Proceed with the export?")
        self.x.xdotool("windowkill", w)  # closed: the original's CANCEL
        self.assertEqual(self.end(p)[:2], (0, b"CANCEL\n"))

    def test_xmessage_for_the_tier_then_a_window_for_text(self):
        self.link_xmessage()
        self.hvym("pinggy-set-tier", "free")
        p, w = self.opened("HEAVYMETA", "pinggy-set-tier")
        self.assertTrue(self.x.xdotool("search", "--onlyvisible", "--class", "Xmessage").stdout.split())
        self.shot("pinggy-set-tier-xmessage")
        self.x.keys("Return")  # the default button: the current tier
        code, out, err = self.end(p)
        self.assertEqual(code, 0, err)
        self.assertIn(b"free", err)  # "Pinggy tier set to: free"
        self.assertEqual(self.value("pinggy-tier"), "free")
        # xmessage cannot edit text: a terminal window asks.
        p, w = self.opened("HEAVYMETA", "custom-copy-line-prompt", "Copy this", "some text")
        self.asking(p)
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b"some text\n"))


class NoUnicodeFonts(WithoutDialogProgram):
    """An X server with only its built-in Latin-1 font (no xfonts-base):
    xmessage would draw text beyond Latin-1 as other Latin-1 characters, so
    such text is shown in a terminal window (fontconfig's fonts); Latin-1
    text stays with xmessage."""

    xvfb_options = ("-fp", "built-ins")
    cell_px = 6  # the built-in 6x13 font

    def setUp(self):
        super().setUp()
        self.link_xmessage()

    def test_text_beyond_latin1_goes_to_a_terminal_window(self):
        p, w = self.opened("HEAVYMETA", "custom-prompt", self.MESSAGE)
        self.asking(p)
        self.shows(w, "XTerm", self.MESSAGE + "\n(press Enter)", "custom-prompt-no-unicode-fonts-terminal-window")
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b""))

    def test_latin1_text_stays_with_xmessage(self):
        text = "Café crème, s'il vous plaît? ±½ ®"
        p, w = self.opened("HEAVYMETA", "custom-choice-prompt", text)
        self.shows(w, "Xmessage", text, "custom-choice-prompt-no-unicode-fonts-xmessage")
        self.x.keys("Return")
        self.assertEqual(self.end(p)[:2], (0, b"OK\n"))



class Zenity(Desktop):
    """No terminal, a real X server: hvym runs zenity; xdotool answers."""

    needs = (("zenity", desktop.ZENITY),)

    def start(self, *args, stdin=subprocess.DEVNULL):
        p = subprocess.Popen([BIN, *args], env=base_env(self.home, **self.x.env()), stdin=stdin,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def shot(self, name):
        path = self.x.screenshot(os.path.join(ARTIFACTS, name + ".png"))
        self.assertGreater(os.path.getsize(path), 1000)
        return path

    def end(self, p):
        out, err = p.communicate(timeout=20)
        return p.returncode, out, err

    def test_port_dialog_answer_is_stored(self):
        p, w = self.opened("HEAVYMETA", "pintheon-set-port")
        self.x.keys("ctrl+a")
        self.x.type("9555")
        self.shot("pintheon-set-port-zenity")
        self.x.keys("Return")
        code, out, err = self.end(p)
        self.assertEqual((code, out), (0, b""), err)
        self.assertEqual(self.value("pintheon-port"), "9555")

    def test_escape_answers_as_the_original_and_changes_nothing(self):
        self.hvym("pintheon-port")
        before = self.store_files()
        p, w = self.opened("HEAVYMETA", "pintheon-set-port")
        self.x.type("1234")
        self.x.keys("Escape")
        code, out, err = self.end(p)
        self.assertEqual((code, out, err), (0, b"", b""))  # the original's answer to a closed popup
        self.assertEqual(self.store_files(), before)

    def test_tier_from_the_list(self):
        p, w = self.opened("HEAVYMETA", "pinggy-set-tier")
        self.x.keys("Down")
        self.shot("pinggy-set-tier-zenity")
        self.x.keys("Return")
        code, _, err = self.end(p)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.value("pinggy-tier"), "free")

    def test_token_entry_is_hidden(self):
        p, w = self.opened("HEAVYMETA", "pinggy-set-token")
        self.x.type("zen-token")
        self.shot("pinggy-set-token-zenity")
        self.x.keys("Return")
        code, out, err = self.end(p)
        self.assertEqual((code, out), (0, b"\n"), err)
        self.assertEqual(self.value("pinggy-token"), "zen-token")

    def test_copy_text_can_be_edited(self):
        p, w = self.opened("Your words", "custom-copy-text-prompt", "Your words", "one\ntwo")
        self.x.keys("ctrl+End")
        self.x.type(" three")
        self.shot("custom-copy-text-prompt-zenity")
        self.x.keys("ctrl+Tab", "Return")
        code, out, err = self.end(p)
        self.assertEqual((code, out), (0, b"one\ntwo three\n"), err)

    def test_img_to_url_file_picker(self):
        png = os.path.join(self.home, "pick.png")
        with open(png, "wb") as f:
            f.write(PNG)
        p, w = self.opened("Choose an image", "img-to-url", "Choose an image")
        self.x.keys("ctrl+l")
        self.x.type(png)
        self.shot("img-to-url-zenity")
        self.x.keys("Return")
        code, out, err = self.end(p)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, b"data:image/png;base64," + base64.b64encode(PNG) + b"\n")

    def test_img_to_url_cancelled_answers_as_the_original(self):
        # The Blender add-on reads stdout as the data URL and takes stderr as
        # data on a failure: a cancelled chooser is an empty line, exit 0.
        p, w = self.opened("Choose an image", "img-to-url", "Choose an image")
        self.x.keys("Escape")
        self.assertEqual(self.end(p), (0, b"\n", b""))

    def test_loading_message_closes_with_its_input(self):
        p, w = self.opened("HEAVYMETA", "custom-loading-msg", "Exporting", "--seconds", "0", stdin=subprocess.PIPE)
        self.shot("custom-loading-msg-zenity")
        p.stdin.close()
        p.stdin = None
        code, _, err = self.end(p)
        self.assertEqual(code, 0, err)
        self.assertTrue(wait_for(lambda: self.x.gone("HEAVYMETA"), 10))

    def test_splash_goes_away_by_itself(self):
        start = time.time()
        p, w = self.opened("HEAVYMETA", "splash", "--seconds", "2")
        self.shot("splash-zenity")
        code, _, err = self.end(p)
        self.assertEqual(code, 0, err)
        self.assertGreaterEqual(time.time() - start, 1.5)

    def test_an_unreachable_display_is_a_failure_not_a_cancel(self):
        r = self.hvym("pintheon-set-port", env={"DISPLAY": ":" + str(os.getpid() % 1000 + 3000)})
        self.assertEqual(r.code, 1)
        self.assertIn(b"the dialog program zenity failed", r.err)
        self.assertIn(b"cannot open display", r.err)


if __name__ == "__main__":
    unittest.main()
