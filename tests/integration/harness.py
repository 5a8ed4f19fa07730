# SPDX-License-Identifier: LGPL-2.1-or-later
"""A private D-Bus bus, dmscd processes on it, and the systemd notify socket they talk to."""

import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time

DMSCD = os.environ["DMSCD"]
DMSCCTL = os.environ["DMSCCTL"]
NAME = "org.dmscd.Dmsc1"
PATH = "/org/dmscd/Dmsc1"
MANAGER = "org.dmscd.Dmsc1.Manager"
TIMEOUT = 10


class PrivateBus:
    """A dbus-daemon of our own, so tests never touch the machine's buses."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.process.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon printed no address")

    def env(self, **extra):
        env = dict(os.environ)
        env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        env.pop("NOTIFY_SOCKET", None)
        env.update(extra)
        return env

    def busctl(self, *args, check=True):
        return subprocess.run(["busctl", f"--address={self.address}", *args],
                              capture_output=True, text=True, timeout=TIMEOUT, check=check)

    def has_owner(self, name=NAME):
        out = self.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "NameHasOwner", "s", name).stdout
        return out.strip() == "b true"

    def vanish(self):
        """The bus goes away under its clients, as a dbus-daemon that dies does."""
        self.process.kill()
        self.process.wait(TIMEOUT)

    def close(self):
        self.process.terminate()
        self.process.wait(TIMEOUT)


class NotifySocket:
    """The socket systemd gives a Type=notify service, to see READY=1 and friends."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.messages = []

    def wait_for(self, line, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not any(line in m.split("\n") for m in self.messages):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.socket], [], [], left)[0]:
                raise AssertionError(f"no {line!r} in notifications {self.messages!r}")
            self.messages.append(self.socket.recv(4096).decode())
        return True

    def drain(self):
        while select.select([self.socket], [], [], 0.2)[0]:
            self.messages.append(self.socket.recv(4096).decode())

    def close(self):
        self.socket.close()


class Daemon:
    """One dmscd on the private bus, started with --session-bus."""

    def __init__(self, bus, directory, *args, config=None, notify=None, env=None,
                 preexec_fn=None):
        if config is None:
            config = os.path.join(directory, "dmscd.conf")
            if not os.path.exists(config):
                with open(config, "w") as f:
                    f.write(f"[daemon]\nstate-directory={directory}/state\n")
        env = bus.env(**({"NOTIFY_SOCKET": notify.path} if notify else {}), **(env or {}))
        self.process = subprocess.Popen([DMSCD, "--session-bus", "--config", config, *args],
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, preexec_fn=preexec_fn)

    def wait(self, timeout=TIMEOUT):
        out, err = self.process.communicate(timeout=timeout)
        # In a sanitizer build a report is a failure of whatever test ran the daemon.
        if "Sanitizer" in err:
            raise AssertionError("dmscd under a sanitizer:\n" + err[err.find("=="):][:4000])
        # So is a failed precondition (a critical of a library, a library's g_warn_if_fail, or
        # an assertion of dmscd's) or a warning of GLib's own ("GError set over the top of a
        # previous GError"): a bug, whatever the test checks. dmscd's own criticals (a
        # configuration it cannot run with) are messages.
        for line in err.splitlines():
            if (re.search(r"\(dmscd:\d+\): (?!dmscd-)[\w-]+-CRITICAL \*\*", line)
                    or ("-CRITICAL **" in line and "assertion '" in line)
                    or ("WARNING **" in line and "runtime check failed" in line)
                    or re.search(r"GLib(-\w+)?-WARNING \*\*", line)):
                raise AssertionError("dmscd logged:\n" + err[err.find(line):][:2000])
        return self.process.returncode, out, err

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        return self.wait()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


# dmsc-sim control commands whose answer is several lines closed by "end".
SIM_LISTS = ("envelopes", "scws-acks")


def sim_control(path, line, timeout=TIMEOUT):
    """One command on dmsc-sim's control socket; its answer without the final newline."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        end = b"end\n" if line in SIM_LISTS else b"\n"
        data = b""
        while not data.endswith(end):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode().strip()


def wait_until(predicate, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Fixture:
    """Per-test bus, notify socket and temporary directory, cleaned up in any case."""

    def setUp(self):
        # Cleanups, not tearDown: a setUp that fails half-way (here or in a subclass) still
        # takes down what it started, the bus first of all.
        self.daemons = []
        self.tmp = tempfile.TemporaryDirectory(prefix="dmscd-test-")
        self.addCleanup(self.tmp.cleanup)
        self.bus = PrivateBus()
        self.addCleanup(self.bus.close)
        self.notify = NotifySocket(self.tmp.name)
        self.addCleanup(self.notify.close)
        self.addCleanup(self.kill_daemons)

    def kill_daemons(self):
        for d in self.daemons:
            d.kill()

    def tearDown(self):
        pass

    def start(self, *args, notify=True, **kwargs):
        d = Daemon(self.bus, self.tmp.name, *args, notify=self.notify if notify else None,
                   **kwargs)
        self.daemons.append(d)
        return d

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def ctl(self, *args, bus=True):
        env = self.bus.env() if bus else dict(os.environ, DBUS_SESSION_BUS_ADDRESS=
                                               "unix:path=" + os.path.join(self.tmp.name, "none"))
        return subprocess.run([DMSCCTL, *args], env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)


AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent.py")


class Agent:
    """tests/integration/agent.py answering with @answers, registered with dmscd once this
    returns; stop() says what it was asked."""

    def __init__(self, bus, *answers):
        # Unbuffered: the first line is read alone, the rest with os.read.
        self.process = subprocess.Popen(["/usr/bin/python3", AGENT, *answers], env=bus.env(),
                                        stdout=subprocess.PIPE, bufsize=0)
        self.output = b""
        first = self.process.stdout.readline()
        if first.strip() != b"registered":
            self.process.kill()
            self.process.wait(TIMEOUT)
            raise AssertionError(f"agent: {first!r}")

    def read_until(self, text, timeout=TIMEOUT):
        """What the agent printed so far, once it holds @text (or the time is up)."""
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            self.output += chunk
        return self.output.decode()

    def release(self):
        """An agent started with "hold" answers the Confirms it holds (yes)."""
        self.process.send_signal(signal.SIGUSR1)

    def stop(self, until=None, timeout=TIMEOUT):
        """Every line the agent printed; with @until, first waits for that line (dmscd's
        Release, sent as it stops, may still be on its way when its process has ended)."""
        if until is not None:
            self.read_until(until, timeout)
        self.process.terminate()
        self.output += self.process.communicate(timeout=TIMEOUT)[0]
        return self.output.decode()


class SignalWatcher:
    """Every signal dmscd emits on the private bus, one line each as gdbus monitor prints them
    ("PATH: INTERFACE.MEMBER (ARGS)"); use with `with`. The match rule is in place when `with`
    enters: the bus answers a connection's calls in order, and a call made after AddMatch
    returns only once the rule is there (no sleeping in the hope that it is)."""

    def __init__(self, bus, name=NAME):
        from gi.repository import Gio, GLib
        self.GLib = GLib
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()
        try:
            self.connection = Gio.DBusConnection.new_for_address_sync(
                bus.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
            self.lines = []
            self.subscription = self.connection.signal_subscribe(
                name, None, None, None, None, Gio.DBusSignalFlags.NONE, self._on_signal)
            self.connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "GetId", None, None,
                                      Gio.DBusCallFlags.NONE, TIMEOUT * 1000, None)
        finally:
            self.context.pop_thread_default()

    def _on_signal(self, connection, sender, path, interface, member, parameters):
        self.lines.append(f"{path}: {interface}.{member} {parameters.print_(True)}\n")

    def __enter__(self):
        return self

    def wait_for(self, member, timeout=TIMEOUT):
        """Everything seen up to and including the line with @member (which is consumed)."""
        deadline = time.monotonic() + timeout
        seen = ""
        while True:
            while self.lines:
                seen += self.lines.pop(0)
                if member in seen:
                    return seen
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {member}, only {seen!r}")
            # Signals are dispatched in this context only: nothing else runs them.
            if not self.context.iteration(False):
                time.sleep(0.01)

    def __exit__(self, *exc):
        self.connection.signal_unsubscribe(self.subscription)
        self.connection.close_sync(None)
