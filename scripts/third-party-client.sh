#!/usr/bin/env bash
# Drives `calendly-action emulate` with a Calendly client library written by others (PyCalendly, pinned in
# Tests/ThirdParty/requirements.txt, installed from PyPI into a private virtualenv): starts the emulator on a
# free port, runs Tests/ThirdParty/calendly_client_walk.py against it, stops it. Needs a built tree
# (`swift build`). Exit status: the walk's.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/third-party-venv
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/ThirdParty/requirements.txt
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
binary=$(swift build --show-bin-path)/calendly-action
[ -x "$binary" ] || { echo "no $binary: run swift build first"; exit 1; }
log=$(mktemp)
"$binary" emulate --port "$port" > "$log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true; wait $emulator 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 150); do grep -q "listening on" "$log" && break; sleep 0.2; done
grep -q "listening on" "$log" || { cat "$log"; echo "emulate did not start"; exit 1; }
"$venv/bin/python" Tests/ThirdParty/calendly_client_walk.py "http://127.0.0.1:$port"
