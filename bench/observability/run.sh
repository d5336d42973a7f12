#!/usr/bin/env bash
# The throughput cost of tracing and metrics on GET /categories and POST /orders. One service process per
# configuration, all started at once on their own freshly seeded databases (same PostgreSQL with fsync off, so the
# runs are CPU-bound: the worst case for the overhead; same Redis, one prefix-free key each is fine since the
# refresher writes the same values), then wrk bursts that take turns between them, ROUNDS times, so that the load
# other processes put on a shared machine falls on every configuration alike.
#   off      Telemetry:Tracing=false, Telemetry:Metrics=false (no tracer or meter provider at all)
#   metrics  metrics on, /metrics scraped every 5 s; tracing off (the default without an OTLP endpoint)
#   full     metrics + tracing, every trace sampled, exported by OTLP/HTTP to a local black-hole collector
#   sampled  metrics + tracing at Telemetry:SamplingRatio=0.1
# Usage: bench/observability/run.sh   (ROUNDS=5 DURATION=10s WARMUP=5s CONFIGS="off metrics full sampled")
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/bench/observability"
source "$root/scripts/lib/services.sh"

rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
warmup=${WARMUP:-5s}
read -r -a configs <<<"${CONFIGS:-off metrics full sampled}"
command -v wrk >/dev/null || { say "wrk is required (apt-get install wrk)"; exit 1; }
ensure_servers_installed || exit 1

work=$(mktemp -d /tmp/ct-obs-bench.XXXXXX)
keep_work=1
sink_port=$(free_port)
declare -A port pid scraper
stack_cleanup() {
  local c
  for c in "${!pid[@]}"; do kill "${scraper[$c]}" "${pid[$c]}" 2>/dev/null; done
  [ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null
  say "Logs and raw wrk output kept in $work"
}

say "Building (Release)..."
dotnet build "$root/src/ConcertTicket/ConcertTicket.csproj" -c Release -v q -nologo -clp:ErrorsOnly || exit 1
app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
start_stack observability fast || exit 1
python3 "$here/otlp_sink.py" "$sink_port" &
sink_pid=$!

export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__Fake__LatencyMs=0 Payment__ServerKey=x Order__HoldSeconds=15
export DOTNET_ENVIRONMENT=Production

settings() {
  case $1 in
    off) echo "Telemetry__Tracing=false Telemetry__Metrics=false" ;;
    metrics) echo "Telemetry__Tracing=false Telemetry__Metrics=true" ;;
    full) echo "Telemetry__OtlpEndpoint=http://127.0.0.1:$sink_port Telemetry__OtlpProtocol=http/protobuf Telemetry__SamplingRatio=1" ;;
    sampled) echo "Telemetry__OtlpEndpoint=http://127.0.0.1:$sink_port Telemetry__OtlpProtocol=http/protobuf Telemetry__SamplingRatio=0.1" ;;
    *) say "unknown configuration $1"; exit 2 ;;
  esac
}

for c in "${configs[@]}"; do
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "bench_$c" || exit 1
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=bench_$c"
  dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
  port[$c]=$(free_port)
  # shellcheck disable=SC2046
  env $(settings "$c") dotnet "$app" serve-all --urls "http://127.0.0.1:${port[$c]}" >"$work/$c.app.log" 2>&1 &
  pid[$c]=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:${port[$c]}/categories" && break; sleep 0.2; done
  # Prometheus would scrape; in 'off' this is a 404.
  (while sleep 5; do curl -s -o /dev/null "http://127.0.0.1:${port[$c]}/metrics"; done) &
  scraper[$c]=$!
done

rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
requests() { awk '/requests in/ { print $1 }' "$1"; }
# The service's own CPU time (user + system): CPU per request is steadier than throughput on a shared machine.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# burst CONFIG ENDPOINT NAME: one wrk run against that configuration's process; prints "req/s cpu-us-per-request"
burst() {
  local c=$1 endpoint=$2 name=$3 url="http://127.0.0.1:${port[$1]}" c0 c1
  c0=$(cpu_ticks "${pid[$c]}")
  if [ "$endpoint" = orders ]; then
    wrk -t2 -c64 -d"$4" -s "$here/orders.lua" "$url" -- "$name-$$" >"$work/$name.txt"
  else
    wrk -t2 -c64 -d"$4" "$url/categories" >"$work/$name.txt"
  fi
  c1=$(cpu_ticks "${pid[$c]}")
  grep -q Non-2xx "$work/$name.txt" && say "$name: $(grep Non-2xx "$work/$name.txt")"
  echo "$(rps "$work/$name.txt") $(awk -v t=$((c1 - c0)) -v n="$(requests "$work/$name.txt")" -v hz="$hz" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
}

say "Warming up (JIT tiers, pools, caches)..."
for c in "${configs[@]}"; do
  burst "$c" categories "warm-$c-categories" "$warmup" >/dev/null
  burst "$c" orders "warm-$c-orders" "$warmup" >/dev/null
done

say "config round endpoint req/s cpu_us_per_request"
for round in $(seq 1 "$rounds"); do
  # Each round starts with a different configuration, so none always follows the same neighbour.
  n=${#configs[@]}
  for i in $(seq 0 $((n - 1))); do
    c=${configs[$(( (i + round) % n ))]}
    for endpoint in categories orders; do
      line="$c $round $endpoint $(burst "$c" "$endpoint" "$c-$round-$endpoint" "$duration")"
      echo "$line" >>"$work/results.txt"
      say "$line"
    done
  done
done
say "OTLP exports received (requests bytes): $(curl -s "http://127.0.0.1:$sink_port/stats")"

awk -v configs="${configs[*]}" '
  { rps[$1 " " $3] = rps[$1 " " $3] " " $4; cpu[$1 " " $3] = cpu[$1 " " $3] " " $5 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    split(configs, c, " ")
    printf "\n| configuration | GET /categories req/s | vs off | CPU us/req | vs off | POST /orders req/s | vs off | CPU us/req | vs off |\n"
    printf "|---|---|---|---|---|---|---|---|---|\n"
    for (i = 1; c[i] != ""; i++) {
      mc = median(rps[c[i] " categories"]); mcc = median(cpu[c[i] " categories"])
      mo = median(rps[c[i] " orders"]); moc = median(cpu[c[i] " orders"])
      if (c[i] == "off") { bc = mc; bcc = mcc; bo = mo; boc = moc }
      printf "| %s | %.0f | %s | %.1f | %s | %.0f | %s | %.0f | %s |\n", c[i],
        mc, bc ? sprintf("%.3f", mc / bc) : "-", mcc, bcc ? sprintf("%.3f", mcc / bcc) : "-",
        mo, bo ? sprintf("%.3f", mo / bo) : "-", moc, boc ? sprintf("%.3f", moc / boc) : "-"
    }
    print "(medians over the rounds; CPU us/req counts the service process only, not PostgreSQL, Redis or wrk)"
  }' "$work/results.txt"
