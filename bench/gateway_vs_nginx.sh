#!/usr/bin/env bash
# costgate against nginx on one machine, in one go:
#   1. upstream   a fake OpenAI-compatible upstream (nginx `return 200` with a chat.completion
#                 body), called directly;
#   2. nginx      nginx `proxy_pass` to it (HTTP/1.1, upstream keepalive pool);
#   3. costgate   costgate in front of it, with a tenant API key, the profile named by tags, and
#                 every call priced and committed to the ledger;
# each at 16 and 64 connections with wrk (warm-up first), printing RPS, p50 and p99, the ratios
# costgate/nginx, and checking that the ledger rows added equal the calls wrk sent.
#
#   bench/gateway_vs_nginx.sh
#
# Environment (all optional):
#   COSTGATE_BIN        binary to measure (default /tmp/costgate-bench-bin if present, else
#                       build/src/costgate)
#   COSTGATE_UPSTREAM   what costgate calls: openai (the fake upstream, through costgate's
#                       OpenAI-compatible provider), sim (costgate's built-in simulated upstream,
#                       no network hop: not comparable with nginx, for developing the harness),
#                       or auto (default: openai when this costgate has that provider, else sim,
#                       said loudly)
#   BENCH_CONNS         connection counts (default "16 64")
#   BENCH_DURATION      seconds per measured run (default 10); BENCH_WARMUP seconds before it (2)
#   BENCH_WRK_THREADS   wrk threads (default 2)
#   BENCH_ROUNDS        repeat the whole set N times; the table shows medians (default 1)
#   BENCH_KEEP=1        keep the work directory (configs, logs, the ledger) afterwards
#   BENCH_LEDGER_COMMITS  config server.ledger_commits for costgate: writer_thread (the
#                       default) or request_threads
#   BENCH_WORK_DIR      where the work directory (and so costgate's ledger) goes (default /tmp;
#                       /dev/shm takes the disk, and so the ledger's checkpoint fsyncs, out of the
#                       measurement: for diagnosis, not for the figures)
#
# The "CPU ms/1k" column is the CPU time of all servers (nginx's processes, which hold both the
# upstream and the proxy, and costgate's) per 1,000 calls completed, wrk's own excluded.
#
# Exit status: 0 when every run answered only 2xx and the ledger matched; 1 otherwise. The
# performance targets are reported, not enforced (a benchmark prints numbers).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

bin=${COSTGATE_BIN:-}
if [ -z "$bin" ]; then
  if [ -x /tmp/costgate-bench-bin ]; then bin=/tmp/costgate-bench-bin; else bin=$root/build/src/costgate; fi
fi
bin=$(realpath "$bin")
upstream_mode=${COSTGATE_UPSTREAM:-auto}
conns_list=${BENCH_CONNS:-16 64}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
wrk_threads=${BENCH_WRK_THREADS:-2}
rounds=${BENCH_ROUNDS:-1}
lua=$here/wrk_chat.lua

case "$upstream_mode" in auto | openai | sim) ;; *)
  echo "COSTGATE_UPSTREAM must be auto, openai or sim" >&2
  exit 2
  ;;
esac

# --- tools -----------------------------------------------------------------------------------
# shellcheck source=lib.sh
. "$here/lib.sh"
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v python3 >/dev/null || need+=(python3)
command -v sqlite3 >/dev/null || need+=(sqlite3)
bench_install "${need[@]}"
[ -x "$bin" ] || { echo "no costgate binary at $bin (build it, or set COSTGATE_BIN)" >&2; exit 1; }

# --- work directory, ports, cleanup ----------------------------------------------------------
work=$(mktemp -d "${BENCH_WORK_DIR:-/tmp}/costgate-bench.XXXXXX")
nginx_pid_file=$work/nginx/nginx.pid
costgate_pid=
nginx_master=
cleanup() {
  bench_costgate_stop
  if [ -n "$nginx_master" ]; then
    kill -QUIT "$nginx_master" 2>/dev/null || true
    wait "$nginx_master" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r up_port proxy_port cg_port < <(bench_free_ports 3)

# --- nginx: the fake upstream and the proxy ---------------------------------------------------
# One OpenAI chat.completion, as the upstream answers every call.
completion='{"id":"chatcmpl-bench0001","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Each call is attributed to a profile, priced exactly and recorded.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"completion_tokens":13,"total_tokens":37,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_bench"}'
mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $nginx_pid_file;
error_log $work/nginx/error.log warn;
events {
    worker_connections 16384;
}
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    # wrk keeps each connection for the whole run; nginx's default closes one every 1000 requests.
    keepalive_requests 10000000;
    keepalive_timeout 75s;

    upstream fake_openai {
        server 127.0.0.1:$up_port;
        keepalive 256;
        keepalive_requests 10000000;
    }

    # The fake OpenAI-compatible upstream: every request gets one chat.completion.
    server {
        listen 127.0.0.1:$up_port backlog=4096;
        location / {
            default_type application/json;
            return 200 '$completion';
        }
    }

    # nginx as the proxy costgate is compared with.
    server {
        listen 127.0.0.1:$proxy_port backlog=4096;
        location / {
            proxy_pass http://fake_openai;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
# In the foreground as this script's own child, so it is stopped and reaped by its pid.
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
nginx_master=$!
for _ in $(seq 50); do [ -s "$nginx_pid_file" ] && break; sleep 0.1; done
[ -s "$nginx_pid_file" ] || { echo "nginx did not start:" >&2; cat "$work/nginx/error.log" >&2; exit 1; }

# --- costgate ---------------------------------------------------------------------------------
BENCH_OPENAI_KEY=sk-bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BENCH_OPENAI_KEY
tags='TenantID=customer1,ApplicationID=websearch'
# shellcheck disable=SC2086  # COSTGATE_SERVE_ARGS: extra `serve` flags, split on spaces
bench_costgate_start_checked "$upstream_mode" "$up_port" "$cg_port" "$tags" ${COSTGATE_SERVE_ARGS:-}
mode=$cg_mode  # set by bench_costgate_start_checked
for port in "$up_port" "$proxy_port"; do
  read -r s b < <(bench_probe "$port") || true
  [ "$s" = 200 ] || { echo "nginx probe on $port failed: $s $b" >&2; exit 1; }
done

# --- measuring --------------------------------------------------------------------------------
cpu_ticks() {  # utime + stime of the given pids, in clock ticks
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo $t
}
nginx_pids() { echo "$nginx_master" "$(pgrep -P "$nginx_master" | tr '\n' ' ')"; }

results=$work/results.tsv
: >"$results"
failed=0

run_wrk() {  # run_wrk TARGET PORT CONNS ROUND KEY TAGS
  local target=$1 port=$2 c=$3 round=$4 key=$5 tags_hdr=$6
  local log=$work/wrk-$target-$c-$round.log rows_before rows_after t0 t1 line
  local -a pids
  BENCH_KEY=$key BENCH_TAGS=$tags_hdr wrk -t"$wrk_threads" -c"$c" -d"${warmup}s" -s "$lua" \
    "http://127.0.0.1:$port/v1/chat/completions" >"$work/warmup-$target-$c-$round.log" 2>&1
  read -r -a pids <<<"$(nginx_pids) $costgate_pid"
  if [ "$target" = costgate ]; then
    rows_before=$(bench_settled_ledger_rows)
  else
    sleep 0.5
  fi
  t0=$(cpu_ticks "${pids[@]}")
  BENCH_KEY=$key BENCH_TAGS=$tags_hdr wrk -t"$wrk_threads" -c"$c" -d"${duration}s" --latency \
    -s "$lua" "http://127.0.0.1:$port/v1/chat/completions" >"$log" 2>&1
  t1=$(cpu_ticks "${pids[@]}")
  line=$(grep '^BENCH_RESULT' "$log") || { echo "wrk failed, see $log:" >&2; cat "$log" >&2; exit 1; }
  field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $line"; }
  local requests sent duration_us p50_us p99_us non2xx e_connect e_read e_write e_timeout
  requests=$(field requests) sent=$(field sent) duration_us=$(field duration_us)
  p50_us=$(field p50_us) p99_us=$(field p99_us) non2xx=$(field non2xx)
  e_connect=$(field connect) e_read=$(field read) e_write=$(field write) e_timeout=$(field timeout)
  local ledger=- ok=yes
  if [ "$target" = costgate ]; then
    rows_after=$(bench_settled_ledger_rows)
    ledger=$((rows_after - rows_before))
    if [ "$ledger" != "$sent" ]; then ok=no; failed=1; fi
    printf '   ledger: %d rows added; wrk sent %d, completed %d (%d still in flight when wrk stopped)\n' \
      "$ledger" "$sent" "$requests" $((sent - requests))
  fi
  if [ "$non2xx" != 0 ] || [ "$e_connect" != 0 ] || [ "$e_read" != 0 ] || [ "$e_write" != 0 ] ||
    [ "$e_timeout" != 0 ]; then
    echo "!! $target at $c connections: non-2xx $non2xx, socket errors connect $e_connect read $e_read write $e_write timeout $e_timeout (see $log)" >&2
    grep -E "Non-2xx|Socket errors" "$log" >&2 || true
    ok=no
    failed=1
  fi
  local rps cpu_ms_per_1k
  rps=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN{printf "%.0f", r / (d / 1e6)}')
  cpu_ms_per_1k=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="$requests" \
    'BEGIN{printf "%.1f", r ? t * 1000 / hz / r * 1000 : 0}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$c" "$round" "$rps" \
    "$p50_us" "$p99_us" "$requests" "$sent" "$ledger" "$non2xx" "$ok" "$cpu_ms_per_1k" >>"$results"
  printf '   %-9s c=%-3s round %s: %7s req/s  p50 %6.2f ms  p99 %6.2f ms  (%s completed, %s ms CPU per 1k calls)\n' \
    "$target" "$c" "$round" "$rps" "$(awk -v u="$p50_us" 'BEGIN{print u/1000}')" \
    "$(awk -v u="$p99_us" 'BEGIN{print u/1000}')" "$requests" "$cpu_ms_per_1k"
}

echo "== machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), $(uname -sr)"
bench_machine_note
echo "== costgate $("$bin" --version | awk '{print $2}') ($bin), upstream: $mode;" \
  "wrk -t$wrk_threads, ${warmup}s warm-up + ${duration}s per run, $rounds round(s)"
echo "== fake upstream 127.0.0.1:$up_port, nginx proxy 127.0.0.1:$proxy_port, costgate 127.0.0.1:$cg_port"
for round in $(seq "$rounds"); do
  for c in $conns_list; do
    # The same request bytes to every target: nginx ignores the key and the tags header.
    run_wrk upstream "$up_port" "$c" "$round" "$tenant_key" "$tags"
    run_wrk nginx "$proxy_port" "$c" "$round" "$tenant_key" "$tags"
    run_wrk costgate "$cg_port" "$c" "$round" "$tenant_key" "$tags"
  done
done

# --- the table --------------------------------------------------------------------------------
echo
python3 - "$results" "$mode" <<'EOF'
import statistics, sys
path, mode = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
by = {}
for t, c, _round, rps, p50, p99, req, sent, ledger, non2xx, ok, cpu in rows:
    by.setdefault((t, int(c)), []).append((float(rps), int(p50), int(p99), float(cpu)))
def med(t, c, i):
    return statistics.median(r[i] for r in by[(t, c)])
conns = sorted({c for _, c in by})
label = {"upstream": "upstream (direct)", "nginx": "nginx proxy_pass",
         "costgate": f"costgate ({mode})"}
print(f"{'target':22} {'conns':>5} {'RPS':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/1k':>9}"
      f" {'RPS vs nginx':>12} {'p99 - nginx':>12}")
for c in conns:
    for t in ("upstream", "nginx", "costgate"):
        if (t, c) not in by:
            continue
        rps, p50, p99, cpu = (med(t, c, i) for i in range(4))
        ratio = delta = ""
        if t == "costgate" and ("nginx", c) in by:
            ratio = f"{rps / med('nginx', c, 0):.2f}x"
            delta = f"{(p99 - med('nginx', c, 2)) / 1000:+.2f} ms"
        print(f"{label[t]:22} {c:>5} {rps:>9.0f} {p50 / 1000:>8.2f} {p99 / 1000:>8.2f} {cpu:>9.1f}"
              f" {ratio:>12} {delta:>12}")
print()
if mode != "openai":
    print("targets: not judged, costgate ran on its built-in sim upstream (no upstream HTTP hop)")
else:
    for c in conns:
        if ("costgate", c) in by and ("nginx", c) in by:
            r = med("costgate", c, 0) / med("nginx", c, 0)
            print(f"target RPS >= 0.6x nginx at {c:>2} connections: {r:.2f}x "
                  f"{'met' if r >= 0.6 else 'MISSED'}")
    if ("costgate", 16) in by and ("nginx", 16) in by:
        d = (med("costgate", 16, 2) - med("nginx", 16, 2)) / 1000
        print(f"target p99 within 0.5 ms of nginx at 16 connections: {d:+.2f} ms "
              f"{'met' if d <= 0.5 else 'MISSED'}")
EOF
bench_costgate_stop
if [ -n "$bench_costgate_failed_stop" ]; then failed=1; fi
if [ "$failed" != 0 ]; then
  echo "FAILED: a run had non-2xx answers or socket errors, the ledger did not match, or costgate did not stop cleanly (logs: $work)" >&2
  BENCH_KEEP=1
  exit 1
fi
echo "every run answered 2xx only; every costgate run added exactly one ledger row per call sent"
