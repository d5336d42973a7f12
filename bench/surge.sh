#!/usr/bin/env bash
# The on-sale surge of issue 15, with the waiting room off and on, side by side: each time a fresh seed of 75,000
# seats, serve-all, and `loadgen surge` (an open model: fans arriving evenly over the arrival time, joining the queue
# and polling as told, or ordering at once; 3 of 4 pay). Prints loadgen's summary, Redis commands per fan and the
# service's peak RSS for each mode. Not a test: it measures. Usage: bench/surge.sh [fans=20000] [arrival=10s]
# (also bench/run.sh --surge [fans] [arrival]).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"
fans=${1:-20000}; arrival=${2:-10s}

ensure_servers_installed || exit 1
start_stack surge || exit 1
dotnet build "$root/ConcertTicket.slnx" -c Release -v quiet -nologo -clp:NoSummary >/dev/null || exit 1
app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
loadgen="$root/loadtest/LoadGenerator/bin/Release/net10.0/loadgen.dll"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__Fake__LatencyMs=100 Payment__ServerKey=loadtest-server-key Logging__LogLevel__Default=Warning
export Protection__OrdersPerIpPerMinute=0 Protection__OrdersPerEmailPerMinute=0
export Queue__TokenSecret=surge-benchmark-token-secret-0123456789 Queue__AdmitPerSecond=${ADMIT_PER_SECOND:-400}

for mode in ${MODES:-off on}; do   # MODES=on runs one mode only
  "$PG_BIN/dropdb" -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists concert_ticket
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres concert_ticket
  redis-cli -p "$redis_port" flushall >/dev/null
  dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
  queue_args=()
  if [ "$mode" = on ]; then
    # The sale opens 3 s into the arrivals: the first fans are shuffled, the rest served in arrival order.
    opens_at=$(date -u -d "+$((3 + 8)) seconds" +%Y-%m-%dT%H:%M:%SZ)
    export Queue__Enabled=true Queue__OpensAt=$opens_at
    queue_args=(--queue --opens-at "$opens_at")
  else
    export Queue__Enabled=false; unset Queue__OpensAt
  fi
  dotnet "$app" serve-all --urls "http://127.0.0.1:$http_port" >"$work/service-$mode.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$http_port/health" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$http_port/health" >/dev/null || { say "the service did not start:"; tail -n 5 "$work/service-$mode.log"; exit 1; }
  # The service took a few seconds to start: wait for the arrivals to begin 3 s before the opening.
  if [ "$mode" = on ]; then
    while [ "$(date -u +%s)" -lt $(( $(date -u -d "$opens_at" +%s) - 3 )) ]; do sleep 0.1; done
  fi
  before=$(redis-cli -p "$redis_port" info stats | awk -F: '/^total_commands_processed/ { print $2+0 }')
  say "queue $mode: $fans fans over $arrival..."
  dotnet "$loadgen" surge --base-url "http://127.0.0.1:$http_port" --fans "$fans" --arrival "$arrival" "${queue_args[@]}" \
    >"$work/surge-$mode.txt" 2>&1
  after=$(redis-cli -p "$redis_port" info stats | awk -F: '/^total_commands_processed/ { print $2+0 }')
  rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$app_pid/status")
  cat "$work/surge-$mode.txt"
  awk -v a="$before" -v b="$after" -v n="$fans" 'BEGIN { printf "  Redis commands per fan: %.1f\n", (b - a) / n }'
  echo "  service peak RSS: $((rss / 1024)) MiB"
  kill "$app_pid"; wait "$app_pid" 2>/dev/null; app_pid=
done
