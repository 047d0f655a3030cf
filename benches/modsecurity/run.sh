#!/usr/bin/env bash
# ModSecurity v3 + CRS vs this crate + CRS on the requests of benches/crs.rs.
# Usage: benches/modsecurity/run.sh [N]   (CRS from $WAF_CRS_DIR, else ../shared/crs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
crs=${WAF_CRS_DIR:-$root/../shared/crs}
out=${CARGO_TARGET_DIR:-$root/target}/modsecurity
mkdir -p "$out"

if ! pkg-config --exists modsecurity 2>/dev/null || ! command -v cc >/dev/null; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update
    $sudo apt-get install -y libmodsecurity3 libmodsecurity-dev build-essential pkg-config
fi

# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -std=c11 $(pkg-config --cflags modsecurity) \
    benches/modsecurity/bench.c -o "$out/bench" $(pkg-config --libs modsecurity)
"$out/bench" "$crs" "${1:-2000}" | tee "$out/modsecurity.txt"

WAF_CRS_DIR=$crs cargo bench --bench crs -- --warm-up-time 2 --measurement-time 5 'inspect' \
    2>&1 | tee "$out/waf.txt"

# Criterion: "crs-pl1/<req>/<bench> time: [lo median hi]", the name maybe on its own line.
awk '
    function us(v, u) { return u == "ns" ? v / 1000 : u == "ms" ? v * 1000 : u == "s" ? v * 1e6 : v }
    FNR == NR { if ($1 ~ /^(benign|sqli|xss)$/) msc[$1] = $2; next }
    $1 ~ /^crs-pl1\// { name = $1 }
    /time:/ { split(name, p, "/"); i = index($0, "["); split(substr($0, i + 1), f, " ")
              ours[p[2] "/" p[3]] = us(f[3], f[4]) }
    END {
        printf "%-7s %12s %12s %7s %14s %7s\n", "request", "modsec_us", "inspect_us",
               "ratio", "parse+insp_us", "ratio"
        n = split("benign sqli xss", r, " ")
        for (k = 1; k <= n; k++) {
            a = ours[r[k] "/inspect"]; b = ours[r[k] "/parse+inspect"]
            printf "%-7s %12.2f %12.2f %6.1fx %14.2f %6.1fx\n", r[k], msc[r[k]], a,
                   a ? msc[r[k]] / a : 0, b, b ? msc[r[k]] / b : 0
        }
    }' "$out/modsecurity.txt" "$out/waf.txt" | tee "$out/summary.txt"
