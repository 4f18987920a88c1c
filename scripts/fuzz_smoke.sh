#!/usr/bin/env bash
# A short libFuzzer pass over the parsers of untrusted bytes that need no server to reach, run by
# `./run test` on every build: the AWS event-stream reader and encoder (src/http/event_stream*).
# Built straight from the sources with clang (no CMake tree: seconds, not minutes), with
# AddressSanitizer (leaks included) and UndefinedBehaviorSanitizer.
#
#   scripts/fuzz_smoke.sh [SECONDS]     (default 30; FUZZ_SECONDS works too)
#
# The corpus grows in build-fuzz/corpus/event_stream (git-ignored), seeded with well-formed
# Bedrock messages; a crash leaves its input in build-fuzz/ and fails the script. For the long
# runs (10 minutes and more), the same target is fuzz_event_stream of -DCOSTGATE_FUZZERS=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-30}}
out=build-fuzz
mkdir -p "$out/corpus/event_stream"
cxx=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$cxx" ] || { echo "fuzz_smoke.sh: clang++ is missing (scripts/setup.sh installs it)" >&2; exit 1; }

bin=$out/fuzz_event_stream
srcs=(src/http/event_stream.cc src/http/event_stream_fuzz.cc)
if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" src/http/event_stream.h -newer "$bin")" ]; then
  echo "fuzz_smoke.sh: building $bin"
  "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc "${srcs[@]}" -o "$bin" -lz -lfmt
fi

# Seeds: a few real-shaped messages, each behind the split byte the target reads first.
python3 - "$out/corpus/event_stream" <<'PY'
import os, struct, sys, zlib
def header(name, type_, value):
    n = name.encode()
    return bytes([len(n)]) + n + bytes([type_]) + value
def string(name, s):
    v = s.encode()
    return header(name, 7, struct.pack(">H", len(v)) + v)
def message(headers, payload):
    h = b"".join(headers)
    total = 16 + len(h) + len(payload)
    prelude = struct.pack(">II", total, len(h))
    m = prelude + struct.pack(">I", zlib.crc32(prelude)) + h + payload
    return m + struct.pack(">I", zlib.crc32(m))
event = lambda t, p: message([string(":event-type", t), string(":content-type", "application/json"),
                              string(":message-type", "event")], p.encode())
seeds = {
    "stream": event("messageStart", '{"role":"assistant"}')
              + event("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"Hi"}}')
              + event("messageStop", '{"stopReason":"end_turn"}'),
    "exception": message([string(":exception-type", "throttlingException"),
                          string(":content-type", "application/json"),
                          string(":message-type", "exception")], b'{"message":"slow down"}'),
    "all_types": message([header("t", 0, b""), header("f", 1, b""), header("b", 2, b"\x7f"),
                          header("s", 3, b"\x01\x02"), header("i", 4, b"\x01\x02\x03\x04"),
                          header("l", 5, b"\x00" * 7 + b"\x05"),
                          header("a", 6, b"\x00\x03xyz"), string("str", "v"),
                          header("ts", 8, b"\x00" * 6 + b"\x01\x02"),
                          header("u", 9, bytes(range(16)))], b"payload"),
}
for name, body in seeds.items():
    for split in (0, 6, 255):
        with open(os.path.join(sys.argv[1], "seed_%s_%d" % (name, split)), "wb") as f:
            f.write(bytes([split]) + body)
PY

echo "fuzz_smoke.sh: fuzz_event_stream for ${seconds}s"
(cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./fuzz_event_stream -max_total_time="$seconds" \
  -print_final_stats=1 corpus/event_stream 2>fuzz_event_stream.log) || {
  tail -40 "$out/fuzz_event_stream.log" >&2
  echo "fuzz_smoke.sh: fuzz_event_stream failed; the input is in $out/ (crash-*)" >&2
  exit 1
}
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/fuzz_event_stream.log" | tr '\n' ' '
echo
