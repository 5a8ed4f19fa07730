# SPDX-License-Identifier: LGPL-2.1-or-later
"""Local DM sessions with the card's server, one after another, as a real card serves them:
one HTTP request per connection (Connection: close), the channel busy until the card has
closed it. DMSCD_SESSIONS sessions in each SCWS mode (20 by default); with DMSCD_LOAD=1 every
core is kept busy meanwhile."""

import multiprocessing
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import NAME, SignalWatcher  # noqa: E402
from test_modem import CARD_IFACE, ModemFixture, account_bootstrap, free_port  # noqa: E402
from harness import wait_until  # noqa: E402

SESSIONS = int(os.environ.get("DMSCD_SESSIONS", "20"))
LOAD = os.environ.get("DMSCD_LOAD") == "1"
# Two packages: the second POST goes on a new connection while the card may still be
# closing the first.
SCRIPT = "ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\nADD ./Vendor/B chr c\n"


def spin(stop):
    while not stop.is_set():
        pass


class Load:
    """Busy loops on every core while it is entered (bounded by the test's own length)."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.stop = multiprocessing.Event()
        self.workers = []

    def __enter__(self):
        if self.enabled:
            for _ in range(os.cpu_count() or 1):
                worker = multiprocessing.Process(target=spin, args=(self.stop,), daemon=True)
                worker.start()
                self.workers.append(worker)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for worker in self.workers:
            worker.join(10)


class CardSessions(ModemFixture, unittest.TestCase):
    mode = "raw-bip"

    def start_with_card_server(self):
        port = free_port()
        self.write("script", SCRIPT)
        self.write("bootstrap.xml", account_bootstrap(f"http://127.0.0.1:{port}/dm"))
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\nscws-mode={self.mode}\n"
                              f"[scws]\nport={port}\n[server]\npath=/dm\nserver-id=card.dm\n"
                              f"server-password=pw\nscript=script\n"
                              f"[trigger]\nwhen=never\nsession-id=77\n"
                              f"[card]\nbootstrap=bootstrap.xml\n")
        d = self.start_daemon()
        wait_until(lambda: str(port) in self.bus.busctl(
            "get-property", NAME, self.cards()[0], CARD_IFACE, "ScwsPorts").stdout
            and "applied" in self.bus.busctl("get-property", NAME, self.cards()[0], CARD_IFACE,
                                             "BootstrapState").stdout, what="card ready")
        return d

    def test_multi_package_sessions_in_a_row_all_end_well(self):
        d = self.start_with_card_server()
        failed = []
        with Load(LOAD), SignalWatcher(self.bus) as watcher:
            for n in range(SESSIONS):
                self.assertEqual(self.control("trigger"), "triggered")
                seen = watcher.wait_for("SessionFinished", timeout=60)
                if "'ok'" not in seen.split("SessionFinished")[-1]:
                    failed.append((n, seen[-300:]))
        _, _, err = d.stop()
        errors = [line for line in err.splitlines() if "failed, the tree is left" in line]
        self.assertEqual(failed, [], "\n".join(errors[:5]))
        self.assertEqual(err.count("changes saved"), SESSIONS)


class CardSessionsQmi(CardSessions):
    mode = "qmi"


if __name__ == "__main__":
    tap.main(CardSessions, CardSessionsQmi)
