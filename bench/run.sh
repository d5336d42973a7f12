#!/usr/bin/env bash
# The full benchmark in one command: builds Release, starts a private PostgreSQL (normal durability) and Redis,
# migrates and seeds, runs serve-all with the load-test configuration, then measures on this machine:
#   - the machine's ceilings: wrk on GET /bench/constant and GET /categories of the same server, and pgbench running
#     the order path's SQL (bench/order-path.pgbench) at 16, 32 (the service's pool) and 64 connections;
#   - the seed's scenario with loadgen at 1000 and 2000 VUs (re-seeded before each run), with the service's CPU,
#     PostgreSQL's, Redis's and everyone else's; after each run pg_stat_statements, pg_stat_wal and what the busy
#     backends waited on; peak RSS during the last;
#   - a sell-out run (--stop-when-sold-out) and its time to sell all 75,000 seats;
#   - the inventory invariants (bench/invariants.sql) after each load run has settled.
# Everything goes to loadtest/results/bench-<timestamp>/ (ignored by git): summary.md, metrics.tsv, loadgen's JSON and
# HTML reports, wrk and pgbench outputs, the service's log. A full run takes about 8 minutes on the project's 2-core
# machine (most of it the sell-out); --quick 5 to 8. docs/benchmarks.md reads the results.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

usage() {
  cat <<'TXT'
Usage: bench/run.sh [options]
  --quick              200 and 400 VUs for 10 s, one round of 5 s ceilings, sell-out with 400 VUs
  --vus "N M ..."      scenario runs, in order (default "1000 2000"); peak RSS is sampled during the last
  --duration D         each scenario run, loadgen syntax (default 30s)
  --sellout-vus N      VUs of the sell-out run, 0 skips it (default 1000)
  --sellout-cap D      the sell-out run's longest duration (default 6m)
  --rounds N           rounds of wrk (each endpoint) and of pgbench (each concurrency) (defaults 2 and 1)
  --ceiling-seconds S  length of each wrk and pgbench run (default 15)
  --pgbench-clients "A B ..."  pgbench concurrencies (default "16 32 64"; 32 is the service's pool)
  --no-wrk, --no-pgbench       skip a ceiling
  --pool N             the service's Maximum Pool Size (default: the service's own, 32); pgbench's ratio uses N
  --counters           also record dotnet-counters (CSV) for the service during the last scenario run
  --out DIR            result folder (default loadtest/results/bench-<timestamp>)
  --surge [F] [A]      instead: the waiting-room surge, F fans (20000) arriving over A (10s), queue off then on
                       (bench/surge.sh)
  --midtrans-verify on|off  the Midtrans gateway against the stand-in (bench/MidtransStandInHost, every call
                       answered in 20 ms) instead of the fake gateway, with Payment:Midtrans:VerifyNotifications on or
                       off; asking before expiry and the sweep are off, so only the notifications ask Midtrans
TXT
}

vus_list="1000 2000"; duration=30s; sellout_vus=1000; sellout_cap=6m
wrk_rounds=2; pgbench_rounds=1; ceiling_seconds=15; pgbench_clients="16 32 64"; pool_size=32
do_wrk=1; do_pgbench=1; do_counters=0; pool_option=; out=; warmup_seconds=5; warmup_vus=500; scenario_warmup_seconds=15
hold_seconds=15
verify=
command_line="bench/run.sh $*"
while [ $# -gt 0 ]; do
  case $1 in
    --surge) shift; exec "$root/bench/surge.sh" "$@" ;;
    --quick) vus_list="200 400"; duration=10s; sellout_vus=400; sellout_cap=3m; wrk_rounds=1; pgbench_rounds=1
             ceiling_seconds=5; warmup_seconds=3; warmup_vus=200; scenario_warmup_seconds=5 ;;
    --vus) vus_list=$2; shift ;;
    --duration) duration=$2; shift ;;
    --sellout-vus) sellout_vus=$2; shift ;;
    --sellout-cap) sellout_cap=$2; shift ;;
    --rounds) wrk_rounds=$2; pgbench_rounds=$2; shift ;;
    --ceiling-seconds) ceiling_seconds=$2; shift ;;
    --pgbench-clients) pgbench_clients=$2; shift ;;
    --no-wrk) do_wrk=0 ;;
    --no-pgbench) do_pgbench=0 ;;
    --counters) do_counters=1 ;;
    --pool) pool_size=$2; pool_option="Maximum Pool Size=$2;"; shift ;;
    --out) out=$2; shift ;;
    --midtrans-verify) case $2 in on) verify=true ;; off) verify=false ;; *) say "--midtrans-verify: on or off"; exit 2 ;; esac; shift ;;
    -h|--help) usage; exit 0 ;;
    *) say "unknown option $1"; usage >&2; exit 2 ;;
  esac
  shift
done
# Each scenario run's files and metrics are named by its VU count, so a count may appear once.
[ "$(printf '%s\n' $vus_list | sort | uniq -d)" = "" ] || { say "--vus: each VU count at most once (got: $vus_list)"; exit 2; }

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { say "install wrk"; exit 1; }
command -v jq >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq jq >/dev/null; } || { say "install jq"; exit 1; }
ensure_servers_installed || exit 1
[ -x "$PG_BIN/pgbench" ] || { say "pgbench not found in $PG_BIN"; exit 1; }

out=${out:-$root/loadtest/results/bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
sampler_pid=; waits_pid=; counters_pid=; standin_pid=
stack_cleanup() {
  [ -n "$standin_pid" ] && kill "$standin_pid" 2>/dev/null
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$waits_pid" ] && kill "$waits_pid" 2>/dev/null
  [ -n "$counters_pid" ] && kill "$counters_pid" 2>/dev/null
  return 0
}

started=$(date +%s)
log() { say "[$(( $(date +%s) - started ))s] $*"; }
metric() { printf '%s\t%s\n' "$1" "$2" >>"$out/metrics.tsv"; }
get_metric() { awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { print v }' "$out/metrics.tsv"; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b > 0) printf f, a / b; else print "n/a" }'; }
# projected KEY RATE: RATE scaled to all cores of the machine at the CPU cost per unit it had in run KEY, i.e. what the
# benchmark's own processes (service, PostgreSQL, Redis, client) would do with the machine to themselves. An estimate
# that removes the other tenants' share; it assumes the cost per request stays the same.
projected() {
  awk -v r="$2" -v n="$(nproc)" -v a="$(get_metric "$1.cpu.service")" -v b="$(get_metric "$1.cpu.postgres")" \
      -v c="$(get_metric "$1.cpu.redis")" -v d="$(get_metric "$1.cpu.client")" \
      'BEGIN { u = a + b + c + d; if (u > 0) printf "%.0f", n * r / u; else print "n/a" }'
}
psql_ct() { "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d concert_ticket -X -q -v ON_ERROR_STOP=1 "$@"; }

log "Building Release (service and loadgen)..."
build_release || exit 1

log "Starting PostgreSQL (normal durability) and Redis..."
start_stack bench || exit 1
log "PostgreSQL on $pg_port, Redis on $redis_port"
base="http://127.0.0.1:$http_port"
psql_ct -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" || exit 1
# Timing of WAL flushes only adds two clock reads per flush; it shows how much of a commit is the disk.
psql_ct -c "ALTER SYSTEM SET track_wal_io_timing = on" -c "SELECT pg_reload_conf()" >/dev/null

export ConnectionStrings__Postgres="${pool_option}Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__Fake__LatencyMs=100 Payment__ServerKey=loadtest-server-key
if [ -n "$verify" ]; then
  dotnet build "$root/bench/MidtransStandInHost/MidtransStandInHost.csproj" -c Release -v quiet -nologo -clp:NoSummary || exit 1
  dotnet "$root/bench/MidtransStandInHost/bin/Release/net10.0/MidtransStandInHost.dll" loadtest-server-key 20 >"$out/standin.txt" 2>&1 &
  standin_pid=$!
  for _ in $(seq 1 100); do grep -q '^http' "$out/standin.txt" 2>/dev/null && break; sleep 0.1; done
  export Payment__Gateway=Midtrans Payment__Midtrans__BaseUrl=$(head -n 1 "$out/standin.txt")
  export Payment__Midtrans__VerifyNotifications=$verify Payment__Reconcile__AskBeforeExpiry=false Payment__Reconcile__Nightly=false
  log "Midtrans stand-in at $Payment__Midtrans__BaseUrl (20 ms a call), VerifyNotifications=$verify"
fi
export Order__HoldSeconds=$hold_seconds
export Protection__OrdersPerIpPerMinute=0 Protection__OrdersPerEmailPerMinute=0
export Api__BenchmarkEndpoints=true Logging__LogLevel__Default=Warning
dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
dotnet "$app" serve-all --urls "$base" >"$out/service.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 150); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$base/health/ready" >/dev/null || { say "the service did not get ready; see $out/service.log"; exit 1; }

# The sale back to its first second: no order, every seat free, ids from 1, fresh statistics; then wait until the
# categories cache (refreshed every 3 s) shows all 75,000 seats again, so the next run starts on a full sale.
reseed() {
  psql_ct -c "TRUNCATE tickets, gateway_voids, orders, seats, categories, concerts RESTART IDENTITY" || return 1
  dotnet "$app" seed >/dev/null || return 1
  # The checkpoint too, so that no run inherits the previous one's dirty pages or has a checkpoint fall inside it.
  psql_ct -c "VACUUM ANALYZE" -c "CHECKPOINT" || return 1
  for _ in $(seq 1 50); do
    [ "$(curl -sf "$base/categories" | jq '[.data[].total] | add')" = 75000 ] && return 0
    sleep 0.2
  done
  say "the categories did not show 75000 free seats after the re-seed"; return 1
}

# CPU in clock ticks: the service, PostgreSQL (postmaster, its backends, and the children it reaped), Redis, and the
# machine (busy, all).
tick=$(getconf CLK_TCK)
TIMEFORMAT='%U %S'
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_snapshot() {
  local pm svc pg=0 child redis
  svc=$(proc_ticks "$app_pid")
  pm=$(head -n 1 "$work/postgres/postmaster.pid")
  pg=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
  for child in $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); do pg=$((pg + $(proc_ticks "$child"))); done
  redis=$(proc_ticks "$(cat "$work/redis/redis.pid")")
  read -r _ user nice system idle iowait irq softirq steal _ < /proc/stat
  echo "$svc $pg $redis $((user + nice + system + irq + softirq)) $((user + nice + system + idle + iowait + irq + softirq + steal)) $(date +%s.%N)"
}
# cpu_report KEY BEFORE AFTER CLIENT CLIENT_CPU_SECONDS: cores used by each during the interval (the client is loadgen
# or pgbench; "other processes" are everyone else's on this shared machine), as metrics and one line.
cpu_report() {
  local key=$1 client=$4 lg=$5
  read -r s0 p0 r0 b0 t0 w0 <<<"$2"; read -r s1 p1 r1 b1 t1 w1 <<<"$3"
  local secs; secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')
  local svc pg redis busy loadgen others idle
  svc=$(awk -v d=$((s1 - s0)) -v t="$tick" -v s="$secs" 'BEGIN { printf "%.2f", d / t / s }')
  pg=$(awk -v d=$((p1 - p0)) -v t="$tick" -v s="$secs" 'BEGIN { printf "%.2f", d / t / s }')
  redis=$(awk -v d=$((r1 - r0)) -v t="$tick" -v s="$secs" 'BEGIN { printf "%.2f", d / t / s }')
  busy=$(awk -v b=$((b1 - b0)) -v a=$((t1 - t0)) -v n="$(nproc)" 'BEGIN { printf "%.2f", n * b / a }')
  idle=$(awk -v b=$((b1 - b0)) -v a=$((t1 - t0)) -v n="$(nproc)" 'BEGIN { printf "%.2f", n * (1 - b / a) }')
  loadgen=$(awk -v c="$lg" -v s="$secs" 'BEGIN { printf "%.2f", c / s }')
  others=$(awk -v b="$busy" -v a="$svc" -v p="$pg" -v r="$redis" -v l="$loadgen" 'BEGIN { x = b - a - p - r - l; printf "%.2f", x < 0 ? 0 : x }')
  metric "$key.cpu.service" "$svc"; metric "$key.cpu.postgres" "$pg"; metric "$key.cpu.redis" "$redis"
  metric "$key.cpu.client" "$loadgen"; metric "$key.cpu.others" "$others"; metric "$key.cpu.idle" "$idle"
  metric "$key.seconds" "$secs"; metric "$key.loadavg" "$(cut -d' ' -f1 /proc/loadavg)"
  echo "cores used over ${secs%.*} s: service $svc, PostgreSQL $pg, Redis $redis, $client $loadgen, other processes $others, idle $idle (of $(nproc)); load average $(cut -d' ' -f1 /proc/loadavg)"
}

# What PostgreSQL's busy backends are doing, five times a second (one psql session): "CPU" when active without a wait
# event, else the wait event. waits_stop KEY writes the counts to KEY-pg-waits.txt.
waits_start() {
  echo "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
        WHERE datname = 'concert_ticket' AND state = 'active' AND pid <> pg_backend_pid() \\watch 0.2" |
    "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d concert_ticket -X -q -tA >"$work/waits.txt" 2>/dev/null &
  waits_pid=$!
}
waits_stop() {
  kill "$waits_pid" 2>/dev/null; wait "$waits_pid" 2>/dev/null; waits_pid=
  grep -v '^$' "$work/waits.txt" | sort | uniq -c | sort -rn |
    awk '{ a[NR] = $0; n += $1 } END { for (i = 1; i <= NR; i++) { split(a[i], f, " "); printf "%6.1f%%  %s\n", 100 * f[1] / n, f[2] } }' \
    >"$out/$1-pg-waits.txt"
}

# settle_and_check KEY: waits the hold plus a margin, so that every unpaid order of the run has expired, then checks.
settle_and_check() {
  local key=$1
  sleep $((hold_seconds + 5))
  psql_ct -v hold="$hold_seconds" -f "$root/bench/invariants.sql" >"$out/$key-invariants.txt" || return 1
  local violated; violated=$(grep -c VIOLATED "$out/$key-invariants.txt")
  metric "$key.invariants.violated" "$violated"
  log "invariants after $key: $([ "$violated" = 0 ] && echo 'all hold' || echo "$violated VIOLATED"), see $key-invariants.txt"
}

# scenario KEY VUS [loadgen options...]: one loadgen run on a fresh sale; its JSON report's path in $report. With
# reset_stats set, PostgreSQL's statistics start from zero after the re-seed.
report=; reset_stats=; sample_waits=
scenario() {
  local key=$1 vus=$2; shift 2
  reseed || return 1
  if [ -n "$reset_stats" ]; then
    psql_ct -c "SELECT pg_stat_statements_reset()" -c "SELECT pg_stat_reset_shared('wal')" -c "SELECT pg_stat_reset()" >/dev/null
    reset_stats=
  fi
  local before after
  [ -n "$sample_waits" ] && waits_start
  before=$(cpu_snapshot)
  "$loadgen" --base-url "$base" --vus "$vus" --out "$out" --label "$key" "$@" >"$out/$key.txt" 2>"$out/$key.progress.txt"
  after=$(cpu_snapshot)
  [ -n "$sample_waits" ] && waits_stop "$key"
  report=$(ls -t "$out/$key"-*.json | head -n 1)
  metric "$key.rps" "$(jq .overall.rps "$report")"
  metric "$key.orders_per_s" "$(jq '.scenario.orders_created / .elapsed_seconds | . * 10 | round / 10' "$report")"
  metric "$key.errors" "$(jq .overall.errors "$report")"
  local line; line=$(cpu_report "$key" "$before" "$after" loadgen "$(jq .client.cpu_seconds "$report")")
  echo "$line" >"$out/$key-cpu.txt"
  log "$key: $(jq -r '"\(.overall.rps) req/s, \(.overall.errors) errors, p95 \(.overall.latency_ms.p95) ms, orders created \(.scenario.orders_created)"' "$report"); $line"
}

# The order path is warmed as long as it takes the JIT to finish (docs/benchmarks.md, "Whole-index plans, and the warm-up").
log "Warm-up (JIT, pools, prepared statements)..."
wrk -t2 -c64 -d"${warmup_seconds}s" "$base/categories" >/dev/null
wrk -t2 -c64 -d"${warmup_seconds}s" "$base/bench/constant" >/dev/null
"$loadgen" --base-url "$base" --vus "$warmup_vus" --duration "${scenario_warmup_seconds}s" --out "$work/warmup" >/dev/null 2>&1

if [ "$do_wrk" = 1 ]; then
  log "wrk -t2 -c256 -d${ceiling_seconds}s, GET /bench/constant and GET /categories in turn, $wrk_rounds rounds..."
  for round in $(seq 1 "$wrk_rounds"); do
    for path in /bench/constant /categories; do
      name=${path##*/}
      wrk -t2 -c256 -d"${ceiling_seconds}s" --latency "$base$path" >"$out/wrk-$name-$round.txt" 2>&1
      metric "wrk.$name.rps" "$(awk '/Requests\/sec/ { print $2 }' "$out/wrk-$name-$round.txt")"
    done
    c=$(awk '/Requests\/sec/ { print $2 }' "$out/wrk-constant-$round.txt"); g=$(awk '/Requests\/sec/ { print $2 }' "$out/wrk-categories-$round.txt")
    # The two endpoints of a round ran a few seconds apart: their ratio is the fairest comparison on a noisy machine.
    metric wrk.round_ratio "$(div "$g" "$c" %.3f)"
    log "round $round: constant $c, categories $g req/s, ratio $(div "$g" "$c")"
  done
fi

if [ "$do_pgbench" = 1 ]; then
  log "pgbench, the order path's SQL (-M prepared, ${ceiling_seconds}s each, fresh sale each run): clients $pgbench_clients, $pgbench_rounds rounds..."
  for round in $(seq 1 "$pgbench_rounds"); do
    for clients in $pgbench_clients; do
      reseed || exit 1
      f="$out/pgbench-c$clients-$round.txt"
      [ "$clients" = "$pool_size" ] && waits_start
      before=$(cpu_snapshot)
      { time PGOPTIONS="-c enable_seqscan=off" "$PG_BIN/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -n -M prepared -c "$clients" -j 2 -T "$ceiling_seconds" \
        -f "$root/bench/order-path.pgbench" concert_ticket >"$f" 2>&1; } 2>"$f.time"
      after=$(cpu_snapshot)
      [ "$clients" = "$pool_size" ] && waits_stop "pgbench-c$clients-$round"
      cpu=$(cpu_report "pgbench.c$clients" "$before" "$after" pgbench "$(awk '{ print $1 + $2 }' "$f.time")")
      tps=$(awk '/^tps = / { print $3 }' "$f"); tx=$(awk '/actually processed/ { print $NF }' "$f")
      orders=$(psql_ct -tAc "SELECT count(*) FROM orders")
      # Orders per second, not transactions: once a category is sold out its claims create nothing.
      ops=$(awk -v t="$tps" -v x="$tx" -v o="$orders" 'BEGIN { if (x > 0) printf "%.0f", t * o / x; else print 0 }')
      metric "pgbench.c$clients.tps" "$tps"; metric "pgbench.c$clients.orders_per_s" "$ops"
      echo "$cpu" >"${f%.txt}.cpu"
      log "pgbench -c $clients round $round: $tps tps, $orders orders, $ops orders/s, $(grep -c 'aborted\|ERROR' "$f") errors; $cpu"
    done
  done
fi

vus_array=($vus_list)
last_vus=${vus_array[-1]}
for vus in "${vus_array[@]}"; do
  key="scenario-${vus}vu"
  log "Scenario with $vus VUs for $duration..."
  # Every run starts PostgreSQL's statistics from zero and samples its wait events, so runs compare.
  reset_stats=1; sample_waits=1
  if [ "$vus" = "$last_vus" ]; then
    # VmRSS every half second while the run lasts; the peak is the largest sample.
    ( while kill -0 "$app_pid" 2>/dev/null; do awk '/VmRSS/ { print $2 }' "/proc/$app_pid/status"; sleep 0.5; done ) >"$out/$key-rss-kb.txt" &
    sampler_pid=$!
    if [ "$do_counters" = 1 ]; then
      PATH="$PATH:$HOME/.dotnet/tools" dotnet-counters collect -p "$app_pid" --format csv -o "$out/$key-counters.csv" \
        --counters System.Runtime,Microsoft.AspNetCore.Hosting,Microsoft.AspNetCore.Server.Kestrel,Npgsql >/dev/null 2>&1 &
      counters_pid=$!
    fi
  fi
  scenario "$key" "$vus" --duration "$duration" || exit 1
  sample_waits=
  # A background job ignores SIGINT here, so TERM: the CSV is written as it goes.
  if [ -n "$counters_pid" ]; then kill -TERM "$counters_pid" 2>/dev/null; wait "$counters_pid" 2>/dev/null; counters_pid=; fi
  if [ -n "$sampler_pid" ]; then
    kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null; sampler_pid=
    metric "$key.peak_rss_mib" "$(sort -n "$out/$key-rss-kb.txt" | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }')"
    metric "service.vmhwm_mib" "$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$app_pid/status")"
  fi
  psql_ct -P footer=off -c "
    SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms, round(total_exec_time::numeric) AS total_ms, rows,
           left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'concert_ticket')
    ORDER BY total_exec_time DESC LIMIT 12" >"$out/$key-pg_stat_statements.txt"
  psql_ct -P footer=off -c "
    SELECT wal_records, wal_bytes, wal_write, wal_sync, round(wal_sync_time::numeric) AS wal_sync_ms,
           (SELECT xact_commit FROM pg_stat_database WHERE datname = 'concert_ticket') AS commits,
           (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) AS checkpoints_since_start,
           (SELECT sum(autovacuum_count + autoanalyze_count) FROM pg_stat_user_tables) AS autovacuums
    FROM pg_stat_wal" >"$out/$key-pg_stat_wal.txt"
  settle_and_check "$key"
done

if [ "$sellout_vus" -gt 0 ]; then
  log "Sell-out run: $sellout_vus VUs until every seat is sold or held (at most $sellout_cap)..."
  scenario sellout "$sellout_vus" --stop-when-sold-out --duration "$sellout_cap" || exit 1
  metric sellout.seconds "$(jq '.sell_out.sold_out_seconds // "not reached"' "$report")"
  psql_ct -tAc "SELECT count(*) FILTER (WHERE status = 'paid') || ' paid, ' || count(*) FILTER (WHERE status = 'pending') || ' pending' FROM orders" >"$out/sellout-at-end.txt"
  settle_and_check sellout
fi

log "Writing the summary..."
# Seed-table row from a loadgen JSON section: | VUs | RPS | Error | Avg | P(75) | P(90) | P(95) |
jq_row='def ms: if . >= 1000 then "\(. / 10 | round / 100)s" elif . >= 100 then "\(round)ms" else "\(. * 10 | round / 10)ms" end;
  "| \($vus) | \(.rps | round) | \(if .errors == 0 then "0%" else "\(.error_percent)% (\(.errors))" end) | \(.latency_ms.avg | ms) | \(.latency_ms.p75 | ms) | \(.latency_ms.p90 | ms) | \(.latency_ms.p95 | ms) |"'
{
  echo "# bench/run.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Versions: .NET $(dotnet --list-runtimes | awk '/AspNetCore/ { v = $2 } END { print v }'), $("$PG_BIN/postgres" --version), $(redis-server --version | awk '{ print $3 }'), $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
  echo "Command: $command_line"
  echo
  echo "## Scenario (loadgen), all requests"
  echo
  echo "| Concurrent user (Vu) | RPS | Error | Avg | P(75) | P(90) | P(95) |"
  echo "|---|---|---|---|---|---|---|"
  for vus in "${vus_array[@]}"; do jq -r --arg vus "$vus" ".overall | $jq_row" "$out"/scenario-"${vus}"vu-*.json; done
  for kind in categories order callback; do
    echo
    echo "### $kind"
    echo
    echo "| Concurrent user (Vu) | RPS | Error | Avg | P(75) | P(90) | P(95) |"
    echo "|---|---|---|---|---|---|---|"
    for vus in "${vus_array[@]}"; do
      jq -r --arg vus "$vus" --arg kind "$kind" ".requests[] | select(.name == \$kind) | $jq_row" "$out"/scenario-"${vus}"vu-*.json
    done
  done
  echo
  for vus in "${vus_array[@]}"; do
    key="scenario-${vus}vu"
    rps=$(get_metric "$key.rps"); ops=$(get_metric "$key.orders_per_s")
    metric "$key.projected_rps" "$(projected "$key" "$rps")"; metric "$key.projected_orders_per_s" "$(projected "$key" "$ops")"
    echo "- $vus VUs: $(grep '^Scenario:' "$out/$key.txt" | sed 's/^Scenario: //'); $(cat "$out/$key-cpu.txt")."
    echo "  CPU per request: service $(awk -v c="$(get_metric "$key.cpu.service")" -v r="$rps" 'BEGIN { printf "%.0f", 1e6 * c / r }') µs, PostgreSQL $(awk -v c="$(get_metric "$key.cpu.postgres")" -v r="$rps" 'BEGIN { printf "%.0f", 1e6 * c / r }') µs, loadgen $(awk -v c="$(get_metric "$key.cpu.client")" -v r="$rps" 'BEGIN { printf "%.0f", 1e6 * c / r }') µs; at that cost with the $(nproc) cores to themselves: $(get_metric "$key.projected_rps") req/s, $(get_metric "$key.projected_orders_per_s") orders/s"
  done
  echo
  echo "## Ceilings and ratios (medians)"
  echo
  if [ "$do_wrk" = 1 ]; then
    c=$(grep -P '^wrk\.constant\.rps\t' "$out/metrics.tsv" | cut -f2 | median)
    g=$(grep -P '^wrk\.categories\.rps\t' "$out/metrics.tsv" | cut -f2 | median)
    r=$(grep -P '^wrk\.round_ratio\t' "$out/metrics.tsv" | cut -f2 | median)
    metric wrk.ratio "$r"
    echo "- wrk -t2 -c256 -d${ceiling_seconds}s ($wrk_rounds rounds): GET /bench/constant $c req/s, GET /categories $g req/s; ratio categories/constant, median of the rounds: $r (goal >= 0.8)"
  fi
  if [ "$do_pgbench" = 1 ]; then
    for clients in $pgbench_clients; do
      t=$(grep -P "^pgbench\\.c$clients\\.tps\t" "$out/metrics.tsv" | cut -f2 | median)
      o=$(grep -P "^pgbench\\.c$clients\\.orders_per_s\t" "$out/metrics.tsv" | cut -f2 | median)
      metric "pgbench.c$clients.orders_per_s.median" "$o"
      metric "pgbench.c$clients.projected_orders_per_s" "$(projected "pgbench.c$clients" "$o")"
      echo "- pgbench order path, $clients clients ($pgbench_rounds rounds): $t tps, $o orders/s; last round's $(cat "$out/pgbench-c$clients-$pgbench_rounds.cpu"); with the $(nproc) cores to PostgreSQL and pgbench at that cost: $(get_metric "pgbench.c$clients.projected_orders_per_s") orders/s"
    done
    ceiling=$(get_metric "pgbench.c$pool_size.orders_per_s.median")
    for vus in "${vus_array[@]}"; do
      ops=$(get_metric "scenario-${vus}vu.orders_per_s")
      metric "scenario-${vus}vu.orders_ratio" "$(div "$ops" "$ceiling")"
      pceiling=$(get_metric "pgbench.c$pool_size.projected_orders_per_s"); pops=$(get_metric "scenario-${vus}vu.projected_orders_per_s")
      metric "scenario-${vus}vu.projected_orders_ratio" "$(div "$pops" "$pceiling")"
      echo "- $vus VUs: $ops orders created/s, $(div "$ops" "$ceiling") of the pgbench ceiling at $pool_size clients (goal >= 0.6); projected to the whole machine on both sides: $pops / $pceiling = $(div "$pops" "$pceiling")"
    done
  fi
  echo
  echo "## Memory, sell-out, invariants"
  echo
  echo "- peak RSS during the $last_vus-VU run: $(get_metric "scenario-${last_vus}vu.peak_rss_mib") MiB (VmHWM since start: $(get_metric service.vmhwm_mib) MiB; goal < 512 MiB)"
  if [ "$sellout_vus" -gt 0 ]; then
    echo "- sell-out with $sellout_vus VUs: $(grep '^Sell-out:' "$out/sellout.txt" | sed 's/^Sell-out: //'); at loadgen's end: $(cat "$out/sellout-at-end.txt"); errors $(get_metric sellout.errors); $(cat "$out/sellout-cpu.txt")"
  fi
  for f in "$out"/*-invariants.txt; do
    k=$(basename "$f" -invariants.txt)
    echo "- invariants after $k: $([ "$(get_metric "$k.invariants.violated")" = 0 ] && echo "all hold" || echo "$(get_metric "$k.invariants.violated") VIOLATED")"
  done
  echo
  for vus in "${vus_array[@]}"; do
    echo "## The ${vus}-VU run: pg_stat_statements (top by total time) and WAL"
    echo
    echo '```'
    cat "$out/scenario-${vus}vu-pg_stat_statements.txt" "$out/scenario-${vus}vu-pg_stat_wal.txt"
    echo '```'
    echo
  done
  echo "What PostgreSQL's active backends were doing (share of samples, 5 per second):"
  echo
  for f in "$out"/*-pg-waits.txt; do
    echo "- $(basename "$f" -pg-waits.txt): $(head -n 6 "$f" | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')"
  done
  echo
  echo "Reports: $(cd "$out" && ls ./*.html | sed 's|^\./||' | tr '\n' ' ')"
} >"$out/summary.md"
cat "$out/summary.md"
log "Done; results in $out"
