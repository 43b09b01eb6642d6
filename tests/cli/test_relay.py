"""Questions through serve's client: hvym run as serve runs a command for a
client that answers questions (HVYM_BATCH_CHILD, and a socket as its
descriptor 3 named by HVYM_ASK_FD). The test plays the server: it reads
each question line, checks it, and answers as a client would
(docs/protocol.md, `ask` and `show`). What the command then does and
prints is what it does with a dialog program ($HVYM_DIALOG) answering the
same."""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, Result  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
PORT = {"kind": "line", "what": "the Pintheon port", "message": "Enter Pintheon Port:", "default": "9998"}
CLOSE = object()  # in a list of answers: the server closes the socket instead

DIALOG = r"""#!/bin/sh
case "$1" in busy|splash) exit 0 ;; esac
cat > /dev/null
printf '%s' "$DIALOG_ANSWER"
exit "${DIALOG_EXIT:-0}"
"""


class Relay(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.home, True)

    def env(self, **extra):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": self.home}
        env.update(extra)
        return env

    def start(self, *args, env, fd3=None):
        """hvym as serve's child: fd3 (a socket or file) becomes its
        descriptor 3; HVYM_BATCH_CHILD names this process, its parent."""
        out = tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        # Python's own descriptors are not inherited: only 0-2 and the 3
        # made here reach hvym (fd3 may be 3 already: dup2 is then no copy).
        def setup():
            os.dup2(fd3.fileno(), 3)
            os.set_inheritable(3, True)
        p = subprocess.Popen([BIN, *args], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             close_fds=fd3 is None, preexec_fn=setup if fd3 else None)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p, out, err

    def finish(self, p, out, err, timeout=20):
        p.wait(timeout=timeout)
        with out, err:
            out.seek(0)
            err.seek(0)
            return Result(subprocess.CompletedProcess(p.args, p.returncode, out.read(), err.read()))

    def relay(self, *args, answers=(), timeout=20):
        """Runs hvym with a socket as its fd 3 and answers its questions in
        turn: a dict is sent as JSON, bytes as they are, CLOSE closes the
        socket; a tuple of those, one after the other. The result and the
        questions (parsed) it asked."""
        ours, theirs = socket.socketpair()
        e = self.env(HVYM_BATCH_CHILD=str(os.getpid()), HVYM_ASK_FD="3")
        p, out, err = self.start(*args, env=e, fd3=theirs)
        theirs.close()
        ours.settimeout(timeout)
        questions = []
        answers = list(answers)
        with ours, ours.makefile("rb") as lines:
            while True:
                try:
                    line = lines.readline()
                except ConnectionResetError:  # it left with part of an answer unread
                    line = b""
                if not line:
                    break
                self.assertTrue(line.endswith(b"\n"), line)
                questions.append(json.loads(line))
                if not answers:  # more questions than the test expects: leave
                    break
                steps = answers.pop(0)
                steps = steps if isinstance(steps, tuple) else (steps,)
                for a in steps:
                    if a is CLOSE:
                        break
                    ours.sendall(a if isinstance(a, bytes) else json.dumps(a).encode() + b"\n")
                if CLOSE in steps:
                    break
        return self.finish(p, out, err, timeout), questions

    def dialog(self, *args, answer="", exit=0):
        """The same command with a dialog program answering `answer`."""
        script = os.path.join(self.home, "dialog")
        with open(script, "w") as f:
            f.write(DIALOG)
        os.chmod(script, 0o755)
        p, out, err = self.start(*args, env=self.env(HVYM_DIALOG=script, DIALOG_ANSWER=answer,
                                                     DIALOG_EXIT=str(exit)))
        return self.finish(p, out, err)

    def value(self, query):
        p, out, err = self.start(query, env=self.env())
        r = self.finish(p, out, err)
        self.assertEqual(r.code, 0, r)
        return r.out.decode().rstrip("\n")

    def fresh_home(self):
        shutil.rmtree(self.home)
        os.mkdir(self.home)

    def same_as_dialog(self, r, *args, answer="", exit=0):
        """r (a relay run) did and printed what a dialog's run does."""
        self.fresh_home()
        d = self.dialog(*args, answer=answer, exit=exit)
        self.assertEqual((r.code, r.out, r.err), (d.code, d.out, d.err), args)


class Questions(Relay):
    def test_port_is_asked_as_a_line_and_stored(self):
        r, q = self.relay("pintheon-set-port", answers=[{"answer": "9000"}])
        self.assertEqual(q, [PORT])
        self.assertEqual((r.code, r.out, r.err), (0, b"", b"Pintheon port set to: 9000\n"), r)
        self.assertEqual(self.value("pintheon-port"), "9000")
        self.same_as_dialog(r, "pintheon-set-port", answer="9000\n")

    def test_a_bad_port_is_asked_again(self):
        r, q = self.relay("pintheon-set-port", answers=[{"answer": "abc"}, {"answer": "9001\n"}])
        self.assertEqual(len(q), 2, q)
        self.assertEqual(q[1]["message"], "Invalid port 'abc': a whole number from 1 to 65535. Enter Pintheon Port:")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.value("pintheon-port"), "9001")

    def test_tier_and_network_are_choices(self):
        r, q = self.relay("pinggy-set-tier", answers=[{"answer": "free"}])
        self.assertEqual(q, [{"kind": "choice", "what": "the Pinggy tier", "message": "Select Pinggy Tier:",
                              "default": "pro", "choices": ["pro", "free"]}])
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.value("pinggy-tier"), "free")
        self.same_as_dialog(r, "pinggy-set-tier", answer="free\n")
        r, q = self.relay("pintheon-set-network", answers=[{"answer": "mainnet"}])
        self.assertEqual((q[0]["kind"], q[0]["choices"], q[0]["default"]), ("choice", ["testnet", "mainnet"], "testnet"))
        self.assertEqual(r.code, 0, r)
        self.assertEqual(self.value("pintheon-network"), "mainnet")

    def test_a_choice_that_is_not_offered_fails_clearly(self):
        r, q = self.relay("pinggy-set-tier", answers=[{"answer": "gold"}])
        self.assertEqual(len(q), 1)
        self.assertEqual((r.code, r.out), (1, b""), r)
        self.assertEqual(r.err, b"Error: the client answered badly: 'gold' is not one of 'pro', 'free'.\n")
        self.assertEqual(self.value("pinggy-tier"), "pro")

    def test_token_is_a_secret_and_never_printed(self):
        r, q = self.relay("pinggy-set-token", answers=[{"answer": "tok-s3cret"}])
        self.assertEqual(q, [{"kind": "secret", "what": "the Pinggy token", "message": "Enter Pinggy Token:"}])
        self.assertEqual((r.code, r.out), (0, b"\n"), r)
        self.assertNotIn(b"tok-s3cret", r.out + r.err)
        self.assertEqual(self.value("pinggy-token"), "tok-s3cret")
        self.same_as_dialog(r, "pinggy-set-token", answer="tok-s3cret\n")

    def test_message_yesno_and_copy(self):
        r, q = self.relay("custom-prompt", "Saved.", answers=[{"answer": ""}])
        self.assertEqual(q, [{"kind": "message", "what": "an acknowledgement", "message": "Saved."}])
        self.assertEqual((r.code, r.out, r.err), (0, b"", b""))
        for answer, printed in (({"answer": ""}, b"OK\n"), ({"cancelled": True}, b"CANCEL\n")):
            r, q = self.relay("custom-choice-prompt", "Deploy now?", answers=[answer])
            self.assertEqual(q, [{"kind": "yesno", "what": "a choice", "message": "Deploy now?"}])
            self.assertEqual((r.code, r.out, r.err), (0, printed, b""))
        r, q = self.relay("custom-copy-text-prompt", "Words:", "alpha\nbeta",
                          answers=[{"answer": "alpha\nbeta\ngamma"}])
        self.assertEqual(q, [{"kind": "copy", "what": "the text", "message": "Words:", "default": "alpha\nbeta"}])
        self.assertEqual((r.code, r.out, r.err), (0, b"alpha\nbeta\ngamma\n", b""))
        self.same_as_dialog(r, "custom-copy-text-prompt", "Words:", "alpha\nbeta", answer="alpha\nbeta\ngamma\n")
        r, q = self.relay("custom-copy-line-prompt", "Key:", "GABC", answers=[{"answer": "GABC\nextra"}])
        self.assertEqual(q[0]["one_line"], True)
        self.assertEqual((r.code, r.out), (0, b"GABC\n"), r)

    def test_img_to_url_asks_for_a_file(self):
        png = os.path.join(self.home, "logo.png")
        with open(png, "wb") as f:
            f.write(PNG)
        r, q = self.relay("img-to-url", "Pick a logo", answers=[{"answer": png}])
        self.assertEqual(q, [{"kind": "file", "what": "an image file", "message": "Pick a logo",
                              "patterns": ["*.png", "*.svg"], "filter": "Images"}])
        self.assertEqual((r.code, r.out, r.err), (0, b"data:image/png;base64," + base64.b64encode(PNG) + b"\n", b""))
        r, q = self.relay("img-to-url", "Pick a logo", answers=[{"answer": "/no/such.png"}])
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertEqual(r.err, b"Error: the client answered badly: no such file: /no/such.png.\n")

    def test_stellar_words_come_only_through_the_client(self):
        r, q = self.relay("stellar-new-account",
                          answers=[{"answer": "alice"}, {"answer": "correct horse"}, {"answer": "correct horse"},
                                   {"answer": ""}])
        self.assertEqual(r.code, 0, r)
        self.assertEqual([(x["kind"], x["what"]) for x in q],
                         [("line", "the account name"), ("secret", "a new vault passphrase"),
                          ("secret", "the passphrase again"), ("copy", "the recovery words to be seen")])
        for x in q[1:3]:
            self.assertNotIn("default", x)
        shown = q[3]
        self.assertTrue(shown["read_only"])
        self.assertTrue(shown["default"].startswith("Recovery words:\n"), shown)
        cells = sorted(((int(n), w) for n, w in re.findall(r"(\d+)\. ([a-z]+)", shown["default"])))
        self.assertEqual([n for n, _ in cells], list(range(1, 25)))
        words = [w for _, w in cells]
        # On stdout the public key alone; the words nowhere but in the question.
        self.assertRegex(r.out, rb"^G[A-Z2-7]{55}\n$")
        self.assertEqual(r.err, b"Account alice created; it is the active account.\n")
        # Any three words in a row: single words are ordinary English ("ice" is in "alice",
        # "account" may be one of them), a run of three is the phrase leaking.
        for i in range(len(words) - 2):
            self.assertNotIn(" ".join(words[i:i + 3]).encode(), r.out + r.err)
        self.assertNotIn(b"correct horse", r.out + r.err)
        # They are the account's words: they recover the same key.
        self.fresh_home()
        words_file = os.path.join(self.home, "w")
        with open(words_file, "w") as f:
            f.write(" ".join(words) + "\n")
        rec = subprocess.run([BIN, "stellar-new-account", "--name", "again", "--passphrase-file", "-",
                              "--mnemonic-file", words_file], input=b"pw\n", capture_output=True,
                             env=self.env(), timeout=20)
        self.assertEqual((rec.returncode, rec.stdout), (0, r.out), rec.stderr)


class Cancels(Relay):
    def test_a_cancel_answers_as_a_closed_dialog(self):
        # The setters' answer to a closed popup: what the original printed,
        # exit 0, nothing changed.
        for args in (("pintheon-set-port",), ("pinggy-set-tier",), ("pintheon-set-network",),
                     ("pinggy-set-token",), ("img-to-url", "m"), ("custom-copy-line-prompt", "m", "t"),
                     ("custom-prompt", "m"), ("stellar-new-account",)):
            self.fresh_home()
            r, q = self.relay(*args, answers=[{"cancelled": True}])
            self.assertEqual(len(q), 1, args)
            self.assertEqual(r.err, b"", (args, r))
            self.same_as_dialog(r, *args, exit=1)

    def test_a_refusal_fails_with_its_reason(self):
        r, q = self.relay("pintheon-set-port", answers=[{"refused": "the client went away"}])
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertEqual(r.err, b"Error: cannot ask for the Pintheon port: the client went away.\n")

    def test_a_line_that_is_no_answer_fails(self):
        for line, why in ((b"not json\n", b"not a JSON object"), (b"{}\n", b"{} is no answer"),
                          (b'{"answer": 9000}\n', b'"answer" is not text'),
                          (b'{"cancelled": false}\n', b'"cancelled" is not true')):
            r, q = self.relay("pintheon-set-port", answers=[line])
            self.assertEqual((r.code, r.out), (1, b""), line)
            self.assertEqual(r.err, b"Error: the client answered badly: " + why + b".\n")

    def test_the_socket_closed_mid_question_fails_without_waiting(self):
        start = time.time()
        r, q = self.relay("pintheon-set-port", answers=[CLOSE])
        self.assertEqual(q, [PORT])
        self.assertEqual((r.code, r.out), (1, b""), r)
        self.assertEqual(r.err, b"Error: cannot ask for the Pintheon port: "
                                b"the client that asked for this request is gone.\n")
        self.assertLess(time.time() - start, 5)
        self.assertEqual(self.value("pintheon-port"), "9998")

    def test_a_socket_closed_before_the_question_fails_cleanly(self):
        # Its write fails (no SIGPIPE kills it): the same failure.
        ours, theirs = socket.socketpair()
        ours.close()
        p, out, err = self.start("pintheon-set-port", env=self.env(HVYM_BATCH_CHILD=str(os.getpid()),
                                                                  HVYM_ASK_FD="3"), fd3=theirs)
        theirs.close()
        r = self.finish(p, out, err)
        self.assertEqual((r.code, r.out, r.err), (1, b"", b"Error: cannot ask for the Pintheon port: "
                                                          b"the client that asked for this request is gone.\n"))

    def test_a_half_sent_answer_then_closed_is_no_answer(self):
        r, q = self.relay("pinggy-set-token", answers=[(b'{"answer": "tok', CLOSE)])
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"the client that asked for this request is gone", r.err)
        self.assertEqual(self.value("pinggy-token"), "")

    def test_an_answer_over_a_megabyte_is_refused(self):
        r, q = self.relay("pintheon-set-port", answers=[b"x" * (1 << 20) + b"xx\n"])
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.err, b"Error: cannot ask for the Pintheon port: the client's answer is over 1 MB.\n")

    def test_two_answers_to_one_question_are_refused(self):
        r, q = self.relay("pintheon-set-port", answers=[b'{"answer": "9000"}\n{"answer": "9001"}\n'])
        self.assertEqual(r.code, 1, r)
        self.assertIn(b"the client sent more than one answer to one question", r.err)
        self.assertEqual(self.value("pintheon-port"), "9998")


class Shows(Relay):
    def test_splash_is_shown_by_the_client(self):
        start = time.time()
        r, q = self.relay("splash", "--seconds", "4", answers=[{}])
        self.assertEqual(q, [{"kind": "splash", "message": "HEAVYMETA\u00ae", "seconds": 4}])
        self.assertEqual((r.code, r.out, r.err), (0, b"", b""))
        self.assertLess(time.time() - start, 3)  # the client shows it; hvym does not wait
        r, q = self.relay("splash", answers=[{"refused": "no screen"}])
        self.assertEqual((r.code, r.err), (1, b"Error: cannot show the splash: no screen.\n"))

    def test_loading_message_waits_its_seconds(self):
        start = time.time()
        r, q = self.relay("custom-loading-msg", "Working", "--seconds", "1", answers=[{}])
        self.assertEqual(q, [{"kind": "busy", "message": "Working", "seconds": 1}])
        self.assertEqual((r.code, r.out, r.err), (0, b"", b""))
        self.assertGreaterEqual(time.time() - start, 0.9)
        r, q = self.relay("custom-loading-msg", "Working", "--seconds", "1", answers=[CLOSE])
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertEqual(r.err, b"Error: cannot show the loading message: "
                                b"the client that asked for this request is gone.\n")


class Descriptor(Relay):
    """What HVYM_ASK_FD may name, and what the command's own programs see."""

    REFUSED = (b"Error: cannot ask for the Pintheon port: input is disabled (batch never asks); "
               b"give it as an argument.\n")

    def test_a_closed_descriptor_means_batch_never_asks(self):
        env = self.env(HVYM_BATCH_CHILD=str(os.getpid()), HVYM_ASK_FD="3")
        p, out, err = self.start("pintheon-set-port", env=env)  # close_fds: no 3 in hvym
        r = self.finish(p, out, err)
        self.assertEqual((r.code, r.out, r.err), (1, b"", self.REFUSED))

    def test_a_descriptor_that_is_no_socket_is_not_used(self):
        path = os.path.join(self.home, "file")
        with open(path, "w+b") as f:
            for value in ("3", "x", "-3", ""):
                env = self.env(HVYM_BATCH_CHILD=str(os.getpid()), HVYM_ASK_FD=value)
                p, out, err = self.start("pintheon-set-port", env=env, fd3=f)
                r = self.finish(p, out, err)
                self.assertEqual((r.code, r.out, r.err), (1, b"", self.REFUSED), value)
            self.assertEqual(os.path.getsize(path), 0)  # nothing written to it
        ours, theirs = socket.socketpair(type=socket.SOCK_DGRAM)  # not a stream
        with ours, theirs:
            env = self.env(HVYM_BATCH_CHILD=str(os.getpid()), HVYM_ASK_FD="3")
            p, out, err = self.start("pintheon-set-port", env=env, fd3=theirs)
            r = self.finish(p, out, err, timeout=10)
            self.assertEqual((r.code, r.out, r.err), (1, b"", self.REFUSED))

    def test_a_standard_stream_is_never_the_socket(self):
        # stdout a socket, named by HVYM_ASK_FD=1: not taken for questions.
        ours, theirs = socket.socketpair()
        env = self.env(HVYM_BATCH_CHILD=str(os.getpid()), HVYM_ASK_FD="1")
        p = subprocess.Popen([BIN, "pintheon-set-port"], env=env, stdin=subprocess.DEVNULL, stdout=theirs,
                             stderr=subprocess.PIPE)
        theirs.close()
        err = p.communicate(timeout=20)[1]
        ours.close()
        self.assertEqual((p.returncode, err), (1, self.REFUSED))

    def test_without_batch_child_the_socket_is_not_used(self):
        ours, theirs = socket.socketpair()
        p, out, err = self.start("pintheon-set-port", env=self.env(HVYM_ASK_FD="3"), fd3=theirs)
        theirs.close()
        r = self.finish(p, out, err)
        ours.close()
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"no terminal and no dialog program", r.err)

    def test_programs_it_runs_get_neither_the_socket_nor_the_variable(self):
        # didc-bind-js-popup asks for a file, runs didc, then shows what
        # didc printed: here, what didc saw.
        didc = os.path.join(self.home, ".local/share/didc/didc")
        os.makedirs(os.path.dirname(didc))
        with open(didc, "w") as f:
            f.write("#!/bin/sh\n"
                    "if [ -e /dev/fd/3 ]; then echo fd3=open; else echo fd3=closed; fi\n"
                    "echo ask=${HVYM_ASK_FD-unset} child=${HVYM_BATCH_CHILD-unset}\n")
        os.chmod(didc, 0o755)
        did = os.path.join(self.home, "a.did")
        with open(did, "w") as f:
            f.write("service : {}\n")
        r, q = self.relay("didc-bind-js-popup", answers=[{"answer": did}, {"answer": ""}])
        self.assertEqual(r.code, 0, r)
        self.assertEqual([x["kind"] for x in q], ["file", "copy"])
        self.assertEqual(q[1]["default"], "fd3=closed\nask=unset child=unset\n")


if __name__ == "__main__":
    unittest.main()
