# SPDX-License-Identifier: LGPL-2.1-or-later
"""`meson install` puts dmscd where systemd and dbus look, and the installed D-Bus policy
does what it says on a real dbus-daemon: only root owns the name and changes anything,
anyone reads properties."""

import grp
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
import tap  # noqa: E402
from harness import DMSCD, MANAGER, NAME, PATH, TIMEOUT, NotifySocket  # noqa: E402

BUILD_ROOT = os.environ["BUILD_ROOT"]
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLICY = os.path.join(SOURCE_ROOT, "systemd", "org.dmscd.Dmsc1.conf")

# The default policy of a system bus (as Debian's system.conf has it), plus ours.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""


# Run as nobody with CAP_SETGID: connect, add a group to this very process, then call.
GAIN_GROUP_THEN_TRIGGER = """
import os, sys
from gi.repository import Gio, GLib
address, gid = sys.argv[1], int(sys.argv[2])
flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
         Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
bus = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
os.setgroups([gid])
print("groups now", " ".join(str(g) for g in os.getgroups()))
try:
    bus.call_sync("org.dmscd.Dmsc1", "/org/dmscd/Dmsc1", "org.dmscd.Dmsc1.Manager", "Trigger",
                  GLib.Variant("(sa{sv})", ("srv.example", {})), None, 0, 10000, None)
    print("accepted")
except GLib.Error as e:
    print(e.message)
"""


def as_nobody(*argv):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv]


class Install(unittest.TestCase):
    def test_the_units_exposure_is_at_most_1_5(self):
        unit = os.path.join(BUILD_ROOT, "systemd", "dmscd.service")
        r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=15",
                            "--no-pager", unit], capture_output=True, text=True, timeout=120)
        level = re.search(r"Overall exposure level for dmscd.service: (\d+\.\d+)", r.stdout)
        self.assertIsNotNone(level, r.stdout + r.stderr)
        self.assertLessEqual(float(level.group(1)), 1.5, r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_a_dmscd_that_cannot_start_is_tried_again_until_it_can(self):
        # With the bus gone dmscd exits 1 at once, at every start: systemd must not count that
        # up to its start limit and give up (5 starts in 10 s unless the unit says otherwise).
        def seconds(value):
            value = value.strip()
            for suffix, factor in (("ms", 0.001), ("min", 60), ("s", 1)):
                if value.endswith(suffix):
                    return float(value[:-len(suffix)]) * factor
            return float(value)

        with open(os.path.join(BUILD_ROOT, "systemd", "dmscd.service")) as f:
            keys = dict(line.strip().split("=", 1) for line in f
                        if "=" in line and not line.startswith("#"))
        self.assertEqual(keys["Restart"], "on-failure")
        restart = seconds(keys.get("RestartSec", "100ms"))
        burst = int(keys.get("StartLimitBurst", "5"))
        interval = seconds(keys.get("StartLimitIntervalSec", "10s"))
        self.assertGreater(restart * burst, interval,
                           f"{burst} starts {restart} s apart fit in {interval} s")

    def install(self, destdir):
        subprocess.run(["meson", "install", "-C", BUILD_ROOT, "--no-rebuild", "--quiet",
                        "--destdir", destdir], check=True, capture_output=True, timeout=120)
        installed = json.loads(subprocess.run(
            ["meson", "introspect", "--installed", BUILD_ROOT], check=True,
            capture_output=True, text=True).stdout)
        return {os.path.basename(k): v for k, v in installed.items()}

    def test_install_puts_every_file_where_systemd_and_dbus_look(self):
        def pc(package, variable):
            return subprocess.run(["pkg-config", f"--variable={variable}", package], check=True,
                                  capture_output=True, text=True).stdout.strip()

        with tempfile.TemporaryDirectory() as destdir:
            targets = self.install(destdir)
            names = ["dmscd", "dmscctl", "dmscd.service", "org.dmscd.Dmsc1.conf", "dmscd.catalog",
                     "dmscd.8", "dmscd.conf.5", "dmscctl.1", "org.dmscd.Dmsc1.5", "dmscd.conf"]
            names += [f"org.dmscd.Dmsc1.{i}.xml" for i in ("Manager", "Card", "Session", "Agent")]
            for name in names:
                self.assertIn(name, targets)
                self.assertTrue(os.path.isfile(destdir + targets[name]), targets[name])
            self.assertTrue(targets["dmscd"].endswith("/sbin/dmscd"))
            self.assertTrue(targets["dmscd.conf.5"].endswith("/man/man5/dmscd.conf.5"))
            self.assertTrue(targets["org.dmscd.Dmsc1.5"].endswith("/man/man5/org.dmscd.Dmsc1.5"))
            self.assertTrue(targets["dmscd.8"].endswith("/man/man8/dmscd.8"))
            self.assertTrue(targets["dmscd.conf"].endswith("/etc/dmscd/dmscd.conf"))
            # Where the pkg-config files of systemd, dbus and bash-completion say, whatever
            # the prefix: dbus-daemon reads no policy under /usr/local.
            self.assertEqual(targets["dmscd.service"],
                             pc("systemd", "systemdsystemunitdir") + "/dmscd.service")
            self.assertEqual(targets["dmscd.catalog"],
                             pc("systemd", "catalogdir") + "/dmscd.catalog")
            self.assertEqual(targets["org.dmscd.Dmsc1.conf"],
                             pc("dbus-1", "datadir") + "/dbus-1/system.d/org.dmscd.Dmsc1.conf")
            self.assertEqual(targets["org.dmscd.Dmsc1.Manager.xml"],
                             pc("dbus-1", "interfaces_dir") + "/org.dmscd.Dmsc1.Manager.xml")
            completion = [v for k, v in targets.items() if v.endswith("/completions/dmscctl")]
            self.assertEqual(completion,
                             [pc("bash-completion", "completionsdir") + "/dmscctl"])
            with open(destdir + targets["dmscd.service"]) as f:
                unit = f.read()
            self.assertIn(f"ExecStart={targets['dmscd']}\n", unit)
            self.assertIn("Type=notify\n", unit)
            self.assertIn("BusName=org.dmscd.Dmsc1\n", unit)
            ET.parse(destdir + targets["org.dmscd.Dmsc1.conf"])
            for name in names:
                if name.endswith(".xml"):
                    ET.parse(destdir + targets[name])

    def test_the_default_configuration_shows_every_key_at_its_default(self):
        with tempfile.TemporaryDirectory() as destdir:
            path = destdir + self.install(destdir)["dmscd.conf"]
            with open(path) as f:
                text = f.read()
            # Uncommented, it is what dmscd uses with no configuration at all.
            uncommented = re.sub(r"^#(?=[a-z-]+=)", "", text, flags=re.M)
            with open(os.path.join(destdir, "all.conf"), "w") as f:
                f.write(uncommented)
            defaults = subprocess.run([DMSCD, "--check-config", "--config", "/dev/null"],
                                      capture_output=True, text=True, check=True).stdout
            shown = subprocess.run([DMSCD, "--check-config", "--config", f.name],
                                   capture_output=True, text=True)
            self.assertEqual((shown.returncode, shown.stderr), (0, ""))
            self.assertEqual(shown.stdout, defaults)
            # Every key dmscd knows is there, commented out: the file changes nothing.
            keys = re.findall(r"^#([a-z-]+)=", text, flags=re.M)
            self.assertFalse(re.search(r"^[a-z-]+=", text, flags=re.M))
            with open(os.path.join(SOURCE_ROOT, "daemon", "config.c")) as c:
                known = re.findall(r'\{ "[a-z]+", "([a-z-]+)", KEY_', c.read())
            self.assertEqual(sorted(keys), sorted(known))


class Catalog(unittest.TestCase):
    def test_every_message_id_of_the_daemon_is_in_the_catalog_journalctl_reads(self):
        import re
        with open(os.path.join(SOURCE_ROOT, "daemon", "dmscd.h")) as f:
            ids = set(re.findall(r'#define DMSCD_MESSAGE_\w+\s+"([0-9a-f]{32})"', f.read()))
        self.assertGreaterEqual(len(ids), 5)
        with tempfile.TemporaryDirectory() as root:
            catalog = os.path.join(root, "usr", "lib", "systemd", "catalog")
            os.makedirs(catalog)
            with open(os.path.join(SOURCE_ROOT, "systemd", "dmscd.catalog")) as f:
                text = f.read()
            with open(os.path.join(catalog, "dmscd.catalog"), "w") as f:
                f.write(text)
            subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], check=True,
                           capture_output=True, timeout=TIMEOUT)
            listed = subprocess.run(["journalctl", f"--root={root}", "--list-catalog"],
                                    check=True, capture_output=True, text=True,
                                    timeout=TIMEOUT).stdout
        found = set(re.findall(r"^([0-9a-f]{32}) dmscd: ", listed, re.M))
        self.assertEqual(found, ids)


@unittest.skipIf(os.geteuid() != 0, "needs root to run clients as another user")
class Policy(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="dmscd-policy-")
        os.chmod(self.tmp.name, 0o755)
        socket_path = os.path.join(self.tmp.name, "system_bus_socket")
        config = os.path.join(self.tmp.name, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=socket_path, policy=POLICY))
        self.bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                                     "--nopidfile", "--print-address=1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.bus.stdout.readline().strip()
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address)
        self.env.pop("NOTIFY_SOCKET", None)
        self.daemon = None

    def tearDown(self):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.terminate()
            self.daemon.communicate(timeout=TIMEOUT)
        self.bus.terminate()
        self.bus.wait(TIMEOUT)
        self.tmp.cleanup()

    def start_daemon(self, argv_prefix=(), extra=""):
        notify = NotifySocket(self.tmp.name)
        env = dict(self.env, NOTIFY_SOCKET=notify.path)
        config = os.path.join(self.tmp.name, "dmscd.conf")
        with open(config, "w") as f:
            f.write(f"[daemon]\nstate-directory={self.tmp.name}/state\n{extra}")
        self.daemon = subprocess.Popen([*argv_prefix, DMSCD, "--session-bus", "--config", config],
                                       env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
        return notify

    @staticmethod
    def terminate_children(pid):
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            for child in f.read().split():
                os.kill(int(child), signal.SIGTERM)

    def busctl(self, *args, user=None):
        argv = ["busctl", f"--address={self.address}", *args]
        return subprocess.run(as_nobody(*argv) if user == "nobody" else argv, env=self.env,
                              capture_output=True, text=True, timeout=TIMEOUT)

    def test_root_owns_the_name_and_anyone_reads_properties(self):
        notify = self.start_daemon()
        notify.wait_for("READY=1")
        notify.close()
        r = self.busctl("get-property", NAME, PATH, MANAGER, "Version", user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), 's "0.1.0"')
        r = self.busctl("call", NAME, PATH, "org.freedesktop.DBus.ObjectManager",
                        "GetManagedObjects", user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_only_root_may_change_anything(self):
        notify = self.start_daemon()
        notify.wait_for("READY=1")
        notify.close()
        args = ("set-property", NAME, PATH, MANAGER, "State", "s", "x")
        r = self.busctl(*args, user="nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("denied", r.stderr.lower())
        # Root passes the policy and reaches dmscd, which refuses a read-only property.
        r = self.busctl(*args)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("denied", r.stderr.lower())

    def test_only_root_may_trigger_a_session(self):
        notify = self.start_daemon()
        notify.wait_for("READY=1")
        notify.close()
        args = ("call", NAME, PATH, MANAGER, "Trigger", "sa{sv}", "srv.example", "0")
        r = self.busctl(*args, user="nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("permission denied: root or the admin group only", r.stderr)
        # Root reaches dmscd, which has no account for that server.
        r = self.busctl(*args)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no account for server", r.stderr)

    def test_only_root_may_read_the_tree(self):
        notify = self.start_daemon()
        notify.wait_for("READY=1")
        notify.close()
        args = ("call", NAME, PATH, MANAGER, "GetNode", "s", "./DevInfo/DevId")
        r = self.busctl(*args, user="nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("permission denied: root or the admin group only", r.stderr)
        r = self.busctl(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith('ssv "chr"'), r.stdout)

    def test_only_root_may_register_an_agent(self):
        notify = self.start_daemon()
        notify.wait_for("READY=1")
        notify.close()
        r = self.busctl("call", NAME, PATH, MANAGER, "RegisterAgent", "o", "/agent",
                        user="nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("permission denied: root or the admin group only", r.stderr)

    def test_the_admin_group_may_trigger_a_session_too(self):
        notify = self.start_daemon(extra="[dbus]\nadmin-group=nogroup\n")
        notify.wait_for("READY=1")
        notify.close()
        r = self.busctl("call", NAME, PATH, MANAGER, "Trigger", "sa{sv}", "srv.example", "0",
                        user="nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no account for server", r.stderr)

    def test_groups_gained_after_connecting_do_not_pass_the_caller_check(self):
        # The caller connects without the admin group, then gains it (as a setgid exec under
        # the same PID would): /proc/PID shows the group, the bus's record of the connection
        # does not, and only the latter counts.
        notify = self.start_daemon(extra="[dbus]\nadmin-group=adm\n")
        notify.wait_for("READY=1")
        notify.close()
        adm = grp.getgrnam("adm").gr_gid
        r = subprocess.run(
            [*as_nobody("--inh-caps=+setgid", "--ambient-caps=+setgid"), sys.executable, "-c",
             GAIN_GROUP_THEN_TRIGGER, self.address, str(adm)],
            env=self.env, capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"groups now {adm}", r.stdout)
        self.assertIn("permission denied: root or the admin group only", r.stdout)

    def test_an_admin_group_member_passes_with_proc_hidden_from_dmscd(self):
        # As under the unit's ProtectProc=invisible (and more: another PID namespace), dmscd
        # cannot read the caller's /proc entry; the bus's credentials suffice.
        hide_proc = ["unshare", "--pid", "--fork", "--mount", "--kill-child=SIGTERM", "sh", "-c",
                     'mount -t proc -o hidepid=invisible proc /proc && exec "$@"', "sh"]
        notify = self.start_daemon(argv_prefix=hide_proc, extra="[dbus]\nadmin-group=adm\n")
        # unshare ignores SIGTERM while it waits: stop dmscd, its child, directly.
        try:
            notify.wait_for("READY=1")
            notify.close()
            args = ["busctl", f"--address={self.address}", "call", NAME, PATH, MANAGER,
                    "Trigger", "sa{sv}", "srv.example", "0"]
            member = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=adm", *args]
            r = subprocess.run(member, env=self.env, capture_output=True, text=True,
                               timeout=TIMEOUT)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("no account for server", r.stderr)
            r = self.busctl(*args[2:], user="nobody")
            self.assertIn("permission denied: root or the admin group only", r.stderr)
        finally:
            self.terminate_children(self.daemon.pid)
            self.daemon.communicate(timeout=TIMEOUT)

    def test_dmscd_works_in_a_user_namespace_that_maps_root_alone(self):
        # The unit's PrivateUsers=yes: the bus still sees root, and callers are still told
        # apart by the credentials the bus gives.
        notify = self.start_daemon(argv_prefix=["unshare", "--user", "--map-root-user"],
                                   extra="[dbus]\nadmin-group=adm\n")
        notify.wait_for("READY=1")
        notify.close()
        r = self.busctl("call", NAME, PATH, MANAGER, "GetNode", "s", "./DevInfo/DevId")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.busctl("call", NAME, PATH, MANAGER, "GetNode", "s", "./DevInfo/DevId",
                        user="nobody")
        self.assertIn("permission denied: root or the admin group only", r.stderr)
        member = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=adm", "busctl",
                  f"--address={self.address}", "call", NAME, PATH, MANAGER, "GetNode", "s",
                  "./DevInfo/DevId"]
        r = subprocess.run(member, env=self.env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_non_root_daemon_cannot_own_the_name(self):
        self.start_daemon(argv_prefix=as_nobody())
        _, err = self.daemon.communicate(timeout=TIMEOUT)
        self.assertEqual(self.daemon.returncode, 1)
        self.assertIn("cannot own org.dmscd.Dmsc1", err)


if __name__ == "__main__":
    tap.main(Install, Catalog, Policy)
