# SPDX-License-Identifier: LGPL-2.1-or-later
"""libqmi's own qmicli, a QMI client dmscd did not write, reads from dmsc-sim what the profile
says. qmicli opens its device through the proxy named qmi-proxy: abstract socket names are
per network namespace, so each run happens under `unshare --net`, where dmsc-sim may take that
name. A disagreement is a simulator bug, or a dmscd bug the simulator hides."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import TIMEOUT  # noqa: E402

SIM = os.environ["DMSC_SIM"]
IMEI = "490154203237518"
ICCID = "8949000000001234567"
PKCS15_AID = "A0:00:00:00:63:50:4B:43:53:2D:31:35"

RUN = """
"$SIM" --profile profile --control control >sim.log 2>&1 &
sim=$!
for _ in $(seq 100); do [ -S control ] && break; sleep 0.05; done
shift 0
for command in "$@"; do
    echo "== $command"
    timeout 20 qmicli -d "$PWD/cdc-wdm-sim" -p --device-open-qmi "$command" 2>&1 |
        grep -v -- '-Warning \\*\\*'
done
kill $sim
wait $sim 2>/dev/null
"""


@unittest.skipIf(shutil.which("qmicli") is None, "qmicli (libqmi-utils) is not installed")
@unittest.skipIf(os.geteuid() != 0, "needs root for a network namespace of its own")
class Qmicli(unittest.TestCase):
    def run_qmicli(self, profile, *commands):
        """qmicli @commands against dmsc-sim with @profile; {command: output}."""
        with tempfile.TemporaryDirectory(prefix="dmscd-qmicli-") as tmp:
            with open(os.path.join(tmp, "profile"), "w") as f:
                f.write("[modem]\nsocket=qmi-proxy\n" + profile)
            with open(os.path.join(tmp, "bootstrap.xml"), "w") as f:
                f.write("<SyncML/>")
            # libqmi insists on a character device; which one does not matter to a proxy.
            os.mknod(os.path.join(tmp, "cdc-wdm-sim"), 0o600 | 0o020000, os.makedev(1, 3))
            out = subprocess.run(["unshare", "--net", "bash", "-c", RUN, "run", *commands],
                                 cwd=tmp, env=dict(os.environ, SIM=SIM), capture_output=True,
                                 text=True, timeout=4 * TIMEOUT).stdout
        answers = {}
        for block in out.split("== ")[1:]:
            command, _, text = block.partition("\n")
            answers[command] = text
        return answers

    def test_device_ids_card_status_and_card_files_agree_with_the_profile(self):
        profile = (f"imei={IMEI}\n[card]\niccid={ICCID}\nbootstrap=bootstrap.xml\n")
        read_iccid = "--uim-read-transparent=0x3F00,0x2FE2"
        read_dir = "--uim-read-record=record-number=1,record-length=0,file=0x3F00-0x2F00"
        read_odf = "--uim-read-transparent=0x3F00,0x7F50,0x5031"
        answers = self.run_qmicli(profile, "--dms-get-ids", "--uim-get-card-status", read_iccid,
                                  read_dir, read_odf)
        self.assertIn(f"IMEI: '{IMEI}'", answers["--dms-get-ids"])
        self.assertIn("Card state: 'present'", answers["--uim-get-card-status"])
        # EF ICCID holds the digits in swapped BCD, padded with F.
        self.assertIn("98:94:00:00:00:00:21:43:65:F7", answers[read_iccid])
        # EF.DIR names the PKCS#15 application, where dmscd looks for the bootstrap.
        self.assertIn("61:1C:4F:0C:" + PKCS15_AID, answers[read_dir].replace("\n\t", ""))
        # Its ODF points at a DODF (tag A7).
        self.assertIn("SW1: '0x90'", answers[read_odf])
        self.assertIn("A7:", answers[read_odf])

    def test_a_modem_without_its_card_says_so(self):
        answers = self.run_qmicli(f"[card]\niccid={ICCID}\ninserted=false\n",
                                  "--uim-get-card-status")
        self.assertIn("Card state: 'absent'", answers["--uim-get-card-status"])


if __name__ == "__main__":
    tap.main(Qmicli)
