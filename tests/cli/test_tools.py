"""The remaining commands: up / update-npm-modules / update-proprium-js-file
with a real npm and a private prefix (the machine's global folder is not
touched), the didc wrappers with a stand-in didc, and the full command list
of the original."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import require, run  # noqa: E402

# The 65 commands the original registers (hvym.py's cli.add_command lines).
ORIGINAL = """about anim-prop-data basic-material-data check collection-data contract-data
custom-choice-prompt custom-copy-line-prompt custom-copy-text-prompt custom-loading-msg custom-prompt
docker-installed img-to-url installation-stats is-pintheon-tunnel-open lambert-material-data
mat-prop-data menu-data mesh-data mesh-set-data parse-blender-hvym-collection
parse-blender-hvym-interactables pbr-material-data phong-material-data pinggy-install pinggy-set-tier
pinggy-set-token pinggy-tier pinggy-token pintheon-dapp pintheon-image-exists pintheon-network
pintheon-open pintheon-port pintheon-set-network pintheon-set-port pintheon-setup pintheon-start
pintheon-stop pintheon-tunnel-open png-to-data-url print-hvym-data single-float-data single-int-data
single-mesh-data single-node-data slider-data slider-float-data slider-int-data splash
standard-material-data stellar-load-keys stellar-load-shared-pub stellar-new-account
stellar-new-testnet-account stellar-remove-account stellar-select-keys stellar-select-shared-pub
stellar-set-account stellar-update-db-pw svg-to-data-url up update-npm-modules update-proprium-js-file
version""".split()
DIDC = ["didc-install", "didc-bind-js", "didc-bind-ts", "didc-bind-js-popup", "didc-bind-ts-popup"]


class Home(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.home, True)
        self.bin = os.path.join(self.home, "bin")
        os.makedirs(self.bin)

    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path


class CommandList(unittest.TestCase):
    def test_every_command_of_the_original_is_listed_with_help(self):
        listed = {line.split()[0] for line in run("--list").out.decode().splitlines() if line.strip()}
        self.assertEqual(len(ORIGINAL), 65)
        self.assertEqual(sorted(set(ORIGINAL) - listed), [])
        self.assertEqual(sorted(set(DIDC) - listed), [])
        for name in ORIGINAL + DIDC:
            r = run(name, "--help")
            self.assertEqual(r.code, 0, name)
            self.assertTrue(r.out.startswith(b"Usage: "), name)


@require(shutil.which("npm"), "npm is installed by scripts/setup (Debian: nodejs)")
class NpmModules(Home):
    def setUp(self):
        super().setUp()
        self.src = os.path.join(self.home, "modules")
        self.write("modules/hvym-test-mod/package.json",
                   json.dumps({"name": "hvym-test-mod", "version": "1.0.0", "main": "index.js"}))
        self.write("modules/hvym-test-mod/index.js", "module.exports = 1;\n")
        self.write("modules/proprium/package.json",
                   json.dumps({"name": "proprium", "version": "0.1.0", "main": "index.js"}))
        self.write("modules/proprium/index.js", "module.exports = 'v1';\n")
        prefix = os.path.join(self.home, "npm-prefix")
        # A private global folder, no network, no notices.
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NPM_CONFIG_PREFIX": prefix,
                    "NPM_CONFIG_CACHE": os.path.join(self.home, "npm-cache"), "NPM_CONFIG_OFFLINE": "true",
                    "NPM_CONFIG_UPDATE_NOTIFIER": "false", "NPM_CONFIG_FUND": "false"}
        r = self.hvym("config", "set", "npm_links_source", self.src)
        self.assertEqual(r.code, 0, r)

    def hvym(self, *args, env=None):
        return run(*args, env={**self.env, **(env or {})}, home=self.home, timeout=120)

    def links(self):
        r = subprocess.run(["npm", "ls", "--link", "--global", "--depth=0", "--json"],
                           env={**os.environ, **self.env}, capture_output=True, timeout=120)
        return set(json.loads(r.stdout or b"{}").get("dependencies", {}))

    def test_up_links_then_update_relinks(self):
        r = self.hvym("up")
        self.assertEqual(r.code, 0, r)
        self.assertIn(b"linked hvym-test-mod", r.out)
        self.assertEqual(self.links(), {"hvym-test-mod", "proprium"})
        data = os.path.join(self.home, ".local/share/heavymeta-cli/npm_links")
        self.assertTrue(os.path.isfile(os.path.join(data, "proprium/index.js")))
        r = self.hvym("up")
        self.assertIn(b"hvym-test-mod is linked already", r.out)
        r = self.hvym("update-npm-modules")
        self.assertEqual(r.code, 0, r)
        self.assertIn(b"unlinked hvym-test-mod", r.out)
        self.assertIn(b"linked hvym-test-mod", r.out)
        self.assertEqual(self.links(), {"hvym-test-mod", "proprium"})

    def test_update_proprium_js_file(self):
        self.assertEqual(self.hvym("up").code, 0)
        self.write("modules/proprium/index.js", "module.exports = 'v2';\n")
        r = self.hvym("update-proprium-js-file")
        self.assertEqual(r.code, 0, r)
        with open(os.path.join(self.home, ".local/share/heavymeta-cli/npm_links/proprium/index.js")) as f:
            self.assertEqual(f.read(), "module.exports = 'v2';\n")

    def test_missing_npm_and_missing_folder(self):
        r = self.hvym("up", env={"PATH": self.bin})
        self.assertEqual(r.code, 1)
        self.assertIn(b"npm is not installed", r.err)
        self.hvym("config", "set", "npm_links_source", os.path.join(self.home, "nowhere"))
        r = self.hvym("up")
        self.assertEqual(r.code, 1)
        self.assertIn(b"no npm modules folder at", r.err)
        self.assertEqual(self.links(), set())


class Didc(Home):
    def setUp(self):
        super().setUp()
        self.write("bin/didc", "#!/bin/sh\necho \"didc $*\"\n", 0o755)
        self.did = self.write("service.did", "service : {}\n")
        self.env = {"PATH": self.bin + ":/usr/bin:/bin"}

    def hvym(self, *args, env=None, stdin=b""):
        return run(*args, env={**self.env, **(env or {})}, home=self.home, stdin=stdin)

    def test_bind_js_and_ts(self):
        self.assertEqual(self.hvym("didc-bind-js", self.did).out.decode(), f"didc bind {self.did} -t js\n")
        self.assertEqual(self.hvym("didc-bind-ts", self.did).out.decode(), f"didc bind {self.did} -t ts\n")

    def test_didc_in_its_own_folder_first(self):
        self.write(".local/share/didc/didc", "#!/bin/sh\necho \"own $*\"\n", 0o755)
        self.assertTrue(self.hvym("didc-bind-js", self.did).out.startswith(b"own bind"))

    def test_missing_didc(self):
        r = self.hvym("didc-bind-js", self.did, env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(r.code, 1)
        self.assertIn(b"didc is not installed", r.err)

    def test_popup_picks_the_file_and_shows_the_interface(self):
        log = os.path.join(self.home, "dialog.log")
        dialog = self.write("dialog", f"""#!/bin/sh
echo "$1" >> {log}
case "$1" in
  file) echo {self.did} ;;
  copy) cat >> {log} ;;
esac
""", 0o755)
        r = self.hvym("didc-bind-ts-popup", env={"HVYM_DIALOG": dialog})
        self.assertEqual(r.code, 0, r)
        with open(log) as f:
            self.assertEqual(f.read(), f"file\ncopy\ndidc bind {self.did} -t ts\n")

    def test_install_script(self):
        marker = os.path.join(self.home, "ran")
        ok = self.write("install.sh", f"touch {marker}\necho installing\n")
        r = self.hvym("didc-install", "--script", ok)
        self.assertEqual(r.code, 0, r)
        self.assertTrue(os.path.exists(marker))
        self.assertIn(b"installing", r.err)  # its progress: not on stdout
        self.assertTrue(r.out.startswith(b"installed"))
        bad = self.write("bad.sh", "exit 3\n")
        r = self.hvym("didc-install", "--script", bad)
        self.assertEqual(r.code, 1)
        self.assertIn(b"exit status 3", r.err)
        r = self.hvym("didc-install", "--script", os.path.join(self.home, "none.sh"))
        self.assertEqual(r.code, 1)
        self.assertIn(b"no didc install script", r.err)


if __name__ == "__main__":
    unittest.main()
