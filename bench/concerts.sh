#!/usr/bin/env bash
# The measurements of issue 16 (several concerts), on a private PostgreSQL and Redis and one serve-all:
#   1. POST /admin/concerts with 75,000 seats (5 categories of 150 x 100), nine times: seconds each;
#   2. the seed's scenario (loadgen) at --vus VUs on a database with the seed's concert alone ("one") and with nine
#      more concerts of 75,000 seats in draft ("ten": 675,000 more seats, one concert on sale), alternated
#      one, ten, one, ten, each on a fresh sale;
#   3. the dashboard's cost: --dashboards pollers of GET /admin/dashboard, one request a second each (what the page
#      does), during one more run on the ten-concert database: queries per second it cost PostgreSQL, from
#      pg_stat_statements and the service's concert_ticket_admin_dashboard_queries counter.
# Results: loadtest/results/concerts-<timestamp>/ (ignored by git): summary.md and loadgen's reports.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

vus=1000; duration=30s; dashboards=50; rounds=2
while [ $# -gt 0 ]; do
  case $1 in
    --vus) vus=$2; shift ;;
    --duration) duration=$2; shift ;;
    --dashboards) dashboards=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) say "unknown option $1"; exit 2 ;;
  esac
  shift
done

ensure_servers_installed || exit 1
out="$root/loadtest/results/concerts-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
start_stack concerts || exit 1
base="http://127.0.0.1:$http_port"
key="bench-admin-key-0123456789"
log() { say "[$(date -u +%H:%M:%S)] $*"; echo "$*" >>"$out/summary.md"; }
psql_ct() { "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d concert_ticket -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

build_release || exit 1

psql_ct -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" || exit 1
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__Fake__LatencyMs=100 Payment__ServerKey=loadtest-server-key
export Order__HoldSeconds=15 Protection__OrdersPerIpPerMinute=0 Protection__OrdersPerEmailPerMinute=0
export Logging__LogLevel__Default=Warning Admin__ApiKeys__bench=$key
dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
dotnet "$app" serve-all --urls "$base" >"$out/service.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 150); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.2; done

concert_body() {
  printf '{"name":"Bench %s","venue":"Stadium","starts_at":"2027-06-01T19:00:00+07:00","time_zone":"Asia/Jakarta","state":"draft","categories":[' "$1"
  for c in 1 2 3 4 5; do printf '%s{"name":"CAT %s","price":%s000000,"rows":150,"columns":100}' "$([ $c = 1 ] || echo ,)" "$c" "$c"; done
  printf ']}'
}
# create_concert N: one POST /admin/concerts with 75,000 seats; prints its seconds.
create_concert() {
  concert_body "$1" >"$out/concert.json"
  curl -sf -o /dev/null -w '%{time_total}' -X POST "$base/admin/concerts" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data-binary @"$out/concert.json"
}
# fresh KIND: the sale back to its first second, with the seed's concert alone (one) or nine drafts more (ten).
fresh() {
  psql_ct -c "TRUNCATE gateway_voids, orders, seats, categories, concerts, admin_audit RESTART IDENTITY" || return 1
  dotnet "$app" seed >/dev/null || return 1
  if [ "$1" = ten ]; then
    for n in 2 3 4 5 6 7 8 9 10; do
      local s; s=$(create_concert "$n") || { say "POST /admin/concerts failed"; return 1; }
      echo "$s" >>"$out/create-seconds.txt"
    done
  fi
  psql_ct -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null || return 1
  for _ in $(seq 1 50); do
    [ "$(curl -sf "$base/categories" | jq '[.data[].total] | add')" = 75000 ] && return 0
    sleep 0.2
  done
  say "GET /categories did not show the seed's 75,000 free seats"; return 1
}
run() {
  local label=$1
  "$loadgen" --base-url "$base" --vus "$vus" --duration "$duration" --out "$out" --label "$label" >"$out/$label.txt" 2>/dev/null
  local report; report=$(ls -t "$out/$label"-*.json | head -n 1)
  log "| $label | $(jq -r '"\(.overall.rps) | \(.overall.errors) | \(.overall.latency_ms.p95) | \(.scenario.orders_created)"' "$report") |"
}

say "Warm-up..."
"$loadgen" --base-url "$base" --vus 500 --duration 15s --out "$out/warmup" >/dev/null 2>&1
echo "# bench/concerts.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $vus VUs, $duration per run" >"$out/summary.md"
log ""
log "| run | req/s | errors | p95 ms | orders created |"
log "|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  fresh one || exit 1; run "one-$r"
  fresh ten || exit 1; run "ten-$r"
done
log ""
log "POST /admin/concerts, 75,000 seats each (s): $(tr '\n' ' ' <"$out/create-seconds.txt")"

fresh ten || exit 1
psql_ct -c "SELECT pg_stat_statements_reset()" >/dev/null
before=$(curl -sf "$base/metrics" | awk '/^concert_ticket_admin_dashboard_queries_total/ { s += $NF } END { print s + 0 }')
pollers=()
for _ in $(seq 1 "$dashboards"); do
  ( while :; do curl -sf -o /dev/null -H "Authorization: Bearer $key" "$base/admin/dashboard"; sleep 1; done ) &
  pollers+=($!)
done
started=$(date +%s.%N)
run "ten-dashboards"
ended=$(date +%s.%N)
for p in "${pollers[@]}"; do kill "$p" 2>/dev/null; done
wait "${pollers[@]}" 2>/dev/null
after=$(curl -sf "$base/metrics" | awk '/^concert_ticket_admin_dashboard_queries_total/ { s += $NF } END { print s + 0 }')
seconds=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')
calls=$(psql_ct -c "SELECT coalesce(sum(calls), 0), round(coalesce(sum(total_exec_time), 0)::numeric, 0), round(coalesce(sum(total_exec_time) / nullif(sum(calls), 0), 0)::numeric, 1) FROM pg_stat_statements WHERE query LIKE '%per_minute AS%'")
log ""
log "$dashboards dashboards polling once a second for $seconds s: $((after - before)) snapshot queries (service counter); pg_stat_statements: calls|total ms|mean ms = $calls"
log "queries per second: $(awk -v q=$((after - before)) -v s="$seconds" 'BEGIN { printf "%.2f", q / s }')"
cat "$out/summary.md"
