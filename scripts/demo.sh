#!/usr/bin/env bash
# The README's first command ends here: set costgate up on a copy of examples/ (so the committed
# examples stay untouched) and run it on its embedded defaults.
#   scripts/demo.sh PATH_TO_COSTGATE [extra serve options]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
shift
dir=var/demo
mkdir -p "$dir"
if [ ! -f "$dir/config.json" ]; then
  cp examples/config.json examples/models.json "$dir/"
fi
echo "== costgate setup on $dir (a copy of examples/)"
"$bin" setup --config "$dir/config.json" --models "$dir/models.json" --create-user-roles \
  | tee -a "$dir/setup.log"
echo
echo "== profiles"
"$bin" profiles list --config "$dir/config.json"
echo
echo "== prices of the seed's default model"
"$bin" prices show anthropic.claude-3-haiku-20240307-v1:0 --config "$dir/config.json"
echo
echo "API keys issued by the first setup are in $dir/setup.log (shown once)."
if "$bin" serve --help >/dev/null 2>&1; then
  echo "== costgate serve (Ctrl-C to stop)"
  exec "$bin" serve --config "$dir/config.json" "$@"
fi
