# SPDX-License-Identifier: LGPL-2.1-or-later
"""dmscctl's offline codec commands (cat, notification) as an operator runs them."""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

DMSCCTL = os.environ["DMSCCTL"]
VECTORS_H = os.path.join(os.path.dirname(__file__), "..", "cat", "vectors.h")
VECTORS = dict(re.findall(r'\{ "(\w+)", "([0-9a-f]+)" \}', open(VECTORS_H).read()))
PACKAGE0 = "3b211c3417bf6b16b34aca0048279ab202e800000012340e636f6d2e6578616d706c652e646d"


def ctl(*args, stdin=None):
    return subprocess.run([DMSCCTL, *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


class CatCommand(unittest.TestCase):
    def test_decode_then_encode_gives_back_the_same_bytes_for_every_vector(self):
        self.assertGreater(len(VECTORS), 30)
        for name, hexstr in VECTORS.items():
            with self.subTest(name):
                decoded = ctl("cat", "decode", hexstr)
                self.assertEqual(decoded.returncode, 0, decoded.stderr)
                json.loads(decoded.stdout)
                encoded = ctl("cat", "encode", "-", stdin=decoded.stdout)
                self.assertEqual(encoded.returncode, 0, encoded.stderr)
                self.assertEqual(encoded.stdout, hexstr + "\n")

    def test_encode_reads_a_file(self):
        decoded = ctl("cat", "decode", VECTORS["open_channel_server"])
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"dmscctl-{os.getpid()}.json")
        with open(path, "w") as f:
            f.write(decoded.stdout)
        try:
            r = ctl("cat", "encode", path)
        finally:
            os.unlink(path)
        self.assertEqual(r.stdout, VECTORS["open_channel_server"] + "\n")

    def test_decode_accepts_spaced_uppercase_hex(self):
        spaced = " ".join(VECTORS["close_channel"][i:i + 2].upper()
                          for i in range(0, len(VECTORS["close_channel"]), 2))
        r = ctl("cat", "decode", spaced)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["command"]["type"], "close-channel")

    def test_dm_notification_push_includes_the_package0_fields(self):
        r = ctl("cat", "decode", VECTORS["send_short_message_dm_push"])
        self.assertEqual(r.returncode, 0, r.stderr)
        tpdu = [o for o in json.loads(r.stdout)["objects"] if o["tag"] == "sms-tpdu"][0]["tpdu"]
        self.assertEqual(tpdu["dm_notification"], {
            "version": 11, "ui_mode": "informative", "initiator": "server",
            "session_id": 0x1234, "server_id": "com.example.dm", "vendor_hex": "",
            "digest_hex": PACKAGE0[:32], "digest_valid": None})

    def test_malformed_input_exits_65_with_one_line_and_no_output(self):
        for bad in ["d00a810301218082028102", "zz", "d009810301218082028102", "abc", ""]:
            with self.subTest(bad):
                r = ctl("cat", "decode", bad)
                self.assertEqual(r.returncode, 65, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("dmscctl: "))

    def test_bad_json_exits_65(self):
        for bad in ["{", "[]", '{"kind":"envelope","objects":[]}',
                    '{"kind":"proactive-command","objects":[{"tag":"nope"}]}']:
            with self.subTest(bad):
                r = ctl("cat", "encode", "-", stdin=bad)
                self.assertEqual(r.returncode, 65)
                self.assertEqual(r.stdout, "")
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_usage_errors_exit_64(self):
        for args in [("cat",), ("cat", "decode"), ("cat", "decode", "00", "11"),
                     ("cat", "frob"), ("cat", "encode", "a", "b")]:
            with self.subTest(args):
                r = ctl(*args)
                self.assertEqual(r.returncode, 64)
                self.assertEqual(r.stdout, "")

    def test_a_missing_input_file_exits_66(self):
        self.assertEqual(ctl("cat", "encode", "/nonexistent/x.json").returncode, 66)


class NotificationCommand(unittest.TestCase):
    def decode(self, *args):
        r = ctl("notification", "decode", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_encode_produces_the_design_vector(self):
        r = ctl("notification", "encode", "--server-id", "com.example.dm", "--password",
                "S3cret!", "--session-id", "4660", "--ui-mode", "informative",
                "--initiator", "server")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, PACKAGE0 + "\n")

    def test_decode_reports_fields_and_digest_validity(self):
        self.assertIsNone(self.decode(PACKAGE0)["digest_valid"])
        self.assertTrue(self.decode(PACKAGE0, "--password", "S3cret!")["digest_valid"])
        self.assertFalse(self.decode(PACKAGE0, "--password", "nope")["digest_valid"])
        out = self.decode(PACKAGE0)
        self.assertEqual(set(out), {"version", "ui_mode", "initiator", "session_id",
                                    "server_id", "vendor_hex", "digest_hex", "digest_valid"})

    def test_nonce_and_vendor_round_trip(self):
        r = ctl("notification", "encode", "--server-id", "srv", "--password", "pw",
                "--session-id", "7", "--nonce-hex", "0a0b0c", "--initiator", "client",
                "--ui-mode", "background", "--vendor-hex", "beef")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.decode(r.stdout.strip(), "--password", "pw", "--nonce-hex", "0a0b0c")
        self.assertEqual(out["initiator"], "client")
        self.assertEqual(out["ui_mode"], "background")
        self.assertEqual(out["vendor_hex"], "beef")
        self.assertTrue(out["digest_valid"])
        # The account's nonce changed: the resynchronisation nonce does not help either.
        self.assertFalse(self.decode(r.stdout.strip(), "--password", "pw")["digest_valid"])

    def test_errors(self):
        r = ctl("notification", "decode", PACKAGE0[:40])
        self.assertEqual(r.returncode, 65)
        self.assertEqual(r.stdout, "")
        self.assertEqual(ctl("notification", "decode").returncode, 64)
        self.assertEqual(ctl("notification", "encode", "--server-id", "x").returncode, 64)
        self.assertEqual(ctl("notification", "encode", "--server-id", "x", "--password", "p",
                             "--session-id", "70000").returncode, 64)
        self.assertEqual(ctl("notification", "encode", "--server-id", "x", "--password", "p",
                             "--session-id", "1", "--ui-mode", "loud").returncode, 64)


SYNCML_DATA = os.environ["SYNCML_DATA"]


# SyncML DS documents dmscctl refuses rather than change, with what it must name.
REFUSED = {
    "libwbxml-syncml-003.xml": "<Anchor> inside <Meta>",
    "libwbxml-syncml-004.xml": "<Anchor> inside <Meta>",
    "libwbxml-syncml-009.xml": "<Anchor> inside <Meta>",
    "libwbxml-syncml-010.xml": "<Anchor> inside <Meta>",
    "libwbxml-syncml-013.xml": "without <SyncHdr>",
    "libwbxml-syncml-014.xml": "without <SyncHdr>",
}


def syncml_files():
    for d in ("", "ds"):
        for name in sorted(os.listdir(os.path.join(SYNCML_DATA, d))):
            if (name.endswith((".xml", ".wbxml")) and name != "libwbxml-syncml-011.xml"
                    and name not in REFUSED):
                yield os.path.join(SYNCML_DATA, d, name)


def normalized(xml_text):
    """The element tree with whitespace around text and between elements dropped: WBXML
    does not keep insignificant whitespace."""
    def walk(e):
        tag = e.tag.split("}")[-1]
        return (tag, (e.text or "").strip(), [walk(c) for c in e])
    return walk(ET.fromstring(xml_text))


class SyncmlCommand(unittest.TestCase):
    def run_ctl(self, *args, stdin=None):
        return subprocess.run([DMSCCTL, *args], input=stdin, capture_output=True, timeout=30)

    def test_every_message_decodes_to_xml(self):
        for path in syncml_files():
            with self.subTest(path):
                r = self.run_ctl("syncml", "decode", path)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith(b"<?xml"))

    def test_every_xml_message_decodes_to_the_same_elements_and_text(self):
        for path in syncml_files():
            if not path.endswith(".xml"):
                continue
            with self.subTest(path):
                r = self.run_ctl("syncml", "decode", path)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(path, "rb") as f:
                    self.assertEqual(normalized(r.stdout), normalized(f.read()))

    def test_what_the_model_would_drop_is_refused_naming_it(self):
        for name, what in REFUSED.items():
            with self.subTest(name):
                r = self.run_ctl("syncml", "decode", os.path.join(SYNCML_DATA, "ds", name))
                self.assertEqual(r.returncode, 65)
                self.assertEqual(r.stdout, b"")
                self.assertIn(what.encode(), r.stderr)
                self.assertEqual(r.stderr.count(b"\n"), 1)

    def test_a_version_other_than_1_1_or_1_2_is_refused_not_rewritten(self):
        with open(os.path.join(SYNCML_DATA, "aosp-dm12-testgetscript.xml"), "rb") as f:
            doc = f.read()
        for old in (b"<VerDTD>1.0</VerDTD>", b""):
            with self.subTest(old):
                r = self.run_ctl("syncml", "decode", "-",
                                 stdin=doc.replace(b"<VerDTD>1.2</VerDTD>", old))
                self.assertEqual(r.returncode, 65)
                self.assertIn(b"VerDTD", r.stderr)
        r = self.run_ctl("syncml", "decode", "-",
                         stdin=doc.replace(b"SYNCML:SYNCML1.2", b"SYNCML:SYNCML1.1"))
        self.assertEqual(r.returncode, 65)
        self.assertIn(b"namespace SYNCML:SYNCML1.1 does not match VerDTD 1.2", r.stderr)

    def test_a_dm_1_1_message_stays_1_1_in_xml_and_wbxml(self):
        path = os.path.join(SYNCML_DATA, "aosp-dm11-testalertdisplay.xml")
        r = self.run_ctl("syncml", "decode", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b'<SyncML xmlns="SYNCML:SYNCML1.1">', r.stdout)
        self.assertIn(b"<VerDTD>1.1</VerDTD>", r.stdout)
        with tempfile.TemporaryDirectory() as tmp:
            encoded = self.run_ctl("syncml", "encode", path)
            self.assertEqual(encoded.returncode, 0, encoded.stderr)
            wbxml = os.path.join(tmp, "m.wbxml")
            out = os.path.join(tmp, "m.xml")
            with open(wbxml, "wb") as f:
                f.write(encoded.stdout)
            subprocess.run(["wbxml2xml", "-o", out, wbxml], check=True, capture_output=True)
            with open(out, "rb") as f:
                self.assertIn(b"SyncML 1.1", f.read())

    def test_wbxml_written_by_dmscd_decodes_with_libwbxml_to_the_same_document(self):
        with tempfile.TemporaryDirectory() as tmp:
            for path in syncml_files():
                with self.subTest(path):
                    decoded = self.run_ctl("syncml", "decode", path)
                    self.assertEqual(decoded.returncode, 0, decoded.stderr)
                    encoded = self.run_ctl("syncml", "encode", "-", stdin=decoded.stdout)
                    self.assertEqual(encoded.returncode, 0, encoded.stderr)
                    wbxml = os.path.join(tmp, "m.wbxml")
                    out = os.path.join(tmp, "m.xml")
                    with open(wbxml, "wb") as f:
                        f.write(encoded.stdout)
                    r = subprocess.run(["wbxml2xml", "-o", out, wbxml], capture_output=True)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    with open(out, "rb") as f:
                        theirs = f.read()
                    self.assertEqual(normalized(theirs), normalized(decoded.stdout))

    def test_encode_hex_and_decode_of_wbxml_from_stdin(self):
        path = os.path.join(SYNCML_DATA, "aosp-dm12-testgetscript.xml")
        r = self.run_ctl("syncml", "encode", path, "--hex")
        self.assertEqual(r.returncode, 0, r.stderr)
        wbxml = bytes.fromhex(r.stdout.decode().strip())
        self.assertEqual(wbxml[0], 0x02)
        back = self.run_ctl("syncml", "decode", "-", stdin=wbxml)
        self.assertEqual(back.returncode, 0, back.stderr)
        self.assertIn(b"<LocURI>./DevInfo/DevId</LocURI>", back.stdout)

    def test_malformed_messages_exit_65_with_one_line(self):
        for name in sorted(os.listdir(os.path.join(SYNCML_DATA, "malformed"))):
            with self.subTest(name):
                r = self.run_ctl("syncml", "decode", os.path.join(SYNCML_DATA, "malformed", name))
                self.assertEqual(r.returncode, 65)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn(b"not well-formed XML: line", r.stderr)

    def test_usage(self):
        self.assertEqual(self.run_ctl("syncml").returncode, 64)
        self.assertEqual(self.run_ctl("syncml", "decode", "a", "b").returncode, 64)
        self.assertEqual(self.run_ctl("syncml", "encode", "/nonexistent").returncode, 66)


if __name__ == "__main__":
    tap.main(CatCommand, NotificationCommand, SyncmlCommand)
