#!/usr/bin/env bash
# Throughput and latency of waf-proxy on loopback, measured with wrk: the demo app
# directly, then through the proxy with the WAF off, with the built-in rules, and with
# the OWASP CRS at paranoia 1. Every run is bounded (wrk -d, readiness waits).
#
#   bash benches/proxy/run.sh            # CRS from $WAF_CRS_DIR, else ../shared/crs
#   DURATION=10s CONNECTIONS=32 bash benches/proxy/run.sh
#
# Prints a Markdown table (req/s, p50/p95/p99 in ms). Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
APP_PORT=${APP_PORT:-18080}
PROXY_PORT=${PROXY_PORT:-18081}
CRS_DIR=${WAF_CRS_DIR:-$(cd .. && pwd)/shared/crs}
TARGET=${CARGO_TARGET_DIR:-target}
REQUEST="/search?q=running+shoes"

if ! command -v wrk >/dev/null; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release --locked --example demo --bin waf-proxy >&2

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Waits (at most 60 s: CRS takes a few seconds to compile) until $1 answers.
wait_ready() {
    for _ in $(seq 600); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "not ready: $1" >&2
    return 1
}

# Runs wrk against $2 and prints a table row named $1.
measure() {
    local line
    line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s benches/proxy/report.lua "$2" | grep '^RESULT')
    read -r _ rps p50 p95 p99 non2xx errors <<<"$line"
    printf '| %-22s | %8s | %7s | %7s | %7s | %5s |\n' "$1" "$rps" "$p50" "$p95" "$p99" "$((non2xx + errors))"
}

# Starts the proxy with the given [rules] table, waits for it, measures, stops it.
through_proxy() {
    cat >"$work/proxy.toml" <<TOML
watch_interval_ms = 0
[listen]
http = "127.0.0.1:$PROXY_PORT"
[upstream]
url = "http://127.0.0.1:$APP_PORT"
[rules]
$2
TOML
    RUST_LOG=warn "$TARGET/release/waf-proxy" --config "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_ready "http://127.0.0.1:$PROXY_PORT$REQUEST"
    measure "$1" "http://127.0.0.1:$PROXY_PORT$REQUEST"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

"$TARGET/release/examples/demo" --no-waf --addr "127.0.0.1:$APP_PORT" >"$work/app.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$APP_PORT$REQUEST"

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GET $REQUEST, $(nproc) CPUs"
echo
echo "| Path                   |    req/s | p50 ms  | p95 ms  | p99 ms  | fail  |"
echo "|------------------------|---------:|--------:|--------:|--------:|------:|"
measure "direct to the app" "http://127.0.0.1:$APP_PORT$REQUEST"
through_proxy "proxy, WAF off" 'source = "off"'
through_proxy "proxy, built-in rules" 'source = "builtin"'
if [ -d "$CRS_DIR" ]; then
    through_proxy "proxy, CRS paranoia 1" "source = \"crs\"
dir = \"$CRS_DIR\"
paranoia = 1"
else
    echo "(no CRS at $CRS_DIR: set WAF_CRS_DIR)" >&2
fi
