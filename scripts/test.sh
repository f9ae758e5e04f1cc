#!/usr/bin/env bash
# The test command (README, .ci/run): build everything including tests once, then run them.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
