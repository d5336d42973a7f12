# Starts a private PostgreSQL and Redis as plain processes on loopback; sourced by scripts/, bench/ and faults/.
# Nothing system-wide is started: each server lives in a folder the caller chooses and stops with it.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

say() { printf '%s\n' "$*" >&2; }

# new_ticket_key: a fresh P-256 private key as PKCS#8 PEM, the form Tickets:SigningKey takes (outside Development
# the service refuses to start without one).
new_ticket_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null; }

# Every service a script of this repository starts signs tickets with the caller's key, or with one made for this
# run (scripts/run.sh keeps its own in .data/ so tickets stay valid across restarts).
if [ -z "${Tickets__SigningKey:-}" ]; then Tickets__SigningKey=$(new_ticket_key); export Tickets__SigningKey; fi

# Installs the Debian packages for PostgreSQL and Redis (and procps: the fault suite stops processes with pgrep and
# kill) when they are missing and we are root with apt-get; otherwise says exactly what to install.
ensure_servers_installed() {
  local missing=()
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v pgrep >/dev/null 2>&1 && { [ -x /bin/kill ] || [ -x /usr/bin/kill ]; } || missing+=(procps)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing ${missing[*]} (Debian packages; their system services are not started)..."
    # policy-rc.d keeps the packages' own services from starting: we run private servers instead.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    local rc=$?
    [ $created_policy = 1 ] && rm -f "$policy"
    [ $rc = 0 ] || { say "apt-get install ${missing[*]} failed"; return 1; }
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  else
    say "Missing: ${missing[*]}. Install them first, e.g. 'sudo apt-get install ${missing[*]}' (Debian/Ubuntu)"
    say "or 'brew install postgresql@15 redis' (macOS), then run this again."
    return 1
  fi
}

# The fan page's browser test drives Debian's Chromium through its chromedriver; installs both when missing (as root
# with apt-get), else says what to install. Nothing downloads a browser of its own.
ensure_browser_installed() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing chromium and chromium-driver (Debian packages) for the browser test..."
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
      || { say "apt-get install chromium chromium-driver failed"; return 1; }
  else
    say "Missing: chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver). Install them first,"
    say "e.g. 'sudo apt-get install chromium chromium-driver', then run this again."
    return 1
  fi
}

# PostgreSQL refuses to run as root, so as root we run it as the 'postgres' user.
as_pg_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# start_postgres DATA_DIR PORT [fast]: initialises DATA_DIR on first use, starts the server on 127.0.0.1:PORT and
# creates the database 'concert_ticket'. With 'fast' it trades durability for speed (tests only).
start_postgres() {
  local dir=$1 port=$2 mode=${3:-}
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres "$dir"
  fi
  if [ ! -s "$dir/PG_VERSION" ]; then
    as_pg_user "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C >"$dir.initdb.log" 2>&1 \
      || { say "initdb failed, see $dir.initdb.log"; return 1; }
  fi
  local opts="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=256MB"
  opts="$opts -c shared_preload_libraries=pg_stat_statements"
  [ "$mode" = fast ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  as_pg_user "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null \
    || { say "PostgreSQL did not start, see $dir/server.log"; tail -n 20 "$dir/server.log" >&2; return 1; }
  "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'concert_ticket'" | grep -q 1 \
    || "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres concert_ticket
}

stop_postgres() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] && as_pg_user "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1
  return 0
}

# start_redis DIR PORT [persistent]: 'persistent' keeps an append-only file fsynced every second in DIR, which the
# waiting room needs (docs/waiting-room.md); without it Redis is a cache only, as the tests and benchmarks use it.
start_redis() {
  local dir=$1 port=$2 aof=no
  [ "${3:-}" = persistent ] && aof=yes
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly "$aof" --appendfsync everysec --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    || { say "Redis did not start, see $dir/redis.log"; return 1; }
  # Up to 20 s: on a busy machine Redis has needed more than 5 s to answer.
  local i
  for i in $(seq 1 200); do
    redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  say "Redis did not answer on 127.0.0.1:$port, see $dir/redis.log"; return 1
}

stop_redis() {
  local dir=$1
  local pid i
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null
    rm -f "$dir/redis.pid"
    # Redis writes its last log lines while it exits: let it finish, or its folder may outlive the run.
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  return 0
}

# Builds the service and loadgen in Release; sets $app (the service's dll) and $loadgen (its executable).
build_release() {
  dotnet build "$root/src/ConcertTicket/ConcertTicket.csproj" -c Release -v quiet -nologo -clp:NoSummary || return 1
  dotnet build "$root/loadtest/LoadGenerator/LoadGenerator.csproj" -c Release -v quiet -nologo -clp:NoSummary || return 1
  app="$root/src/ConcertTicket/bin/Release/net10.0/concert-ticket.dll"
  loadgen="$root/loadtest/LoadGenerator/bin/Release/net10.0/loadgen"
}

# free_port: a TCP port nobody listens on, so parallel runs and other checkouts do not collide. It is drawn below the
# kernel's ephemeral range (ip_local_port_range), where outgoing connections take their local ports: a port there can
# be taken by a connection between this check and the server's bind.
free_port() {
  local low=32768 port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  while :; do
    port=$(( (RANDOM % (low - 11000)) + 10000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
}

# start_stack NAME [fast]: a private PostgreSQL (with 'fast': no fsync, for tests and short runs) and Redis on
# loopback, for a script that runs the service. The servers live in $work: a fresh /tmp/concert-ticket-NAME.XXXXXX,
# removed on exit, unless the caller set work first (then it is kept: scripts/run.sh's .data). Ports: pg_port and
# redis_port when the caller set them, otherwise free ones (retried when a port is taken before the bind); http_port
# is a free port for the service. On exit, stop_stack runs the caller's stack_cleanup (if defined), stops app_pid
# (the caller sets it when it starts the service), PostgreSQL and Redis; keep_work=1 keeps the folder but not the
# servers' data.
# redis_mode=persistent (set before) gives Redis its append-only file (start_redis).
start_stack() {
  local name=$1 mode=${2:-} attempt fixed_pg=${pg_port:-} fixed_redis=${redis_port:-}
  if [ -z "${work:-}" ]; then
    work=$(mktemp -d "/tmp/concert-ticket-$name.XXXXXX"); stack_owns_work=1
  else
    mkdir -p "$work"; stack_owns_work=0
  fi
  chmod 755 "$work"
  pg_port=${pg_port:-$(free_port)}; redis_port=${redis_port:-$(free_port)}; http_port=${http_port:-$(free_port)}
  app_pid=${app_pid:-}
  trap stop_stack EXIT
  trap 'exit 130' INT TERM
  for attempt in 1 2 3; do
    start_postgres "$work/postgres" "$pg_port" "$mode" && break
    [ -n "$fixed_pg" ] || [ "$attempt" = 3 ] && return 1
    pg_port=$(free_port)
  done
  for attempt in 1 2 3; do
    start_redis "$work/redis" "$redis_port" "${redis_mode:-}" && break
    [ -n "$fixed_redis" ] || [ "$attempt" = 3 ] && return 1
    stop_redis "$work/redis"; redis_port=$(free_port)
  done
}

stop_stack() {
  declare -F stack_cleanup >/dev/null && stack_cleanup
  if [ -n "${app_pid:-}" ] && kill -0 "$app_pid" 2>/dev/null; then kill -TERM "$app_pid"; wait "$app_pid" 2>/dev/null; fi
  stop_postgres "$work/postgres"; stop_redis "$work/redis"
  if [ "${keep_work:-0}" = 1 ]; then rm -rf "$work/postgres" "$work/redis"
  elif [ "${stack_owns_work:-0}" = 1 ]; then rm -rf "$work"; fi
  return 0
}

# Installs Debian's headless-capable Chromium and its WebDriver (the browser tests drive /usr/bin/chromium through
# /usr/bin/chromedriver; nothing downloads a browser) when they are missing and we are root with apt-get.
ensure_browser_installed() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing ${missing[*]} (Debian packages) for the browser tests..."
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { say "apt-get install ${missing[*]} failed"; return 1; }
  else
    say "Missing: ${missing[*]}. Install them first, e.g. 'sudo apt-get install chromium chromium-driver'."
    return 1
  fi
}

# Installs @redocly/cli (the OpenAPI lint the tests run) into tools/redocly/node_modules, ignored by git, when missing.
REDOCLY_VERSION=2.77.0
ensure_redocly_installed() {
  local root=$1
  [ -x "$root/tools/redocly/node_modules/.bin/redocly" ] && return 0
  command -v npm >/dev/null 2>&1 || { say "npm is missing: install Node.js (Debian: apt-get install npm) for the OpenAPI lint."; return 1; }
  say "Installing @redocly/cli@$REDOCLY_VERSION into tools/redocly (npm)..."
  mkdir -p "$root/tools/redocly"
  (cd "$root/tools/redocly" && npm install --no-save --no-package-lock --no-audit --no-fund --prefix . "@redocly/cli@$REDOCLY_VERSION" >/dev/null) \
    || { say "npm install @redocly/cli failed"; return 1; }
}
