# SPDX-License-Identifier: LGPL-2.1-or-later
"""The card's DM bootstrap: found through PKCS#15, read through UIM, applied to the tree."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import NAME, TIMEOUT, SignalWatcher, wait_until  # noqa: E402
from modem_fixture import (  # noqa: E402
    CARD_IFACE, VECTORS, ModemFixture, account_bootstrap, read_tree)


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


if __name__ == "__main__":
    tap.main(Bootstrap)
