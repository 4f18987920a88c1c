#!/usr/bin/env bash
# The README's first command ends here: set costgate up on a copy of examples/ (so the committed
# examples stay untouched), start the gateway on the built-in simulated upstream, send a few
# calls in each client dialect, show the ledger, and keep serving until Ctrl-C.
#   scripts/demo.sh PATH_TO_COSTGATE
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
dir=var/demo
port=${COSTGATE_DEMO_PORT:-8080}
mkdir -p "$dir"
if [ ! -f "$dir/config.json" ]; then
  cp examples/config.json examples/models.json "$dir/"
fi
cfg="$dir/config.json"
echo "== costgate setup on $dir (a copy of examples/)"
if [ ! -f "$dir/keys.json" ]; then
  # The keys are shown once; the demo keeps them (mode 600) to make its calls.
  (umask 077 && "$bin" setup --config "$cfg" --models "$dir/models.json" --create-user-roles \
    --json >"$dir/keys.json")
  echo "issued API keys, kept in $dir/keys.json"
else
  "$bin" setup --config "$cfg" --models "$dir/models.json"
fi
echo
"$bin" profiles list --config "$cfg"
echo
echo "== costgate serve on 127.0.0.1:$port (simulated upstream)"
"$bin" serve --config "$cfg" --listen "127.0.0.1:$port" 2>"$dir/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' EXIT INT TERM
for _ in $(seq 50); do
  grep -q "listening on" "$dir/serve.log" 2>/dev/null && break
  if ! kill -0 $server 2>/dev/null; then cat "$dir/serve.log"; exit 1; fi
  sleep 0.1
done
cat "$dir/serve.log"
echo
echo "== a few calls, one per client dialect"
python3 scripts/demo_calls.py "$port" "$dir/keys.json"
echo
echo "== the ledger"
"$bin" usage --config "$cfg" --limit 10
echo
echo "costgate is serving on http://127.0.0.1:$port (log: $dir/serve.log). Try:"
echo "  curl -s http://127.0.0.1:$port/v1/chat/completions -H \"authorization: Bearer \$(python3 -c 'import json;print(json.load(open(\"$dir/keys.json\"))[\"keys\"][1][\"key\"])')\" \\"
echo "       -d '{\"model\":\"customer1_websearch\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
echo "Ctrl-C stops it (calls in flight finish first)."
wait $server
