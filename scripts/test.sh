#!/usr/bin/env bash
# Runs every test against a private PostgreSQL and Redis started for this run on free ports, and stops them
# afterwards, whether the tests pass or not. Usage: scripts/test.sh [extra dotnet test arguments]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

ensure_servers_installed || exit 1
ensure_browser_installed || exit 1
ensure_redocly_installed "$root" || exit 1

work=$(mktemp -d /tmp/concert-ticket-test.XXXXXX)
chmod 755 "$work"
pg_port=$(free_port)
redis_port=$(free_port)
cleanup() {
  stop_postgres "$work/postgres"
  stop_redis "$work/redis"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port can still be taken between the check and the bind: try another one.
for attempt in 1 2 3; do
  start_postgres "$work/postgres" "$pg_port" fast && break
  [ "$attempt" = 3 ] && exit 1
  pg_port=$(free_port)
done
for attempt in 1 2 3; do
  start_redis "$work/redis" "$redis_port" && break
  [ "$attempt" = 3 ] && exit 1
  stop_redis "$work/redis"; redis_port=$(free_port)
done
say "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port (in $work)"

# The fixture creates its own database on this server for each run.
export CONCERT_TICKET_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export CONCERT_TICKET_TEST_REDIS="127.0.0.1:$redis_port"
export CONCERT_TICKET_TEST_PG_BIN="$PG_BIN"
export CONCERT_TICKET_TEST_PG_DATA="$work/postgres"

cd "$root"
dotnet test ConcertTicket.slnx -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$work/test.log"
rc=${PIPESTATUS[0]}

# One plain closing line for CI, summed over the test projects.
sum() { grep -Eo "$1: +[0-9]+" "$work/test.log" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(sum Passed); failed=$(sum Failed); skipped=$(sum Skipped)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$rc"
