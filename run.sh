#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dmscd from a clean clone on Debian bookworm (as root):
#   ./run.sh demo       install what is missing, build, run dmscd on a private bus, show it, stop it
#   ./run.sh test       install what is missing, build, run the whole test suite
#   ./run.sh sanitize   the whole test suite again, built with AddressSanitizer and
#                       UndefinedBehaviorSanitizer (in build-asan/); any report fails it
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}

# Debian packages needed to build and test. qmi-glib.pc requires mbim-glib and qrtr-glib.
PACKAGES=(
    meson ninja-build pkg-config gcc libc6-dev
    libglib2.0-dev libqmi-glib-dev libmbim-glib-dev libqrtr-glib-dev libmm-glib-dev
    libxml2-dev libwbxml2-dev libwbxml2-utils libsoup-3.0-dev libsystemd-dev libjson-glib-dev
    check dbus-daemon systemd python3 python3-dbusmock python3-gi curl openssl glib-networking
    iproute2 libqmi-utils util-linux libdbus-1-dev bash-completion
)

die() {
    echo "run.sh: $*" >&2
    exit 1
}

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}): run as root to install them"
    echo "run.sh: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR"
    fi
    ninja -C "$BUILD_DIR"
}

# The tests get a $TMPDIR of their own: whatever one of them leaves there (a directory it did
# not remove, a daemon's temporary file) is named and fails the run.
run_tests() {
    local log status=0 ok fail scratch left
    log=$(mktemp)
    scratch=$(mktemp -d)
    chmod 1777 "$scratch" # as /tmp: some tests run programs as another user
    TMPDIR=$scratch meson test -C "$BUILD_DIR" --print-errorlogs --num-processes "$(nproc)" "$@" |
        tee "$log" || status=$?
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log")
    fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log")
    rm -f "$log"
    echo "tests: ${ok:-0} passed, ${fail:-0} failed"
    left=$(cd "$scratch" && find . -mindepth 1 -maxdepth 2 | sort | head -20)
    rm -rf "$scratch"
    if [ -n "$left" ]; then
        printf 'run.sh: the tests left in $TMPDIR:\n%s\n' "$left" >&2
        [ "$status" -ne 0 ] || status=1
    fi
    return "$status"
}

# Globals: the EXIT trap runs after demo() has returned.
tmp=
bus_pid=
daemon_pid=
sim_pid=
agent_pid=

wait_for() { # seconds, command…
    local tries=$(($1 * 10))
    shift
    for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# A line on dmsc-sim's control socket (python3 is among the packages above).
sim_control() {
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.recv(4096).decode().strip())' "$tmp/control" "$1"
}

step() { printf '\n== %s\n' "$*"; }

demo() {
    local status port=3516 ctl="$BUILD_DIR/daemon/dmscctl --session" session
    tmp=$(mktemp -d)
    # shellcheck disable=SC2317 # called by the trap
    cleanup() {
        [ -n "$agent_pid" ] && kill -INT "$agent_pid" 2>/dev/null || true
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
        [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null || true
        rm -rf "$tmp"
    }
    trap cleanup EXIT

    step "A private D-Bus bus, so that nothing of this machine is touched"
    dbus-daemon --session --nofork --nopidfile --print-address=1 >"$tmp/address" 2>/dev/null &
    bus_pid=$!
    wait_for 5 test -s "$tmp/address"
    DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$tmp/address")
    export DBUS_SESSION_BUS_ADDRESS

    step "dmsc-sim: a QMI modem whose card runs its web server on port $port; its DM" \
        "bootstrap gives the card's DM server (card.dm) an account with MD5 credentials"
    cp tests/sim/demo/bootstrap.xml tests/sim/demo/script "$tmp/"
    printf '[modem]\nsocket=dmsc-sim-demo-%s\nscws-mode=raw-bip\nimei=490154203237518\n[card]\niccid=8949000000001234567\nbootstrap=bootstrap.xml\n[scws]\nport=%s\nchannels=2\n[server]\npath=/dm\nserver-id=card.dm\nserver-password=pw\nclient-name=device\nclient-password=device-secret\nauth=md5\nscript=script\n[trigger]\nwhen=never\nsession-id=42\nui-mode=background\n' \
        "$$" "$port" >"$tmp/profile"
    "$BUILD_DIR/tests/sim/dmsc-sim" --profile "$tmp/profile" --control "$tmp/control" >/dev/null &
    sim_pid=$!
    wait_for 5 test -S "$tmp/control"

    printf '[daemon]\nstate-directory=%s/state\n[modem]\ndevice=/dev/cdc-wdm-sim\nproxy-path=dmsc-sim-demo-%s\n' \
        "$tmp" "$$" >"$tmp/dmscd.conf"
    step "dmscd starts, finds the card, reads its bootstrap into the DM tree"
    "$BUILD_DIR/daemon/dmscd" --session-bus --config "$tmp/dmscd.conf" 2>"$tmp/dmscd.log" &
    daemon_pid=$!
    wait_for 10 sh -c "$ctl --json cards | grep -q '\"bootstrap_state\" : \"applied\"'" ||
        die "the card's bootstrap was not applied (see $tmp/dmscd.log)"
    $ctl cards

    step "dmscctl agent --yes: the agent that answers the DM server's question"
    $ctl agent --yes 2>/dev/null &
    agent_pid=$!
    wait_for 5 sh -c "grep -q 'agent .* registered' '$tmp/dmscd.log'"

    step "The card sends a DM notification (SEND SHORT MESSAGE); dmscd verifies it and runs" \
        "the session with the card's server through its web server"
    [ "$(sim_control trigger)" = triggered ] || die "dmsc-sim did not trigger"
    wait_for 30 sh -c "$ctl --json sessions | grep -q '\"state\" : \"finished\"'" ||
        die "the session did not finish (see $tmp/dmscd.log)"
    kill -INT "$agent_pid"
    wait "$agent_pid" || true
    agent_pid=

    step "dmscctl sessions"
    $ctl sessions
    session=$($ctl --json sessions | sed -n 's/^ *"number" : \([0-9]*\),$/\1/p' | tail -n 1)
    step "dmscctl session $session: what the card's server changed"
    $ctl session "$session"
    step "dmscctl tree ls -r ./Vendor"
    $ctl tree ls -r ./Vendor
    step "curl http://127.0.0.1:$port/: the card's web page, through dmscd's gateway"
    curl -sS --max-time 10 "http://127.0.0.1:$port/"
    echo

    step "SIGTERM"
    kill -TERM "$daemon_pid"
    status=0
    wait "$daemon_pid" || status=$?
    daemon_pid=
    echo "dmscd exited with status $status"
    return "$status"
}

case "${1:-}" in
demo)
    # The test of the demo runs it on a build that exists (RUN_SH_BUILT=1).
    if [ -z "${RUN_SH_BUILT:-}" ]; then
        install_packages
        build
    fi
    demo
    ;;
test)
    shift
    install_packages
    build
    run_tests "$@"
    ;;
sanitize)
    shift
    install_packages
    BUILD_DIR=build-asan
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" -Db_sanitize=address,undefined -Db_lundef=false
    fi
    ninja -C "$BUILD_DIR"
    # Undefined behaviour stops the program (UBSan only prints by default), with a stack.
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    run_tests "$@"
    ;;
*)
    echo "usage: $0 demo|test|sanitize" >&2
    exit 64
    ;;
esac
