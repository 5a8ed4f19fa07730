# SPDX-License-Identifier: LGPL-2.1-or-later
"""dmscctl against a running dmscd and dmsc-sim: cards, sessions, the tree, triggers, events
and the agent, in people's tables and in JSON, with the exit statuses scripts rely on."""

import json
import os
import select
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import DMSCCTL, Fixture, TIMEOUT, wait_until  # noqa: E402
from test_sessions import CardServer, credentials_bootstrap  # noqa: E402

SCRIPT = "ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\nADD ./Vendor/B chr c\n"


class Ctl(CardServer):
    def ctl_ok(self, *args):
        r = self.ctl("--session", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def ctl_json(self, *args):
        return json.loads(self.ctl_ok("--json", *args))

    def popen(self, *args):
        process = subprocess.Popen([DMSCCTL, "--session", *args], env=self.bus.env(),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, bufsize=1)
        process.pending = ""  # stdout read and not yet taken as lines
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process

    def wait_stderr(self, process, text):
        line = process.stderr.readline()
        self.assertIn(text, line)

    def read_until(self, process, text, timeout=30):
        """Lines of @process's stdout up to the one holding @text. Reads the pipe itself:
        select() knows nothing of what a buffered reader already holds."""
        lines = []
        fd = process.stdout.fileno()
        while not lines or text not in lines[-1]:
            if "\n" in process.pending:
                line, process.pending = process.pending.split("\n", 1)
                lines.append(line)
                continue
            self.assertTrue(select.select([fd], [], [], timeout)[0], f"no {text!r} in {lines!r}")
            chunk = os.read(fd, 65536).decode()
            self.assertTrue(chunk, f"end of output before {text!r}: {lines!r}")
            process.pending += chunk
        return lines

    def interrupt(self, process):
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
        return process.returncode, out, err

    def finished_session(self):
        """The number of the one session that has finished, once it has."""
        wait_until(lambda: any(s["state"] == "finished" for s in self.ctl_json("sessions")),
                   timeout=30, what="a finished session")
        return [s for s in self.ctl_json("sessions") if s["state"] == "finished"][0]["number"]


class Cards(Ctl, unittest.TestCase):
    def test_cards_and_card_show_the_card_its_bootstrap_and_last_trigger(self):
        self.start_with_card_server(script=SCRIPT)
        cards = self.ctl_json("cards")
        self.assertEqual(len(cards), 1)
        card = cards[0]
        self.assertEqual((card["number"], card["modem"], card["scws_ports"],
                          card["bootstrap_state"], card["server_id"], card["last_trigger"]),
                         (0, "/dev/cdc-wdm-sim", [self.port], "applied", "card.dm", None))
        self.assertRegex(card["bootstrap_read"], r"^\d{4}-\d\d-\d\dT")

        table = self.ctl_ok("cards").splitlines()
        self.assertEqual(table[0].split(), ["CARD", "MODEM", "ICCID", "SCWS", "BOOTSTRAP",
                                            "SERVER", "LAST", "TRIGGER"])
        self.assertEqual(table[1].split()[:6], ["0", "/dev/cdc-wdm-sim", card["iccid"] or "-",
                                                str(self.port), "applied", "card.dm"])
        self.assertEqual(table[-1], "1 card.")
        # Columns line up: each header starts where its values do.
        self.assertEqual(table[0].index("MODEM"), table[1].index("/dev"))

        self.assertEqual(self.control("trigger"), "triggered")
        self.finished_session()
        card = self.ctl_json("card", "0")
        self.assertRegex(card["last_trigger"], r"^\d{4}-\d\d-\d\dT")
        text = self.ctl_ok("card", "/org/dmscd/Dmsc1/Card/0")
        self.assertIn("     Bootstrap: applied\n", text)
        self.assertIn(f"    SCWS ports: {self.port}\n", text)
        self.assertNotIn("Last trigger: -", text)
        self.assertIn("Version: 0.1.0\nState: running\n\nCARD", self.ctl_ok("status"))
        self.assertEqual(self.ctl_json("status")["cards"][0]["iccid"], card["iccid"])

        for args, status in ((("card", "7"), 65), (("card", "seven"), 64), (("card",), 64),
                             (("card", "1", "2"), 64)):
            with self.subTest(args):
                r = self.ctl("--session", *args)
                self.assertEqual(r.returncode, status, r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
                self.assertEqual(r.stdout, "")


class Sessions(Ctl, unittest.TestCase):
    def test_trigger_waits_and_prints_the_result_and_every_change(self):
        self.start_with_card_server(script=SCRIPT)
        out = self.ctl_ok("trigger", "card.dm")
        self.assertIn("        Result: ok\n", out)
        self.assertIn("       Changes: 3\n", out)
        rows = [line.split() for line in out.split("\n\n")[1].splitlines()]
        self.assertEqual(rows, [["URI", "COMMAND", "STATUS"], ["./Vendor/A", "Add", "200"],
                                ["./Vendor/A", "Replace", "200"], ["./Vendor/B", "Add", "200"]])

        session = self.ctl_json("trigger", "card.dm", "--encoding", "wbxml")
        self.assertEqual((session["result"], session["origin"], session["server_id"]),
                         ("ok", "local", "card.dm"))
        self.assertEqual(session["changes"][1],
                         {"uri": "./Vendor/A", "command": "Replace", "status": "200"})
        self.assertIsInstance(session["duration_ms"], int)
        starts = [line for line in self.record().splitlines() if '"start"' in line]
        self.assertEqual(starts[-1], '{"session":"start","encoding":"wbxml"}')

        path = self.ctl_ok("trigger", "card.dm", "--no-wait").strip()
        self.assertRegex(path, r"^/org/dmscd/Dmsc1/Session/\d+$")
        wait_until(lambda: self.ctl_json("session", path)["state"] == "finished", timeout=30,
                   what="the session queued without waiting")

        r = self.ctl("--session", "trigger", "no.such.server")
        self.assertEqual((r.returncode, r.stdout), (65, ""))
        self.assertIn("no.such.server", r.stderr)
        r = self.ctl("--session", "trigger", "card.dm", "--encoding", "json")
        self.assertEqual(r.returncode, 64)

    def test_a_session_that_fails_makes_trigger_exit_1(self):
        self.start_card_server(
            SCRIPT, bootstrap=lambda address: credentials_bootstrap(address, "md5"),
            server="client-name=device\nclient-password=device-secret\nauth=md5\n"
                   "misbehave=wrong-secret\n")
        r = self.ctl("--session", "trigger", "card.dm")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("        Result: auth-failed\n", r.stdout)

    def test_sessions_and_session_list_what_ran(self):
        self.start_with_card_server(script=SCRIPT)
        self.assertEqual(self.control("trigger"), "triggered")
        number = self.finished_session()
        table = self.ctl_ok("sessions").splitlines()
        self.assertEqual(table[0].split(), ["SESSION", "SERVER", "ID", "ORIGIN", "STATE",
                                            "RESULT", "STARTED", "DURATION", "CHANGES"])
        row = table[1].split()
        self.assertEqual(row[:6], [str(number), "card.dm", "4D", "card", "finished", "ok"])
        self.assertEqual(row[-1], "3")
        self.assertEqual(table[-1], "1 session.")
        text = self.ctl_ok("session", str(number))
        for field in ("     DM server: card.dm", "    Session ID: 4D", "        Origin: card",
                      "         State: finished", "      Attempts: 1"):
            self.assertIn(field + "\n", text)
        self.assertEqual(text.split("\n\n")[1].splitlines()[3].split(), ["./Vendor/B", "Add", "200"])
        self.assertEqual(self.ctl_json("session", str(number))["changes"][2]["uri"], "./Vendor/B")
        self.assertEqual(self.ctl("--session", "session", "99").returncode, 65)


class Tree(Ctl, unittest.TestCase):
    def test_tree_get_and_ls_show_values_and_never_a_secret(self):
        self.start_with_card_server(script=SCRIPT)
        self.ctl_ok("trigger", "card.dm")
        self.assertEqual(self.ctl_ok("tree", "get", "./Vendor/A"),
                         "           URI: ./Vendor/A\n        Format: chr\n          Type: -\n"
                         "         Value: b\n")
        node = self.ctl_json("tree", "get", "./DMAcc/CardDM/AppAuth/Srv/AAuthData")
        self.assertEqual((node["format"], node["value"]), ("b64", "AAAAAA=="))
        self.assertEqual(self.ctl_json("tree", "get", "./Vendor")["children"], ["A", "B"])

        listing = self.ctl_ok("tree", "ls", "./Vendor").splitlines()
        self.assertEqual([line.split() for line in listing],
                         [["NAME", "FORMAT", "TYPE", "VALUE"], ["A", "chr", "-", "b"],
                          ["B", "chr", "-", "c"]])
        tree = self.ctl_ok("tree", "ls", "-r", ".")
        self.assertIn("└── Vendor\n    ├── A = b\n    └── B = c\n", tree)
        self.assertIn("AAuthSecret = (secret)", tree)
        self.assertIn("│", tree)
        nodes = self.ctl_json("tree", "ls", "--recursive")
        secret = [n for n in nodes if n["uri"].endswith("/AAuthSecret")]
        self.assertEqual(secret, [{"uri": "./DMAcc/CardDM/AppAuth/Srv/AAuthSecret",
                                   "secret": True}])
        self.assertIn({"uri": "./Vendor/B", "format": "chr", "type": "", "value": "c"}, nodes)
        # The secret's value ("pw") shows nowhere.
        self.assertNotIn('"pw"', json.dumps(nodes))
        self.assertNotIn("= pw", tree)

        r = self.ctl("--session", "tree", "get", "./DMAcc/CardDM/AppAuth/Srv/AAuthSecret")
        self.assertEqual((r.returncode, r.stdout), (77, ""))
        self.assertIn("secret", r.stderr)
        for args, status in ((("tree", "get", "./Nope"), 65), (("tree", "get", "a//b"), 65),
                             (("tree", "ls", "./Vendor/A"), 65), (("tree", "get"), 64),
                             (("tree", "cut", "."), 64)):
            with self.subTest(args):
                r = self.ctl("--session", *args)
                self.assertEqual(r.returncode, status, r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)


class Monitor(Ctl, unittest.TestCase):
    def test_monitor_prints_a_line_per_event_as_it_happens(self):
        self.start_with_card_server(script=SCRIPT)
        monitor = self.popen("monitor", "--json")
        self.wait_stderr(monitor, "Monitoring dmscd")
        self.assertEqual(self.control("trigger"), "triggered")
        lines = self.read_until(monitor, "session-finished")
        events = [json.loads(line) for line in lines]
        names = [e["event"] for e in events]
        self.assertEqual(names[0], "daemon-running")
        self.assertLess(names.index("notification"), names.index("session-queued"))
        self.assertLess(names.index("session-queued"), names.index("session-running"))
        notification = events[names.index("notification")]
        self.assertEqual((notification["origin"], notification["card"], notification["server"],
                          notification["session_id"], notification["verified"]),
                         ("card", 0, "card.dm", 77, True))
        self.assertEqual((events[-1]["result"], events[-1]["changes"]), ("ok", 3))
        self.assertRegex(events[-1]["time"], r"^\d{4}-\d\d-\d\dT")

        # The modem drops: its card goes, and comes back with it.
        self.assertEqual(self.control("drop"), "dropped")
        removed = json.loads(self.read_until(monitor, "card-removed")[-1])
        self.assertEqual(removed["object"], "/org/dmscd/Dmsc1/Card/0")
        added = json.loads(self.read_until(monitor, "card-added")[-1])
        self.assertEqual((added["object"], added["modem"]),
                         ("/org/dmscd/Dmsc1/Card/1", "/dev/cdc-wdm-sim"))
        self.assertEqual(self.interrupt(monitor)[0], 0)

    def test_monitor_in_text_says_what_happens_in_one_line_each(self):
        d = self.start_with_card_server(script=SCRIPT)
        monitor = self.popen("monitor")
        self.wait_stderr(monitor, "Monitoring dmscd")
        self.assertEqual(self.control("trigger"), "triggered")
        lines = self.read_until(monitor, "session-finished")
        self.assertRegex(lines[-1], r"^\d\d:\d\d:\d\d\.\d{3} session-finished \d+ state=finished "
                                    r"result=ok changes=3$")
        self.assertTrue(any("notification origin=card card=0 server=card.dm session_id=77 "
                            "ui_mode=background verified=yes" in line for line in lines), lines)
        d.stop()
        self.assertIn("daemon-stopped", self.read_until(monitor, "daemon-stopped")[-1])
        self.assertEqual(self.interrupt(monitor)[0], 0)


QUESTIONS = ("ALERT-DISPLAY Maintenance tonight\n"
             "ALERT-CONFIRM Update now?\n"
             "ALERT-INPUT 5 abc Your name?\n"
             "ALERT-CHOICE Pick one|red|green\n"
             "ALERT-CHOICES Pick some|a|b|c\n"
             "ADD ./Vendor/X chr y\n")


class Agent(Ctl, unittest.TestCase):
    def alerts(self):
        return [json.loads(line) for line in self.record().splitlines()
                if '"cmd":"Alert"' in line and '"target":""' in line]

    def test_the_agent_asks_on_the_terminal_and_answers_the_server(self):
        d = self.start_with_card_server(script=QUESTIONS)
        agent = self.popen("agent")
        self.wait_stderr(agent, "Agent registered")
        # Typed ahead, with a wrong answer to each question first.
        agent.stdin.write("maybe\ny\ntoolongname\n\n9\n2\n1 x\n1,3\n")
        agent.stdin.flush()
        self.assertEqual(self.control("trigger"), "triggered")
        self.finished_session()
        code, out, err = self.interrupt(agent)
        self.assertEqual(code, 0, err)
        self.assertIn("Message from the DM server: Maintenance tonight\n", out)
        self.assertIn("The DM server asks: Update now? [y/n] Please answer y or n: ", out)
        self.assertIn("Your name? (at most 5 characters) [abc]: At most 5 characters, please: ",
                      out)
        self.assertIn("  1. red\n  2. green\nItem number: One item number: ", out)
        answers = [(a["status"], a.get("data")) for a in self.alerts()]
        # Confirm, input (the default), one choice, several.
        self.assertEqual(answers[-4:], [(200, None), (200, "abc"), (200, "2"), (200, "1,3")])
        self.assertIn('{"cmd":"Add","target":"./Vendor/X","status":200}', self.record())
        # Ctrl-C unregistered the agent: dmscd did not see it vanish.
        _, _, daemon_err = d.stop()
        self.assertNotIn("left the bus", daemon_err)

    def test_agent_yes_and_no_answer_confirmations_for_scripts(self):
        self.start_with_card_server(script="ALERT-CONFIRM Update now?\nADD ./Vendor/X chr y\n")
        for answer, status in (("--yes", 200), ("--no", 304)):
            with self.subTest(answer):
                agent = self.popen("agent", answer)
                self.wait_stderr(agent, "Agent registered")
                out = self.ctl_ok("trigger", "card.dm")
                code, said, err = self.interrupt(agent)
                self.assertEqual(code, 0, err)
                expected = "yes" if status == 200 else "no"
                self.assertIn(f"The DM server asks: Update now? [y/n] {expected}\n", said)
                self.assertEqual(self.alerts()[-1]["status"], status)
                self.assertIn("Result: ok", out)

    def test_agent_choice_answers_choices_for_scripts(self):
        self.start_with_card_server(script="ALERT-CHOICE Pick one|red|green\n"
                                           "ALERT-CONFIRM Update now?\nADD ./Vendor/X chr y\n")
        agent = self.popen("agent", "--yes", "--choice", "2")
        self.wait_stderr(agent, "Agent registered")
        out = self.ctl_ok("trigger", "card.dm")
        code, said, err = self.interrupt(agent)
        self.assertEqual(code, 0, err)
        self.assertIn("  1. red\n  2. green\n2\n", said)
        self.assertEqual([(a["status"], a.get("data")) for a in self.alerts()[-2:]],
                         [(200, "2"), (200, None)])
        self.assertIn("Result: ok", out)
        # Items that do not fit the question leave it unanswered; a bad list is refused.
        agent = self.popen("agent", "--no", "--choice", "1,2")
        self.wait_stderr(agent, "Agent registered")
        self.ctl("--session", "trigger", "card.dm")
        code, said, err = self.interrupt(agent)
        self.assertIn("(--choice does not answer this question: no answer)", said)
        self.assertEqual([a["status"] for a in self.alerts()[-2:]], [408, 304])
        r = self.ctl("--session", "agent", "--choice", "0")
        self.assertEqual(r.returncode, 64)
        self.assertIn("--choice 0: item numbers from 1", r.stderr)

    def test_a_second_agent_is_refused_with_one_line(self):
        self.start_with_card_server(script=SCRIPT)
        first = self.popen("agent", "--yes")
        self.wait_stderr(first, "Agent registered")
        r = self.ctl("--session", "agent", "--no")
        self.assertEqual(r.returncode, 1)
        self.assertIn("another agent is registered", r.stderr)
        self.assertEqual(self.interrupt(first)[0], 0)
        r = self.ctl("--session", "agent", "--yes", "--no")
        self.assertEqual(r.returncode, 64)


INTERFACES = os.path.join(os.path.dirname(__file__), "..", "..", "dbus", "interfaces")


def interface_shape(xml, name):
    """An interface of introspection data as comparable values: methods and signals with
    their arguments (direction, type, name), properties with type, access and annotations."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(xml)
    found = [i for i in root.iter("interface") if i.get("name") == name]
    if not found:
        return None
    shape = {}
    for element in found[0]:
        args = [(a.get("direction", "out" if element.tag == "signal" else "in"), a.get("type"),
                 a.get("name")) for a in element.iter("arg")]
        notes = sorted((n.get("name"), n.get("value")) for n in element.iter("annotation"))
        extra = (element.get("type"), element.get("access")) if element.tag == "property" else ()
        shape[(element.tag, element.get("name"))] = (args, notes, extra)
    return shape


class Interfaces(Ctl, unittest.TestCase):
    def introspect(self, path, destination="org.dmscd.Dmsc1"):
        r = subprocess.run(["gdbus", "introspect", "--address", self.bus.address, "--dest",
                            destination, "--object-path", path, "--xml"],
                           capture_output=True, text=True, timeout=TIMEOUT, check=True)
        return r.stdout

    def unique_name_of(self, pid):
        def call(*args):
            return self.bus.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", *args).stdout
        for word in call("ListNames").split():
            name = word.strip('"')
            if name.startswith(":") and call("GetConnectionUnixProcessID", "s",
                                             name).split() == ["u", str(pid)]:
                return name
        raise AssertionError(f"no connection of process {pid}")

    def test_the_running_daemon_matches_the_installed_interface_files(self):
        self.start_with_card_server(script=SCRIPT)
        self.ctl_ok("trigger", "card.dm")
        agent = self.popen("agent", "--yes")
        self.wait_stderr(agent, "Agent registered")
        agent_name = self.unique_name_of(agent.pid)
        objects = {"Manager": ("/org/dmscd/Dmsc1", "org.dmscd.Dmsc1"),
                   "Card": ("/org/dmscd/Dmsc1/Card/0", "org.dmscd.Dmsc1"),
                   "Session": ("/org/dmscd/Dmsc1/Session/0", "org.dmscd.Dmsc1"),
                   "Agent": ("/org/dmscd/dmscctl/Agent", agent_name)}
        for short, (path, destination) in objects.items():
            with self.subTest(short):
                name = f"org.dmscd.Dmsc1.{short}"
                with open(os.path.join(INTERFACES, f"{name}.xml")) as f:
                    documented = interface_shape(f.read(), name)
                running = interface_shape(self.introspect(path, destination), name)
                self.assertIsNotNone(running)
                self.assertEqual(running, documented)
        self.interrupt(agent)


class Usage(Fixture, unittest.TestCase):
    COMMANDS = ("status", "cards", "card", "sessions", "session", "tree", "trigger", "monitor",
                "agent", "cat", "notification", "syncml")

    def test_help_lists_every_command_and_each_command_its_options(self):
        r = self.ctl("--help")
        self.assertEqual(r.returncode, 0)
        for command in self.COMMANDS:
            self.assertRegex(r.stdout, rf"\n  {command}\b")
        for command in self.COMMANDS:
            with self.subTest(command):
                r = self.ctl(command, "--help")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(f"dmscctl {command}", r.stdout)
        self.assertIn("--no-wait", self.ctl("trigger", "--help").stdout)
        self.assertIn("--recursive", self.ctl("tree", "--help").stdout)
        self.assertIn("--yes", self.ctl("agent", "--help").stdout)

    def test_bash_completion_offers_commands_and_their_options(self):
        script = os.path.join(os.path.dirname(__file__), "..", "..", "systemd",
                              "dmscctl.bash-completion")

        def complete(*words):
            line = " ".join(f"'{w}'" for w in words)
            r = subprocess.run(["bash", "-c", "source /usr/share/bash-completion/bash_completion; "
                                f"source {script}; COMP_WORDS=(dmscctl {line}); "
                                f"COMP_CWORD={len(words)}; COMP_LINE='dmscctl {' '.join(words)}'; "
                                "COMP_POINT=${#COMP_LINE}; _dmscctl; echo ${COMPREPLY[@]}"],
                               capture_output=True, text=True, timeout=TIMEOUT)
            self.assertEqual(r.stderr, "")
            return r.stdout.split()

        self.assertEqual(complete("tr"), ["tree", "trigger"])
        self.assertEqual(complete("--session", "se"), ["sessions", "session"])
        self.assertEqual(complete("trigger", "x", "--encoding", ""), ["xml", "wbxml"])
        self.assertIn("ls", complete("tree", ""))
        self.assertIn("--no-wait", complete("trigger", "x", "--"))
        self.assertEqual(complete("agent", "--"), ["--system", "--session", "--help", "--yes",
                                                   "--no", "--choice"])

    def test_exit_statuses_say_what_went_wrong_in_one_line(self):
        for args, status in ((("frobnicate",), 64), (("cards", "--bogus"), 64),
                             (("agent", "--json"), 64),
                             (("syncml", "decode", "/nonexistent/file"), 66),
                             (("cat", "decode", "zz"), 65)):
            with self.subTest(args):
                r = self.ctl(*args)
                self.assertEqual(r.returncode, status, r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        # No dmscd on the bus: 69 from every command that needs it.
        for args in (("cards",), ("card", "0"), ("sessions",), ("session", "1"),
                     ("tree", "ls"), ("trigger", "x"), ("agent", "--yes")):
            with self.subTest(args):
                r = self.ctl("--session", *args)
                self.assertEqual(r.returncode, 69, r.stderr)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertIn("dmscd is not running", r.stderr)


if __name__ == "__main__":
    tap.main(Cards, Sessions, Tree, Monitor, Agent, Interfaces, Usage)
