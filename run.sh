#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dmscd from a clean clone on Debian bookworm (as root):
#   ./run.sh demo   install what is missing, build, run dmscd on a private bus, show it, stop it
#   ./run.sh test   install what is missing, build, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}

# Debian packages needed to build and test. qmi-glib.pc requires mbim-glib and qrtr-glib.
PACKAGES=(
    meson ninja-build pkg-config gcc libc6-dev
    libglib2.0-dev libqmi-glib-dev libmbim-glib-dev libqrtr-glib-dev libmm-glib-dev
    libxml2-dev libwbxml2-dev libwbxml2-utils libsoup-3.0-dev libsystemd-dev libjson-glib-dev
    check dbus-daemon systemd python3 python3-dbusmock curl openssl glib-networking
    iproute2 libqmi-utils util-linux
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

run_tests() {
    local log status=0 ok fail
    log=$(mktemp)
    meson test -C "$BUILD_DIR" --print-errorlogs --num-processes "$(nproc)" "$@" | tee "$log" ||
        status=$?
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log")
    fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log")
    rm -f "$log"
    echo "tests: ${ok:-0} passed, ${fail:-0} failed"
    return "$status"
}

# Globals: the EXIT trap runs after demo() has returned.
tmp=
bus_pid=
daemon_pid=
sim_pid=

wait_for() { # seconds, command…
    local tries=$(($1 * 10))
    shift
    for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

demo() {
    local status port=3516
    tmp=$(mktemp -d)
    # shellcheck disable=SC2317 # called by the trap
    cleanup() {
        [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
        [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
        [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null || true
        rm -rf "$tmp"
    }
    trap cleanup EXIT

    echo "== a private D-Bus bus"
    dbus-daemon --session --nofork --nopidfile --print-address=1 >"$tmp/address" 2>/dev/null &
    bus_pid=$!
    wait_for 5 test -s "$tmp/address"
    DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$tmp/address")
    export DBUS_SESSION_BUS_ADDRESS

    echo "== dmsc-sim: a QMI modem whose card runs a Smartcard Web Server on port $port"
    printf 'ADD ./Vendor/Demo chr hello\n' >"$tmp/script"
    printf '[modem]\nsocket=dmsc-sim-demo-%s\nscws-mode=raw-bip\nimei=490154203237518\n[card]\niccid=8949000000001234567\n[scws]\nport=%s\nchannels=2\n[server]\npath=/dm\nserver-id=card.dm\nscript=script\n' \
        "$$" "$port" >"$tmp/profile"
    "$BUILD_DIR/tests/sim/dmsc-sim" --profile "$tmp/profile" --control "$tmp/control" >/dev/null &
    sim_pid=$!
    wait_for 5 test -S "$tmp/control"

    printf '[daemon]\nstate-directory=%s/state\n[modem]\ndevice=/dev/cdc-wdm-sim\nproxy-path=dmsc-sim-demo-%s\n' \
        "$tmp" "$$" >"$tmp/dmscd.conf"
    echo "== dmscd --session-bus --config $tmp/dmscd.conf"
    "$BUILD_DIR/daemon/dmscd" --session-bus --config "$tmp/dmscd.conf" &
    daemon_pid=$!
    wait_for 5 "$BUILD_DIR/daemon/dmscctl" --session status
    wait_for 5 sh -c "'$BUILD_DIR/daemon/dmscctl' --session status | grep -q 'ports $port'"

    echo "== dmscctl --session status"
    "$BUILD_DIR/daemon/dmscctl" --session status
    echo "== busctl tree org.dmscd.Dmsc1"
    busctl --address="$DBUS_SESSION_BUS_ADDRESS" tree org.dmscd.Dmsc1
    echo "== curl http://127.0.0.1:$port/ (the card's web server, through dmscd's gateway)"
    curl -sS --max-time 10 "http://127.0.0.1:$port/"

    echo "== SIGTERM"
    kill -TERM "$daemon_pid"
    status=0
    wait "$daemon_pid" || status=$?
    daemon_pid=
    echo "dmscd exited with status $status"
    "$BUILD_DIR/daemon/dmscctl" --session status || true
    return "$status"
}

case "${1:-}" in
demo)
    install_packages
    build
    demo
    ;;
test)
    shift
    install_packages
    build
    run_tests "$@"
    ;;
*)
    echo "usage: $0 demo|test" >&2
    exit 64
    ;;
esac
