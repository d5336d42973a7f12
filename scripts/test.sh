#!/usr/bin/env bash
# Runs every test project (the service's tests, loadgen's tests) against a private PostgreSQL and Redis started for
# this run on free ports, and stops them afterwards, whether the tests pass or not. Prints one line per test and a
# summary; the log of the service under test is kept in a file and printed only when a test fails.
# Usage: scripts/test.sh [extra dotnet test arguments]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

ensure_servers_installed || exit 1
ensure_browser_installed || exit 1
ensure_redocly_installed "$root" || exit 1

start_stack test fast || exit 1
say "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port (in $work)"

# The fixture creates its own database on this server for each run.
export CONCERT_TICKET_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export CONCERT_TICKET_TEST_REDIS="127.0.0.1:$redis_port"
export CONCERT_TICKET_TEST_PG_BIN="$PG_BIN"
export CONCERT_TICKET_TEST_PG_DATA="$work/postgres"
# Where the apps the tests run in-process write their console log (tests/ConcertTicket.Tests/Infrastructure/ServiceLog.cs).
export CONCERT_TICKET_TEST_SERVICE_LOG="$work/service.log"

cd "$root"
started=$SECONDS
dotnet test ConcertTicket.slnx -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$work/test.log"
rc=${PIPESTATUS[0]}

if [ "$rc" != 0 ] && [ -s "$work/service.log" ]; then
  kept=$(mktemp /tmp/concert-ticket-test-service.XXXXXX.log)
  cp "$work/service.log" "$kept"
  echo
  echo "The service's log during the tests (last 200 of $(wc -l <"$kept") lines; all of it in $kept):"
  tail -n 200 "$kept"
fi

# The failed tests again, after the service's log, so that the end of the output names them and says why.
if [ "$(grep -cE '^ +Failed [^:]' "$work/test.log")" != 0 ]; then
  echo
  echo "Failed tests:"
  awk '/^ +Failed [^:]/ { on = 1; n = 0 } /^ +(Passed|Skipped) |^Total tests|^(Passed|Failed)!/ { on = 0 } on && n++ < 25' "$work/test.log" |
    grep -vE '^ +at (System|Microsoft|Xunit)\.'
fi

# One plain closing line for CI, summed over the test projects.
sum() { grep -Eo "^ +$1: +[0-9]+" "$work/test.log" | awk '{ n += $2 } END { print n + 0 }'; }
projects=$(grep -c '^Test run for ' "$work/test.log")
logged=$(cat "$work/service.log" 2>/dev/null | wc -l)
echo "$(sum Passed) passed, $(sum Failed) failed, $(sum Skipped) skipped in $projects test projects, $((SECONDS - started)) s" \
  "(the service under test logged $logged lines, printed only on failure)"
exit "$rc"
