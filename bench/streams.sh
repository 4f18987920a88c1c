#!/usr/bin/env bash
# costgate holding many slow streams at once: a slow OpenAI-compatible upstream (one chunk a
# second, bench/slow_stream_upstream.py), costgate in front of it, and bench/stream_load.py
# opening BENCH_STREAMS concurrent streaming calls with a tenant key and tags. costgate's
# /proc/PID/status is sampled throughout; the script prints the streams held at once, how many
# completed, costgate's peak RSS (VmHWM) and RSS per stream, and checks that the ledger gained one
# row per call.
#
#   bench/streams.sh
#
# Environment (all optional):
#   COSTGATE_BIN        binary to measure (default /tmp/costgate-bench-bin if present, else
#                       build/src/costgate)
#   COSTGATE_UPSTREAM   openai (the slow upstream, through costgate's OpenAI-compatible
#                       provider), sim (costgate's built-in sim upstream paced at one token a
#                       second: no upstream connections), or auto (default: openai when this
#                       costgate has that provider, else sim, said loudly)
#   BENCH_STREAMS       concurrent streams (default 10000)
#   BENCH_RATE          new streams a second while ramping up (default 2000)
#   BENCH_CHUNKS        content chunks per stream from the slow upstream (default 20), one every
#                       BENCH_INTERVAL seconds (default 1)
#   BENCH_SIM_MAX_TOKENS  max_tokens asked of the sim upstream (default 30: streams of 9 to 30
#                       one-second tokens, so all are open together after a 5 s ramp)
#   BENCH_NOFILE        open-files limit for costgate's process only (default 65536)
#   BENCH_RSS_LIMIT_MB  the target for costgate's peak RSS (default 256)
#   BENCH_KEEP=1        keep the work directory (configs, logs, samples, the ledger)
#   BENCH_WORK_DIR      where the work directory goes (default /tmp)
#
# Exit status: 0 when every stream completed and the ledger matched, else 1. The memory target
# is reported, not enforced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

bin=${COSTGATE_BIN:-}
if [ -z "$bin" ]; then
  if [ -x /tmp/costgate-bench-bin ]; then bin=/tmp/costgate-bench-bin; else bin=$root/build/src/costgate; fi
fi
bin=$(realpath "$bin")
upstream_mode=${COSTGATE_UPSTREAM:-auto}
streams=${BENCH_STREAMS:-10000}
rate=${BENCH_RATE:-2000}
chunks=${BENCH_CHUNKS:-20}
interval=${BENCH_INTERVAL:-1}
sim_max_tokens=${BENCH_SIM_MAX_TOKENS:-30}
export BENCH_NOFILE=${BENCH_NOFILE:-65536}
rss_limit_mb=${BENCH_RSS_LIMIT_MB:-256}

# shellcheck source=lib.sh
. "$here/lib.sh"
need=()
command -v python3 >/dev/null || need+=(python3)
command -v sqlite3 >/dev/null || need+=(sqlite3)
bench_install "${need[@]}"
[ -x "$bin" ] || { echo "no costgate binary at $bin (build it, or set COSTGATE_BIN)" >&2; exit 1; }

work=$(mktemp -d "${BENCH_WORK_DIR:-/tmp}/costgate-streams.XXXXXX")
costgate_pid=
upstream_pid=
sampler_pid=
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; fi
  bench_costgate_stop
  if [ -n "$upstream_pid" ]; then kill -TERM "$upstream_pid" 2>/dev/null || true; wait "$upstream_pid" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r up_port cg_port < <(bench_free_ports 2)
BENCH_OPENAI_KEY=sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BENCH_OPENAI_KEY

# --- the slow upstream ------------------------------------------------------------------------
python3 "$here/slow_stream_upstream.py" --port "$up_port" --chunks "$chunks" --interval "$interval" \
  --api-key "$BENCH_OPENAI_KEY" --nofile $((streams + 4096)) \
  >"$work/upstream.out" 2>"$work/upstream.log" &
upstream_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/upstream.out" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$work/upstream.out" || { echo "the slow upstream did not start:" >&2; cat "$work/upstream.log" >&2; exit 1; }

# --- costgate, its open-files limit raised for its process only ---------------------------------
tags='TenantID=customer1,ApplicationID=websearch'
# The sim flags shape only the sim upstream: with it, one token a second, like the slow upstream.
bench_costgate_start_checked "$upstream_mode" "$up_port" "$cg_port" "$tags" --sim-tokens-per-second 1
mode=$cg_mode  # set by bench_costgate_start_checked
max_tokens=0
[ "$mode" = sim ] && max_tokens=$sim_max_tokens
sleep 1
rows_before=$(bench_settled_ledger_rows)

# Samples costgate's memory, threads and descriptors twice a second.
samples=$work/samples.tsv
(
  while [ -r "/proc/$costgate_pid/status" ]; do
    awk -v t="$(date +%s.%N)" -v fds="$(find "/proc/$costgate_pid/fd" -mindepth 1 2>/dev/null | wc -l)" \
      '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} /^Threads:/{th=$2} END{print t "\t" r "\t" h "\t" th "\t" fds}' \
      "/proc/$costgate_pid/status" 2>/dev/null || true
    sleep 0.5
  done
) >"$samples" &
sampler_pid=$!
sleep 0.6
idle_rss_kb=$(awk -F'\t' 'NR==1{print $2}' "$samples")
cpu_before=$(awk '{print $14 + $15}' "/proc/$costgate_pid/stat")

echo "== machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), $(uname -sr)"
bench_machine_note
echo "== costgate $("$bin" --version | awk '{print $2}') ($bin), upstream: $mode, open-files limit" \
  "$(awk '/Max open files/{print $4}' "/proc/$costgate_pid/limits") for its process" \
  "(this shell: $(ulimit -n))"
cg_nofile=$(awk '/Max open files/{print $4}' "/proc/$costgate_pid/limits")
need_fds=$((streams * ($([ "$mode" = openai ] && echo 2 || echo 1)) + 64))
if [ "$cg_nofile" != unlimited ] && [ "$cg_nofile" -lt "$need_fds" ]; then
  echo "!! costgate may open $cg_nofile files but $streams streams need about $need_fds (one socket"
  echo "!! per client$([ "$mode" = openai ] && echo " and one per upstream call")); this machine does not let the hard limit be"
  echo "!! raised (no CAP_SYS_RESOURCE?), so expect refused connections near the limit."
fi
echo "== $streams streams at $rate new a second;" \
  "$([ "$mode" = sim ] && echo "sim: one token a second, max_tokens $max_tokens" || echo "upstream: $chunks chunks, one every ${interval}s")"
set +e
python3 "$here/stream_load.py" --port "$cg_port" --key "$tenant_key" --tags "$tags" \
  --streams "$streams" --rate "$rate" --max-tokens "$max_tokens" 2>"$work/load.log" | tee "$work/load.out"
load_status=${PIPESTATUS[0]}
set -e
cpu_after=$(awk '{print $14 + $15}' "/proc/$costgate_pid/stat")
tail -n 4 "$work/load.log" | sed 's/^/   /'
rows_after=$(bench_settled_ledger_rows)
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=

result=$(sed -n 's/^STREAM_RESULT //p' "$work/load.out")
[ -n "$result" ] || { echo "the load generator printed no result; its log:" >&2; tail -20 "$work/load.log" >&2; exit 1; }
failed=0
python3 - "$result" "$samples" "$idle_rss_kb" "$rss_limit_mb" $((rows_after - rows_before)) \
  $((cpu_after - cpu_before)) "$(getconf CLK_TCK)" "$mode" <<'EOF' || failed=1
import json, sys
r = json.loads(sys.argv[1])
samples = [l.split("\t") for l in open(sys.argv[2]) if l.count("\t") == 4]
idle_kb, limit_mb, rows, cpu_ticks, hz, mode = (int(sys.argv[3]), int(sys.argv[4]),
                                               int(sys.argv[5]), int(sys.argv[6]),
                                               int(sys.argv[7]), sys.argv[8])
hwm_kb = max(int(s[2]) for s in samples)
rss_kb = max(int(s[1]) for s in samples)
threads = max(int(s[3]) for s in samples)
fds = max(int(s[4]) for s in samples)
held = r["peak_open"]
print()
print(f"streams requested        {r['streams']}")
print(f"streams open at peak     {held}  (in progress at peak, answer not yet started included: "
      f"{r['peak_in_progress']})")
print(f"completed / failed       {r['completed']} / {r['failed']}  {r['errors'] or ''}")
print(f"content chunks received  {r['content_chunks']}  (per stream {r['chunks_per_stream']['min']}"
      f"..{r['chunks_per_stream']['max']})")
print(f"first chunk ms           p50 {r['first_chunk_ms']['p50']}  p99 {r['first_chunk_ms']['p99']}"
      f"  max {r['first_chunk_ms']['max']}")
print(f"longest gap in a stream  p50 {r['max_gap_ms']['p50']} ms  p99 {r['max_gap_ms']['p99']} ms"
      f"  max {r['max_gap_ms']['max']} ms")
print(f"costgate peak RSS        VmHWM {hwm_kb / 1024:.1f} MB (sampled VmRSS max "
      f"{rss_kb / 1024:.1f} MB; idle {idle_kb / 1024:.1f} MB)")
if held:
    print(f"per stream held          {(hwm_kb - idle_kb) / held:.1f} KB above idle")
print(f"costgate threads, fds    {threads} threads, {fds} descriptors at most")
print(f"costgate CPU             {cpu_ticks / hz:.1f} s over {r['elapsed_s']} s")
print(f"ledger rows added        {rows}  (calls made: {r['streams']})")
print()
ok = True
if r["completed"] != r["streams"]:
    print(f"FAILED: {r['failed']} stream(s) did not complete")
    ok = False
if rows != r["streams"]:
    print(f"FAILED: ledger rows added ({rows}) != calls made ({r['streams']})")
    ok = False
print(f"target: {r['streams']} streams held at once: {'met' if held >= r['streams'] else 'MISSED'}"
      f" ({held})")
lasted = r["duration_s"]["p50"]
if held < r["streams"] and lasted is not None and r["ramp_s"] >= lasted:
    print(f"  (the generator took {r['ramp_s']} s to open them all, longer than a stream lasts, "
          f"{lasted} s: the first ended before the last began. Lower BENCH_RATE or lengthen the "
          f"streams, BENCH_CHUNKS / BENCH_SIM_MAX_TOKENS.)")
print(f"target: peak RSS under {limit_mb} MB: {'met' if hwm_kb < limit_mb * 1024 else 'MISSED'}"
      f" ({hwm_kb / 1024:.1f} MB, upstream {mode})")
sys.exit(0 if ok else 1)
EOF
warnings=$(grep -cE " (warning|error|critical) " "$cg_dir/serve.log" || true)
if [ "$warnings" != 0 ]; then
  echo "costgate logged $warnings warning/error line(s); the first:"
  grep -E " (warning|error|critical) " "$cg_dir/serve.log" | head -5 | sed 's/^/   /'
fi
bench_costgate_stop
if [ -n "$bench_costgate_failed_stop" ]; then failed=1; fi
if [ "$failed" != 0 ] || [ "$load_status" != 0 ]; then
  BENCH_KEEP=1
  exit 1
fi
