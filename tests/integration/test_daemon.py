# SPDX-License-Identifier: LGPL-2.1-or-later
"""dmscd's lifecycle on a real dbus-daemon, seen through busctl and dmscctl."""

import os
import resource
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import Fixture, MANAGER, NAME, PATH, wait_until  # noqa: E402


class Lifecycle(Fixture, unittest.TestCase):
    def get_property(self, prop):
        return self.bus.busctl("get-property", NAME, PATH, MANAGER, prop).stdout.strip()

    def test_ready_after_owning_name_and_properties_readable_with_busctl(self):
        self.start()
        self.notify.wait_for("READY=1")
        self.assertTrue(self.bus.has_owner())
        self.assertEqual(self.get_property("Version"), 's "0.1.0"')
        self.assertEqual(self.get_property("State"), 's "running"')
        self.assertIn("STATUS=running", self.notify.messages)

    def test_object_manager_is_exported_at_the_root(self):
        self.start()
        self.notify.wait_for("READY=1")
        out = self.bus.busctl("introspect", NAME, PATH).stdout
        self.assertIn("org.freedesktop.DBus.ObjectManager", out)
        self.assertIn(MANAGER, out)
        out = self.bus.busctl("call", NAME, PATH, "org.freedesktop.DBus.ObjectManager",
                              "GetManagedObjects").stdout
        self.assertTrue(out.startswith("a{oa{sa{sv}}}"), out)

    def test_sigterm_notifies_stopping_releases_name_and_exits_zero(self):
        d = self.start()
        self.notify.wait_for("READY=1")
        status, _, err = d.stop(signal.SIGTERM)
        self.assertEqual(status, 0, err)
        self.notify.drain()
        self.assertTrue(any("STOPPING=1" in m for m in self.notify.messages))
        self.assertIn("STATUS=stopping", self.notify.messages)
        self.assertFalse(self.bus.has_owner())

    def test_sigint_stops_cleanly_too(self):
        d = self.start()
        self.notify.wait_for("READY=1")
        status, _, err = d.stop(signal.SIGINT)
        self.assertEqual(status, 0, err)
        self.assertFalse(self.bus.has_owner())

    def test_second_daemon_fails_cleanly_and_first_keeps_the_name(self):
        first = self.start()
        self.notify.wait_for("READY=1")
        second = self.start(notify=False)
        status, _, err = second.wait()
        self.assertEqual(status, 1)
        self.assertIn("org.dmscd.Dmsc1 is already owned", err)
        self.assertTrue(self.bus.has_owner())
        self.assertEqual(self.get_property("State"), 's "running"')
        status, _, _ = first.stop()
        self.assertEqual(status, 0)

    def test_the_bus_going_away_stops_dmscd_with_a_failure_for_systemd_to_restart_it(self):
        # The name and every object go with the connection: a dmscd left running would do the
        # card's work unseen, and no client could reach it when the bus came back.
        d = self.start()
        self.notify.wait_for("READY=1")
        self.bus.vanish()
        status, _, err = d.wait()
        self.assertEqual(status, 1, err)
        self.assertIn("lost the connection to the session bus", err)
        self.assertNotIn("cannot release", err)
        self.notify.drain()
        self.assertTrue(any("STOPPING=1" in m for m in self.notify.messages))

    def test_no_bus_is_an_error_not_a_hang(self):
        env_bus = self.bus.address
        self.bus.address = "unix:path=" + os.path.join(self.tmp.name, "no-bus")
        d = self.start()
        self.bus.address = env_bus
        status, _, err = d.wait()
        self.assertEqual(status, 1)
        self.assertIn("cannot connect to the session bus", err)


class StateDirectory(Fixture, unittest.TestCase):
    def state(self, *parts):
        return os.path.join(self.tmp.name, "state", *parts)

    def test_the_tree_is_saved_in_the_state_directory_with_mode_0600(self):
        d = self.start()
        self.notify.wait_for("READY=1")
        self.assertEqual(os.stat(self.state("tree")).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(self.state()).st_mode & 0o777, 0o700)
        self.assertEqual(d.stop()[0], 0)

    def test_a_corrupt_tree_is_moved_aside_reported_and_replaced(self):
        os.makedirs(self.state(), mode=0o700)
        with open(self.state("tree"), "wb") as f:
            f.write(b"garbage, not a tree")
        d = self.start()
        self.notify.wait_for("READY=1")
        status, _, err = d.stop()
        self.assertEqual(status, 0)
        aside = [n for n in os.listdir(self.state()) if n.startswith("tree.corrupt-")]
        self.assertEqual(len(aside), 1, os.listdir(self.state()))
        with open(self.state(aside[0]), "rb") as f:
            self.assertEqual(f.read(), b"garbage, not a tree")
        self.assertIn("is corrupt", err)
        self.assertIn(aside[0], err)
        # The fresh tree reads back: a second start reports nothing.
        d = self.start()
        self.notify.wait_for("READY=1")
        _, _, err = d.stop()
        self.assertNotIn("corrupt", err)

    def test_what_saves_cut_short_by_a_crash_left_is_removed_at_start(self):
        os.makedirs(self.state(), mode=0o700)
        left = ["tree.Ab3xY9", "sessions.q1W2e3"]
        kept = ["tree.corrupt-20261206T075009Z", "tree.backup1", "tree.Ab-xY9", "trees.Ab3xY9",
                "notes"]
        for name in left + kept:
            with open(self.state(name), "wb") as f:
                f.write(b"half a save")
        os.mkdir(self.state("tree.Dir123"))
        d = self.start()
        self.notify.wait_for("READY=1")
        status, _, err = d.stop()
        self.assertEqual(status, 0)
        names = set(os.listdir(self.state()))
        self.assertEqual(names & set(left), set(), names)
        self.assertLessEqual(set(kept) | {"tree", "tree.Dir123"}, names)
        for name in left:
            self.assertIn(f"removed {self.state(name)}, left by a save", err)

    def test_a_tree_that_cannot_be_saved_is_reported_and_dmscd_serves_all_the_same(self):
        def no_file_may_grow():
            # As on a full disk: writing a file fails (EFBIG; SIGXFSZ ignored, or it would end
            # dmscd). Pipes and sockets are not files: the bus and stderr work.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

        d = self.start(preexec_fn=no_file_may_grow)
        self.notify.wait_for("READY=1")
        state = self.bus.busctl("get-property", NAME, PATH, MANAGER, "State").stdout.strip()
        self.assertEqual(state, 's "running"')
        self.assertEqual(os.listdir(self.state()), [])
        status, _, err = d.stop()
        self.assertEqual(status, 0)
        self.assertIn("cannot save the DM tree", err)
        self.assertIn("changes refused until a save works", err)
        # The disk takes writes again: the next start saves the tree.
        self.notify.messages.clear()
        d = self.start()
        self.notify.wait_for("READY=1")
        self.assertEqual(d.stop()[0], 0)
        self.assertTrue(os.path.exists(self.state("tree")))

    def test_a_second_daemon_leaves_the_state_directory_alone(self):
        first = self.start()
        self.notify.wait_for("READY=1")
        before = os.stat(self.state("tree")).st_mtime_ns
        # What looks like the first one's save in flight stays too.
        with open(self.state("tree.Zz9Zz9"), "wb") as f:
            f.write(b"a save in flight")
        status, _, _ = self.start(notify=False).wait()
        self.assertEqual(status, 1)
        self.assertEqual(os.stat(self.state("tree")).st_mtime_ns, before)
        self.assertTrue(os.path.exists(self.state("tree.Zz9Zz9")))
        os.unlink(self.state("tree.Zz9Zz9"))
        first.stop()


class Configuration(Fixture, unittest.TestCase):
    def test_bad_value_exits_78_naming_file_group_key_and_form(self):
        path = self.write("bad.conf", "[session]\ntimeout=forever\n")
        d = self.start(config=path)
        status, out, err = d.wait()
        self.assertEqual(status, 78)
        self.assertIn(path, err)
        self.assertIn("[session] timeout", err)
        self.assertIn("an integer from 10 to 3600", err)
        self.assertFalse(self.bus.has_owner())
        self.notify.drain()
        self.assertEqual(self.notify.messages, [])

    def test_bad_drop_in_exits_78_naming_the_drop_in(self):
        path = self.write("dmscd.conf", "[session]\ntimeout=30\n")
        bad = self.write("dmscd.conf.d/10-bad.conf", "[card]\nbootstrap=perhaps\n")
        status, _, err = self.start(config=path).wait()
        self.assertEqual(status, 78)
        self.assertIn(bad, err)
        self.assertIn("[card] bootstrap", err)

    def test_missing_explicit_file_exits_78(self):
        status, _, err = self.start(config=os.path.join(self.tmp.name, "nope.conf")).wait()
        self.assertEqual(status, 78)
        self.assertIn("nope.conf: no such file", err)

    def test_unknown_key_is_a_warning_and_the_daemon_runs(self):
        path = self.write("dmscd.conf", "[daemon]\nverbose=true\n")
        d = self.start(config=path)
        self.notify.wait_for("READY=1")
        status, _, err = d.stop()
        self.assertEqual(status, 0)
        self.assertIn(f"{path}: [daemon] verbose: unknown key", err)

    def test_log_lines_keep_non_ascii_text_in_a_utf8_locale(self):
        # Without the locale dmscd's stderr would read "?ber".
        path = self.write("dmscd.conf", "[daemon]\n\u00dcber=1\n")
        status, _, err = self.start("--check-config", config=path,
                                    env={"LC_ALL": "C.UTF-8"}).wait()
        self.assertEqual(status, 0, err)
        self.assertIn("[daemon] \u00dcber: unknown key", err)

    def test_check_config_prints_effective_values_with_drop_ins(self):
        path = self.write("dmscd.conf", "[session]\ntimeout=30\n")
        self.write("dmscd.conf.d/50-later.conf", "[session]\ntimeout=45\n")
        status, out, err = self.start("--check-config", config=path).wait()
        self.assertEqual(status, 0, err)
        self.assertIn("[session]\ntimeout=45\n", out)
        self.assertFalse(self.bus.has_owner())

    def test_check_config_refuses_an_admin_group_that_does_not_exist(self):
        path = self.write("dmscd.conf", "[dbus]\nadmin-group=no-such-group-here\n")
        status, out, err = self.start("--check-config", config=path).wait()
        self.assertEqual(status, 78, err)
        self.assertIn("admin-group=no-such-group-here: no such group", err)
        path = self.write("dmscd.conf", "[dbus]\nadmin-group=root\n")
        status, out, err = self.start("--check-config", config=path).wait()
        self.assertEqual(status, 0, err)
        self.assertIn("[dbus]\nadmin-group=root\n", out)

    def test_debug_flag_enables_debug_messages(self):
        d = self.start("--debug")
        self.notify.wait_for("READY=1")
        _, _, err = d.stop()
        self.assertIn("state: running", err)

    def test_without_debug_no_debug_messages(self):
        d = self.start()
        self.notify.wait_for("READY=1")
        _, _, err = d.stop()
        self.assertNotIn("state: running", err)

    def test_version_and_usage_errors(self):
        status, out, _ = self.start("--version", notify=False).wait()
        self.assertEqual((status, out), (0, "dmscd 0.1.0\n"))
        status, _, err = self.start("--no-such-option", notify=False).wait()
        self.assertEqual(status, 64)
        self.assertIn("no-such-option", err)


class Dmscctl(Fixture, unittest.TestCase):
    def test_status_prints_version_and_state(self):
        self.start()
        self.notify.wait_for("READY=1")
        r = self.ctl("--session", "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Version: 0.1.0\nState: running\n")

    def test_status_without_daemon_exits_69_with_one_line(self):
        r = self.ctl("--session", "status")
        self.assertEqual(r.returncode, 69)
        self.assertEqual(r.stdout, "")
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn("dmscd is not running", r.stderr)

    def test_status_without_bus_exits_69(self):
        r = self.ctl("--session", "status", bus=False)
        self.assertEqual(r.returncode, 69)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_status_after_stop_exits_69(self):
        d = self.start()
        self.notify.wait_for("READY=1")
        d.stop()
        wait_until(lambda: not self.bus.has_owner(), what="name released")
        self.assertEqual(self.ctl("--session", "status").returncode, 69)

    def test_version_and_usage(self):
        r = self.ctl("--version")
        self.assertEqual((r.returncode, r.stdout), (0, "dmscctl 0.1.0\n"))
        self.assertEqual(self.ctl().returncode, 64)
        self.assertEqual(self.ctl("frobnicate").returncode, 64)
        self.assertEqual(self.ctl("--system", "--session", "status").returncode, 64)


if __name__ == "__main__":
    tap.main(Lifecycle, StateDirectory, Configuration, Dmscctl)
