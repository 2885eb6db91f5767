# Finds a Postgres server for bucketdesk's local start and tests, or starts a
# private one. Sourced by scripts/start and scripts/test; defines
# ensure_postgres, which exports PG_ADMIN_URL (a superuser URL).
#
# 1. A server on 127.0.0.1:5432 that lets user postgres in: use it.
# 2. Otherwise: a private cluster under $BUCKETDESK_DATA_DIR/postgres on port
#    ${BUCKETDESK_PG_PORT:-5433}, made with the system's Postgres binaries
#    (Debian's postgresql package is installed when they are missing).

pg_log() { printf '[postgres] %s\n' "$*" >&2; }

pg_reachable() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -U postgres -d postgres -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

pg_can_log_in() { # host port
  command -v psql >/dev/null 2>&1 || return 0
  psql -X -q -h "$1" -p "$2" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1
}

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_as_owner() { # command...: runs as user postgres when we are root (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

pg_install() {
  pg_log "no Postgres binaries found: installing Debian's postgresql package"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
}

ensure_postgres() {
  if pg_reachable 127.0.0.1 5432 && pg_can_log_in 127.0.0.1 5432; then
    export PG_ADMIN_URL="postgres://postgres@127.0.0.1:5432/postgres"
    pg_log "using the Postgres server on 127.0.0.1:5432"
    return
  fi
  local port="${BUCKETDESK_PG_PORT:-5433}"
  local dir="${BUCKETDESK_DATA_DIR:-$PWD/data}/postgres"
  export PG_ADMIN_URL="postgres://postgres@127.0.0.1:$port/postgres"
  if pg_reachable 127.0.0.1 "$port"; then
    pg_log "using the private Postgres cluster on 127.0.0.1:$port"
    return
  fi
  [ -n "$(pg_bin_dir)" ] || pg_install
  local bin
  bin="$(pg_bin_dir)"
  [ -n "$bin" ] || { pg_log "cannot find Postgres binaries under /usr/lib/postgresql"; return 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    if ! su postgres -s /bin/sh -c "test -w '$dir'"; then
      dir="/var/tmp/bucketdesk-postgres"
      pg_log "user postgres cannot reach $BUCKETDESK_DATA_DIR; the cluster goes to $dir instead"
      mkdir -p "$dir" && chown postgres "$dir"
    fi
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    pg_log "creating a private cluster in $dir"
    pg_as_owner "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
  fi
  pg_log "starting the private cluster on 127.0.0.1:$port"
  pg_as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
}

# Creates the database if it does not exist yet.
ensure_database() { # name
  local url="${PG_ADMIN_URL%/postgres}/$1"
  if command -v psql >/dev/null 2>&1; then
    if ! psql -X -q "$PG_ADMIN_URL" -tAc "select 1 from pg_database where datname = '$1'" | grep -q 1; then
      psql -X -q "$PG_ADMIN_URL" -c "create database \"$1\"" >/dev/null
      pg_log "created database $1"
    fi
  fi
  printf '%s\n' "$url"
}
