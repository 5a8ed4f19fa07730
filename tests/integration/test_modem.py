# SPDX-License-Identifier: LGPL-2.1-or-later
"""dmscd with a configured modem: the real libqmi QmiDevice against dmsc-sim, on a private bus."""

import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import (  # noqa: E402
    Agent, Fixture, NAME, TIMEOUT, SignalWatcher, sim_control, wait_until)

SIM = os.environ["DMSC_SIM"]
VECTORS_H = os.path.join(os.path.dirname(__file__), "..", "cat", "vectors.h")
VECTORS = dict(re.findall(r'\{ "(\w+)", "([0-9a-f]+)" \}', open(VECTORS_H).read()))
CARD_IFACE = "org.dmscd.Dmsc1.Card"

# Every command that travels in a raw Event Report TLV, with the answer dmscd owes it: the
# general result of its TR, or the Event Confirmation (user confirmed, icon shown) of a
# command the modem runs itself: the simulated modem is in android mode (2), so BIP is its own.
RAW_COMMANDS = {
    "display_text_8bit": "30", "get_inkey": "30", "get_input": "30", "select_item": "30",
    "set_up_menu": "30", "set_up_idle_mode_text": "30", "language_notification": "00",
    "play_tone": "30", "set_up_call": "confirmed 0 0", "launch_browser": "30",
    "send_ussd": "confirmed 1 0", "provide_local_information": "30", "set_up_event_list": "00",
    "close_channel": "confirmed 1 0", "receive_data": "confirmed 1 0",
    "send_data_immediate": "confirmed 1 0", "open_channel_client": "confirmed 1 0",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ModemFixture(Fixture):
    """dmsc-sim with a profile, and dmscd configured for its device."""

    def setUp(self):
        super().setUp()
        self.socket_name = f"dmsc-sim-{os.getpid()}-{id(self)}"
        self.control_path = os.path.join(self.tmp.name, "control")
        profile = self.write("profile", f"[modem]\nsocket={self.socket_name}\n"
                                        f"[card]\niccid=8949000000001234567\n")
        self.sim = subprocess.Popen([SIM, "--profile", profile, "--control", self.control_path],
                                    stdout=subprocess.DEVNULL)
        # The simulator goes before the bus and the directory, whatever fails after this.
        self.addCleanup(self.stop_sim)
        wait_until(lambda: os.path.exists(self.control_path), what="dmsc-sim")
        self.config = self.write("dmscd.conf",
                                 f"[daemon]\nstate-directory={self.tmp.name}/state\n"
                                 f"[modem]\ndevice=/dev/cdc-wdm-sim\n"
                                 f"proxy-path={self.socket_name}\n")

    def stop_sim(self):
        if self.sim.poll() is None:
            self.sim.terminate()
            self.sim.wait(TIMEOUT)

    def restart_sim_with(self, profile_text):
        self.sim.terminate()
        self.sim.wait(TIMEOUT)
        wait_until(lambda: not os.path.exists(self.control_path), what="old dmsc-sim gone")
        profile = self.write("profile", profile_text)
        self.sim = subprocess.Popen([SIM, "--profile", profile, "--control", self.control_path],
                                    stdout=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(self.control_path), what="dmsc-sim")

    def control(self, line, timeout=TIMEOUT):
        return sim_control(self.control_path, line, timeout)

    def cards(self):
        out = self.bus.busctl("tree", "--list", NAME, check=False).stdout
        return [line for line in out.split() if line.startswith("/org/dmscd/Dmsc1/Card/")]

    def start_daemon(self):
        d = self.start(config=self.config)
        self.notify.wait_for("READY=1")
        wait_until(lambda: len(self.cards()) == 1, what="card object")
        return d

    def command(self, hexstr):
        return self.control(f"command {hexstr}")

    def start_card_server(self, script, mode="raw-bip", ui_mode="background", address=None,
                          server="", bootstrap=None, scws=""):
        """dmsc-sim whose card serves @script as card.dm over @mode SCWS (with @server's extra
        [server] lines), its bootstrap applied: @bootstrap(address), or account_bootstrap, for
        @address or the card's own server; dmscd started, the card ready. Sets self.port."""
        self.port = free_port()
        address = address or f"http://127.0.0.1:{self.port}/dm"
        self.write("script", script)
        self.write("bootstrap.xml", (bootstrap or account_bootstrap)(address))
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\nscws-mode={mode}\n"
                              f"[scws]\nport={self.port}\n{scws}"
                              f"[server]\npath=/dm\nserver-id=card.dm\n"
                              f"server-password=pw\nscript=script\nrecord=record\n{server}"
                              f"[trigger]\nwhen=never\nsession-id=77\nui-mode={ui_mode}\n"
                              f"[card]\nbootstrap=bootstrap.xml\n")
        d = self.start_daemon()
        wait_until(lambda: str(self.port) in self.bus.busctl(
            "get-property", NAME, self.cards()[0], CARD_IFACE, "ScwsPorts").stdout
            and "applied" in self.bus.busctl("get-property", NAME, self.cards()[0], CARD_IFACE,
                                             "BootstrapState").stdout, what="card ready")
        return d

    def client_services(self):
        """The QMI services that hold a client id on the simulator, in order: 10 CAT2, 11 UIM."""
        words = self.control("cids").split()[1:]
        return sorted(int(word.split(":")[0]) for word in words)


class Modem(ModemFixture, unittest.TestCase):
    def test_card_object_appears_with_its_modem_and_cid_is_held_then_released(self):
        d = self.start_daemon()
        path = self.cards()[0]
        modem = self.bus.busctl("get-property", NAME, path, CARD_IFACE, "Modem").stdout
        self.assertEqual(modem.strip(), 's "/dev/cdc-wdm-sim"')
        wait_until(lambda: "8949000000001234567" in self.bus.busctl(
            "get-property", NAME, path, CARD_IFACE, "Identifier").stdout, what="ICCID")
        # The CAT2 client and the UIM one that follows the card (and reads it) are kept.
        wait_until(lambda: self.client_services() == [10, 11], what="cids")
        wait_until(lambda: "none" in self.bus.busctl(
            "get-property", NAME, path, CARD_IFACE, "BootstrapState").stdout, what="card read")
        r = self.ctl("--session", "status")
        self.assertEqual(r.stdout.splitlines()[4].split(),
                         [path.split("/")[-1], "/dev/cdc-wdm-sim", "8949000000001234567", "-",
                          "none", "-", "-"])
        status, _, err = d.stop()
        self.assertEqual(status, 0, err)
        self.assertEqual(self.control("cids"), "cids")

    def test_bip_in_custom_raw_mode_gets_terminal_responses(self):
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\nconfig-mode=5\n")
        self.start_daemon()
        for name in ("close_channel", "receive_data", "send_data_immediate"):
            with self.subTest(name):
                self.assertIn("83023a03", self.command(VECTORS[name]))
        self.assertIn("830130", self.command(VECTORS["open_channel_client"]))

    def test_every_raw_command_is_answered(self):
        self.start_daemon()
        for name, result in RAW_COMMANDS.items():
            with self.subTest(name):
                answer = self.command(VECTORS[name])
                if result.startswith("confirmed"):
                    self.assertEqual(answer, result)
                    continue
                self.assertTrue(answer.startswith("tr 81"), answer)
                self.assertIn("830" + str(len(result) // 2) + result, answer)

    def test_a_short_message_of_the_cards_own_without_modemmanager_is_beyond_capabilities(self):
        self.start_daemon()
        # SMS-SUBMIT to +123456, "Hello": no ModemManager here to send it.
        answer = self.command("d01a8103011300820281838b0f01000691214365000005c8329bfd06")
        self.assertEqual(answer, "tr 810301130082028281830130")

    def test_malformed_command_gets_36(self):
        self.start_daemon()
        # DISPLAY TEXT without its text string.
        self.assertEqual(self.command("d009810301218082028102"), "tr 810301218082028281830136")

    def test_send_short_message_with_dm_push_is_consumed_and_signalled(self):
        self.start_daemon()
        with SignalWatcher(self.bus) as watcher:
            answer = self.command(VECTORS["send_short_message_dm_push"])
            self.assertEqual(answer, "tr 810301130082028281830100")
            seen = watcher.wait_for("NotificationReceived")
        self.assertIn("NotificationReceived", seen)
        self.assertIn("'server-id': <'com.example.dm'>", seen)
        self.assertIn("'session-id': <uint16 4660>", seen)
        self.assertIn("'origin': <'card'>", seen)
        self.assertIn("'ui-mode': <'informative'>", seen)

    def test_raw_bip_channel_carries_http_both_ways(self):
        # Custom raw mode: the host's terminal profile, so dmscd is the terminal BIP talks to.
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\nconfig-mode=5\n")
        self.start_daemon()
        path = self.cards()[0]
        port = free_port()
        self.assertEqual(self.command(VECTORS["set_up_event_list"]),
                         "tr 810301050082028281830100")
        answer = self.command(f"d012810301400182028182b90205783c0303{port:04x}")
        self.assertEqual(answer, "tr 81030140018202828183010038024100390205" "78")
        ports = self.bus.busctl("get-property", NAME, path, CARD_IFACE, "ScwsPorts").stdout
        self.assertEqual(ports.strip(), f"aq 1 {port}")
        client = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        request = b"GET / HTTP/1.0\r\n\r\n"
        client.sendall(request)
        wait_until(lambda: "b701" in self.control("envelopes"), what="data available")
        envelopes = self.control("envelopes")
        self.assertIn("envelope d60b99010a82028281b8028100", envelopes)
        answer = self.command("d00c810301420082028121b701c8")
        self.assertIn(request.hex(), answer)
        body = b"HTTP/1.0 200 OK\r\n\r\ncard"
        data = f"b6{len(body):02x}{body.hex()}"
        answer = self.command(f"d0{9 + 2 + len(body):02x}8103014301820281 21{data}"
                              .replace(" ", ""))
        self.assertTrue(answer.startswith("tr 810301430182028281830100"), answer)
        received = b""
        while not received.endswith(b"card"):
            received += client.recv(1024)
        self.assertEqual(received, body)
        client.close()
        wait_until(lambda: "b8024100" in self.control("envelopes"), what="listen again")

    def test_a_modem_that_keeps_short_messages_is_confirmed_and_the_trigger_still_seen(self):
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\nfull-function=false\n")
        d = self.start_daemon()
        with SignalWatcher(self.bus) as watcher:
            # The modem sends the message itself: no TR, an Event Confirmation.
            self.assertEqual(self.command(VECTORS["send_short_message_dm_push"]), "confirmed 1 0")
            seen = watcher.wait_for("NotificationReceived")
        self.assertIn("'server-id': <'com.example.dm'>", seen)
        _, _, err = d.stop()
        self.assertIn("the modem sends the card's short messages itself", err)

    def test_the_modem_vanishing_while_the_clients_start_ends_cleanly(self):
        self.assertEqual(self.control("hold-allocations"), "holding")
        d = self.start(config=self.config)
        self.notify.wait_for("READY=1")
        # CAT2, UIM and DMS asked for client ids; none is answered yet.
        wait_until(lambda: self.control("held") == "held 3", what="allocations held")
        self.assertEqual(self.control("drop"), "dropped")
        # The held requests went with the connection; the next ones are answered.
        self.assertEqual(self.control("release-allocations"), "released")
        wait_until(lambda: len(self.cards()) == 1, timeout=15, what="card after reopen")
        status, _, err = d.stop()
        self.assertEqual(status, 0, err)
        self.assertIn("vanished", err)

    def test_the_card_goes_with_the_modem_and_comes_back(self):
        self.start_daemon()
        self.assertEqual(self.control("drop"), "dropped")
        wait_until(lambda: len(self.cards()) == 0, what="card removed")
        wait_until(lambda: len(self.cards()) == 1, timeout=15, what="card back")

    def test_every_proactive_command_gets_a_terminal_response_however_malformed(self):
        self.start_daemon()
        # (bytes, general result): TS 102 223 32 data not understood, 31 type not
        # understood, 36 required values missing.
        cases = {
            "no D0 tag": ("8103012180820282818301", "32"),
            "another BER tag": ("d10b8103012180820281028d00", "32"),
            "a length past the end": ("d0208103012180820281028d0f04546f6f6c", "32"),
            "a truncated object": ("d00c8103012180820281028d0f04", "32"),
            "mandatory text missing": ("d0098103012180820281 02", "36"),
            "an unknown type": ("d00981030177008202818" + "2", "31"),
            "truncated after the tag": ("d0", "32"),
        }
        for name, (command, general) in cases.items():
            with self.subTest(name):
                answer = self.command(command.replace(" ", ""))
                self.assertTrue(answer.startswith("tr "), answer)
                self.assertTrue(answer.endswith(f"8301{general}"), answer)


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


BOOTSTRAP = (
    "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>"
    "<SessionID>0</SessionID><MsgID>1</MsgID><Target><LocURI>dev</LocURI></Target>"
    "<Source><LocURI>card</LocURI></Source></SyncHdr><SyncBody>"
    "<Add><CmdID>1</CmdID><Item><Target><LocURI>./DMAcc/Card</LocURI></Target>"
    "<Meta><Format xmlns='syncml:metinf'>node</Format></Meta></Item></Add>"
    "<Add><CmdID>2</CmdID><Meta><Format xmlns='syncml:metinf'>chr</Format></Meta>"
    "<Item><Target><LocURI>./DMAcc/Card/ServerID</LocURI></Target><Data>card.example</Data></Item>"
    "<Item><Target><LocURI>./DMAcc/Card/Name</LocURI></Target><Data>Card DM</Data></Item></Add>"
    "<Final/></SyncBody></SyncML>")


class Bootstrap(ModemFixture, unittest.TestCase):
    """The card's DM bootstrap file, found through PKCS#15, read through UIM, applied to the tree."""

    def restart_sim(self, extra, modem=""):
        self.restart_sim_with(f"[modem]\nsocket={self.socket_name}\n{modem}[card]\n{extra}")

    def start_with_bootstrap(self, modem=""):
        """dmscd with a card (8949000000000000001) whose bootstrap is BOOTSTRAP, applied."""
        with open(os.path.join(self.tmp.name, "bootstrap.xml"), "w") as f:
            f.write(BOOTSTRAP)
        self.restart_sim("iccid=8949000000000000001\nbootstrap=bootstrap.xml\n", modem=modem)
        d = self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "applied"', what="bootstrap applied")
        return d

    def refresh_and_wait(self, command="refresh"):
        """A REFRESH that ends well: the card is read and its bootstrap applied again."""
        with SignalWatcher(self.bus) as watcher:
            self.assertEqual(self.control(command), "refreshed")
            watcher.wait_for("'reading'")
            watcher.wait_for("'applied'")

    def bootstrap_state(self):
        return self.bus.busctl("get-property", NAME, self.cards()[0], CARD_IFACE,
                               "BootstrapState").stdout.strip()

    def tree_nodes(self):
        """The saved tree: {path: (origin, acl, value)}."""
        return read_tree(os.path.join(self.tmp.name, "state", "tree"))

    def test_the_modems_imei_is_the_devid_and_stays_across_restarts(self):
        self.restart_sim("iccid=1234\n", modem="imei=490154203237518\n")
        d = self.start_daemon()
        wait_until(lambda: self.tree_nodes()["./DevInfo/DevId"][2] == b"IMEI:490154203237518",
                   what="DevId from the IMEI")
        _, _, err = d.stop()
        self.assertIn("its IMEI is the device's DevId now", err)
        self.assertNotIn("490154203237518", err)
        # Started again without a modem that answers, the DevId stays the IMEI.
        self.sim.terminate()
        self.sim.wait(TIMEOUT)
        d = self.start(config=self.config)
        self.notify.wait_for("READY=1")
        d.stop()
        self.assertEqual(self.tree_nodes()["./DevInfo/DevId"][2], b"IMEI:490154203237518")

    def test_a_modem_without_an_imei_leaves_the_machine_devid(self):
        self.restart_sim("iccid=1234\n")
        d = self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "none"', what="card read")
        _, _, err = d.stop()
        self.assertIn("no IMEI for the DevId: the modem has no IMEI", err)
        self.assertFalse(self.tree_nodes()["./DevInfo/DevId"][2].startswith(b"IMEI:"))

    def test_a_bootstrap_becomes_the_cards_account_in_the_tree(self):
        with open(os.path.join(self.tmp.name, "bootstrap.xml"), "wb") as f:
            f.write(BOOTSTRAP.encode() + b"\xff" * 32)
        self.restart_sim("iccid=8949000000000000001\nbootstrap=bootstrap.xml\n")
        d = self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "applied"', what="bootstrap applied")
        server_id = self.bus.busctl("get-property", NAME, self.cards()[0], CARD_IFACE,
                                    "ServerId").stdout.strip()
        self.assertEqual(server_id, 's "card.example"')
        row = self.ctl("--session", "status").stdout.splitlines()[4].split()
        self.assertEqual(row[4:6], ["applied", "card.example"])
        # The ICCID and the bootstrap walk went through the UIM client that follows the card:
        # UIM gave out one client id, DMS one (the IMEI), CAT2 one.
        self.assertEqual(self.control("allocations"), "allocations 2:1 10:1 11:1")
        _, _, err = d.stop()
        self.assertIn("DM bootstrap of", err)
        nodes = self.tree_nodes()
        origin, acl, _ = nodes["./DMAcc/Card"]
        self.assertEqual(origin, "card:8949000000000000001")
        self.assertIn("Replace=card.example", acl)
        self.assertEqual(nodes["./DMAcc/Card/Name"][2], b"Card DM")
        # The standard objects are still there.
        self.assertIn("./DevInfo/DevId", nodes)

    def test_refresh_reads_and_applies_the_bootstrap_again(self):
        d = self.start_with_bootstrap()
        with SignalWatcher(self.bus) as watcher:
            # The modem ran a REFRESH (NAA initialisation and full file change) and it ended well.
            self.assertEqual(self.control("refresh"), "refreshed")
            watcher.wait_for("'reading'")
            watcher.wait_for("'applied'")
        _, _, err = d.stop()
        # A full file change through UIM: read at its start, completed, then ended well.
        self.assertIn("REFRESH (mode 4) of its files, reading the card again", err)
        self.assertEqual(err.count("reading the card again"), 1)
        self.assertEqual(err.count("DM bootstrap of"), 2)
        self.assertEqual(self.tree_nodes()["./DMAcc/Card/ServerID"][2], b"card.example")

    def card_origins(self):
        return {origin for origin, _, _ in self.tree_nodes().values() if origin}

    def test_another_card_or_one_without_bootstrap_takes_the_old_cards_nodes_away(self):
        d = self.start_with_bootstrap()
        self.assertEqual(self.card_origins(), {"card:8949000000000000001"})
        # Another card (EF ICCID in BCD, nibbles swapped) with the same bootstrap.
        iccid = "8949000000000000002F"
        bcd = "".join(iccid[i + 1] + iccid[i] for i in range(0, len(iccid), 2))
        self.assertEqual(self.control(f"file 3f002fe2 {bcd}"), "stored")
        self.refresh_and_wait("refresh 3f002fe2")
        self.assertEqual(self.card_origins(), {"card:8949000000000000002"})
        # Then one without a PKCS#15 application: nothing of a card stays.
        self.assertEqual(self.control("file 3f002f00#1 -"), "removed")
        with SignalWatcher(self.bus) as watcher:
            # A REFRESH that failed (UIM stage 3, mode 1 initialisation) changes nothing; the
            # next one that ends well does.
            self.assertEqual(self.control("refresh-event 1 3"), "refreshed")
            self.assertEqual(self.control("refresh 3f002f00"), "refreshed")
            watcher.wait_for("'none'")
        self.assertEqual(self.card_origins(), set())
        server_id = self.bus.busctl("get-property", NAME, self.cards()[0], CARD_IFACE,
                                    "ServerId").stdout.strip()
        self.assertEqual(server_id, 's ""')
        _, _, err = d.stop()
        self.assertIn("nodes of card:8949000000000000001 removed", err)
        # Two REFRESHes ended well; the one that failed read nothing.
        self.assertEqual(err.count("reading the card again"), 2)

    def manager(self, *args, check=False):
        return self.bus.busctl("call", NAME, "/org/dmscd/Dmsc1", "org.dmscd.Dmsc1.Manager",
                               *args, check=check)

    def test_the_tree_is_read_on_the_bus_but_not_its_secrets(self):
        with open(os.path.join(self.tmp.name, "bootstrap.xml"), "w") as f:
            f.write(account_bootstrap("http://127.0.0.1:9/dm"))
        self.restart_sim("iccid=8949000000000000001\nbootstrap=bootstrap.xml\n")
        self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "applied"', what="bootstrap applied")
        r = self.manager("GetNode", "s", "./DMAcc/CardDM/ServerID", check=True)
        self.assertEqual(r.stdout.strip(), 'ssv "chr" "" s "card.dm"')
        r = self.manager("GetNode", "s", "./DevDetail/URI/MaxDepth", check=True)
        self.assertEqual(r.stdout.strip(), 'ssv "int" "text/plain" i 20')
        r = self.manager("GetNode", "s", "./DevDetail/LrgObj", check=True)
        self.assertEqual(r.stdout.strip(), 'ssv "bool" "text/plain" b true')
        r = self.manager("ListNodes", "s", "./DMAcc", check=True)
        self.assertIn('"CardDM"', r.stdout)
        r = self.manager("GetNode", "s", "./DMAcc/CardDM", check=True)
        self.assertEqual(r.stdout.strip(), 'ssv "node" "" as 3 "ServerID" "AppAuth" "AppAddr"')
        denied = self.manager("GetNode", "s", "./DMAcc/CardDM/AppAuth/Srv/AAuthSecret")
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("is a secret", denied.stderr)
        missing = self.manager("GetNode", "s", "./Nowhere")
        self.assertIn("no node ./Nowhere", missing.stderr)
        bad = self.manager("ListNodes", "s", "./DMAcc/CardDM/ServerID")
        self.assertIn("a leaf has no children", bad.stderr)

    def test_a_card_changed_while_dmscd_was_stopped_leaves_nothing_behind(self):
        d = self.start_with_bootstrap()
        d.stop()
        self.assertEqual(self.card_origins(), {"card:8949000000000000001"})
        # Another card, without a bootstrap, is in the modem when dmscd starts again.
        self.restart_sim("iccid=8949000000000000002\n")
        d = self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "none"', what="card read")
        _, _, err = d.stop()
        self.assertEqual(self.card_origins(), set())
        self.assertIn("nodes of cards no modem has removed", err)

    def test_a_card_taken_out_takes_its_object_and_nodes_and_comes_back_when_put_in(self):
        d = self.start_with_bootstrap()
        self.assertEqual(self.control("remove-card"), "removed")
        wait_until(lambda: len(self.cards()) == 0, what="card object gone")
        wait_until(lambda: self.card_origins() == set(), what="card nodes gone")
        # The modem stays: its CAT2 client and the UIM client watching the slot are kept.
        self.assertEqual(self.client_services(), [10, 11])
        self.assertEqual(self.control("insert-card"), "inserted")
        wait_until(lambda: len(self.cards()) == 1, what="card object back")
        wait_until(lambda: self.bootstrap_state() == 's "applied"', what="bootstrap again")
        self.assertEqual(self.card_origins(), {"card:8949000000000000001"})
        _, _, err = d.stop()
        self.assertIn("card on /dev/cdc-wdm-sim: absent", err)
        self.assertIn("card on /dev/cdc-wdm-sim: present", err)
        self.assertIn("nodes of card:8949000000000000001 removed", err)

    def test_a_modem_without_its_card_shows_none_until_one_is_put_in(self):
        self.restart_sim("iccid=8949000000000000001\ninserted=false\n")
        d = self.start(config=self.config)
        self.notify.wait_for("READY=1")
        wait_until(lambda: self.client_services() == [10, 11], what="clients")
        self.assertEqual(self.cards(), [])
        self.assertEqual(self.control("command " + VECTORS["display_text_8bit"]), "error no card")
        self.assertEqual(self.control("insert-card"), "inserted")
        wait_until(lambda: len(self.cards()) == 1, what="card object")
        wait_until(lambda: "8949000000000000001" in self.bus.busctl(
            "get-property", NAME, self.cards()[0], CARD_IFACE, "Identifier").stdout, what="ICCID")
        _, _, err = d.stop()
        self.assertIn("card on /dev/cdc-wdm-sim: absent", err)

    def test_a_modem_whose_uim_cannot_report_the_card_still_has_it_read(self):
        self.restart_sim("iccid=8949000000000000001\n", modem="uim-events=false\n")
        d = self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "none"', what="card read")
        self.assertIn("8949000000000000001", self.bus.busctl(
            "get-property", NAME, self.cards()[0], CARD_IFACE, "Identifier").stdout)
        # Every read had a UIM client of its own, given back: only CAT2 holds one now.
        self.assertEqual(self.client_services(), [10])
        _, _, err = d.stop()
        self.assertIn("the card is taken as present", err)

    def test_without_uim_refresh_registration_the_cat2_report_is_followed(self):
        d = self.start_with_bootstrap(modem="uim-refresh=false\n")
        self.refresh_and_wait()
        _, _, err = d.stop()
        self.assertIn("no REFRESH registration", err)
        self.assertIn("REFRESH (mode 0) done, reading the card again", err)
        self.assertEqual(err.count("reading the card again"), 1)

    def test_a_file_that_is_not_a_bootstrap_is_refused_and_the_tree_kept(self):
        with open(os.path.join(os.path.dirname(__file__), "..", "data", "syncml",
                               "aosp-dm12-testadd.wbxml"), "rb") as f:
            content = f.read()
        with open(os.path.join(self.tmp.name, "bootstrap.wbxml"), "wb") as f:
            f.write(content)
        self.restart_sim("bootstrap=bootstrap.wbxml\n")
        d = self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "error"', what="bootstrap refused")
        _, _, err = d.stop()
        self.assertIn("has no place in a bootstrap", err)
        self.assertFalse(any(origin for origin, _, _ in self.tree_nodes().values()))

    def test_a_card_without_pkcs15_has_none(self):
        self.restart_sim("iccid=1234\n")
        self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "none"', what="no bootstrap")

    def test_bootstrap_can_be_switched_off(self):
        self.config = self.write("dmscd.conf", open(self.config).read() + "[card]\nbootstrap=false\n")
        self.start_daemon()
        wait_until(lambda: self.bootstrap_state() == 's "disabled"', what="disabled")


def _leaf(cmd, uri, value, fmt="chr"):
    return (f"<Add><CmdID>{cmd}</CmdID><Meta><Format xmlns='syncml:metinf'>{fmt}</Format></Meta>"
            f"<Item><Target><LocURI>{uri}</LocURI></Target><Data>{value}</Data></Item></Add>")


def _node(cmd, uri):
    return (f"<Add><CmdID>{cmd}</CmdID><Meta><Format xmlns='syncml:metinf'>node</Format></Meta>"
            f"<Item><Target><LocURI>{uri}</LocURI></Target></Item></Add>")


def account_bootstrap(address=None):
    """The card's account for card.dm: server secret pw, nonce four zero bytes, and the
    address of its DM server when given."""
    body = (_node(1, "./DMAcc/CardDM") + _leaf(2, "./DMAcc/CardDM/ServerID", "card.dm")
            + _node(3, "./DMAcc/CardDM/AppAuth") + _node(4, "./DMAcc/CardDM/AppAuth/Srv")
            + _leaf(5, "./DMAcc/CardDM/AppAuth/Srv/AAuthLevel", "SRVCRED")
            + _leaf(6, "./DMAcc/CardDM/AppAuth/Srv/AAuthSecret", "pw")
            + _leaf(7, "./DMAcc/CardDM/AppAuth/Srv/AAuthData", "AAAAAA==", "b64"))
    if address is not None:
        body += (_node(8, "./DMAcc/CardDM/AppAddr") + _node(9, "./DMAcc/CardDM/AppAddr/1")
                 + _leaf(10, "./DMAcc/CardDM/AppAddr/1/Addr", address))
    return ("<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD>"
            "<VerProto>DM/1.2</VerProto><SessionID>0</SessionID><MsgID>1</MsgID>"
            "<Target><LocURI>dev</LocURI></Target><Source><LocURI>card</LocURI></Source>"
            "</SyncHdr><SyncBody>" + body + "<Final/></SyncBody></SyncML>")


def read_tree(path):
    """A saved tree file: {path: (origin, acl, value)}."""
    from gi.repository import GLib
    with open(path, "rb") as f:
        variant = GLib.Variant.new_from_bytes(GLib.VariantType.new("(uua(ssmsmsmssuay))"),
                                              GLib.Bytes.new(f.read()), False)
    return {e[0]: (e[5], e[3], bytes(e[7])) for e in variant.unpack()[2]}


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
    tap.main(Modem, ScwsRawBip, ScwsQmi, Bootstrap, Trigger)
