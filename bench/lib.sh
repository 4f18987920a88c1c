# shellcheck shell=bash disable=SC2154,SC2034
# Shared by the bench/*.sh scripts (sourced, not run): costgate set up on a copy of examples/,
# started and stopped, probed, and its ledger counted.
#
# Expects: $root (the repository), $bin (the costgate binary), $work (a scratch directory).
# Sets: cg_dir, cg_db, tenant_key, costgate_pid.

# bench_free_ports N: prints N free TCP ports on 127.0.0.1.
bench_free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
}

# bench_costgate_setup MODE UPSTREAM_PORT: a costgate directory on a copy of examples/ whose
# profiles call MODE's upstream: "openai" adds `upstreams.openai` (base URL
# http://127.0.0.1:UPSTREAM_PORT/v1, key from $BENCH_OPENAI_KEY) and sets every profile's
# provider to it; "sim" uses the built-in simulated upstream. Then `costgate setup
# --create-user-roles`; tenant_key is customer1's key.
bench_costgate_setup() {
  local mode=$1 upstream_port=$2
  cg_dir=$work/costgate-$mode
  rm -rf "$cg_dir"
  mkdir -p "$cg_dir"
  cp "$root/examples/config.json" "$root/examples/models.json" "$cg_dir/"
  python3 - "$cg_dir/config.json" "$mode" "$upstream_port" <<'EOF'
import json, os, sys
path, mode, port = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path) as f:
    cfg = json.load(f)
if mode == "openai":
    cfg["upstreams"] = {"openai": {"base_url": f"http://127.0.0.1:{port}/v1",
                                   "api_key_env": "BENCH_OPENAI_KEY"}}
    for p in cfg["profiles"]:
        p["provider"] = "openai"
else:
    cfg["default_provider"] = "sim"
    cfg.pop("upstreams", None)
    for p in cfg["profiles"]:
        p.pop("provider", None)
commits = os.environ.get("BENCH_LEDGER_COMMITS")
if commits:
    cfg.setdefault("server", {})["ledger_commits"] = commits
with open(path, "w") as f:
    json.dump(cfg, f, indent=4)
EOF
  (umask 077 && "$bin" setup --config "$cg_dir/config.json" --create-user-roles --json \
    >"$cg_dir/keys.json")
  tenant_key=$(python3 -c 'import json, sys
keys = json.load(open(sys.argv[1]))["keys"]
print(next(k["key"] for k in keys if k["role"] == "tenant" and k["tenant"] == "customer1"))' \
    "$cg_dir/keys.json")
  cg_db=$cg_dir/costgate.db
}

# bench_costgate_start PORT [SERVE_ARGS...]: starts `costgate serve` on 127.0.0.1:PORT in the
# background and waits until it listens. With $BENCH_NOFILE set, the open-files limit is raised
# to it for costgate's process alone (the product's own defaults are not changed); where the hard
# limit cannot be raised (no CAP_SYS_RESOURCE, as in some containers), to the hard limit.
bench_costgate_start() {
  local port=$1
  shift
  (
    if [ -n "${BENCH_NOFILE:-}" ]; then
      if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$BENCH_NOFILE" ]; then
        ulimit -Hn "$BENCH_NOFILE" 2>/dev/null ||
          echo "bench: cannot raise the open-files hard limit to $BENCH_NOFILE; costgate gets $(ulimit -Hn)" >&2
      fi
      ulimit -Sn "$(ulimit -Hn)"
    fi
    exec "$bin" serve --config "$cg_dir/config.json" --listen "127.0.0.1:$port" "$@"
  ) 2>"$cg_dir/serve.log" &
  costgate_pid=$!
  local _
  for _ in $(seq 100); do
    grep -q "listening on" "$cg_dir/serve.log" 2>/dev/null && return 0
    kill -0 "$costgate_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "costgate did not start:" >&2
  cat "$cg_dir/serve.log" >&2
  return 1
}

# bench_costgate_stop: SIGTERM (calls in flight drain) and wait. costgate must then exit 0; if it
# does not, that is said loudly and bench_costgate_failed_stop is set to its exit status.
bench_costgate_failed_stop=
bench_costgate_stop() {
  local rc=0
  if [ -n "${costgate_pid:-}" ] && kill -0 "$costgate_pid" 2>/dev/null; then
    kill -TERM "$costgate_pid" 2>/dev/null || true
    wait "$costgate_pid" 2>/dev/null || rc=$?
    if [ "$rc" != 0 ]; then
      bench_costgate_failed_stop=$rc
      echo "!! costgate exited with status $rc on SIGTERM ($( ((rc > 128)) && kill -l $((rc - 128)) 2>/dev/null)); expected 0. Its log ends:" >&2
      tail -n 3 "$cg_dir/serve.log" | sed 's/^/!!   /' >&2
    fi
  fi
  costgate_pid=
}

# bench_probe PORT [KEY TAGS]: one non-streaming chat call; prints "STATUS BODY".
bench_probe() {
  python3 - "$@" <<'EOF'
import json, sys, urllib.request, urllib.error
port = sys.argv[1]
headers = {"content-type": "application/json"}
if len(sys.argv) > 2:
    headers["authorization"] = "Bearer " + sys.argv[2]
    headers["tags"] = sys.argv[3]
# max_tokens 1: the sim upstream paced at a token a second answers within a second.
body = json.dumps({"messages": [{"role": "user", "content": "probe"}], "max_tokens": 1}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body,
                             headers=headers)
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status, r.read().decode()[:300].replace("\n", " "))
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode()[:300].replace("\n", " "))
except OSError as e:
    print(0, e)
EOF
}

# bench_costgate_start_checked MODE UPSTREAM_PORT PORT TAGS [SERVE_ARGS...]: setup + start +
# one probe call. MODE "auto" means openai when this costgate can call it, else sim (said
# loudly); the mode used is left in cg_mode.
bench_costgate_start_checked() {
  local want=$1 upstream_port=$2 port=$3 tags=$4
  shift 4
  local status body
  cg_mode=$want
  [ "$cg_mode" = auto ] && cg_mode=openai
  bench_costgate_setup "$cg_mode" "$upstream_port"
  bench_costgate_start "$port" "$@"
  read -r status body < <(bench_probe "$port" "$tenant_key" "$tags") || true
  if [ "$status" != 200 ] && [ "$want" = auto ] && [ "$cg_mode" = openai ]; then
    echo "!! this costgate cannot call the OpenAI-compatible upstream yet ($status $body)"
    echo "!! falling back to its built-in sim upstream: costgate's figures below do NOT include"
    echo "!! an upstream HTTP hop."
    bench_costgate_stop
    cg_mode=sim
    bench_costgate_setup sim "$upstream_port"
    bench_costgate_start "$port" "$@"
    read -r status body < <(bench_probe "$port" "$tenant_key" "$tags") || true
  fi
  if [ "$status" != 200 ]; then
    echo "costgate probe failed: $status $body" >&2
    return 1
  fi
}

bench_ledger_rows() { sqlite3 -readonly "$cg_db" 'SELECT count(*) FROM usage_records'; }

# bench_settled_ledger_rows: the row count once calls still in flight have been committed (it
# stays the same for half a second; at most 10 s).
bench_settled_ledger_rows() {
  local last now same=0 _
  last=$(bench_ledger_rows)
  for _ in $(seq 100); do
    sleep 0.1
    now=$(bench_ledger_rows)
    if [ "$now" = "$last" ]; then
      same=$((same + 1))
      [ $same -ge 5 ] && break
    else
      same=0
    fi
    last=$now
  done
  echo "$last"
}

# bench_install PACKAGE...: apt-get install, without letting Debian start system services
# (nginx's) on the way.
bench_install() {
  ((${#@})) || return 0
  echo "== installing $*"
  local policy_added=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null 2>&1 || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  }
  if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; fi
}

# bench_machine_note: the load average, and any process busy on the CPU right now (a build, say):
# figures taken on a shared 2-core machine while something else runs are not worth much.
bench_machine_note() {
  local busy
  busy=$(top -b -n 2 -d 0.5 -w 200 2>/dev/null |
    awk '/^top -/{n++} n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 20 {printf "%s(pid %s, %s%%) ", $12, $1, $9}')
  echo "== load average $(cut -d' ' -f1-3 /proc/loadavg)${busy:+; busy right now: $busy}"
  if [ -n "$busy" ]; then
    echo "!! other processes are using the CPU: the figures below are not reliable"
  fi
}
