#!/usr/bin/env bash
# The fault suite: a private PostgreSQL and Redis (started here, stopped on exit), the sale migrated and seeded,
# then fault-suite, which runs the service as a child process under load and injects one fault per phase,
# checking the sale's invariants after each. Report and service log in faults/results/<time>/.
# Usage: faults/run.sh [--short] [--no-build] [--vus N] [--only sigkill,postgres,...]   (CONFIGURATION=Debug to use a
# Debug build; Release by default)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

build=1
pg_mode=
args=()
for a in "$@"; do
  case $a in
    --no-build) build=0 ;;
    # The short run (CI) trades durability for speed; the full run keeps fsync on, like production.
    --short) pg_mode=fast; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done

ensure_servers_installed || exit 1
out="$root/faults/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
config=${CONFIGURATION:-Release}
app="$root/src/ConcertTicket/bin/$config/net10.0/concert-ticket.dll"
suite="$root/faults/FaultSuite/bin/$config/net10.0/fault-suite.dll"
stack_cleanup() {
  # The suite stops the services it starts; a pid is left here only if it died first. Only ours are ended.
  if [ -f "$work/pids" ]; then
    while read -r pid; do
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$app" && kill -KILL "$pid" 2>/dev/null
    done <"$work/pids"
  fi
  # A suite that died during the freeze phase leaves PostgreSQL stopped (SIGSTOP): wake it so it can shut down.
  local pm
  pm=$(head -n 1 "$work/postgres/postmaster.pid" 2>/dev/null) && kill -CONT "$pm" $(pgrep -P "$pm") 2>/dev/null
}

if [ $build = 1 ]; then
  say "Building..."
  dotnet build "$root/src/ConcertTicket/ConcertTicket.csproj" -c "$config" -v quiet -nologo -clp:NoSummary || exit 1
  dotnet build "$root/faults/FaultSuite/FaultSuite.csproj" -c "$config" -v quiet -nologo -clp:NoSummary || exit 1
fi

start_stack faults $pg_mode || exit 1
ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket" \
  bash -c 'dotnet "$1" migrate >/dev/null && dotnet "$1" seed' _ "$app" || exit 1

dotnet "$suite" run --services-script "$root/scripts/lib/services.sh" \
  --pg-dir "$work/postgres" --pg-port "$pg_port" --redis-dir "$work/redis" --redis-port "$redis_port" \
  --app "$app" --out "$out" --pid-file "$work/pids" --pg-mode "$pg_mode" "${args[@]}"
