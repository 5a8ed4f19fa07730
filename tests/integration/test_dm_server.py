# SPDX-License-Identifier: LGPL-2.1-or-later
"""dmsc-dm-server, the scripted DM server as a program, answering a real HTTP client."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

SERVER = os.environ["DMSC_DM_SERVER"]

PACKAGE1 = """<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>
<VerProto>DM/1.2</VerProto><SessionID>7</SessionID><MsgID>1</MsgID>
<Target><LocURI>srv</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source>
<Cred><Meta><Type xmlns="syncml:metinf">syncml:auth-basic</Type></Meta>
<Data>ZGV2OmNwdw==</Data></Cred></SyncHdr><SyncBody>
<Alert><CmdID>1</CmdID><Data>1200</Data></Alert><Final/></SyncBody></SyncML>"""

PACKAGE3 = """<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>
<VerProto>DM/1.2</VerProto><SessionID>7</SessionID><MsgID>2</MsgID>
<Target><LocURI>srv</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source></SyncHdr>
<SyncBody><Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>
<Data>200</Data></Status><Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef>
<Cmd>Add</Cmd><TargetRef>./X</TargetRef><Data>418</Data></Status><Final/></SyncBody></SyncML>"""


class Program(unittest.TestCase):
    def test_serves_the_script_and_records_the_answers(self):
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "script")
            record = os.path.join(tmp, "record")
            with open(script, "w") as f:
                f.write("# one package\nADD ./X chr a\\nb\n")
            proc = subprocess.Popen([SERVER, "--script", script, "--record", record,
                                     "--auth", "basic", "--server-id", "srv",
                                     "--client-name", "dev", "--client-password", "cpw",
                                     "--once"], stdout=subprocess.PIPE, text=True)
            try:
                url = proc.stdout.readline().strip()
                self.assertTrue(url.startswith("http://127.0.0.1:"), url)
                post = lambda body: urllib.request.urlopen(urllib.request.Request(
                    url, data=body.encode(), method="POST",
                    headers={"Content-Type": "application/vnd.syncml.dm+xml"}), timeout=10)
                reply = post(PACKAGE1).read().decode()
                self.assertIn("<Data>212</Data>", reply)
                self.assertIn("<LocURI>./X</LocURI>", reply)
                self.assertIn("<Data>a\nb</Data>", reply)
                reply = post(PACKAGE3).read().decode()
                self.assertIn("<Final", reply)
                self.assertNotIn("<Add>", reply)
                self.assertEqual(proc.wait(10), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
            with open(record) as f:
                lines = [json.loads(line) for line in f]
            self.assertIn({"cmd": "Add", "target": "./X", "status": 418}, lines)
            self.assertEqual(lines[-1], {"session": "end", "packages": 1, "auth": "ok"})

    def test_a_bad_script_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".script") as f:
            f.write("FROB ./X\n")
            f.flush()
            r = subprocess.run([SERVER, "--script", f.name], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 65)
            self.assertIn("script line 1", r.stderr)


if __name__ == "__main__":
    tap.main(Program)
