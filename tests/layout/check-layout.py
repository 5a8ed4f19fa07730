#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The house rules of the source layout, checked on the sources (TAP):
- cat/ and dm/ do not include each other, and no library includes daemon/ files;
- cat/ names no socket, libqmi or main-loop API;
- the files of one library do not call each other in circles."""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
LIBRARIES = {"cat": "cat", "dm": "dm", "dbus": "dbus", "modem": "daemon/modem"}

results = []


def check(ok, name, detail=""):
    results.append((ok, name, detail))


def sources(folder):
    path = os.path.join(ROOT, folder)
    return sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".c", ".h")))


def text(path):
    with open(path, encoding="utf-8") as f:
        # Comments say why; only code counts.
        return re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)


def includes(path):
    return re.findall(r'#include\s+"([^"]+)"', text(path))


for lib, folder in LIBRARIES.items():
    bad = []
    for path in sources(folder):
        for inc in includes(path):
            # The daemon wires the libraries; none of them reaches back into it.
            if inc.startswith("daemon/") and not (lib == "modem" and inc.startswith("daemon/modem/")):
                bad.append(f"{os.path.basename(path)} includes {inc}")
            if lib in ("cat", "dm") and inc.startswith("daemon/modem/"):
                bad.append(f"{os.path.basename(path)} includes {inc}")
            if lib == "cat" and inc.startswith("dm/"):
                bad.append(f"{os.path.basename(path)} includes {inc}")
            if lib == "dm" and inc.startswith("cat/"):
                bad.append(f"{os.path.basename(path)} includes {inc}")
    check(not bad, f"{folder}/ includes only what the data flow allows", "; ".join(bad))

forbidden = ["GSocket", "GTask", "GCancellable", "Qmi", "qmi_", "GMainLoop", "g_idle_add",
             "g_timeout_add", "libmm"]
found = [f"{os.path.basename(p)}: {w}" for p in sources("cat") for w in forbidden if w in text(p)]
check(not found, "cat/ is pure: no sockets, libqmi, ModemManager or main loop", "; ".join(found))

CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(")
DEFINITION = re.compile(r"^[A-Za-z][^;{}()]*?\b([a-z_][a-z0-9_]*)\s*\([^;]*\)\s*\{", re.M)

for lib, folder in LIBRARIES.items():
    files = [p for p in sources(folder) if p.endswith(".c")]
    defined = {}
    for path in files:
        for name in DEFINITION.findall(text(path)):
            if not re.search(r"\bstatic\b[^;{]*\b" + name + r"\s*\(", text(path)):
                defined[name] = path
    edges = {p: set() for p in files}
    for path in files:
        for name in set(CALL.findall(text(path))):
            target = defined.get(name)
            if target is not None and target != path:
                edges[path].add(target)
    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        return False

    cycles = sorted({" <-> ".join(sorted((os.path.basename(a), os.path.basename(b))))
                     for a in files for b in edges[a] if reaches(b, a)})
    check(not cycles, f"the files of {folder}/ do not call each other in circles", "; ".join(cycles))

for i, (ok, name, detail) in enumerate(results, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        print(f"# {detail}")
print(f"1..{len(results)}")
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
