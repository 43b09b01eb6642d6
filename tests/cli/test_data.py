"""The data commands beyond the golden cases: the ones the original could not
run, Python's JSON semantics, glTF/GLB reading with lying files, data URLs."""
import base64
import json
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clitest import run  # noqa: E402


def dumps(obj, **kw):
    return (json.dumps(obj, **kw) + "\n").encode()


class Broken(unittest.TestCase):
    """Each prints its data class's fields in declaration order."""

    def check(self, args, expected):
        r = run(*args)
        self.assertEqual((r.code, r.out.decode()), (0, json.dumps(expected) + "\n"), r)

    def test_an_empty_dict_or_list_argument_is_empty_as_in_the_original(self):
        # The original's dict("") and list("") (exit 0 there); JSON otherwise.
        self.check(["anim-prop-data", "a", "b", "1", "2", "c", "0.5", "true", "", "w", "true"],
                   {"widget_type": "w", "show": True, "name": "a", "loop": "b", "start": 1, "end": 2,
                    "blending": "c", "weight": 0.5, "play": True, "model_ref": {}})
        self.check(["mesh-set-data", "", "0", "w", "true"],
                   {"widget_type": "w", "show": True, "set": [], "selected_index": 0})

    def test_sliders(self):
        self.check(["slider-data", "RANGE", "Incremental", "SLIDER", "yes"],
                   {"widget_type": "SLIDER", "show": True, "prop_slider_type": "RANGE",
                    "prop_action_type": "Incremental"})
        base = {"widget_type": "W", "show": False, "prop_slider_type": "S", "prop_action_type": "A"}
        self.check(["slider-float-data", "1.5", "-2", "1e3", "S", "A", "W", "off"],
                   {**base, "default": 1.5, "min": -2.0, "max": 1000.0, "immutable": False})
        self.check(["slider-int-data", "7", "-3", "1_000", "S", "A", "W", "0", "--immutable"],
                   {**base, "default": 7, "min": -3, "max": 1000, "immutable": True})

    def test_sets_and_props(self):
        self.check(["mesh-set-data", '[{"name": "a", "visible": true}]', "2", "W", "true"],
                   {"widget_type": "W", "show": True, "set": [{"name": "a", "visible": True}],
                    "selected_index": 2})
        self.check(["anim-prop-data", "walk", "LoopRepeat", "1", "40", "NORMAL", "0.5", "t",
                    '{"name": "rig"}', "TOGGLE", "f"],
                   {"widget_type": "TOGGLE", "show": False, "name": "walk", "loop": "LoopRepeat",
                    "start": 1, "end": 40, "blending": "NORMAL", "weight": 0.5, "play": True,
                    "model_ref": {"name": "rig"}})
        ref = {"name": "m", "color": "#fff", "roughness": 0.5, "sheen": 1}
        self.check(["mat-prop-data", "m", "PBR", "1", "0", "yes", "on", json.dumps(ref), "W", "1"],
                   {"widget_type": "W", "show": True, "name": "m", "type": "PBR", "emissive": True,
                    "reflective": False, "irridescent": True, "sheen": True, "mat_ref": ref,
                    "save_data": {"color": "#fff", "roughness": 0.5, "metalness": "",
                                  "iridescence": "", "iridescenceIOR": "", "sheen": 1,
                                  "sheenRoughness": "", "sheenColor": "", "clearcoat": "",
                                  "clearcoatRoughness": "", "specularColor": "", "emissive": "",
                                  "emissiveIntensity": ""}})

    def test_collection_data(self):
        parts = [{"k%d" % i: i} for i in range(11)]
        r = run("collection-data", "C", "multi", *map(json.dumps, parts))
        self.assertEqual(r.code, 0, r)
        out = json.loads(r.out)
        self.assertEqual(list(out), ["collectionName", "collectionType", "valProps", "textValProps",
                                     "callProps", "meshProps", "meshSets", "morphSets", "animProps",
                                     "matProps", "materialSets", "menuData", "propLabelData",
                                     "nodes", "actionProps"])
        self.assertEqual(out["morphSets"], {})
        self.assertEqual(out["nodes"], {"k10": 10})

    def test_materials(self):
        self.check(["lambert-material-data", "#111", "-e", "#222"],
                   {"color": "#111", "emissive": "#222", "emissive_intensity": None})
        self.check(["phong-material-data", "#1", "#2", "30", "-ei", "2"],
                   {"color": "#1", "specular": "#2", "shininess": 30.0, "emissive": None,
                    "emissive_intensity": 2.0})
        self.check(["standard-material-data", "#1", "0.2", "0.8"],
                   {"color": "#1", "roughness": 0.2, "metalness": 0.8, "emissive": None,
                    "emissive_intensity": None})
        self.check(["pbr-material-data", "#1", "0.2", "0.8", "-i", "yes", "-s", "0.3", "-sc", "#9"],
                   {"color": "#1", "roughness": 0.2, "metalness": 0.8, "iridescent": True,
                    "sheen_color": "#9", "sheen_weight": 0.3, "emissive": None,
                    "emissive_intensity": None})

    def test_bad_json_argument_is_a_usage_error(self):
        for args in (["mesh-set-data", "{}", "0", "W", "1"], ["mesh-set-data", "[1,", "0", "W", "1"],
                     ["anim-prop-data", "n", "l", "1", "2", "b", "1", "1", "[]", "W", "1"]):
            r = run(*args)
            self.assertEqual((r.code, r.out), (2, b""), args)
            self.assertIn(b"Invalid value for", r.err)


class PythonJson(unittest.TestCase):
    """What json.loads accepts and json.dumps writes, through hvym."""

    CASES = ['[NaN, Infinity, -Infinity, 1e400, -1e400, 1e-400]',
             '[123456789012345678901234567890, -99999999999999999999, 18446744073709551615]',
             '[{"a": 1, "b": 2, "a": 3}]',
             '[{"x": {"k": 1, "k": {"deep": [1, 2], "deep": null}}}]',
             '["\\ud83d\\ude00", "\\u00e9", "tab\\t", "\\u2028"]',
             '[1.0, 1e16, 1e-7, 0.1, -0.0, 12345678901234567890.5]']

    def test_values_come_back_as_python_writes_them(self):
        for text in self.CASES:
            with self.subTest(text=text):
                r = run("mesh-set-data", text, "0", "W", "1")
                self.assertEqual(r.code, 0, r)
                want = {"widget_type": "W", "show": True, "set": json.loads(text), "selected_index": 0}
                self.assertEqual(r.out, dumps(want))

    def test_not_json_is_refused(self):
        for text in ['[nan]', '[1,]', '["\\x"]', "[01]", '{"a" 1}', '[1] [2]']:
            r = run("mesh-set-data", text, "0", "W", "1")
            self.assertEqual(r.code, 2, text)


class Blender(unittest.TestCase):
    def test_missing_key_names_the_key_and_the_object(self):
        r = run("parse-blender-hvym-interactables", '{"Cube": {"hvym_interactable": true}}')
        self.assertEqual((r.code, r.out), (1, b""))
        self.assertIn(b"missing key 'children' in OBJ_DATA['Cube']", r.err)
        r = run("parse-blender-hvym-collection", "c", "single", "1", '{"0": {"behavior_set": null}}',
                "{}", "{}", "{}")
        self.assertEqual(r.code, 1)
        self.assertIn(b"missing key 'prop_action_type' in COLLECTION_JSON['0']", r.err)

    def test_wrong_types_are_errors_not_crashes(self):
        for args in (["parse-blender-hvym-interactables", "5"],
                     ["parse-blender-hvym-interactables", '{"a": {"hvym_interactable": 1, "children": 3}}'],
                     ["parse-blender-hvym-collection", "c", "t", "1", '{"0": 7}', "{}", "{}", "{}"],
                     ["parse-blender-hvym-collection", "c", "t", "1", "{}", "[5]", "{}", "{}"],
                     ["parse-blender-hvym-collection", "c", "t", "1", "{}", "{}", "{}", "not json"]):
            r = run(*args)
            self.assertEqual((r.code, r.out), (1, b""), args)
            self.assertTrue(r.err.startswith(b"Error: "), r)

    def test_empty_inputs(self):
        r = run("parse-blender-hvym-interactables", "[]")
        self.assertEqual((r.code, r.out), (0, b"{}\n"))


def glb(doc, bin_chunk=b""):
    body = json.dumps(doc).encode()
    body += b" " * (-len(body) % 4)
    chunks = struct.pack("<II", len(body), 0x4E4F534A) + body
    if bin_chunk:
        chunks += struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk
    return struct.pack("<III", 0x46546C67, 2, 12 + len(chunks)) + chunks


class HvymData(unittest.TestCase):
    DATA = {"project": "p\u00e9", "contract": {"price": 1.5, "n": [1, 2]}, "empty": {}}

    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        for f in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, f))
        os.rmdir(self.dir)

    def file(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_glb_and_gltf(self):
        doc = {"asset": {"version": "2.0"}, "extensions": {"HVYM_nft_data": self.DATA}}
        want = dumps(self.DATA, indent=2)
        for path in (self.file("a.glb", glb(doc, os.urandom(100_000))),
                     self.file("a.gltf", json.dumps(doc).encode())):
            r = run("print-hvym-data", path)
            self.assertEqual((r.code, r.out), (0, want), r)

    def test_without_the_extension(self):
        r = run("print-hvym-data", self.file("b.glb", glb({"asset": {}})))
        self.assertEqual((r.code, r.out), (0, b"No HVYM NFT data found in the GLB file.\n"))

    def test_truncated_and_lying_files_are_errors(self):
        good = glb({"extensions": {"HVYM_nft_data": self.DATA}}, b"x" * 64)
        lies = [good[:n] for n in (4, 11, 12, 19, 20, 40, len(good) - 70)]
        lies.append(good[:8] + struct.pack("<I", 10**9) + good[12:])            # total length
        lies.append(good[:12] + struct.pack("<I", 10**9) + good[16:])           # chunk length
        lies.append(good[:12] + struct.pack("<I", len(good)) + good[16:])       # chunk past the end
        lies.append(good[:16] + struct.pack("<I", 0x004E4942) + good[20:])      # BIN first
        lies.append(good[:4] + struct.pack("<I", 1) + good[8:])                 # version 1
        for i, data in enumerate(lies):
            with self.subTest(case=i):
                r = run("print-hvym-data", self.file("bad.glb", data), timeout=10)
                self.assertEqual((r.code, r.out), (1, b""), r)
                self.assertIn(b"Error: ", r.err)

    def test_missing_file(self):
        r = run("print-hvym-data", os.path.join(self.dir, "none.glb"))
        self.assertEqual((r.code, r.out), (1, b""))


class DataUrls(unittest.TestCase):
    def test_png_any_size(self):
        with tempfile.NamedTemporaryFile() as f:
            for size in (0, 1, 2, 3, 196607, 196608, 196609, 1_000_003):
                data = os.urandom(size)
                f.seek(0)
                f.truncate()
                f.write(data)
                f.flush()
                r = run("png-to-data-url", f.name)
                self.assertEqual(r.out, b"data:image/png;base64," + base64.b64encode(data) + b"\n")

    def test_svg_drops_only_the_xml_declaration(self):
        body = b'<svg xmlns="http://www.w3.org/2000/svg"><!-- c --><g/></svg>\n'
        for head in (b"", b'<?xml version="1.0" encoding="UTF-8"?>\n', b'\xef\xbb\xbf<?xml version="1.0"?>'):
            with tempfile.NamedTemporaryFile(suffix=".svg") as f:
                f.write(head + body)
                f.flush()
                r = run("svg-to-data-url", f.name)
                self.assertEqual(r.out, b"data:image/svg+xml;base64," + base64.b64encode(body) + b"\n")

    def test_missing_file(self):
        r = run("png-to-data-url", "/nonexistent/x.png")
        self.assertEqual((r.code, r.out), (1, b""))


class FuzzRegressions(unittest.TestCase):
    """Inputs the fuzzers once crashed on (tests/fuzz/regressions/TARGET/),
    run as the CLI runs them: each must end with 0, 1 or 2, never a signal."""

    COMMANDS = {"collection": "parse-blender-hvym-collection",
                "interactables": "parse-blender-hvym-interactables",
                "collection-data": "collection-data", "args": "contract-data",
                "glb": "print-hvym-data"}

    def test_replay(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "regressions")
        for target, command in self.COMMANDS.items():
            folder = os.path.join(root, target)
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                with self.subTest(target=target, input=name):
                    if target == "glb":
                        args = [os.path.join(folder, name)]
                    else:
                        args = [a.decode("utf-8", "surrogateescape") for a in data.split(b"\0")][:15]
                        args = [a for a in args if "\0" not in a]
                    r = run(command, *args, timeout=30)
                    self.assertIn(r.code, (0, 1, 2), r)


if __name__ == "__main__":
    unittest.main(verbosity=1)
