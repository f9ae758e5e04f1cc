#!/usr/bin/env bash
# Runs the README's curl walk verbatim against a freshly started `serve` (demo mode) and checks what
# it printed. Needs a built tree (`swift build`), ports 8080 and 8090 free, and no ./.calendly-action
# of value (it uses the default data directory, like the walk; an existing one is moved aside).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -e .calendly-action ]; then mv .calendly-action ".calendly-action.before-walk.$$"; fi
walk=$(awk '/^## A walk with curl/{found=1} found && /^```sh$/{inside=1; next} inside && /^```$/{exit} inside{print}' README.md)
[ -n "$walk" ] || { echo "no walk found in README.md"; exit 1; }
log=$(mktemp)
# Up to date first, so the wait below is for serve's start, not for `swift run` planning a build.
swift build -q --product calendly-action
swift run -q calendly-action serve > "$log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true; wait $serve 2>/dev/null || true; rm -rf .calendly-action' EXIT
for _ in $(seq 1 600); do grep -q "runtime token" "$log" && break; sleep 0.2; done
grep -q "runtime token" "$log" || { cat "$log"; echo "serve did not start"; exit 1; }
out=$(bash -euo pipefail -c "$walk" 2>&1) || { echo "$out"; echo "the walk failed"; exit 1; }
echo "$out"
for expected in 'Connected as host@example.com' '"runnable":true' '"state":"slotsShown"' '"state":"askingEmail"' \
                '"askedInChat":[{"question":"What would you like to discuss?","type":"text","when":"always"}]' \
                '"state":"askingQuestion"' 'What would you like to discuss?' \
                '"type":"confirmation_card"' '"canceled":1' '"created":1' 'calendly_calls_total' '"status":"not_connected"'; do
    grep -qF "$expected" <<<"$out" || { echo "missing from the walk's output: $expected"; exit 1; }
done
echo "README walk: ok"
