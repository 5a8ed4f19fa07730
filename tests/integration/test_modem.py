# SPDX-License-Identifier: LGPL-2.1-or-later
"""dmscd with a configured modem: the real libqmi QmiDevice against dmsc-sim, on a private bus."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import NAME, TIMEOUT, SignalWatcher, wait_until  # noqa: E402
from modem_fixture import CARD_IFACE, VECTORS, ModemFixture, free_port  # noqa: E402



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


if __name__ == "__main__":
    tap.main(Modem)
