# SPDX-License-Identifier: LGPL-2.1-or-later
"""A dmscd agent for tests: registers with dmscd on the session bus, answers Confirm with
argv[1] ("yes" or "no"; "hold": yes, once it gets SIGUSR1), Input with argv[2], Choose with
the first item, and prints each question it is asked ("Confirm TEXT", …) on stdout. Run with
Debian's /usr/bin/python3."""

import signal
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.dmscd.Dmsc1.Agent"
PATH = "/org/dmscd/TestAgent"


class Agent(dbus.service.Object):
    def __init__(self, bus, confirm, text):
        super().__init__(bus, PATH)
        self.confirm = confirm
        self.text = text
        self.held = []
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, self.release_held)

    def release_held(self):
        for reply in self.held:
            reply(True)
        self.held = []
        return GLib.SOURCE_CONTINUE

    def say(self, line):
        print(line, flush=True)

    @dbus.service.method(IFACE, in_signature="su", out_signature="")
    def DisplayAlert(self, text, min_seconds):
        self.say(f"DisplayAlert {text} {min_seconds}")

    @dbus.service.method(IFACE, in_signature="s", out_signature="b",
                         async_callbacks=("reply", "error"))
    def Confirm(self, text, reply, error):
        self.say(f"Confirm {text}")
        if self.confirm == "hold":
            self.held.append(reply)
        else:
            reply(self.confirm == "yes")

    @dbus.service.method(IFACE, in_signature="sa{sv}", out_signature="s")
    def Input(self, text, hints):
        self.say(f"Input {text}")
        return self.text

    @dbus.service.method(IFACE, in_signature="sasb", out_signature="au")
    def Choose(self, text, items, multiple):
        self.say(f"Choose {text} {list(items)} {bool(multiple)}")
        return dbus.Array([dbus.UInt32(1)], signature="u")

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Release(self):
        self.say("Release")


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    agent = Agent(bus, sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
    manager = dbus.Interface(bus.get_object("org.dmscd.Dmsc1", "/org/dmscd/Dmsc1"),
                             "org.dmscd.Dmsc1.Manager")
    manager.RegisterAgent(dbus.ObjectPath(PATH))
    agent.say("registered")
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
