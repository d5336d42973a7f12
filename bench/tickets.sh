#!/usr/bin/env bash
# The measurements of issue 14 (tickets), on a private PostgreSQL and Redis, one serve-all (its one ticket e-mail
# worker) and an SMTP sink (bench/tickets/smtp-sink.py, which notes when it accepted each ticket's e-mail):
#   1. a sell-out of the seed's 75,000 seats with every order paid (loadgen --pay-all, --vus VUs), while the worker
#      e-mails the tickets: e-mails per second accepted by the SMTP server, and the time from payment (paid_at) to
#      the server's acceptance (p50, p95, p99), until every e-mail is out or --drain-seconds (900) after the sell-out
#      (then of the e-mails sent so far, with the backlog left);
#   2. GET /tickets/{code} requests per second (wrk, 64 connections, --seconds, over the issued codes);
#   3. check-ins per second with 16 gates scanning at once (wrk, 16 threads of one connection each, one gate token
#      each, every code scanned once), then the count of checked-in tickets in the database.
# Results: loadtest/results/tickets-<timestamp>/ (ignored by git): summary.md, loadgen's report, wrk's outputs.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

vus=1000; seconds=15; cap=6m; drain=900
while [ $# -gt 0 ]; do
  case $1 in
    --vus) vus=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --sellout-cap) cap=$2; shift ;;
    --drain-seconds) drain=$2; shift ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) say "unknown option $1"; exit 2 ;;
  esac
  shift
done

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { say "install wrk"; exit 1; }
command -v jq >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq jq >/dev/null; } || { say "install jq"; exit 1; }
ensure_servers_installed || exit 1
out="$root/loadtest/results/tickets-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
sink_pid=
stack_cleanup() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; return 0; }
start_stack tickets || exit 1
base="http://127.0.0.1:$http_port"
smtp_port=$(free_port)
log() { say "[$(date -u +%H:%M:%S)] $*"; echo "$*" >>"$out/summary.md"; }
psql_ct() { "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d concert_ticket -X -q -tA -v ON_ERROR_STOP=1 "$@"; }

build_release || exit 1

python3 -W ignore::DeprecationWarning "$root/bench/tickets/smtp-sink.py" "$smtp_port" "$out/smtp-accepted.tsv" &
sink_pid=$!
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__Fake__LatencyMs=100 Payment__ServerKey=loadtest-server-key
export Order__HoldSeconds=900 Protection__OrdersPerIpPerMinute=0 Protection__OrdersPerEmailPerMinute=0
export Email__Smtp__Host=127.0.0.1 Email__Smtp__Port=$smtp_port Email__Smtp__Security=None Email__PublicBaseUrl=$base
export Logging__LogLevel__Default=Warning
gate_prefix="bench-gate-token-0123456789-"
for g in $(seq -w 1 16); do export "CheckIn__Gates__gate$g=$gate_prefix$g"; done
dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
dotnet "$app" serve-all --urls "$base" >"$out/service.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 150); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.2; done

echo "# bench/tickets.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores" >"$out/summary.md"
log ""
log "Sell-out with $vus VUs, every order paid (loadgen --pay-all --stop-when-sold-out), the e-mail worker sending meanwhile"
"$loadgen" --base-url "$base" --vus "$vus" --pay-all --stop-when-sold-out --duration "$cap" --out "$out" --label sellout \
  >"$out/sellout.txt" 2>/dev/null
log "- loadgen: $(grep -E '^Sell-out:' "$out/sellout.txt" | head -n 1)"
paid=$(psql_ct -c "SELECT count(*) FROM orders WHERE status = 'paid'")
log "- paid orders: $paid"
log "- waiting up to $drain s after the sell-out for the e-mails still queued"
for _ in $(seq 1 "$drain"); do
  [ "$(psql_ct -c "SELECT count(*) FROM tickets WHERE email_sent_at IS NULL")" = 0 ] && break
  sleep 1
done
psql_ct -c "CREATE TABLE bench_accepted (ticket_id text, at_ms bigint)"
psql_ct -c "\\copy bench_accepted FROM '$out/smtp-accepted.tsv'"
log "- e-mails accepted by the SMTP server: $(psql_ct -c "SELECT count(*) || ' (' || count(DISTINCT ticket_id) || ' tickets; still unsent: ' || (SELECT count(*) FROM tickets WHERE email_sent_at IS NULL) || ')' FROM bench_accepted")"
log "- e-mails per second (first to last acceptance): $(psql_ct -c "SELECT round(count(*) / nullif((max(at_ms) - min(at_ms)) / 1000.0, 0), 0) FROM bench_accepted")"
log "- payment to SMTP acceptance, ms (p50 / p95 / p99 / max): $(psql_ct -c "
  SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)) || ' / ' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY d))
      || ' / ' || round(percentile_cont(0.99) WITHIN GROUP (ORDER BY d)) || ' / ' || round(max(d))
  FROM (SELECT a.at_ms - extract(epoch FROM o.paid_at) * 1000 AS d
        FROM bench_accepted a JOIN tickets t ON replace(t.id::text, '-', '') = a.ticket_id JOIN orders o ON o.id = t.order_id) x")"

psql_ct -c "SELECT code FROM tickets WHERE code IS NOT NULL AND status = 'valid' ORDER BY random()" >"$out/codes.txt"
log ""
log "GET /tickets/{code}, wrk 64 connections, $seconds s, over $(wc -l <"$out/codes.txt") codes"
wrk -t 2 -c 64 -d "${seconds}s" --latency -s "$root/bench/tickets/ticket.lua" "$base" -- "$out/codes.txt" >"$out/get-ticket.txt" 2>&1
log "- $(grep -E '^Requests/sec' "$out/get-ticket.txt"); p99 $(awk '$1 == "99%" { print $2 }' "$out/get-ticket.txt"); non-2xx: $(grep -Eo 'Non-2xx or 3xx responses: [0-9]+' "$out/get-ticket.txt" || echo 0)"

log ""
log "POST /checkin, 16 gates (wrk 16 threads x 1 connection, a gate token each), $seconds s, each code scanned once"
wrk -t 16 -c 16 -d "${seconds}s" -s "$root/bench/tickets/checkin.lua" "$base" -- "$out/codes.txt" "$gate_prefix" 16 >"$out/checkin.txt" 2>&1
admitted=$(awk '$1 == "admitted" { print $2 }' "$out/checkin.txt"); took=$(awk '$1 == "seconds" { print $2 }' "$out/checkin.txt")
log "- admitted $admitted, refused $(awk '$1 == "refused" { print $2 }' "$out/checkin.txt") in $took s: $(awk -v a="$admitted" -v s="$took" 'BEGIN { printf "%.0f", a / s }') check-ins/s; p95 $(awk '$1 == "p95_ms" { print $2 }' "$out/checkin.txt") ms"
log "- checked-in tickets in the database: $(psql_ct -c "SELECT count(*) FROM tickets WHERE status = 'checked_in'")"
log ""
log "Invariants: $(psql_ct -v hold=900 -f "$root/bench/invariants.sql" 2>&1 | grep -c VIOLATED) violated"
cat "$out/summary.md"
