# SPDX-License-Identifier: LGPL-2.1-or-later
"""ModemManager discovery: a python-dbusmock ModemManager and dmsc-sim behind its QMI port."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import (  # noqa: E402
    Fixture, NAME, TIMEOUT, SignalWatcher, sim_control, wait_until)

SIM = os.environ["DMSC_SIM"]
TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modemmanager.py")
MM = "org.freedesktop.ModemManager1"
CARD_IFACE = "org.dmscd.Dmsc1.Card"
ICCID = "8949000000007654321"
PACKAGE0 = "3b211c3417bf6b16b34aca0048279ab202e800000012340e636f6d2e6578616d706c652e646d"
SMS_IFACE = "org.freedesktop.ModemManager1.Sms"
# SEND SHORT MESSAGE: an SMS-SUBMIT to +123456, GSM 7-bit "Hello".
SEND_HELLO = "d01a8103011300820281838b0f01000691214365000005c8329bfd06"
# The same with a user data header (port 2948) that ModemManager cannot carry.
SEND_WITH_UDH = "d01f8103011300820281838b144100069121436500040a0605040b8423f0616263"


class Discovery(Fixture, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.socket_name = f"dmsc-sim-mm-{os.getpid()}"
        self.control_path = os.path.join(self.tmp.name, "control")
        profile = self.write("profile", f"[modem]\nsocket={self.socket_name}\n[card]\n"
                                        f"iccid={ICCID}\n")
        self.sim = subprocess.Popen([SIM, "--profile", profile, "--control", self.control_path],
                                    stdout=subprocess.DEVNULL)
        self.mm = None
        # setUp failing skips tearDown: clean up whatever was started then too.
        self.addCleanup(self.stop_children)
        self.start_mm()
        self.config = self.write("dmscd.conf",
                                 f"[daemon]\nstate-directory={self.tmp.name}/state\n"
                                 f"[modem]\nproxy-path={self.socket_name}\n")

    def stop_children(self):
        for p in (self.mm, self.sim):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(TIMEOUT)

    def start_mm(self):
        # Debian's dbusmock lives in Debian's python, not in whatever python3 is on PATH.
        # The template says ModemManager lives on the system bus: point that at ours too.
        env = self.bus.env(DBUS_SYSTEM_BUS_ADDRESS=self.bus.address)
        self.mm = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template",
                                    TEMPLATE], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        wait_until(lambda: self.bus.has_owner(MM), what="ModemManager mock")

    def mm_call(self, method, signature, *args):
        out = self.bus.busctl("call", MM, "/org/freedesktop/ModemManager1",
                              "org.freedesktop.DBus.Mock", method, signature,
                              *map(str, args)).stdout.split()
        return out[-1].strip('"') if out else None

    def add_modem(self, *ports):
        flat = [str(len(ports))] + [str(x) for port in ports for x in port]
        return self.mm_call("AddModem", "ssa(su)", "/sys/devices/virtual/dmsc", ICCID, *flat)

    def cards(self):
        out = self.bus.busctl("tree", "--list", NAME, check=False).stdout
        return [line for line in out.split() if line.startswith("/org/dmscd/Dmsc1/Card/")]

    def card_property(self, path, prop):
        return self.bus.busctl("get-property", NAME, path, CARD_IFACE, prop,
                               check=False).stdout.strip()

    def start_dmscd(self):
        d = self.start(config=self.config)
        self.notify.wait_for("READY=1")
        return d

    def test_the_bus_going_away_stops_dmscd_with_a_failure_whatever_modemmanager_does(self):
        # ModemManager's connection (GDBus) ends with the bus too; GDBus would take the whole
        # process down with SIGTERM (a clean stop, exit 0: systemd would not start it again).
        d = self.start_dmscd()
        self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="the card")
        self.bus.vanish()
        status, _, err = d.wait()
        self.assertEqual(status, 1, err)
        self.assertIn("lost the connection to the session bus", err)
        self.assertNotIn("stopping on signal", err)

    def test_a_modem_with_a_qmi_port_becomes_a_card_and_goes_with_it(self):
        self.start_dmscd()
        modem = self.add_modem(("ttyUSB2", 3), ("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="card")
        card = self.cards()[0]
        self.assertEqual(self.card_property(card, "Modem"), 's "/dev/cdc-wdm-sim"')
        wait_until(lambda: ICCID in self.card_property(card, "Identifier"), what="identifier")
        self.mm_call("RemoveModem", "o", modem)
        wait_until(lambda: self.cards() == [], what="card removed")
        self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="card back")

    def test_a_received_sms_with_a_dm_notification_is_signalled(self):
        self.start_dmscd()
        modem = self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="card")
        with SignalWatcher(self.bus) as watcher:
            # WSP push without the UDH (ModemManager drops it), then package #0.
            data = bytes.fromhex("010603c4af87" + PACKAGE0)
            self.mm_call("AddSms", "osay", modem, "+15550001", len(data), *data)
            seen = watcher.wait_for("NotificationReceived")
        self.assertIn("'origin': <'network'>", seen)
        self.assertIn("'server-id': <'com.example.dm'>", seen)
        self.assertIn("'card': <objectpath '/org/dmscd/Dmsc1/Card/", seen)
        self.assertIn("'verified': <false>", seen)

    def control(self, line):
        return sim_control(self.control_path, line)

    def sms_property(self, n, prop):
        return self.bus.busctl("get-property", MM, f"/org/freedesktop/ModemManager1/SMS/{n}",
                               SMS_IFACE, prop, check=False).stdout.strip()

    def test_the_cards_own_short_message_goes_out_through_modemmanager(self):
        d = self.start_dmscd()
        self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="card")
        # Sent, then the card hears 00.
        self.assertEqual(self.control("command " + SEND_HELLO), "tr 810301130082028281830100")
        self.assertEqual(self.sms_property(0, "Number"), 's "+123456"')
        self.assertEqual(self.sms_property(0, "Text"), 's "Hello"')
        self.assertEqual(self.sms_property(0, "State"), "u 5")
        # The network refuses the next one: "network currently unable", no specific cause.
        self.mm_call("SetSendError", "s", "org.freedesktop.ModemManager1.Error.Core.Failed")
        self.assertEqual(self.control("command " + SEND_HELLO),
                         "tr 81030113008202828183022100")
        # One ModemManager cannot carry is beyond dmscd's capabilities; none is created.
        self.assertEqual(self.control("command " + SEND_WITH_UDH), "tr 810301130082028281830130")
        self.assertEqual(self.sms_property(2, "Number"), "")
        _, _, err = d.stop()
        self.assertIn("the card's short message was sent through ModemManager", err)
        self.assertIn("the card's short message was not sent", err)
        self.assertIn("a user data header ModemManager cannot carry", err)

    def test_messaging_that_appears_later_carries_the_cards_short_messages(self):
        self.start_dmscd()
        flat = ["1", "cdc-wdm-sim", "6"]
        modem = self.mm_call("AddDisabledModem", "ssa(su)", "/sys/devices/virtual/dmsc", ICCID,
                             *flat)
        wait_until(lambda: len(self.cards()) == 1, what="card")
        # Not enabled: no Messaging to send through.
        self.assertEqual(self.control("command " + SEND_HELLO), "tr 810301130082028281830130")
        self.mm_call("EnableModem", "o", modem)
        wait_until(lambda: self.control("command " + SEND_HELLO) == "tr 810301130082028281830100",
                   what="sent once Messaging is there")
        self.assertEqual(self.sms_property(0, "Text"), 's "Hello"')

    def test_modems_present_at_start_are_found(self):
        self.add_modem(("cdc-wdm-sim", 6))
        self.start_dmscd()
        wait_until(lambda: len(self.cards()) == 1, what="card")

    def test_a_modem_without_qmi_port_is_left_alone(self):
        d = self.start_dmscd()
        self.add_modem(("ttyUSB0", 3))
        self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="the QMI modem's card")
        _, _, err = d.stop()
        self.assertIn("has no QMI port", err)

    def test_modemmanager_restarting_is_survived(self):
        self.start_dmscd()
        self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="card")
        self.mm.terminate()
        self.mm.wait(TIMEOUT)
        wait_until(lambda: self.cards() == [], what="card gone with ModemManager")
        self.start_mm()
        self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1, what="card back with ModemManager")


DM_SERVER = os.environ["DMSC_DM_SERVER"]
DMSCCTL = os.environ["DMSCCTL"]


def make_certificates(directory):
    """A test CA and a certificate for 127.0.0.1 that it signs: (ca.pem, server.pem, key)."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True,
                       timeout=TIMEOUT)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dmscd test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
        "-out", "server.csr")
    with open(os.path.join(directory, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.pem")
    return tuple(os.path.join(directory, n) for n in ("ca.pem", "server.pem", "server.key"))


class NetworkSessions(Discovery):
    """A DM notification in an SMS ModemManager received runs the session it asks for with a
    server on the network, over HTTP or HTTPS."""

    def serve(self, tls=None):
        script = self.write("script", "ADD ./Vendor/FromNetwork chr hello\n")
        args = [DM_SERVER, "--script", script, "--server-id", "net.dm", "--server-password", "pw"]
        if tls is not None:
            args += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        self.server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (self.server.terminate(), self.server.wait(TIMEOUT)))
        return self.server.stdout.readline().strip()

    def run_network_session(self, address, config=""):
        """The card's bootstrap gives net.dm an account at @address; an SMS notification for
        it arrives; the SessionFinished line and dmscd's stderr."""
        from modem_fixture import add_leaf, add_node
        account = "./DMAcc/Net"
        body = (add_node(1, account) + add_leaf(2, f"{account}/ServerID", "net.dm")
                + add_node(3, f"{account}/AppAddr") + add_node(4, f"{account}/AppAddr/1")
                + add_leaf(5, f"{account}/AppAddr/1/Addr", address)
                + add_node(6, f"{account}/AppAuth") + add_node(7, f"{account}/AppAuth/Srv")
                + add_leaf(8, f"{account}/AppAuth/Srv/AAuthLevel", "SRVCRED")
                + add_leaf(9, f"{account}/AppAuth/Srv/AAuthSecret", "pw")
                + add_leaf(10, f"{account}/AppAuth/Srv/AAuthData", "AAAAAA==", "b64"))
        self.write("bootstrap.xml", "<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2"
                   "</VerDTD><VerProto>DM/1.2</VerProto><SessionID>0</SessionID><MsgID>1</MsgID>"
                   "<Target><LocURI>dev</LocURI></Target><Source><LocURI>card</LocURI></Source>"
                   "</SyncHdr><SyncBody>" + body + "<Final/></SyncBody></SyncML>")
        self.sim.terminate()
        self.sim.wait(TIMEOUT)
        wait_until(lambda: not os.path.exists(self.control_path), what="old dmsc-sim gone")
        profile = self.write("profile", f"[modem]\nsocket={self.socket_name}\n[card]\n"
                                        f"iccid={ICCID}\nbootstrap=bootstrap.xml\n")
        self.sim = subprocess.Popen([SIM, "--profile", profile, "--control", self.control_path],
                                    stdout=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(self.control_path), what="dmsc-sim")
        self.config = self.write("dmscd.conf", open(self.config).read() + config)
        d = self.start_dmscd()
        modem = self.add_modem(("cdc-wdm-sim", 6))
        wait_until(lambda: len(self.cards()) == 1 and "applied" in self.card_property(
            self.cards()[0], "BootstrapState"), what="the card's bootstrap")
        package0 = subprocess.run([DMSCCTL, "notification", "encode", "--server-id", "net.dm",
                                   "--password", "pw", "--session-id", "4660"],
                                  capture_output=True, text=True, check=True,
                                  timeout=TIMEOUT).stdout.strip()
        data = bytes.fromhex("010603c4af87" + package0)
        with SignalWatcher(self.bus) as watcher:
            self.mm_call("AddSms", "osay", modem, "+15550001", len(data), *data)
            finished = watcher.wait_for("SessionFinished", timeout=60).split("SessionFinished")[-1]
        origin = self.bus.busctl("get-property", NAME, "/org/dmscd/Dmsc1/Session/0",
                                 "org.dmscd.Dmsc1.Session", "Origin").stdout
        self.assertIn('"network"', origin)
        _, _, err = d.stop()
        return finished, err

    def saved(self):
        from modem_fixture import read_tree
        return read_tree(os.path.join(self.tmp.name, "state", "tree"))

    def test_an_sms_notification_runs_its_session_over_http(self):
        finished, _ = self.run_network_session(self.serve())
        self.assertIn("'ok'", finished)
        self.assertEqual(self.saved()["./Vendor/FromNetwork"][2], b"hello")

    def test_over_https_a_ca_file_adds_to_the_systems_trust(self):
        ca, cert, key = make_certificates(self.tmp.name)
        address = self.serve(tls=(cert, key))
        self.assertTrue(address.startswith("https://"))
        finished, _ = self.run_network_session(address, f"[session]\nca-file={ca}\n")
        self.assertIn("'ok'", finished)
        self.assertEqual(self.saved()["./Vendor/FromNetwork"][2], b"hello")

    def test_a_certificate_that_does_not_verify_fails_the_session_at_once(self):
        ca, cert, key = make_certificates(self.tmp.name)
        finished, err = self.run_network_session(self.serve(tls=(cert, key)))
        # Cut by its transport: aborted, with the reason in the journal and in its Result.
        self.assertIn("'aborted'", finished)
        self.assertIn("failed, the tree is left as it was: https://127.0.0.1:", err)
        self.assertIn("certificate", err.lower())
        self.assertNotIn("trying again", err)
        self.assertNotIn("./Vendor/FromNetwork", self.saved())


if __name__ == "__main__":
    tap.main(Discovery, NetworkSessions)
