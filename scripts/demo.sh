#!/usr/bin/env bash
# The README's first command ends here: `costgate demo` sets costgate up on a copy of the examples
# in var/demo/, serves it on the simulated upstream, sends the demo's traffic and keeps going
# until Ctrl-C (README.md, "The two commands").
#   scripts/demo.sh PATH_TO_COSTGATE
set -euo pipefail
cd "$(dirname "$0")/.."
exec "$(realpath "$1")" demo --dir var/demo --port "${COSTGATE_DEMO_PORT:-8080}"
