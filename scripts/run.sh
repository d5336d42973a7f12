#!/usr/bin/env bash
# Runs the whole service locally: a private PostgreSQL and Redis (data in .data/, reused on the next run),
# migrations, the seed sale when the database is empty, then serve-all with the fake payment gateway.
# Ctrl-C stops everything this script started.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

pg_port=${PG_PORT:-54329}
redis_port=${REDIS_PORT:-63799}
http_url=${URLS:-http://localhost:8080}
data="$root/.data"

ensure_servers_installed || exit 1
mkdir -p "$data"
chmod 755 "$data"
app_pid=
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill -TERM "$app_pid" 2>/dev/null
    wait "$app_pid" 2>/dev/null
  fi
  say "Stopping PostgreSQL and Redis..."
  stop_postgres "$data/postgres"
  stop_redis "$data/redis"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_postgres "$data/postgres" "$pg_port" || exit 1
start_redis "$data/redis" "$redis_port" persistent || exit 1

export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=${Payment__Gateway:-Fake}
export Payment__ServerKey=${Payment__ServerKey:-local-dev-server-key}
export DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Development}
export ASPNETCORE_ENVIRONMENT=$DOTNET_ENVIRONMENT

say "Building..."
dotnet build "$root/src/ConcertTicket/ConcertTicket.csproj" -c Release -v quiet -nologo -clp:NoSummary || exit 1
app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
dotnet "$app" migrate || exit 1
dotnet "$app" seed || exit 1

cat >&2 <<TXT

  API            $http_url   (try: curl $http_url/categories)
  OpenAPI        $http_url/openapi/v1.json, reference at $http_url/scalar
  Metrics        $http_url/metrics
  Health         $http_url/health, $http_url/health/ready
  PostgreSQL     127.0.0.1:$pg_port (user postgres, database concert_ticket, data in .data/postgres)
  Redis          127.0.0.1:$redis_port
  Gateway        $Payment__Gateway (server key for signed callbacks: $( [ "$Payment__Gateway" = Fake ] && echo "$Payment__ServerKey" || echo '<from Payment__ServerKey>'))

  Ctrl-C stops the service, PostgreSQL and Redis.

TXT
# In the background so that Ctrl-C or a TERM reaches this script, which then stops the service and the servers.
dotnet "$app" serve-all --urls "$http_url" &
app_pid=$!
wait "$app_pid"
