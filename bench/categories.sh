#!/usr/bin/env bash
# GET /categories against a constant answer of the same size from the same server, under wrk.
# Usage: bench/categories.sh [runs=3] [duration=15s] [connections=256]
# Prints the median requests/s of each, their ratio, and the idle RSS of the service. Not a test: it measures.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"
runs=${1:-3}; duration=${2:-15s}; connections=${3:-256}

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || { say "install wrk"; exit 1; }
ensure_servers_installed || exit 1
start_stack bench || exit 1
dotnet build "$root/src/ConcertTicket/ConcertTicket.csproj" -c Release -v quiet -nologo -clp:NoSummary || exit 1
app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=Fake Payment__ServerKey=bench-server-key Api__BenchmarkEndpoints=true Logging__LogLevel__Default=Warning
dotnet "$app" migrate >/dev/null && dotnet "$app" seed >/dev/null || exit 1
dotnet "$app" serve-all --urls "http://127.0.0.1:$http_port" >"$work/service.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http_port/health" >/dev/null && break; sleep 0.2; done
sleep 5
idle_rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$app_pid/status")

rps() { wrk -t2 -c"$connections" -d"$duration" "http://127.0.0.1:$http_port$1" | awk '/Requests\/sec/ { print $2 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
wrk -t2 -c"$connections" -d5s "http://127.0.0.1:$http_port/categories" >/dev/null   # warm-up (JIT, pools)
wrk -t2 -c"$connections" -d5s "http://127.0.0.1:$http_port/bench/constant" >/dev/null
constant=(); categories=()
for i in $(seq 1 "$runs"); do
  constant+=("$(rps /bench/constant)")
  categories+=("$(rps /categories)")
  say "run $i: constant ${constant[-1]} req/s, categories ${categories[-1]} req/s"
done
c=$(printf '%s\n' "${constant[@]}" | median); g=$(printf '%s\n' "${categories[@]}" | median)
echo "wrk -t2 -c$connections -d$duration, median of $runs runs on $(nproc) cores:"
echo "  GET /bench/constant  $c req/s"
echo "  GET /categories      $g req/s"
echo "  ratio                $(awk -v a="$g" -v b="$c" 'BEGIN { printf "%.2f", a / b }')"
echo "  idle RSS             $((idle_rss_kb / 1024)) MiB"
