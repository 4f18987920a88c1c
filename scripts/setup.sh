#!/usr/bin/env bash
# Installs everything costgate needs to build and test, on Debian 12 as root. Idempotent:
# packages already present are not reinstalled, and apt's index is refreshed at most once a day.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev zlib1g-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libnghttp2-dev
  python3 clang-format ca-certificates openssl
)
# A real SMTP server for the notification tests (tests/smtp_sink.py, tests/notify_test.py).
packages+=(python3-aiosmtpd)
# clang with libFuzzer: scripts/fuzz_smoke.sh (run by `./run test`) and -DCOSTGATE_FUZZERS=ON.
packages+=(clang libclang-rt-14-dev)
# promtool (Debian's prometheus package) checks GET /metrics in tests/prometheus_test.py.
packages+=(prometheus)
# Debian's chromium runs the dashboard's browser tests (tests/browser, driven by playwright-core).
packages+=(chromium)
# Node.js and npm run the SDK client tests (tests/sdk); any node and npm already on PATH do.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  stamp=/var/lib/apt/periodic/costgate-update-stamp
  if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
    apt-get update -qq
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
  fi
  echo "setup.sh: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The official SDK clients the tests drive, pinned by tests/sdk/package-lock.json. npm ci
# rewrites node_modules/.package-lock.json, so it is the stamp: reinstall when it is missing or
# older than the lock file.
sdk=tests/sdk
if [ ! -f "$sdk/node_modules/.package-lock.json" ] ||
   [ "$sdk/package-lock.json" -nt "$sdk/node_modules/.package-lock.json" ]; then
  echo "setup.sh: installing the SDK test clients (npm ci in $sdk)"
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# The same for uPlot, which the build embeds into the binary (web/package-lock.json), and for
# playwright-core, which drives chromium in the browser tests (tests/browser/package-lock.json).
for dir in web tests/browser; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup.sh: installing $dir's npm packages (npm ci in $dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done
echo "setup.sh: all build and test dependencies present"
