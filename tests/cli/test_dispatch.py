"""The multi-call binary as callers meet it: names, links, help, exit codes."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import BIN, require, run  # noqa: E402


class Originals(unittest.TestCase):
    """check, version and about print exactly what the Python CLI prints."""

    def test_check(self):
        r = run("check")
        self.assertEqual((r.code, r.out, r.err), (0, b"ONE-TWO\n", b""))

    def test_version(self):
        r = run("version")
        self.assertEqual((r.code, r.out, r.err), (0, b"HeavyMeta CLI v1.0.0\n", b""))

    def test_about(self):
        r = run("about")
        self.assertEqual(r.code, 0)
        self.assertEqual(
            r.out,
            b"HeavyMeta CLI - Command Line Interface for HeavyMeta\n"
            b"    Version: 1.0.0\n"
            b"    Description: A powerful CLI for managing HeavyMeta assets and operations.\n"
            b"    \n")


class Dispatch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def link(self, name, target=BIN):
        path = os.path.join(self.tmp, name)
        os.symlink(target, path)
        return path

    def test_link_named_after_a_command_runs_it(self):
        r = run(exe=self.link("check"))
        self.assertEqual((r.code, r.out), (0, b"ONE-TWO\n"))

    def test_link_passes_its_arguments_to_the_command(self):
        r = run("--help", exe=self.link("version"))
        self.assertEqual(r.code, 0)
        self.assertTrue(r.out.startswith(b"Usage: version [OPTIONS]\n"), r)

    def test_binary_under_another_name_takes_the_first_argument(self):
        r = run("check", exe=self.link("hvym-dev"))
        self.assertEqual((r.code, r.out), (0, b"ONE-TWO\n"))

    def test_command_help(self):
        r = run("check", "--help")
        self.assertEqual(r.code, 0)
        self.assertTrue(r.out.startswith(b"Usage: hvym check [OPTIONS]\n"), r)
        self.assertIn(b"--help", r.out)
        self.assertEqual(r.err, b"")

    def test_extra_argument_is_a_usage_error(self):
        r = run("check", "extra")
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"Error: Got unexpected extra argument (extra)", r.err)

    def test_unknown_option_is_a_usage_error(self):
        r = run("version", "--bogus")
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"No such option: --bogus", r.err)

    def test_unknown_command_names_the_closest(self):
        r = run("verison")
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"No such command 'verison'", r.err)
        self.assertIn(b"'version'", r.err)
        r = run("xyzzyq")  # nothing is close: no suggestion
        self.assertEqual(r.code, 2)
        self.assertIn(b"No such command 'xyzzyq'.\n", r.err)
        self.assertNotIn(b"closest", r.err)

    def test_a_leading_double_dash_ends_hvyms_options(self):
        self.assertEqual((run("--", "check").code, run("--", "check").out), (0, b"ONE-TWO\n"))
        r = run("--", "single-float-data", "n", "1", "0", "2")
        self.assertEqual(r.out, b'{"name": "n", "default": 1.0, "min": 0.0, "max": 2.0}\n')
        r = run("--")
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertTrue(r.err.endswith(b"Error: Missing command.\n"), r.err)

    def test_a_one_letter_option_keeps_the_equals_sign_as_click(self):
        # Click splits at '=' only after a long spelling: "-e=blue" is -e "=blue".
        r = run("basic-material-data", "red", "-e=blue")
        self.assertEqual(r.out, b'{"color": "red", "emissive": "=blue", "emissive_intensity": null}\n')
        r = run("basic-material-data", "red", "-ei=0.5")
        self.assertEqual(r.out, b'{"color": "red", "emissive": null, "emissive_intensity": 0.5}\n')
        r = run("pbr-material-data", "red", "0.5", "0.1", "-s=0.3")
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"'=0.3' is not a valid float", r.err)

    def test_help_and_h_name_a_command(self):
        want = run("pintheon-port", "--help")
        self.assertEqual(want.code, 0)
        self.assertTrue(want.out.startswith(b"Usage: hvym pintheon-port [OPTIONS]"), want.out)
        for args in (("help", "pintheon-port"), ("--help", "pintheon-port"), ("-h", "pintheon-port"),
                     ("pintheon-port", "-h")):
            r = run(*args)
            self.assertEqual((r.code, r.out, r.err), (0, want.out, b""), args)
        self.assertEqual(run("help").out, run("--help").out)
        r = run("help", "nosuch")
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"No such command 'nosuch'", r.err)
        self.assertEqual(run("help", "a", "b").code, 2)

    def test_no_command_is_a_usage_error_with_help_on_stderr(self):
        r = run()
        self.assertEqual((r.code, r.out), (2, b""))
        self.assertIn(b"Usage:", r.err)

    def test_help_lists_commands_in_groups(self):
        r = run("--help")
        self.assertEqual(r.code, 0)
        text = r.out.decode()
        self.assertIn("\nOther:\n", text)
        for name in run("--list").out.decode().split():
            self.assertRegex(text, rf"\n  {re.escape(name)} +\S")

    def test_list_is_sorted_and_complete(self):
        r = run("--list")
        self.assertEqual(r.code, 0)
        names = r.out.decode().split("\n")
        self.assertEqual(names[-1], "")
        names = names[:-1]
        self.assertEqual(names, sorted(names))
        for must in ("about", "check", "version"):
            self.assertIn(must, names)

    def test_every_unit_is_in_the_table(self):
        """Every command a unit under commands/ declares reaches the table
        scripts/gen-table writes (its identifier is its name with '_' for '-')."""
        here = os.path.dirname(os.path.abspath(__file__))
        units = os.path.join(here, "..", "..", "commands")
        defined = set()
        for name in os.listdir(units):
            if name.endswith(".cpp"):
                with open(os.path.join(units, name)) as f:
                    defined |= set(re.findall(r"^extern constinit const Command (\w+)\s*[{=]", f.read(), re.M))
        listed = set(run("--list").out.decode().split())
        self.assertGreater(len(defined), 70)
        self.assertEqual({d.replace("_", "-") for d in defined}, listed)

    def test_version_option(self):
        r = run("--version")
        self.assertEqual(r.code, 0)
        self.assertRegex(r.out.decode(), r"^hvym \d+\.\d+\.\d+\n$")

    def test_unknown_toplevel_option(self):
        r = run("--frobnicate")
        self.assertEqual((r.code, r.out), (2, b""))

    def test_closed_stdout_is_a_failure_not_a_crash(self):
        p = subprocess.run([BIN, "check"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 0)
        p = subprocess.run(f"exec 1>&-; exec '{BIN}' check", shell=True, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"cannot write", p.stderr)


class Install(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.names = run("--list").out.decode().split()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_links_every_command_and_they_run(self):
        r = run("--install", self.dir, env={"PATH": self.dir})  # no other program shares a name
        self.assertEqual(r.code, 0, r)
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(self.names))
        real = os.path.realpath(BIN)
        for n in self.names:
            self.assertEqual(os.path.realpath(os.path.join(self.dir, n)), real)
        self.assertEqual(run(exe=os.path.join(self.dir, "check")).out, b"ONE-TWO\n")
        self.assertIn(f"{len(self.names)} linked".encode(), r.out)
        again = run("--install", self.dir, env={"PATH": self.dir})
        self.assertEqual(again.code, 0)
        self.assertIn(f"0 linked, 0 updated, {len(self.names)} already there".encode(), again.out)

    def test_never_overwrites_what_is_not_an_hvym_link(self):
        with open(os.path.join(self.dir, "about"), "w") as f:
            f.write("keep me")
        os.symlink("/bin/true", os.path.join(self.dir, "version"))
        os.symlink("/old/place/hvym", os.path.join(self.dir, "check"))
        r = run("--install", self.dir)
        self.assertEqual(r.code, 0, r)
        with open(os.path.join(self.dir, "about")) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertEqual(os.readlink(os.path.join(self.dir, "version")), "/bin/true")
        self.assertEqual(os.path.realpath(os.path.join(self.dir, "check")), os.path.realpath(BIN))
        self.assertIn(b"skipped", r.err)
        self.assertIn(b"2 skipped", r.out)
        self.assertIn(b"1 updated", r.out)

    def test_a_missing_directory_is_made(self):
        where = os.path.join(self.dir, "new", "bin")
        r = run("--install", where, env={"PATH": "/nonexistent"})
        self.assertEqual(r.code, 0, r)
        self.assertTrue(r.out.startswith(f"made {where}\n".encode()), r.out)
        self.assertEqual(run(exe=os.path.join(where, "check")).out, b"ONE-TWO\n")
        with open(os.path.join(self.dir, "file"), "w"):
            pass
        r = run("--install", os.path.join(self.dir, "file"))
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"not a directory", r.err)

    def test_never_shadows_a_program_on_path(self):
        system = os.path.join(self.dir, "system")
        os.mkdir(system)
        for name in ("batch", "up"):  # at(1)'s batch, say
            with open(os.path.join(system, name), "w") as f:
                f.write("#!/bin/sh\n")
            os.chmod(os.path.join(system, name), 0o755)
        where = os.path.join(self.dir, "bin")
        for path in (f"{where}:{system}", f"{system}:{where}"):  # before or after it on PATH
            r = run("--install", where, env={"PATH": path})
            self.assertEqual(r.code, 0, r)
            self.assertFalse(os.path.lexists(os.path.join(where, "batch")))
            self.assertFalse(os.path.lexists(os.path.join(where, "up")))
            self.assertIn(f"skipped {where}/batch: PATH has another batch ({system}/batch); "
                          "run it as 'hvym batch'".encode(), r.err)
            self.assertIn(b"2 skipped", r.out)
            self.assertTrue(os.path.lexists(os.path.join(where, "check")))

    def test_missing_argument_is_usage(self):
        self.assertEqual(run("--install").code, 2)


class MesonInstall(unittest.TestCase):
    def test_installs_binary_links_completions_and_man_page(self):
        build = os.path.dirname(os.path.realpath(BIN))
        if not os.path.exists(os.path.join(build, "scripts", "hvym.1")):
            self.skipTest("a cross build installs the binary only")
        with tempfile.TemporaryDirectory() as dest:
            p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            prefix = subprocess.run(["meson", "introspect", build, "--buildoptions"], capture_output=True,
                                    text=True, check=True).stdout
            prefix = next(o["value"] for o in json.loads(prefix) if o["name"] == "prefix")
            root = dest + prefix
            bindir = os.path.join(root, "bin")
            self.assertEqual(os.readlink(os.path.join(bindir, "pintheon-port")), "hvym")
            self.assertEqual(run(exe=os.path.join(bindir, "check")).out, b"ONE-TWO\n")
            for path in ("share/bash-completion/completions/hvym", "share/zsh/site-functions/_hvym",
                         "share/fish/vendor_completions.d/hvym.fish"):
                self.assertGreater(os.path.getsize(os.path.join(root, path)), 100, path)
            with open(os.path.join(root, "share", "man", "man1", "hvym.1")) as f:
                page = f.read()
            self.assertTrue(page.startswith(".TH HVYM 1"), page[:80])
            for name in run("--list").out.decode().split():
                self.assertIn(f"\n.SS {name}\n", page)


class Completion(unittest.TestCase):
    def script(self, shell):
        r = run("--completion", shell)
        self.assertEqual(r.code, 0)
        return r.out.decode()

    def test_bash_script_completes_commands_and_options(self):
        text = self.script("bash")
        probe = text + (
            '\nCOMP_WORDS=(hvym ch); COMP_CWORD=1; _hvym; echo "${COMPREPLY[*]}"'
            '\nCOMP_WORDS=(hvym check --h); COMP_CWORD=2; _hvym; echo "${COMPREPLY[*]}"'
            '\nCOMP_WORDS=(version --); COMP_CWORD=1; _hvym; echo "${COMPREPLY[*]}"\n')
        p = subprocess.run(["bash", "-c", probe], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n")[:3], ["check", "--help", "--help"])

    def completion_home(self):
        """A data folder with two accounts (one name with a space), a folder
        and a file with spaces; the environment a shell completes in there."""
        home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, home, True)
        pw = os.path.join(home, "pw")
        with open(pw, "w") as f:
            f.write("pass\n")
        for name in ("my acct", "bob"):
            made = run("stellar-new-account", "--name", name, "--passphrase-file", pw, "--show-mnemonic", home=home)
            self.assertEqual(made.code, 0, made)
        os.mkdir(os.path.join(home, "a folder"))
        with open(os.path.join(home, "a file.png"), "w"):
            pass
        env = {**os.environ, "HOME": home, "PATH": os.path.dirname(os.path.realpath(BIN)) + ":/usr/bin:/bin"}
        env.pop("HVYM_HOME", None)
        return home, env

    def test_bash_completes_values_and_files_with_spaces(self):
        text = self.script("bash")
        home, env = self.completion_home()

        def complete(*words):
            probe = text + f"\nCOMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); " \
                f"COMP_CWORD={len(words) - 1}; _hvym; printf '%s\\n' \"${{COMPREPLY[@]}}\""
            p = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env=env, cwd=home)
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout.split("\n")[:-1]
        self.assertEqual(complete("hvym", "config", "g"), ["get"])
        self.assertEqual(complete("hvym", "config", "get", "pintheon_p"), ["pintheon_port"])
        self.assertEqual(complete("hvym", "pintheon-set-network", ""), ["testnet", "mainnet"])
        self.assertEqual(complete("pinggy-set-tier", "f"), ["free"])
        self.assertEqual(sorted(complete("hvym", "stellar-set-account", "")), ["bob", "my\\ acct"])
        self.assertEqual(complete("hvym", "--completion", "z"), ["zsh"])
        self.assertEqual(complete("hvym", "--install", "a"), ["a folder"])
        self.assertEqual(complete("hvym", "png-to-data-url", "a fi"), ["a file.png"])

    @require(shutil.which("fish"), "fish is not installed")
    def test_fish_completes_values(self):
        home, env = self.completion_home()
        script = os.path.join(home, "hvym.fish")
        with open(script, "w") as f:
            f.write(self.script("fish"))

        def complete(line):
            p = subprocess.run(["fish", "--no-config", "-c", f"source {shlex.quote(script)}; complete -C {shlex.quote(line)}"],
                               capture_output=True, text=True, env=env, cwd=home, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            return sorted(l.split("\t")[0] for l in p.stdout.splitlines())
        self.assertEqual(complete("hvym config g"), ["get"])
        self.assertEqual(complete("hvym config get pintheon_p"), ["pintheon_port"])
        self.assertEqual(complete("config get pinggy_t"), ["pinggy_tiers", "pinggy_token"])
        self.assertEqual(complete("hvym pintheon-set-network "), ["mainnet", "testnet"])
        self.assertEqual(complete("pinggy-set-tier f"), ["free"])
        self.assertEqual(complete("hvym stellar-set-account "), ["bob", "my acct"])
        self.assertEqual(complete("hvym png-to-data-url a\\ fi"), ["a file.png"])
        self.assertIn("--help", complete("hvym check --"))

    @require(shutil.which("zsh"), "zsh is not installed")
    def test_zsh_completes_values(self):
        # zsh completes only inside its line editor: an interactive zsh on a
        # pty, compinit, the script, then a line and a Tab; what Tab put
        # on the line (or listed under it) is the answer.
        import pty
        import select
        import time
        home, env = self.completion_home()
        with open(os.path.join(home, "_hvym"), "w") as f:
            f.write(self.script("zsh"))

        def tab(line, *expected):
            # Each wait is for what the step is expected to print (the
            # marker's output, then the prompt; after the Tab, the completed
            # text): over as soon as it shows, 20 s only when it never does.
            pid, fd = pty.fork()
            if pid == 0:
                os.chdir(home)
                os.execve(shutil.which("zsh"), ["zsh", "-f", "-i"], {**env, "TERM": "dumb"})
            self.addCleanup(lambda: (os.close(fd), os.waitpid(pid, 0)))
            out = b""

            def read_until(done, timeout=20):
                nonlocal out
                end = time.time() + timeout
                while not done(out) and time.time() < end:
                    if select.select([fd], [], [], 0.1)[0]:
                        try:
                            out += os.read(fd, 4096)
                        except OSError:
                            break
            # The marker as printed ("READY-2"), not as echoed ("READY-$((1+1))"),
            # then the prompt zsh draws after it (after its PROMPT_SP padding).
            os.write(fd, b"PS1='> '; fpath=(. $fpath); autoload -Uz compinit; compinit -u -D; "
                         b"source ./_hvym; print READY-$((1+1))\n")
            read_until(lambda o: b"READY-2\r\n" in o and b"> " in o.split(b"READY-2\r\n", 1)[1])
            out = b""
            os.write(fd, line.encode() + b"\t")
            read_until(lambda o: all(e.encode() in o for e in expected))
            os.kill(pid, 9)
            return out.decode(errors="replace")
        self.assertIn("hvym config get pintheon_port", tab("hvym config get pintheon_p", "hvym config get pintheon_port"))
        self.assertIn("pinggy-set-tier free", tab("pinggy-set-tier f", "pinggy-set-tier free"))
        listed = tab("hvym pintheon-set-network ", "mainnet", "testnet")
        self.assertIn("mainnet", listed)
        self.assertIn("testnet", listed)
        accounts = tab("hvym stellar-set-account my", "stellar-set-account my\\ acct")
        self.assertIn("stellar-set-account my\\ acct", accounts)
        self.assertIn("png-to-data-url a\\ file.png", tab("hvym png-to-data-url a\\ fi", "png-to-data-url a\\ file.png"))

    def test_zsh_and_fish_scripts_parse(self):
        for shell in ("zsh", "fish"):
            text = self.script(shell)
            self.assertIn("check", text)
            exe = shutil.which(shell)
            if exe:  # syntax check where the shell is installed
                p = subprocess.run([exe, "-n"], input=text, capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_unknown_shell(self):
        r = run("--completion", "tcsh")
        self.assertEqual((r.code, r.out), (2, b""))


class Instrumentation(unittest.TestCase):
    def test_perf_line_on_stderr_only(self):
        r = run("check", env={"HVYM_PERF": "1"})
        self.assertEqual((r.code, r.out), (0, b"ONE-TWO\n"))
        self.assertRegex(
            r.err.decode(),
            r"^hvym perf: start_to_main_us=\d+ dispatch_us=\d+ command_us=\d+ total_us=\d+ "
            r"status=0\n$")

    def test_diag_is_one_json_line(self):
        with tempfile.TemporaryDirectory() as d:
            r = run("check", env={"HVYM_DIAG": "1", "HVYM_HOME": d})
        self.assertEqual((r.code, r.out), (0, b"ONE-TWO\n"))
        lines = r.err.decode().splitlines()
        self.assertEqual(len(lines), 1)
        diag = json.loads(lines[0])
        self.assertEqual(diag["data_dir"], d)
        self.assertIn("docker", diag["helpers"])
        self.assertRegex(diag["version"], r"^\d+\.\d+\.\d+$")

    def test_nothing_on_stderr_without_the_variables(self):
        self.assertEqual(run("check").err, b"")


@unittest.skipUnless(os.environ.get("HVYM_STATIC") == "true", "dynamic development build")
class StaticBinary(unittest.TestCase):
    def test_file_says_statically_linked(self):
        p = subprocess.run(["file", "-L", BIN], capture_output=True, text=True)
        self.assertIn("statically linked", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=1)
