# SPDX-License-Identifier: LGPL-2.1-or-later
"""./run.sh demo shows the main job, step by step, and ends well."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Demo(unittest.TestCase):
    def test_the_demo_runs_a_card_session_and_shows_what_it_changed(self):
        env = dict(os.environ, BUILD_DIR=os.environ["BUILD_ROOT"], RUN_SH_BUILT="1")
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        r = subprocess.run([os.path.join(SOURCE_ROOT, "run.sh"), "demo"], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout
        steps = [line for line in out.splitlines() if line.startswith("== ")]
        self.assertEqual(len(steps), 10, steps)
        self.assertRegex(out, r"\n +0 /dev/cdc-wdm-sim +8949000000001234567 +3516 +applied "
                              r"+card.dm")
        self.assertIn("Apply the operator's router settings? [y/n] yes\n", out)
        self.assertIn("        Result: ok\n", out)
        self.assertIn("./Vendor/Router/Greeting  Replace    200\n", out)
        self.assertIn("    ├── Greeting = hello from the card\n", out)
        self.assertIn("<html><body>dmsc-sim SCWS</body></html>", out)
        self.assertTrue(out.endswith("dmscd exited with status 0\n"), out[-300:])


if __name__ == "__main__":
    tap.main(Demo)
