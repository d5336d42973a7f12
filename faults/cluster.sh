#!/usr/bin/env bash
# Several instances behind nginx on loopback, against one PostgreSQL and one Redis, each layout selling a fresh
# sale to the end under load (loadgen --stop-when-sold-out through nginx), then checked with the fault suite's
# invariants (fault-suite check). Layouts: "split" = two serve-http + one serve-worker; "all" = three serve-all.
# Everything it starts is on 127.0.0.1 and stopped on exit; reports in faults/results/cluster-<time>/.
# Usage: faults/cluster.sh [--seats 5000] [--vus 200] [--hold 15] [--only split|all] [--no-build]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

seats=5000
vus=200
hold=15
layouts="split all"
build=1
while [ $# -gt 0 ]; do
  case $1 in
    --seats) seats=$2; shift 2 ;;
    --vus) vus=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --only) layouts=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) say "unknown argument $1 (see the usage at the top of $0)"; exit 2 ;;
  esac
done
# The seed has five categories; each keeps the first seats/5 of its seats.
per_category=$((seats / 5))

ensure_servers_installed || exit 1
command -v nginx >/dev/null 2>&1 || { say "nginx is missing: 'apt-get install nginx' (its system service is not needed)"; exit 1; }
out="$root/faults/results/cluster-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
pids=()
nginx_pid=
stop_layout() {
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  nginx_pid=
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  pids=()
}
stack_cleanup() { stop_layout; }

config=${CONFIGURATION:-Release}
if [ $build = 1 ]; then
  say "Building..."
  for p in src/ConcertTicket/ConcertTicket.csproj loadtest/LoadGenerator/LoadGenerator.csproj faults/FaultSuite/FaultSuite.csproj; do
    dotnet build "$root/$p" -c "$config" -v quiet -nologo -clp:NoSummary || exit 1
  done
fi
app="$root/src/ConcertTicket/bin/$config/net10.0/concert-ticket.dll"
loadgen="$root/loadtest/LoadGenerator/bin/$config/net10.0/loadgen.dll"
suite="$root/faults/FaultSuite/bin/$config/net10.0/fault-suite.dll"

start_stack cluster || exit 1
psql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

wait_healthy() {
  local url=$1 i
  for i in $(seq 1 900); do
    curl -fsS -o /dev/null "$url/health" 2>/dev/null && return 0
    sleep 0.1
  done
  say "$url/health did not answer in 90 s"; return 1
}

write_nginx_conf() {
  local dir=$1 port=$2; shift 2
  mkdir -p "$dir/tmp"
  {
    echo "worker_processes 2;"
    echo "pid $dir/nginx.pid;"
    echo "error_log $dir/error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  log_format upstream '\$upstream_addr \$status \$request_time';"
    echo "  access_log $dir/access.log upstream;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/tmp/$t;"; done
    echo "  upstream api {"
    local p
    for p in "$@"; do echo "    server 127.0.0.1:$p;"; done
    echo "    keepalive 128;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$port;"
    echo "    location / {"
    echo "      proxy_pass http://api;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
    echo "      proxy_set_header X-Forwarded-Proto \$scheme;"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$dir/nginx.conf"
}

# run_layout NAME COMMAND...: a fresh database with a sale of $seats seats, one process per COMMAND, nginx in front
# of the HTTP ones, loadgen to the sell-out, a wait for the last unpaid holds to end, then the invariants.
run_layout() {
  local name=$1; shift
  local db="concert_ticket_$name"
  local conn="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$db"
  say "== $name: $* behind nginx; $seats seats, $vus VUs, hold $hold s"
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db" || return 1
  ConnectionStrings__Postgres="$conn" dotnet "$app" migrate >/dev/null || return 1
  ConnectionStrings__Postgres="$conn" dotnet "$app" seed >/dev/null || return 1
  psql -d "$db" -c "DELETE FROM seats WHERE (row_no - 1) * 100 + col_no > $per_category; ANALYZE seats;" || return 1
  redis-cli -h 127.0.0.1 -p "$redis_port" FLUSHALL >/dev/null

  local ports=() command port i=0
  for command in "$@"; do
    i=$((i + 1))
    local args=("$app" "$command")
    if [ "$command" != serve-worker ]; then
      port=$(free_port)
      ports+=("$port")
      args+=(--urls "http://127.0.0.1:$port")
    fi
    ConnectionStrings__Postgres="$conn" \
    ConnectionStrings__Redis="127.0.0.1:$redis_port" \
    Payment__Gateway=Fake \
    Payment__ServerKey=loadtest-server-key \
    Order__HoldSeconds="$hold" \
    Protection__OrdersPerIpPerMinute=0 \
    Protection__OrdersPerEmailPerMinute=0 \
    Protection__KnownProxies__0=127.0.0.1 \
    Logging__LogLevel__Default=Warning \
      dotnet "${args[@]}" >"$out/$name-$i-$command.log" 2>&1 &
    pids+=($!)
  done
  for port in "${ports[@]}"; do wait_healthy "http://127.0.0.1:$port" || return 1; done

  local nginx_port
  nginx_port=$(free_port)
  write_nginx_conf "$work/nginx-$name" "$nginx_port" "${ports[@]}"
  nginx -e "$work/nginx-$name/error.log" -p "$work/nginx-$name" -c "$work/nginx-$name/nginx.conf" -g 'daemon off;' &
  nginx_pid=$!
  wait_healthy "http://127.0.0.1:$nginx_port" || { cat "$work/nginx-$name/error.log" >&2; return 1; }

  dotnet "$loadgen" --base-url "http://127.0.0.1:$nginx_port" --vus "$vus" --duration 5m --stop-when-sold-out \
    --out "$out" --label "cluster-$name" | tee "$out/$name-loadgen.txt"
  local report
  report=$(ls -t "$out"/cluster-"$name"-*.json | head -n 1)

  # The workers end the holds still unpaid; then every order is paid, expired or cancelled.
  sleep $((hold + 3))
  say "-- $name: requests per instance (nginx upstream):"
  awk '{ print $1 }' "$work/nginx-$name/access.log" | sort | uniq -c | sed 's/^/   /' | tee "$out/$name-upstreams.txt" >&2
  say "-- $name: invariants"
  dotnet "$suite" check --postgres "$conn" --hold-seconds "$hold" --loadgen-report "$report" | tee "$out/$name-check.txt"
  local rc=${PIPESTATUS[0]}
  stop_layout
  return "$rc"
}

failed=0
for layout in $layouts; do
  case $layout in
    split) run_layout split serve-http serve-http serve-worker || failed=1 ;;
    all) run_layout all serve-all serve-all serve-all || failed=1 ;;
    *) say "unknown layout $layout"; failed=1 ;;
  esac
done
say "Reports, instance logs and checks in $out"
[ $failed = 0 ] && echo "cluster: passed ($layouts)" || echo "cluster: FAILED"
exit $failed
