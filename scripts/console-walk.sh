#!/usr/bin/env bash
# Walks S01–S04 through the console in a real browser: starts a fresh `serve` (demo mode, free ports, a
# temporary data directory), runs Tests/Browser/console_walk.py (Playwright for Python driving Debian's
# chromium), stops serve. Screenshots of every state go to $CONSOLE_SHOTS (default .build/console-shots).
# Needs a built tree (`swift build`), `pip install playwright==1.65.2` and `apt-get install chromium`.
set -euo pipefail
cd "$(dirname "$0")/.."
shots=${CONSOLE_SHOTS:-.build/console-shots}
binary=$(swift build --show-bin-path)/calendly-action
[ -x "$binary" ] || { echo "no $binary: run swift build first"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port=$(free_port)
emulator_port=$(free_port)
while [ "$emulator_port" = "$port" ]; do emulator_port=$(free_port); done
data=$(mktemp -d)
log="$data/serve.log"

# A fresh clone's environment: no Calendly credentials (demo mode), no platform secret.
env -u CALENDLY_CLIENT_ID -u CALENDLY_CLIENT_SECRET -u CALENDLY_WEBHOOK_SIGNING_KEY -u PLATFORM_JWT_SECRET -u PUBLIC_BASE_URL LOG_LEVEL=warning \
    "$binary" serve --port "$port" --emulator-port "$emulator_port" --data-dir "$data/state" > "$log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true; wait $serve 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do grep -q "runtime token" "$log" && break; sleep 0.2; done
grep -q "runtime token" "$log" || { cat "$log"; echo "serve did not start"; exit 1; }
grep -q "console: http://127.0.0.1:$port/console" "$log" || { cat "$log"; echo "serve did not print the console's URL"; exit 1; }
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$emulator_port/_emulator/state" > /dev/null && break; sleep 0.1; done

PYTHONDONTWRITEBYTECODE=1 python3 Tests/Browser/console_walk.py --base "http://127.0.0.1:$port" --emulator "http://127.0.0.1:$emulator_port" --shots "$shots"
