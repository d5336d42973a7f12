#!/usr/bin/env bash
# loadgen against wrk on GET /categories of the same server, at the same connection count, taking turns. Two ways:
#   shared  the service and the load tool on all cores, as in bench/run.sh: a tool that costs more CPU per request
#           takes more of the cores from the service, so its rate is lower even when it counts the same requests;
#   pinned  the service on CPU 0 and the load tool on CPU 1 (taskset): each has a core of its own, so the rate is
#           the slower of the two, and a tool that costs more per request can become the limit itself.
# Usage: bench/crosscheck.sh [rounds=4] [duration=10s] [connections=256]
# Prints each round, then per way the median rate of each tool, the median of the paired ratios loadgen/wrk and the
# CPU per request of each tool (user + system: `time` for wrk, the JSON report's client.cpu_seconds for loadgen).
# Not a test: it measures. Needs 2 cores or more for the pinned way.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"
rounds=${1:-4}; duration=${2:-10s}; connections=${3:-256}

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { say "install wrk"; exit 1; }
command -v jq >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq jq >/dev/null; } || { say "install jq"; exit 1; }
command -v taskset >/dev/null || { say "taskset (util-linux) is needed for the pinned way"; exit 1; }
[ "$(nproc)" -ge 2 ] || { say "the pinned way needs 2 cores"; exit 1; }
ensure_servers_installed || exit 1
start_stack crosscheck || exit 1
build_release || exit 1
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__ServerKey=bench-server-key Logging__LogLevel__Default=Warning
dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
dotnet "$app" serve-all --urls "http://127.0.0.1:$http_port" >"$work/service.log" 2>&1 &
app_pid=$!
url="http://127.0.0.1:$http_port/categories"
for _ in $(seq 1 100); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
curl -sf "$url" >/dev/null || { say "the service did not answer; see $work/service.log"; exit 1; }

TIMEFORMAT='%U %S'
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# run_wrk PIN: requests/s and CPU µs per request of one wrk run.
run_wrk() {
  local out cpu rps
  out=$( { time $1 wrk -t2 -c"$connections" -d"$duration" "$url" >"$work/wrk.txt" 2>&1; } 2>&1 )
  rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt")
  cpu=$(awk -v t="$out" -v r="$rps" -v d="${duration%s}" 'BEGIN { split(t, a, " "); printf "%.1f", 1e6 * (a[1] + a[2]) / (r * d) }')
  echo "$rps $cpu"
}
run_loadgen() {
  rm -rf "$work/lg"; $1 "$loadgen" --base-url "http://127.0.0.1:$http_port" --only-get /categories --vus "$connections" \
    --duration "$duration" --out "$work/lg" >/dev/null 2>&1
  jq -r '"\(.overall.rps) \(1e6 * .client.cpu_seconds / .overall.count | . * 10 | round / 10)"' "$work"/lg/*.json
}

say "warm-up: wrk and loadgen 5 s each"
wrk -t2 -c"$connections" -d5s "$url" >/dev/null
"$loadgen" --base-url "http://127.0.0.1:$http_port" --only-get /categories --vus "$connections" --duration 5s --out "$work/warm" >/dev/null 2>&1
summary=()
for way in shared pinned; do
  if [ "$way" = pinned ]; then
    taskset -a -p -c 0 "$app_pid" >/dev/null; pin="taskset -c 1"
  else
    taskset -a -p -c "0-$(($(nproc) - 1))" "$app_pid" >/dev/null; pin=
  fi
  w=(); l=(); r=(); wc=(); lc=()
  for i in $(seq 1 "$rounds"); do
    read -r wr wcpu <<<"$(run_wrk "$pin")"
    read -r lr lcpu <<<"$(run_loadgen "$pin")"
    w+=("$wr"); l+=("$lr"); wc+=("$wcpu"); lc+=("$lcpu")
    r+=("$(awk -v a="$lr" -v b="$wr" 'BEGIN { printf "%.3f", a / b }')")
    say "$way round $i: wrk $wr req/s ($wcpu µs CPU/request), loadgen $lr req/s ($lcpu µs), ratio ${r[-1]}"
  done
  summary+=("$(printf '%-7s wrk %8.0f req/s %5.1f µs | loadgen %8.0f req/s %5.1f µs | ratio loadgen/wrk %s (rounds: %s)' "$way" \
    "$(printf '%s\n' "${w[@]}" | median)" "$(printf '%s\n' "${wc[@]}" | median)" \
    "$(printf '%s\n' "${l[@]}" | median)" "$(printf '%s\n' "${lc[@]}" | median)" \
    "$(printf '%s\n' "${r[@]}" | median)" "${r[*]}")")
done
echo "GET /categories, $connections connections, $rounds rounds of $duration per tool and way, medians, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')):"
printf '  %s\n' "${summary[@]}"
