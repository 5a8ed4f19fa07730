# SPDX-License-Identifier: LGPL-2.1-or-later
"""Local DM sessions with the card's server, one after another, as a real card serves them:
one HTTP request per connection (Connection: close), the channel busy until the card has
closed it. DMSCD_SESSIONS sessions in each SCWS mode (20 by default); with DMSCD_LOAD=1 every
core is kept busy meanwhile."""

import multiprocessing
import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import Agent, NAME, TIMEOUT, SignalWatcher  # noqa: E402
from modem_fixture import ModemFixture, add_leaf, add_node, read_tree  # noqa: E402
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


class CardServer(ModemFixture):
    """dmsc-sim whose card serves SCRIPT as card.dm, its bootstrap giving card.dm an account."""
    mode = "raw-bip"

    def start_with_card_server(self, ui_mode="background", script=SCRIPT, address=None):
        return self.start_card_server(script, mode=self.mode, ui_mode=ui_mode, address=address)

    def record(self):
        path = os.path.join(self.tmp.name, "record")
        if not os.path.exists(path):
            return ""  # the card's server was never asked anything
        with open(path) as f:
            return f.read()


class CardSessions(CardServer, unittest.TestCase):
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


    def test_each_session_of_a_script_with_its_number_changes_the_tree(self):
        # "{session}" in the card's script is the session's number: every session changes
        # the tree, and dmscd saves it every time.
        d = self.start_with_card_server(
            script="ADD ./Vendor/N chr first\nPACKAGE\nREPLACE ./Vendor/N chr v{session}\n")
        with SignalWatcher(self.bus) as watcher:
            for _ in range(3):
                self.assertEqual(self.control("trigger"), "triggered")
                self.assertIn("'ok'", watcher.wait_for("SessionFinished", timeout=60))
        d.stop()
        self.assertEqual(read_tree(os.path.join(self.tmp.name, "state", "tree"))
                         ["./Vendor/N"][2], b"v3")

    def test_a_value_larger_than_max_msg_size_arrives_in_chunks(self):
        # dmscd announces MaxMsgSize 16384: the card's server sends 40,000 bytes in chunks.
        d = self.start_with_card_server(script="ADD ./Vendor/Big chr " + "x" * 40000 + "\n")
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            self.assertIn("'ok'", watcher.wait_for("SessionFinished", timeout=60))
        d.stop()
        record = self.record()
        self.assertGreaterEqual(record.count('"status":213'), 2)
        self.assertIn('{"cmd":"Add","target":"./Vendor/Big","status":200}', record)
        self.assertEqual(read_tree(os.path.join(self.tmp.name, "state", "tree"))
                         ["./Vendor/Big"][2], b"x" * 40000)

    def test_trigger_options_choose_the_encoding_and_unknown_ones_are_refused(self):
        self.config = self.write("dmscd.conf", open(self.config).read()
                                 + "[session]\nencoding=wbxml\n")
        d = self.start_with_card_server()
        with SignalWatcher(self.bus) as watcher:
            # The card's trigger: the configured encoding.
            self.assertEqual(self.control("trigger"), "triggered")
            self.assertIn("'ok'", watcher.wait_for("SessionFinished", timeout=60))
            # Trigger() with an encoding of its own.
            r = self.bus.busctl("call", NAME, "/org/dmscd/Dmsc1", "org.dmscd.Dmsc1.Manager",
                                "Trigger", "sa{sv}", "card.dm", "1", "encoding", "s", "xml")
            self.assertIn("/org/dmscd/Dmsc1/Session/", r.stdout)
            self.assertIn("'ok'", watcher.wait_for("SessionFinished", timeout=60))
        starts = [line for line in self.record().splitlines() if '"start"' in line]
        self.assertEqual(starts, ['{"session":"start","encoding":"wbxml"}',
                                  '{"session":"start","encoding":"xml"}'])
        for options, why in (("{'colour': <'red'>}", 'unknown option "colour"'),
                             ("{'encoding': <'json'>}", 'not "json"'),
                             ("{'encoding': <uint32 1>}", "is a string")):
            r = subprocess.run(["gdbus", "call", "--address", self.bus.address, "--dest", NAME,
                                "--object-path", "/org/dmscd/Dmsc1", "--method",
                                "org.dmscd.Dmsc1.Manager.Trigger", "card.dm", options],
                               capture_output=True, text=True, timeout=TIMEOUT)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("org.dmscd.Dmsc1.Error.InvalidArgs", r.stderr)
            self.assertIn(why, r.stderr)
        d.stop()


class CardSessionsQmi(CardSessions):
    mode = "qmi"


DM_SERVER = os.environ["DMSC_DM_SERVER"]


class Restart(CardServer, unittest.TestCase):
    """A session cut by a stop runs again, from its start, at the next."""

    def start_a_session_that_hangs(self):
        """dmscd with a session running against the card's server, which is on the network
        here: a server that takes the connection and never answers, so that the session
        still runs when dmscd stops. Returns dmscd, and the port the server listens on."""
        hole = socket.socket()
        self.addCleanup(hole.close)
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        port = hole.getsockname()[1]
        d = self.start_with_card_server(address=f"http://127.0.0.1:{port}/dm")
        self.assertEqual(self.control("trigger"), "triggered")
        wait_until(lambda: '"running"' in self.bus.busctl(
            "get-property", NAME, "/org/dmscd/Dmsc1/Session/0", "org.dmscd.Dmsc1.Session",
            "State", check=False).stdout, what="the session running")
        return d, hole

    def assert_the_session_is_kept(self):
        with open(os.path.join(self.tmp.name, "state", "sessions")) as f:
            kept = f.read()
        self.assertIn("server-id=card.dm", kept)
        self.assertIn("attempts=1", kept)

    def test_a_session_cut_by_the_bus_going_away_is_kept_for_the_next_start(self):
        d, _ = self.start_a_session_that_hangs()
        self.bus.vanish()
        code, _, err = d.wait()
        self.assertEqual(code, 1, err)
        self.assertIn("lost the connection to the session bus", err)
        self.assert_the_session_is_kept()

    def test_a_session_cut_by_sigterm_runs_again_at_the_next_start(self):
        d, hole = self.start_a_session_that_hangs()
        port = hole.getsockname()[1]
        code, _, err = d.stop()
        self.assertEqual(code, 0)
        hole.close()
        self.assert_the_session_is_kept()
        # The server is up now; the next dmscd asks for the session again and runs it.
        script = self.write("net-script", SCRIPT)
        server = subprocess.Popen([DM_SERVER, "--script", script, "--port", str(port),
                                   "--server-id", "card.dm", "--server-password", "pw"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            self.assertIn(f":{port}/", server.stdout.readline())
            d = self.start_daemon()
            wait_until(lambda: '"finished"' in self.bus.busctl(
                "get-property", NAME, "/org/dmscd/Dmsc1/Session/0", "org.dmscd.Dmsc1.Session",
                "State", check=False).stdout, timeout=30, what="the session again, finished")
            self.assertIn("2", self.bus.busctl("get-property", NAME, "/org/dmscd/Dmsc1/Session/0",
                                               "org.dmscd.Dmsc1.Session", "Attempts").stdout)
            _, _, err = d.stop()
            self.assertIn("queued again, asked for before the last stop", err)
            self.assertEqual(read_tree(os.path.join(self.tmp.name, "state", "tree"))
                             ["./Vendor/B"][2], b"c")
        finally:
            server.terminate()
            server.wait(TIMEOUT)


class UiModes(CardServer, unittest.TestCase):
    """The notification's UI mode: who is told or asked before the session runs."""

    def run_with(self, ui_mode, answer=None, script=SCRIPT):
        """A card trigger in @ui_mode with an agent answering @answer (None: no agent);
        (the session's SessionFinished line, what the agent was asked, the record, stderr)."""
        d = self.start_with_card_server(ui_mode=ui_mode, script=script)
        agent = Agent(self.bus, answer) if answer is not None else None
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            finished = watcher.wait_for("SessionFinished", timeout=60).split("SessionFinished")[-1]
        self.state = self.bus.busctl("get-property", NAME, "/org/dmscd/Dmsc1/Session/0",
                                     "org.dmscd.Dmsc1.Session", "State").stdout
        _, _, err = d.stop()
        asked = agent.stop() if agent is not None else ""
        return finished, asked, self.record(), err

    def test_background_runs_without_asking(self):
        finished, asked, record, _ = self.run_with("background", "no")
        self.assertIn("'ok'", finished)
        self.assertNotIn("Confirm", asked)
        self.assertNotIn("DisplayAlert", asked)

    def test_informative_tells_the_agent_first_and_runs(self):
        finished, asked, _, _ = self.run_with("informative", "no")
        self.assertIn("'ok'", finished)
        self.assertIn('DisplayAlert The DM server "card.dm" manages this device now.', asked)
        finished, _, _, _ = self.run_with("informative")
        self.assertIn("'ok'", finished)

    def test_user_interaction_runs_only_when_the_user_agrees(self):
        finished, asked, record, _ = self.run_with("user-interaction", "yes")
        self.assertIn("'ok'", finished)
        self.assertIn('Confirm The DM server "card.dm" asks to manage this device.', asked)
        self.assertIn('"session":"start"', record)

    def test_user_interaction_refused_or_without_agent_never_reaches_the_server(self):
        for answer, result in (("no", "declined"), (None, "no-agent")):
            finished, _, record, err = self.run_with("user-interaction", answer)
            self.assertIn(f"'{result}'", finished)
            self.assertNotIn('"session":"start"', record)
            self.assertIn("not run:", err)
            self.assertIn('"failed"', self.state)

    def test_a_display_without_an_agent_is_journalled_and_answered_200(self):
        script = "ALERT-DISPLAY Maintenance tonight\nADD ./Vendor/A chr a\n"
        finished, _, record, err = self.run_with("background", script=script)
        self.assertIn("'ok'", finished)
        self.assertIn('{"cmd":"Alert","target":"","status":200}', record)
        self.assertIn("Maintenance tonight", err)
        # A question still gets 408 without an agent.
        finished, _, record, _ = self.run_with("background",
                                              script="ALERT-CONFIRM Update?\nADD ./X chr 1\n")
        self.assertIn('{"cmd":"Alert","target":"","status":408}', record)


ACCOUNT = "./DMAcc/CardDM"
ZEROS = "AAAAAA=="  # four zero bytes, base64: the nonces of a fresh card


def credentials_bootstrap(address, auth, client_nonce=ZEROS, server_nonce=ZEROS):
    """The card's bootstrap: card.dm's account at @address with both credentials, DIGEST or
    HMAC, and the nonces the card's server starts with."""
    kind = {"md5": "DIGEST", "hmac": "HMAC"}[auth]
    parts = [add_node(1, ACCOUNT), add_leaf(2, f"{ACCOUNT}/ServerID", "card.dm"),
             add_node(3, f"{ACCOUNT}/AppAddr"), add_node(4, f"{ACCOUNT}/AppAddr/1"),
             add_leaf(5, f"{ACCOUNT}/AppAddr/1/Addr", address), add_node(6, f"{ACCOUNT}/AppAuth")]
    cmd = 7
    for name, level, user, secret, nonce in (("Cli", "CLCRED", "device", "device-secret",
                                              client_nonce),
                                             ("Srv", "SRVCRED", "card.dm", "pw", server_nonce)):
        parts.append(add_node(cmd, f"{ACCOUNT}/AppAuth/{name}"))
        for leaf, value, fmt in (("AAuthLevel", level, "chr"), ("AAuthType", kind, "chr"),
                                 ("AAuthName", user, "chr"), ("AAuthSecret", secret, "chr"),
                                 ("AAuthData", nonce, "b64")):
            cmd += 1
            parts.append(add_leaf(cmd, f"{ACCOUNT}/AppAuth/{name}/{leaf}", value, fmt))
        cmd += 1
    return ("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>"
            "<VerProto>DM/1.2</VerProto><SessionID>0</SessionID><MsgID>1</MsgID>"
            "<Target><LocURI>dev</LocURI></Target><Source><LocURI>card</LocURI></Source>"
            "</SyncHdr><SyncBody>" + "".join(parts) + "<Final/></SyncBody></SyncML>")


class Authenticated(ModemFixture):
    """Sessions with the card's server signed both ways (MD5 or HMAC, XML or WBXML, raw BIP or
    the QMI SCWS messages), its nonces kept as a DM 1.2 server keeps them."""
    auth = "md5"
    encoding = "xml"
    mode = "raw-bip"

    def start_card(self, server="", bootstrap_nonces=None):
        return self.start_card_server(
            SCRIPT, mode=self.mode,
            bootstrap=lambda address: credentials_bootstrap(address, self.auth,
                                                            **(bootstrap_nonces or {})),
            server=f"client-name=device\nclient-password=device-secret\nauth={self.auth}\n"
                   f"encoding={self.encoding}\n{server}")

    def tree(self):
        return read_tree(os.path.join(self.tmp.name, "state", "tree"))

    def nonces(self):
        tree = self.tree()
        return (tree[f"{ACCOUNT}/AppAuth/Cli/AAuthData"][2],
                tree[f"{ACCOUNT}/AppAuth/Srv/AAuthData"][2])

    def trigger(self, watcher):
        """The card's trigger; the session's result."""
        self.assertEqual(self.control("trigger"), "triggered")
        seen = watcher.wait_for("SessionFinished", timeout=60)
        return seen.split("SessionFinished")[-1]

    def test_nonces_that_agree_rotate_and_sign_the_next_notification(self):
        d = self.start_card()
        before = self.nonces()
        with SignalWatcher(self.bus) as watcher:
            self.assertIn("'ok'", self.trigger(watcher))
            first = self.nonces()
            # Both nonces were handed on and saved with the session's changes.
            self.assertNotEqual(first[0], before[0])
            self.assertNotEqual(first[1], before[1])
            self.assertEqual(self.tree()["./Vendor/B"][2], b"c")
            # The card signs its next notification with the nonce dmscd gave its server.
            self.assertIn("'ok'", self.trigger(watcher))
            second = self.nonces()
            self.assertNotEqual(second, first)
        _, _, err = d.stop()
        self.assertEqual(err.count("not verified"), 0)
        self.assertEqual(err.count("changes saved"), 2)

    def test_nonces_that_differ_recover_in_the_same_session(self):
        # The account holds nonces the server does not: the server signs with zeros (and its
        # notification with the resynchronisation nonce), expects another client nonce.
        d = self.start_card(server="client-nonce=c2VydmVyLXNpZGU=\n",
                            bootstrap_nonces={"server_nonce": "ZGV2aWNlLXNpZGU=",
                                              "client_nonce": "ZGV2aWNlLW93bg=="})
        with SignalWatcher(self.bus) as watcher:
            self.assertIn("'ok'", self.trigger(watcher))
        with open(os.path.join(self.tmp.name, "record")) as f:
            record = f.read()
        # dmscd's first credentials were refused and sent again with the server's NextNonce;
        # the server's were challenged and signed again with dmscd's.
        self.assertIn('"status":401', record)
        self.assertIn('"session":"end","packages":2,"auth":"ok"', record)
        self.assertEqual(self.tree()["./Vendor/B"][2], b"c")
        d.stop()

    def test_a_server_that_will_not_sign_again_fails_the_session(self):
        # dmscd challenges the server (its nonce is not the account's); it does not sign again.
        d = self.start_card(server="misbehave=no-retry\n",
                            bootstrap_nonces={"server_nonce": "ZGV2aWNlLXNpZGU="})
        before = self.tree()
        with SignalWatcher(self.bus) as watcher:
            self.assertIn("'auth-failed'", self.trigger(watcher))
        self.assertEqual(self.tree(), before)
        d.stop()

    def test_a_wrong_secret_fails_the_session_and_changes_nothing(self):
        d = self.start_card(server="misbehave=wrong-secret\n")
        before = self.tree()
        with SignalWatcher(self.bus) as watcher:
            self.assertIn("'auth-failed'", self.trigger(watcher))
        self.assertEqual(self.tree(), before)
        _, _, err = d.stop()
        self.assertIn("the server failed to authenticate", err)
        for secret in ("device-secret", "pw-wrong", "=pw", '"pw"'):
            self.assertNotIn(secret, err)


def authenticated(auth, encoding, mode):
    name = f"Authenticated_{auth}_{encoding}_{mode.replace('-', '_')}"
    return type(name, (Authenticated, unittest.TestCase),
                {"auth": auth, "encoding": encoding, "mode": mode})


AUTHENTICATED = [authenticated(a, e, m) for a in ("md5", "hmac") for e in ("xml", "wbxml")
                 for m in ("raw-bip", "qmi")]


if __name__ == "__main__":
    if LOAD:
        tap.main(CardSessions, CardSessionsQmi)
    else:
        tap.main(CardSessions, CardSessionsQmi, UiModes, Restart, *AUTHENTICATED)
