# SPDX-License-Identifier: LGPL-2.1-or-later
"""The card's web server through dmscd's gateway, over raw BIP and over the QMI SCWS messages."""

import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import NAME, TIMEOUT, wait_until  # noqa: E402
from modem_fixture import CARD_IFACE, SIM, ModemFixture, free_port  # noqa: E402

PACKAGE1 = """<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>
<VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>
<Target><LocURI>card.dm</LocURI></Target><Source><LocURI>IMEI:1</LocURI></Source></SyncHdr>
<SyncBody><Alert><CmdID>1</CmdID><Data>1200</Data></Alert><Final/></SyncBody></SyncML>"""


class ScwsRawBip(ModemFixture, unittest.TestCase):
    """The card runs its web server over raw BIP; curl reaches it through dmscd's gateway."""

    MODE = "raw-bip"

    def setUp(self):
        super().setUp()
        self.sim.terminate()
        self.sim.wait(TIMEOUT)
        wait_until(lambda: not os.path.exists(self.control_path), what="old dmsc-sim gone")
        self.port = free_port()
        # A value big enough for the answer to travel in several SEND DATA commands or
        # several QMI Send Data packets.
        self.write("script", "ADD ./Vendor/FromCard chr hello\nADD ./Vendor/Big chr "
                             + "x" * 2500 + "\n")
        # Three channels on the port, as a card serving several clients at once opens them:
        # two for local clients, the last kept for dmscd's own sessions.
        profile = self.write("profile", f"[modem]\nsocket={self.socket_name}\n"
                                        f"scws-mode={self.MODE}\n[scws]\nport={self.port}\n"
                                        f"channels=3\n"
                                        f"[server]\npath=/dm\nserver-id=card.dm\n"
                                        f"script=script\nrecord=record\n")
        self.sim = subprocess.Popen([SIM, "--profile", profile, "--control", self.control_path],
                                    stdout=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(self.control_path), what="dmsc-sim")

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--max-time", "10", *args],
                              capture_output=True, text=True, timeout=TIMEOUT + 5)

    def wait_scws(self):
        path = self.cards()[0]
        wait_until(lambda: str(self.port) in self.bus.busctl(
            "get-property", NAME, path, CARD_IFACE, "ScwsPorts").stdout, what="SCWS port")

    def test_curl_fetches_the_cards_page_through_the_gateway(self):
        self.start_daemon()
        self.wait_scws()
        r = self.curl(f"http://127.0.0.1:{self.port}/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dmsc-sim SCWS", r.stdout)
        # The channel went back to listen: a second request is served too.
        r = self.curl(f"http://127.0.0.1:{self.port}/again")
        self.assertIn("dmsc-sim SCWS", r.stdout)

    def http_exchange(self, client, path):
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: card\r\n\r\n".encode())
        data = b""
        while True:
            chunk = client.recv(65536)
            if not chunk:
                return data.decode(errors="replace")
            data += chunk

    def test_two_clients_are_served_at_once_and_a_third_waits_for_a_channel(self):
        self.start_daemon()
        self.wait_scws()
        ports = self.bus.busctl("get-property", NAME, self.cards()[0], CARD_IFACE,
                                "ScwsPorts").stdout.strip()
        self.assertEqual(ports, f"aq 1 {self.port}")
        first = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        second = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        third = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        try:
            # Both channels for local clients hold one: a third waits, unanswered but not closed,
        # though the card's third channel is free (it is kept for dmscd's sessions).
            third.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                third.recv(100)
            third.settimeout(TIMEOUT)
            # The second is served while the first still holds the other channel.
            answer = self.http_exchange(second, "/second")
            self.assertIn("200 OK", answer)
            self.assertIn("dmsc-sim SCWS", answer)
            # The card closed the second's connection: the third has its channel now.
            answer = self.http_exchange(third, "/third")
            self.assertIn("dmsc-sim SCWS", answer)
            answer = self.http_exchange(first, "/first")
            self.assertIn("dmsc-sim SCWS", answer)
        finally:
            for s in (first, second, third):
                s.close()

    def test_the_card_taken_out_closes_its_port_and_put_back_opens_it(self):
        self.start_daemon()
        self.wait_scws()
        self.assertEqual(self.control("remove-card"), "removed")
        wait_until(lambda: self.cards() == [], what="card object gone")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT).close()
        self.assertEqual(self.control("insert-card"), "inserted")
        wait_until(lambda: len(self.cards()) == 1, what="card object back")
        self.wait_scws()
        r = self.curl(f"http://127.0.0.1:{self.port}/")
        self.assertIn("dmsc-sim SCWS", r.stdout)

    def test_the_cards_dm_server_answers_through_the_gateway(self):
        self.start_daemon()
        self.wait_scws()
        r = self.curl("-H", "Content-Type: application/vnd.syncml.dm+xml",
                      "--data-binary", PACKAGE1, f"http://127.0.0.1:{self.port}/dm")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("<LocURI>./Vendor/FromCard</LocURI>", r.stdout)
        self.assertIn("<Data>hello</Data>", r.stdout)
        self.assertIn("<Data>" + "x" * 2500 + "</Data>", r.stdout)

    def test_the_modem_dropping_mid_transfer_ends_cleanly_and_the_card_returns(self):
        d = self.start_daemon()
        self.wait_scws()
        client = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        client.sendall(b"POST /dm HTTP/1.1\r\nContent-Length: 100000\r\n\r\npartial")
        self.assertEqual(self.control("drop"), "dropped")
        wait_until(lambda: self.cards() == [], what="card removed")
        # The gateway went with the card: the client sees its connection end, closed or,
        # when bytes it sent were still unread, reset.
        client.settimeout(TIMEOUT)
        try:
            self.assertEqual(client.recv(100), b"")
        except ConnectionResetError:
            pass
        client.close()
        wait_until(lambda: len(self.cards()) == 1, timeout=15, what="card back")
        self.wait_scws()
        r = self.curl(f"http://127.0.0.1:{self.port}/")
        self.assertIn("dmsc-sim SCWS", r.stdout)
        self.assertIsNone(d.process.poll())

    def test_the_bus_and_a_stop_are_answered_while_a_client_streams_to_the_card(self):
        """While a client sends without pause (the card asks for every piece, the gateway
        hands it over, and something of the modem's is nearly always ready), bus calls are
        answered and SIGTERM stops dmscd all the same. A bus or a signal source below the
        modem's priority would wait for the end of the stream: busctl or the stop would time
        out and the test fail (it did, in the QMI SCWS mode, with both one step below)."""
        d = self.start_daemon()
        self.wait_scws()
        path = self.cards()[0]
        client = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        client.sendall(b"POST /stream HTTP/1.1\r\nContent-Length: 100000000000\r\n\r\n")
        sent = 0
        stop = threading.Event()

        def stream():
            nonlocal sent
            piece = b"s" * 4096
            try:
                while not stop.is_set():
                    client.sendall(piece)
                    sent += len(piece)
            except OSError:
                pass

        writer = threading.Thread(target=stream)
        writer.start()
        try:
            wait_until(lambda: sent > 1 << 20, what="a megabyte on its way to the card")
            for _ in range(20):
                before = sent
                r = self.bus.busctl("get-property", NAME, path, CARD_IFACE, "ScwsPorts")
                self.assertIn(str(self.port), r.stdout)
                # Answered while the stream went on, not after it stopped.
                wait_until(lambda: sent > before, what="the stream going on")
            status, _, _ = d.stop()
            self.assertEqual(status, 0)
        finally:
            stop.set()
            client.close()
            writer.join(TIMEOUT)
        self.assertGreater(sent, 1 << 20)

    def test_the_gateway_listens_on_loopback_only(self):
        self.start_daemon()
        self.wait_scws()
        out = subprocess.run(["ss", "-Hltn", f"sport = :{self.port}"], capture_output=True,
                             text=True).stdout
        self.assertIn(f"127.0.0.1:{self.port}", out)
        self.assertNotIn(f"0.0.0.0:{self.port}", out)


class ScwsQmi(ScwsRawBip):
    """The same card web server, reached over the QMI SCWS messages instead."""

    MODE = "qmi"

    def acks(self):
        return [line[4:] for line in self.control("scws-acks").splitlines()
                if line.startswith("ack ")]

    def test_send_data_packets_out_of_order_are_refused_and_nothing_reaches_the_client(self):
        self.start_daemon()
        self.wait_scws()
        client = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        try:
            wait_until(lambda: self.control("busy") == "idle", what="card idle")
            # Packet 2 of 2 before packet 1: refused, nothing written.
            self.assertEqual(self.control("scws-send 1 2 2 6c617465"), "sent")
            wait_until(lambda: self.acks()[-1:] == ["1 0"], what="refusal")
            # A whole message: acknowledged and written to the client.
            self.assertEqual(self.control("scws-send 1 2 1 6869"), "sent")
            self.assertEqual(self.control("scws-send 1 2 2 2100"), "sent")
            wait_until(lambda: self.acks()[-2:] == ["1 1", "1 1"], what="acknowledgements")
            client.settimeout(TIMEOUT)
            self.assertEqual(client.recv(100), b"hi!\x00")
        finally:
            client.close()


if __name__ == "__main__":
    tap.main(ScwsRawBip, ScwsQmi)
