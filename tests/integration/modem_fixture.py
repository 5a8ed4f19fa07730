# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the tests of dmscd with a configured modem share: dmsc-sim started with a profile,
dmscd configured for its device, and the card's bootstrap and saved tree as the tests write
and read them."""

import os
import re
import socket
import subprocess

from harness import Fixture, NAME, TIMEOUT, sim_control, wait_until

SIM = os.environ["DMSC_SIM"]
CARD_IFACE = "org.dmscd.Dmsc1.Card"
# The CAT test vectors of tests/cat, by name: the commands the tests have the card send.
VECTORS_H = os.path.join(os.path.dirname(__file__), "..", "cat", "vectors.h")
VECTORS = dict(re.findall(r'\{ "(\w+)", "([0-9a-f]+)" \}', open(VECTORS_H).read()))


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


def add_leaf(cmd, uri, value, fmt="chr"):
    return (f"<Add><CmdID>{cmd}</CmdID><Meta><Format xmlns='syncml:metinf'>{fmt}</Format></Meta>"
            f"<Item><Target><LocURI>{uri}</LocURI></Target><Data>{value}</Data></Item></Add>")


def add_node(cmd, uri):
    return (f"<Add><CmdID>{cmd}</CmdID><Meta><Format xmlns='syncml:metinf'>node</Format></Meta>"
            f"<Item><Target><LocURI>{uri}</LocURI></Target></Item></Add>")


def account_bootstrap(address=None):
    """The card's account for card.dm: server secret pw, nonce four zero bytes, and the
    address of its DM server when given."""
    body = (add_node(1, "./DMAcc/CardDM") + add_leaf(2, "./DMAcc/CardDM/ServerID", "card.dm")
            + add_node(3, "./DMAcc/CardDM/AppAuth") + add_node(4, "./DMAcc/CardDM/AppAuth/Srv")
            + add_leaf(5, "./DMAcc/CardDM/AppAuth/Srv/AAuthLevel", "SRVCRED")
            + add_leaf(6, "./DMAcc/CardDM/AppAuth/Srv/AAuthSecret", "pw")
            + add_leaf(7, "./DMAcc/CardDM/AppAuth/Srv/AAuthData", "AAAAAA==", "b64"))
    if address is not None:
        body += (add_node(8, "./DMAcc/CardDM/AppAddr") + add_node(9, "./DMAcc/CardDM/AppAddr/1")
                 + add_leaf(10, "./DMAcc/CardDM/AppAddr/1/Addr", address))
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
