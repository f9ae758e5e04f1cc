#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of every parser that sees outside bytes (README "Fuzzing").
#
#   scripts/fuzz.sh TARGET [SECONDS | RUNSr]  fuzz one target (default 60 s, or e.g. 1000000r runs); new
#                                             inputs are merged, minimized, into Fuzz/Corpus/TARGET
#   scripts/fuzz.sh --ci                      bounded pass over every target from the committed corpus
#                                             (FUZZ_CI_SECONDS per target, default 12), nothing written
#   scripts/fuzz.sh --build                   build the libFuzzer binary only
#   scripts/fuzz.sh --list                    the target names
#
# One instrumented binary (product Fuzz, -D FUZZING) serves every target, chosen by FUZZ_TARGET; it is
# built in its own scratch path so the debug build is never disturbed. A crash leaves its input in
# .build-fuzz/crashes/TARGET/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=.build-fuzz
BIN="$SCRATCH/release/Fuzz"
TARGETS=(webhook-signature webhook-payload reply platform-token calendly-wire request-body)
# No Swift backtracer on a crash: libFuzzer reports it and saves the input, the backtracer only adds seconds.
export SWIFT_BACKTRACE=enable=no

build() {
    echo "fuzz: building the libFuzzer binary in $SCRATCH" >&2
    swift build -c release --scratch-path "$SCRATCH" --product Fuzz \
        -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -enable-testing -Xswiftc -DFUZZING 2>&1 | tail -20
    test -x "$BIN"
}

# Known findings being fixed elsewhere (Sources/Fuzz/KnownFindings.swift): skipped only while their
# committed reproducer under Fuzz/Known/ still crashes, so a merged fix turns the skip off by itself.
known_skips() {
    local skips=()
    if [ -d Fuzz/Known/webhook-signature ] &&
        ! FUZZ_TARGET=webhook-signature "$BIN" Fuzz/Known/webhook-signature/* >/dev/null 2>&1; then
        echo "fuzz: known finding still present (Fuzz/Known/webhook-signature): skipping signature-overflow inputs" >&2
        skips+=(signature-overflow)
    fi
    (IFS=,; echo "${skips[*]:-}")
}

# fuzz TARGET OUTPUT_CORPUS LIMIT_FLAG...: one libFuzzer run, new inputs into OUTPUT_CORPUS.
fuzz() {
    local target=$1 output=$2; shift 2
    mkdir -p "$output" "Fuzz/Corpus/$target" "$SCRATCH/crashes/$target"
    FUZZ_TARGET=$target FUZZ_SKIP_KNOWN=$SKIP "$BIN" "$output" "Fuzz/Corpus/$target" \
        -dict=Fuzz/Dictionaries/extremes.dict -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$SCRATCH/crashes/$target/" "$@"
}

case "${1:-}" in
--list) printf '%s\n' "${TARGETS[@]}" ;;
--build) build ;;
--ci)
    build
    SKIP=$(known_skips)
    seconds=${FUZZ_CI_SECONDS:-12}
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    for target in "${TARGETS[@]}"; do
        echo "fuzz: $target for ${seconds}s" >&2
        if ! fuzz "$target" "$scratch/$target" -max_total_time="$seconds" > "$scratch/$target.log" 2>&1; then
            tail -40 "$scratch/$target.log" >&2
            echo "fuzz: FAILED $target — reproducer in $SCRATCH/crashes/$target/" >&2
            exit 1
        fi
        grep -E '^stat::number_of_executed_units|^Done' "$scratch/$target.log" | tr '\n' ' ' >&2; echo >&2
    done
    echo "fuzz: all targets passed" >&2
    ;;
"" | -*) sed -n '2,13p' "$0" >&2; exit 2 ;;
*)
    target=$1 limit=${2:-60}
    printf '%s\n' "${TARGETS[@]}" | grep -qx "$target" || { echo "fuzz: unknown target $target (--list)" >&2; exit 2; }
    build
    SKIP=$(known_skips)
    case "$limit" in
    *r) flag=-runs=${limit%r} ;;
    *) flag=-max_total_time=$limit ;;
    esac
    found="$SCRATCH/corpus/$target"
    status=0
    fuzz "$target" "$found" "$flag" || status=$?
    # Keep the committed corpus small: hand-named files (seeds, crash reproducers) stay as they are; of
    # libFuzzer's own (named by SHA-1) and the new ones, only those adding coverage beyond them.
    merged=$(mktemp -d)
    find "Fuzz/Corpus/$target" -type f ! -regex '.*/[0-9a-f]\{40\}' -exec cp {} "$merged"/ \;
    FUZZ_TARGET=$target FUZZ_SKIP_KNOWN=$SKIP "$BIN" -merge=1 -max_len=8192 "$merged" "Fuzz/Corpus/$target" "$found" >/dev/null 2>&1
    rm -rf "Fuzz/Corpus/$target" && mv "$merged" "Fuzz/Corpus/$target" && chmod 755 "Fuzz/Corpus/$target"
    echo "fuzz: Fuzz/Corpus/$target now holds $(ls "Fuzz/Corpus/$target" | wc -l) inputs" >&2
    exit $status
    ;;
esac
