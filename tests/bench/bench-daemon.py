# SPDX-License-Identifier: LGPL-2.1-or-later
"""The whole daemon at work: dmscd with dmsc-sim on a private bus runs N card-triggered
two-package sessions with the card's DM server (through the SCWS gateway: raw BIP, or with
--qmi-scws the QMI SCWS messages), one after another, and this prints what they cost:

  what crossed the card's channel (proactive commands, bytes each way: what a real card's
  slow link pays for), median and 95th percentile session time (the session's Started to
  Ended), sessions per
  second, dmscd's CPU time per session, with --valgrind the instructions dmscd ran per
  session (callgrind, counters zeroed once the card is ready) and which of its binaries ran
  them (the program's own code, each library's), Private_Dirty idle before and
  after the sessions, and dmscd's wake-ups (context switches of all its threads) over an idle
  period.

  bench-daemon.py [--sessions N] [--idle SECONDS] [--reads | --writes] [--keep-alive]
                  [--tree LEAVES] [--wbxml] [--qmi-scws]
                  [--valgrind [--callgrind-out FILE]]

Run by `meson test -C build --benchmark -v daemon`. It measures; it never fails on a figure.
Run with Debian's /usr/bin/python3 (it needs python3-gi)."""

import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
# Run by hand, the programs of ./build serve (meson passes its own).
for name, program in (("DMSCD", "daemon/dmscd"), ("DMSCCTL", "daemon/dmscctl"),
                      ("DMSC_SIM", "tests/sim/dmsc-sim"),
                      ("DMSC_DM_SERVER", "tests/dm-server/dmsc-dm-server")):
    os.environ.setdefault(name, os.path.join(ROOT, "build", program))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from gi.repository import Gio, GLib  # noqa: E402
from harness import NAME, PrivateBus, sim_control, wait_until  # noqa: E402
from modem_fixture import account_bootstrap, add_leaf, add_node, free_port  # noqa: E402

SIM = os.environ["DMSC_SIM"]
DMSCD = os.environ["DMSCD"]
SCRIPT = "ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b\nADD ./Vendor/B chr c\n"
# --reads: a session that only reads (the server asks for DevInfo)
READS = "GET ./DevInfo/Mod\nPACKAGE\nGET ./DevInfo/Man\nGET ./DevInfo/Lang\n"
# --writes: every session leaves a value it has not left before (SCRIPT's sessions after the
# first write what is there already: the tree is saved once)
WRITES = ("ADD ./Vendor/A chr a\nPACKAGE\nREPLACE ./Vendor/A chr b{session}\n"
          "ADD ./Vendor/B chr c\n")
CARD = "org.dmscd.Dmsc1.Card"
SESSION = "org.dmscd.Dmsc1.Session"


def proc(pid, name):
    with open(f"/proc/{pid}/{name}") as f:
        return f.read()


def cpu_seconds(pid):
    fields = proc(pid, "stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def private_dirty_kib(pid):
    for line in proc(pid, "smaps_rollup").splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1])
    return 0


def context_switches(pid):
    total = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def object_name(path):
    """libglib-2.0.so.0.7400.6 -> libglib-2.0; dmscd's own binary by its name."""
    name = os.path.basename(path)
    return name.split(".so")[0] if ".so" in name else name


def read_profile(lines):
    """(total, {object: instructions}) from a callgrind profile: the instructions each binary
    ran itself (callgrind's self cost), the program's and every library's. A cost line that
    follows calls= is what the call cost in all (inclusive): it is not the caller's own."""
    names = {}  # "(id)" -> name; ob= and cob= share one table
    by_object = {}
    total = None
    current = "?"
    after_call = False
    for line in lines:
        if line[:1].isdigit() or line[:1] in "+-*":
            if after_call:
                after_call = False
                continue
            fields = line.split()
            if len(fields) >= 2:
                by_object[current] = by_object.get(current, 0) + int(fields[1])
        elif line.startswith(("ob=", "cob=")):
            match = re.match(r"c?ob=(\(\d+\))?\s*(.*)", line.rstrip("\n"))
            key, name = match.group(1), match.group(2)
            if key is not None and name:
                names[key] = name
            elif key is not None:
                name = names.get(key, "?")
            if line.startswith("ob="):
                current = object_name(name)
        elif line.startswith("calls="):
            after_call = True
        elif line.startswith(("summary:", "totals:")):
            total = int(line.split()[1])
    if total is None:
        raise SystemExit("no totals in the callgrind dump")
    if sum(by_object.values()) != total:
        raise SystemExit("the callgrind dump's own costs do not add up to its total")
    return total, by_object


def bulk(bootstrap, leaves):
    """@bootstrap with @leaves more leaves for the device's tree, under ./Vendor/Bulk in
    nodes of 20 (a tree of a realistic size: sessions that copy, compare or save it whole
    cost more with it)."""
    if leaves == 0:
        return bootstrap
    adds = [add_node(100, "./Vendor"), add_node(101, "./Vendor/Bulk")]
    for n in range(leaves):
        if n % 20 == 0:
            adds.append(add_node(102 + len(adds), f"./Vendor/Bulk/{n // 20}"))
        adds.append(add_leaf(102 + len(adds), f"./Vendor/Bulk/{n // 20}/{n % 20}", "v"))
    return bootstrap.replace("<Final/>", "".join(adds) + "<Final/>")


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.sim = self.daemon = None
        self.bus = PrivateBus()
        try:
            self.start()
        except BaseException:
            self.close()  # nothing this run started outlives it
            raise

    def start(self):
        args, tmp = self.args, self.tmp
        self.encoding = "wbxml" if args.wbxml else "xml"
        self.connection = Gio.DBusConnection.new_for_address_sync(
            self.bus.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.control = os.path.join(tmp, "control")
        self.port = free_port()
        socket_name = f"dmsc-sim-bench-{os.getpid()}"
        self.write("script", READS if args.reads else WRITES if args.writes else SCRIPT)
        self.write("bootstrap.xml", bulk(account_bootstrap(f"http://127.0.0.1:{self.port}/dm"),
                                         args.tree))
        mode = "qmi" if args.qmi_scws else "raw-bip"
        profile = self.write("profile", f"[modem]\nsocket={socket_name}\nscws-mode={mode}\n"
                             f"[scws]\nport={self.port}\n"
                             f"keep-alive={'true' if args.keep_alive else 'false'}\n"
                             f"[server]\npath=/dm\nencoding={self.encoding}\n"
                             "server-id=card.dm\nserver-password=pw\nscript=script\n"
                             "[trigger]\nwhen=never\nsession-id=77\nui-mode=background\n"
                             "[card]\nbootstrap=bootstrap.xml\n")
        self.sim = subprocess.Popen([SIM, "--profile", profile, "--control", self.control],
                                    stdout=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(self.control), what="dmsc-sim")
        config = self.write("dmscd.conf", f"[daemon]\nstate-directory={tmp}/state\n"
                            f"[session]\nencoding={self.encoding}\n"
                            f"[modem]\ndevice=/dev/cdc-wdm-sim\nproxy-path={socket_name}\n")
        command = [DMSCD, "--session-bus", "--config", config]
        self.callgrind = os.path.join(tmp, "callgrind.out")
        if args.valgrind:
            command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.callgrind}",
                       "--collect-atstart=yes", *command]
        self.daemon = subprocess.Popen(command, env=self.bus.env(), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        slow = 120 if args.valgrind else 10
        wait_until(self.card_ready, timeout=slow, what="the card read, its bootstrap applied")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def call(self, path, interface, method, args):
        return self.connection.call_sync(NAME, path, interface, method, args, None,
                                         Gio.DBusCallFlags.NONE, 10000, None).unpack()

    def prop(self, path, interface, name):
        return self.call(path, "org.freedesktop.DBus.Properties", "Get",
                         GLib.Variant("(ss)", (interface, name)))[0]

    def card_ready(self):
        try:
            path = "/org/dmscd/Dmsc1/Card/0"
            return (self.port in self.prop(path, CARD, "ScwsPorts")
                    and self.prop(path, CARD, "BootstrapState") == "applied")
        except GLib.Error:
            return False

    def run_sessions(self):
        """Triggers the card N times, one session at a time; each session's duration (s).

        The times come from the PropertiesChanged dmscd sends as a session ends (just before
        SessionFinished): no call of the benchmark's own is counted in dmscd's figures."""
        finished = []
        times = {}  # session path: (Started, Ended)
        loop = GLib.MainLoop()

        def on_changed(connection, sender, path, interface, signal, parameters):
            changed = parameters.unpack()[1]
            if "Started" in changed and "Ended" in changed:
                times[path] = (changed["Started"], changed["Ended"])

        def on_finished(connection, sender, path, interface, signal, parameters):
            finished.append(parameters.unpack())
            loop.quit()

        self.connection.signal_subscribe(NAME, "org.freedesktop.DBus.Properties",
                                         "PropertiesChanged", None, SESSION,
                                         Gio.DBusSignalFlags.NONE, on_changed)
        self.connection.signal_subscribe(NAME, "org.dmscd.Dmsc1.Manager", "SessionFinished",
                                         "/org/dmscd/Dmsc1", None, Gio.DBusSignalFlags.NONE,
                                         on_finished)
        durations = []
        for n in range(self.args.sessions):
            if sim_control(self.control, "trigger") != "triggered":
                raise SystemExit("dmsc-sim did not trigger")
            timeout = GLib.timeout_add_seconds(120, loop.quit)
            loop.run()
            GLib.source_remove(timeout)
            if len(finished) != n + 1 or finished[-1][1] != "ok":
                raise SystemExit(f"session {n}: {finished[-1:] or 'no end'}")
            started, ended = times.pop(finished[-1][0])
            durations.append((ended - started) / 1e6)
        return durations

    def instructions(self):
        """Instructions dmscd ran since the counters were last zeroed (callgrind)."""
        before = set(glob.glob(self.callgrind + "*"))
        subprocess.run(["callgrind_control", "-d", str(self.daemon.pid)], check=True,
                       capture_output=True)
        wait_until(lambda: set(glob.glob(self.callgrind + "*")) - before, timeout=30,
                   what="the callgrind dump")
        dump = sorted(set(glob.glob(self.callgrind + "*")) - before)[-1]
        # Kept for callgrind_annotate when asked for: where the instructions went.
        if self.args.callgrind_out is not None:
            shutil.copy(dump, self.args.callgrind_out)
        with open(dump) as f:
            return read_profile(f)

    def close(self):
        for process, timeout in ((self.daemon, 60), (self.sim, 10)):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                # Reported, but what the run started goes with it all the same.
                process.kill()
                process.wait()
                print(f"{process.args[0]} did not stop on SIGTERM: killed", file=sys.stderr)
        self.bus.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--reads", action="store_true",
                        help="sessions whose server only reads (Get) instead of writing")
    parser.add_argument("--writes", action="store_true",
                        help="sessions that each change the tree (so that each saves it)")
    parser.add_argument("--keep-alive", action="store_true",
                        help="a card that keeps the session's connection for its next request "
                             "(the simulated card otherwise closes it after each answer, as "
                             "cards typically do)")
    parser.add_argument("--qmi-scws", action="store_true",
                        help="the card's web server over the QMI SCWS messages, not raw BIP")
    parser.add_argument("--wbxml", action="store_true",
                        help="sessions in WBXML (dmscd's [session] encoding and the card's "
                             "server both), not XML")
    parser.add_argument("--tree", type=int, default=0, metavar="LEAVES",
                        help="this many more leaves in the device's tree (from the card's "
                             "bootstrap)")
    parser.add_argument("--valgrind", action="store_true",
                        help="run dmscd under callgrind and count its instructions")
    parser.add_argument("--callgrind-out", metavar="FILE",
                        help="keep the sessions' callgrind profile there (with --valgrind; "
                             "without, it goes with the run)")
    args = parser.parse_args()
    if args.reads and args.writes:
        parser.error("--reads and --writes exclude each other")
    with tempfile.TemporaryDirectory(prefix="dmscd-bench-") as tmp:
        bench = Bench(args, tmp)
        try:
            pid = bench.daemon.pid
            time.sleep(2)  # the card's start-up work done
            dirty_before = private_dirty_kib(pid)
            if args.valgrind:
                subprocess.run(["callgrind_control", "-z", str(pid)], check=True,
                               capture_output=True)
            cpu_before = cpu_seconds(pid)
            start = time.monotonic()
            durations = bench.run_sessions()
            wall = time.monotonic() - start
            connections, requests = map(int, sim_control(bench.control, "scws-counts").split()[1:])
            commands, scws_messages, bytes_in, bytes_out = map(
                int, sim_control(bench.control, "channel-counts").split()[1:])
            cpu = cpu_seconds(pid) - cpu_before
            instructions = bench.instructions() if args.valgrind else None
            time.sleep(1)
            dirty_after = private_dirty_kib(pid)
            switches = context_switches(pid)
            time.sleep(args.idle)
            wakeups = context_switches(pid) - switches
        finally:
            bench.close()
    n = len(durations)
    ms = sorted(d * 1000 for d in durations)
    p95 = ms[min(n - 1, int(round(0.95 * n)) - 1)]
    print(f"sessions: {n} card-triggered, two packages each"
          + (", the server only reading" if args.reads else "")
          + (", each changing the tree" if args.writes else "")
          + (", QMI SCWS" if args.qmi_scws else ", raw BIP")
          + (", the card keeping the connection" if args.keep_alive else "")
          + (f", {args.tree} more leaves in the tree" if args.tree else "")
          + (", in WBXML" if args.wbxml else "")
          + (" (dmscd under callgrind: times are callgrind's)" if args.valgrind else ""))
    print(f"the card's web server: {requests / n:.1f} requests on {connections / n:.1f} "
          "connections a session")
    # What a real card's link pays for: each proactive command is a round trip through the
    # modem, and the card moves a few hundred bytes a command.
    exchanges = (f"{scws_messages / n:.1f} QMI SCWS messages" if args.qmi_scws
                 else f"{commands / n:.1f} proactive commands")
    print(f"the card's channel: {exchanges} a session, "
          f"{bytes_in / n:.0f} bytes of requests to the card and {bytes_out / n:.0f} of answers "
          "from it")
    print(f"session time: median {statistics.median(ms):.1f} ms, 95th percentile {p95:.1f} ms")
    print(f"throughput: {n / wall:.1f} sessions/s (one at a time, trigger to end)")
    print(f"dmscd CPU time: {cpu * 1000 / n:.2f} ms per session")
    if instructions is not None:
        total, by_object = instructions
        print(f"dmscd instructions: {total / n / 1e6:.2f} M per session"
              + (f" (profile: {args.callgrind_out})" if args.callgrind_out else ""))
        ranked = sorted(by_object.items(), key=lambda item: -item[1])
        print("  run by (their own code, what they call counted where it runs): "
              + ", ".join(f"{name} {cost / n / 1e6:.2f} M" for name, cost in ranked
                          if cost / n >= 5000))
    print(f"Private_Dirty: {dirty_before} kB idle before, {dirty_after} kB after "
          f"({(dirty_after - dirty_before) / n:.2f} kB per session)")
    print(f"wake-ups idle: {wakeups} in {args.idle:.0f} s")


if __name__ == "__main__":
    main()
