# SPDX-License-Identifier: LGPL-2.1-or-later
"""The card's own DM notifications, and the sessions they start with the card's server."""

import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import Agent, NAME, TIMEOUT, SignalWatcher, wait_until  # noqa: E402
from modem_fixture import CARD_IFACE, ModemFixture, account_bootstrap, read_tree  # noqa: E402


class Trigger(ModemFixture, unittest.TestCase):
    """The card's own DM notification, sent by SEND SHORT MESSAGE."""

    def restart_sim(self, trigger, modem="", card=""):
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\n{modem}"
                              f"[server]\nserver-id=card.dm\nserver-password=pw\n"
                              f"[trigger]\nwhen={trigger}\nsession-id=77\nui-mode=background\n"
                              f"[card]\n{card}")

    def test_trigger_at_start_reaches_dmscd(self):
        self.restart_sim("start")
        # Watching before dmscd owns its name: the card may trigger as soon as it is read.
        with SignalWatcher(self.bus) as watcher:
            d = self.start_daemon()
            watcher.wait_for("NotificationReceived")
        _, _, err = d.stop()
        self.assertIn('DM notification from the card for server "card.dm", session 77', err)

    def test_the_cards_own_trigger_reaches_dmscd_when_the_modem_sends_it(self):
        self.restart_sim("never", modem="full-function=false\n")
        d = self.start_daemon()
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            watcher.wait_for("NotificationReceived")
        # The card got the modem's TR (00) after dmscd's Event Confirmation: it goes on.
        wait_until(lambda: self.control("busy") == "idle", what="card idle")
        d.stop()

    def start_with_card_server(self, script, mode="raw-bip"):
        """dmsc-sim whose card serves @script as card.dm over @mode SCWS, its bootstrap
        giving card.dm an account at that address; dmscd started, the card ready."""
        return self.start_card_server(script, mode=mode)

    def session_property(self, path, name):
        return self.bus.busctl("get-property", NAME, path, "org.dmscd.Dmsc1.Session", name,
                               check=False).stdout.strip()

    def test_a_verified_trigger_runs_a_session_with_the_cards_server_over_the_scws(self):
        d = self.start_with_card_server("ADD ./Vendor/FromCard chr hello\n")
        self.assertEqual(self.control("trigger"), "triggered")
        tree = os.path.join(self.tmp.name, "state", "tree")
        wait_until(lambda: "./Vendor/FromCard" in read_tree(tree), timeout=20,
                   what="the card's server's change saved")
        self.assertEqual(read_tree(tree)["./Vendor/FromCard"][2], b"hello")
        with open(os.path.join(self.tmp.name, "record")) as f:
            record = f.read()
        # The card's server saw the Add done and the session end, authenticated.
        self.assertIn('{"cmd":"Add","target":"./Vendor/FromCard","status":200}', record)
        self.assertIn('{"session":"end","packages":1,"auth":"ok"}', record)
        # The session is an object on the bus, with what it changed.
        session = "/org/dmscd/Dmsc1/Session/0"
        self.assertEqual(self.session_property(session, "State"), 's "finished"')
        self.assertEqual(self.session_property(session, "Origin"), 's "card"')
        self.assertEqual(self.session_property(session, "SessionId"), 's "4D"')
        self.assertEqual(self.session_property(session, "Changes"),
                         'a(sss) 1 "./Vendor/FromCard" "Add" "200"')
        self.assertIn('"result" s "ok"', self.session_property(session, "Result"))
        started = int(self.session_property(session, "Started").split()[1])
        ended = int(self.session_property(session, "Ended").split()[1])
        self.assertGreater(started, 0)
        self.assertGreaterEqual(ended, started)
        # Trigger(): a session for a server without an account is not found; one with an
        # account is queued, runs and is announced when it ends.
        missing = subprocess.run(["gdbus", "call", "--address", self.bus.address, "--dest", NAME,
                                  "--object-path", "/org/dmscd/Dmsc1", "--method",
                                  "org.dmscd.Dmsc1.Manager.Trigger", "nobody.example", "{}"],
                                 capture_output=True, text=True, timeout=TIMEOUT)
        self.assertIn("org.dmscd.Dmsc1.Error.NotFound", missing.stderr)
        with SignalWatcher(self.bus) as watcher:
            r = self.bus.busctl("call", NAME, "/org/dmscd/Dmsc1", "org.dmscd.Dmsc1.Manager",
                                "Trigger", "sa{sv}", "card.dm", "0")
            self.assertEqual(r.stdout.strip(), 'o "/org/dmscd/Dmsc1/Session/1"')
            seen = watcher.wait_for("SessionFinished")
        self.assertIn("/org/dmscd/Dmsc1/Session/1", seen)
        # The card closed its channels after each answer, on the same port: not news.
        self.assertNotIn("ScwsPorts", seen)
        self.assertEqual(self.session_property("/org/dmscd/Dmsc1/Session/1", "Origin"),
                         's "local"')
        _, _, err = d.stop()
        self.assertIn('DM session 4D with "card.dm" (card): started', err)
        self.assertIn('DM session 4D with "card.dm" (card): finished, 1 changes saved', err)

    def test_local_clients_holding_every_channel_they_may_do_not_lock_the_cards_session_out(self):
        d = self.start_card_server("ADD ./Vendor/FromCard chr hello\n", scws="channels=2\n")
        # The card offers two channels: one client holds the first, another waits for the
        # second, which is kept for dmscd's own session with the card's server.
        holder = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        waiter = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        # Another process on dmscd's own socket is closed at once.
        stranger = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            stranger.settimeout(TIMEOUT)
            stranger.connect(f"\0dmscd/{d.process.pid}/scws/{self.port}")
            self.assertEqual(stranger.recv(100), b"")
            with SignalWatcher(self.bus) as watcher:
                self.assertEqual(self.control("trigger"), "triggered")
                seen = watcher.wait_for("SessionFinished", timeout=30)
            self.assertIn("'ok'", seen)
            tree = read_tree(os.path.join(self.tmp.name, "state", "tree"))
            self.assertEqual(tree["./Vendor/FromCard"][2], b"hello")
            # The kept channel stays kept; the holder's, once it lets go, goes to the waiter.
            holder.close()
            waiter.sendall(b"GET /after HTTP/1.1\r\nHost: card\r\n\r\n")
            self.assertIn(b"dmsc-sim SCWS", waiter.recv(65536))
        finally:
            for s in (holder, waiter, stranger):
                s.close()
        _, _, err = d.stop()
        self.assertIn("another process on dmscd's own socket", err)

    def test_a_session_with_the_cards_server_over_the_qmi_scws_messages(self):
        # A value long enough for the server's answer to need several Send Data packets.
        d = self.start_with_card_server("ADD ./Vendor/Big chr " + "x" * 3000 + "\n", mode="qmi")
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            seen = watcher.wait_for("SessionFinished", timeout=30)
        self.assertIn("'ok'", seen)
        tree = read_tree(os.path.join(self.tmp.name, "state", "tree"))
        self.assertEqual(tree["./Vendor/Big"][2], b"x" * 3000)
        d.stop()

    def run_sessions_with_a_card_that(self, mode, scws):
        """Two card-triggered two-package sessions with a card whose [scws] has @scws: the card's
        web server's (connections, requests) after each."""
        d = self.start_card_server("ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\n",
                                   mode=mode, scws=scws)
        counts = []
        for _ in range(2):
            with SignalWatcher(self.bus) as watcher:
                self.assertEqual(self.control("trigger"), "triggered")
                seen = watcher.wait_for("SessionFinished", timeout=30)
            self.assertIn("'ok'", seen)
            counts.append(tuple(map(int, self.control("scws-counts").split()[1:])))
        _, _, err = d.stop()
        self.assertEqual(err.count('DM session 4D with "card.dm" (card): finished'), 2, err)
        return counts

    def test_a_card_that_keeps_its_connection_serves_each_session_on_one(self):
        # Three POSTs a session (two packages, then the end) on one connection; the session's
        # end lets the connection go, the card closes it, and the next session has the channel.
        for mode in ("raw-bip", "qmi"):
            with self.subTest(mode):
                self.assertEqual(self.run_sessions_with_a_card_that(mode, "keep-alive=true\n"),
                                 [(1, 3), (2, 6)])

    def test_a_card_that_closes_without_saying_so_still_serves_each_session(self):
        # No "Connection: close", yet the card closes after each answer: a message that meets
        # the closing connection is sent again on a new one (what it was sent on is counted
        # too); the sessions end well all the same.
        for mode in ("raw-bip", "qmi"):
            with self.subTest(mode):
                counts = self.run_sessions_with_a_card_that(mode, "close-silently=true\n")
                self.assertEqual([requests for _, requests in counts], [3, 6])
                self.assertGreaterEqual(counts[0][0], 3)

    def run_session_with_agent(self, answer):
        """A card-triggered session whose server asks for a confirmation, an agent answering
        @answer (None: no agent); the server's record."""
        d = self.start_with_card_server("ALERT-CONFIRM Update now?\n"
                                        "ADD ./Vendor/FromCard chr hello\n")
        agent = Agent(self.bus, answer) if answer is not None else None
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            watcher.wait_for("SessionFinished", timeout=30)
        d.stop()
        asked = agent.stop(until="Release") if agent is not None else ""
        with open(os.path.join(self.tmp.name, "record")) as f:
            return f.read(), asked

    def test_the_agent_confirms_a_servers_question(self):
        record, asked = self.run_session_with_agent("yes")
        self.assertIn("Confirm Update now?", asked)
        self.assertIn('{"cmd":"Alert","target":"","status":200}', record)
        self.assertIn('{"cmd":"Add","target":"./Vendor/FromCard","status":200}', record)
        # dmscd let the agent go as it stopped.
        self.assertIn("Release", asked)

    def test_the_agent_refuses_a_servers_question(self):
        record, asked = self.run_session_with_agent("no")
        self.assertIn('{"cmd":"Alert","target":"","status":304}', record)

    def test_without_an_agent_nobody_answers(self):
        record, _ = self.run_session_with_agent(None)
        self.assertIn('{"cmd":"Alert","target":"","status":408}', record)

    def test_the_card_taken_out_mid_session_changes_nothing_and_put_back_serves_it(self):
        """The session waits for the user (the agent holds its answer) when the card is taken
        out: the answer then finds no card's server to go to, and the card's account goes with
        the card, so the attempt after it finds none either. The session fails, the tree is as
        it was; the card put back, the session it triggers again ends well."""
        d = self.start_with_card_server("ALERT-CONFIRM Update now?\n"
                                        "ADD ./Vendor/FromCard chr hello\n")
        tree = os.path.join(self.tmp.name, "state", "tree")
        agent = Agent(self.bus, "hold")
        try:
            with SignalWatcher(self.bus) as watcher:
                self.assertEqual(self.control("trigger"), "triggered")
                self.assertIn("Confirm Update now?", agent.read_until("Confirm"))
                self.assertEqual(self.control("remove-card"), "removed")
                wait_until(lambda: self.cards() == [], what="the card's object gone")
                agent.release()
                seen = watcher.wait_for("SessionFinished", timeout=30)
            self.assertIn("/org/dmscd/Dmsc1/Session/0", seen)
            self.assertNotIn("./Vendor/FromCard", read_tree(tree))
            self.assertNotIn('"ok"', self.session_property("/org/dmscd/Dmsc1/Session/0",
                                                           "Result"))
            # Back: the card is read again and its next trigger runs a session that ends well.
            self.assertEqual(self.control("insert-card"), "inserted")
            wait_until(lambda: len(self.cards()) == 1 and str(self.port) in self.bus.busctl(
                "get-property", NAME, self.cards()[0], CARD_IFACE, "ScwsPorts").stdout,
                timeout=20, what="the card back with its port")
            with SignalWatcher(self.bus) as watcher:
                self.assertEqual(self.control("trigger"), "triggered")
                agent.read_until("Confirm Update now?\nConfirm")
                agent.release()
                watcher.wait_for("SessionFinished", timeout=30)
            wait_until(lambda: "./Vendor/FromCard" in read_tree(tree), what="the change saved")
        finally:
            agent.stop()
        status, _, _ = d.stop()
        self.assertEqual(status, 0)

    def test_trigger_on_command_is_signalled_with_the_package(self):
        self.restart_sim("never")
        self.start_daemon()
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            seen = watcher.wait_for("NotificationReceived")
        self.assertIn("'server-id': <'card.dm'>", seen)
        self.assertIn("'session-id': <uint16 77>", seen)
        self.assertIn("'ui-mode': <'background'>", seen)
        self.assertIn("'origin': <'card'>", seen)
        # No account for card.dm in the tree: the digest cannot be checked.
        self.assertIn("'verified': <false>", seen)

    def test_a_trigger_signed_with_the_cards_account_verifies(self):
        # The card's bootstrap gives card.dm an account with the server secret (pw) and
        # nonce (four zero bytes) its notification is signed with.
        with open(os.path.join(self.tmp.name, "bootstrap.xml"), "w") as f:
            f.write(account_bootstrap())
        self.restart_sim("never", card="bootstrap=bootstrap.xml\n")
        d = self.start_daemon()
        wait_until(lambda: "applied" in self.bus.busctl(
            "get-property", NAME, self.cards()[0], CARD_IFACE, "BootstrapState").stdout,
            what="bootstrap applied")
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control("trigger"), "triggered")
            seen = watcher.wait_for("NotificationReceived")
        self.assertIn("'verified': <true>", seen)
        _, _, err = d.stop()
        self.assertNotIn("not verified", err)
        # The session it asks for needs the server's address, which this account lacks.
        self.assertIn('DM session 4D with "card.dm" (card): not started: the account has no '
                      'address (AppAddr)', err)


if __name__ == "__main__":
    tap.main(Trigger)
