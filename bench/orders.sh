#!/usr/bin/env bash
# Sustained orders/s until sellout: every created order gets its signed settlement (loadgen --pay-all), 256 virtual
# users, the fake gateway at 0 ms and at 100 ms, each from a fresh seed of 75,000 seats. Prints orders/s, the time
# to sell all seats, and the inventory invariants (bench/invariants.sql). Usage: bench/orders.sh [vus=256]
# Not a test: it measures. Compare with the pgbench ceiling of the same SQL in bench/run.sh.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"
vus=${1:-256}

ensure_servers_installed || exit 1
start_stack orders || exit 1
dotnet build "$root/ConcertTicket.slnx" -c Release -v quiet -nologo -clp:NoSummary >/dev/null || exit 1
app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
loadgen="$root/loadtest/LoadGenerator/bin/Release/net10.0/loadgen.dll"
psql_ct() { "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d concert_ticket -X -q "$@"; }
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__ServerKey=loadtest-server-key Order__HoldSeconds=15 Logging__LogLevel__Default=Warning
export Protection__OrdersPerIpPerMinute=0 Protection__OrdersPerEmailPerMinute=0

for latency in 0 100; do
  "$PG_BIN/dropdb" -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists concert_ticket
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres concert_ticket
  redis-cli -p "$redis_port" flushall >/dev/null
  dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
  Payment__Fake__LatencyMs=$latency dotnet "$app" serve-all --urls "http://127.0.0.1:$http_port" >"$work/service-$latency.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$http_port/health" >/dev/null && break; sleep 0.2; done
  say "fake gateway ${latency} ms: $vus VUs, every order paid, until sellout..."
  dotnet "$loadgen" --base-url "http://127.0.0.1:$http_port" --vus "$vus" --duration 10m --pay-all --emails 1000000 \
    --stop-when-sold-out --out "$root/loadtest/results" --label "orders-${latency}ms" >"$work/loadgen-$latency.txt" 2>&1
  sleep 20   # let the last holds expire and the workers settle
  sold=$(psql_ct -tAc "SELECT count(*) FROM orders WHERE status = 'paid'")
  first=$(psql_ct -tAc "SELECT extract(epoch FROM min(created_at)) FROM orders")
  last=$(psql_ct -tAc "SELECT extract(epoch FROM max(paid_at)) FROM orders WHERE status = 'paid'")
  echo "== fake gateway ${latency} ms, $vus VUs"
  grep -iE "sold out|sell|errors|^\| +[0-9]" "$work/loadgen-$latency.txt" | head -8
  awk -v n="$sold" -v a="$first" -v b="$last" 'BEGIN { printf "  paid orders %d in %.1f s: %.0f orders/s (create + settlement)\n", n, b - a, n / (b - a) }'
  psql_ct -v hold=15 -f "$root/bench/invariants.sql"
  kill "$app_pid"; wait "$app_pid" 2>/dev/null; app_pid=
done
