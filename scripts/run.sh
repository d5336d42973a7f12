#!/usr/bin/env bash
# Runs the whole service locally: a private PostgreSQL and Redis (data in .data/, reused on the next run),
# migrations, the seed sale when the database is empty, a local SMTP server with a web inbox (smtp4dev) that
# catches the ticket e-mails, then serve-all with the fake payment gateway.
# Ctrl-C stops everything this script started.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/services.sh"

pg_port=${PG_PORT:-54329}
redis_port=${REDIS_PORT:-63799}
smtp_port=${SMTP_PORT:-2525}
inbox_url=${INBOX_URL:-http://localhost:5080}
http_url=${URLS:-http://localhost:8080}
# A folder the caller names is kept by start_stack: the sale survives a restart.
work="$root/.data"

ensure_servers_installed || exit 1
smtp_pid=
# Called by stop_stack before it stops the service, PostgreSQL and Redis.
stack_cleanup() {
  if [ -n "$smtp_pid" ] && kill -0 "$smtp_pid" 2>/dev/null; then kill -TERM "$smtp_pid"; wait "$smtp_pid" 2>/dev/null; fi
  say "Stopping the service, smtp4dev, PostgreSQL and Redis..."
}
# The waiting room's places live in Redis: an append-only file keeps them across a restart.
redis_mode=persistent
start_stack run || exit 1
data=$work

export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=concert_ticket"
export ConnectionStrings__Redis="127.0.0.1:$redis_port"
export Payment__Gateway=${Payment__Gateway:-Fake}
export Payment__ServerKey=${Payment__ServerKey:-local-dev-server-key}
# The ticket signing key is kept in .data/, so tickets issued by an earlier run still verify.
if [ ! -s "$data/ticket-signing-key.pem" ]; then
  new_ticket_key >"$data/ticket-signing-key.pem" && chmod 600 "$data/ticket-signing-key.pem"
fi
Tickets__SigningKey=$(cat "$data/ticket-signing-key.pem"); export Tickets__SigningKey
# Ticket e-mails go to smtp4dev (a real SMTP server that keeps what it gets and shows it in a web inbox).
export Email__Smtp__Host=${Email__Smtp__Host:-127.0.0.1}
export Email__Smtp__Port=${Email__Smtp__Port:-$smtp_port}
export Email__Smtp__Security=${Email__Smtp__Security:-None}
export Email__PublicBaseUrl=${Email__PublicBaseUrl:-$http_url}
# Any gate token works locally; set your own with CheckIn__Gates__<gate>=<token>.
export CheckIn__Gates__main=${CheckIn__Gates__main:-local-gate-token-main}
export DOTNET_ENVIRONMENT=${DOTNET_ENVIRONMENT:-Development}
export ASPNETCORE_ENVIRONMENT=$DOTNET_ENVIRONMENT

say "Building..."
dotnet build "$root/src/ConcertTicket/ConcertTicket.csproj" -c Release -v quiet -nologo -clp:NoSummary || exit 1
app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
dotnet "$app" migrate || exit 1
dotnet "$app" seed || exit 1

# smtp4dev, installed once into .data/tools (a .NET tool from NuGet), its messages kept in memory only.
if [ "$Email__Smtp__Host" = 127.0.0.1 ] && [ "$Email__Smtp__Port" = "$smtp_port" ]; then
  if [ ! -x "$data/tools/smtp4dev" ]; then
    say "Installing smtp4dev (the local SMTP server with a web inbox)..."
    dotnet tool install --tool-path "$data/tools" Rnwood.Smtp4dev --version 3.15.0 >/dev/null || exit 1
  fi
  "$data/tools/smtp4dev" --urls "$inbox_url" --smtpport "$smtp_port" --imapport "" --pop3port "" --db "" \
    --tlsmode None --hostname localhost >"$data/smtp4dev.log" 2>&1 &
  smtp_pid=$!
fi

cat >&2 <<TXT

  API            $http_url   (try: curl $http_url/categories)
  OpenAPI        $http_url/openapi/v1.json, reference at $http_url/scalar
  Metrics        $http_url/metrics
  Health         $http_url/health, $http_url/health/ready
  PostgreSQL     127.0.0.1:$pg_port (user postgres, database concert_ticket, data in .data/postgres)
  Redis          127.0.0.1:$redis_port
  E-mail inbox   $inbox_url   (smtp4dev: the ticket e-mails arrive here; SMTP on 127.0.0.1:$smtp_port)
  Gate token     $CheckIn__Gates__main   (curl -H 'Authorization: Bearer …' -d '{"code":"…"}' $http_url/checkin)
  Gateway        $Payment__Gateway (server key for signed callbacks: $( [ "$Payment__Gateway" = Fake ] && echo "$Payment__ServerKey" || echo '<from Payment__ServerKey>'))

  Ctrl-C stops the service, PostgreSQL and Redis.

TXT
# In the background so that Ctrl-C or a TERM reaches this script, which then stops the service and the servers.
dotnet "$app" serve-all --urls "$http_url" &
app_pid=$!
wait "$app_pid"
