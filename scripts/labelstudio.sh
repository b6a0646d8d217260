#!/usr/bin/env bash
# Start, stop or query a local Label Studio server for khabar.
#
#   scripts/labelstudio.sh start   # start in the background, wait for /health, print the URL
#   scripts/labelstudio.sh stop    # stop the server recorded in $LS_DATA_DIR/server.pid
#   scripts/labelstudio.sh status  # exit 0 when the recorded server answers /health
#
# Settings come from the environment (or .env, read by the Makefile), with local defaults:
#   LABEL_STUDIO_PORT (8080), LS_DATA_DIR (.labelstudio), LABEL_STUDIO_USERNAME,
#   LABEL_STUDIO_PASSWORD, LABEL_STUDIO_USER_TOKEN, LABEL_STUDIO_HOST (127.0.0.1). The token is
#   never printed. Another host than loopback is refused while the password or the token is the
#   documented default: `make secrets` writes random ones into .env (mode 600).
#   LS_DB: sqlite (default) or postgres. With postgres, a PostgreSQL cluster of its own lives in
#   $LS_DATA_DIR/postgres (Debian's `postgresql` server; loopback only, a random password kept in
#   $LS_DATA_DIR/postgres.password, mode 600), started before Label Studio and stopped after it.
#   PostgreSQL refuses to run as root: as root it runs as LS_PG_OS_USER (postgres, the user
#   Debian's package creates), which must be able to reach $LS_DATA_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${LABEL_STUDIO_PORT:-8080}"
DATA_DIR="${LS_DATA_DIR:-$here/.labelstudio}"
LS_BIN="${LABEL_STUDIO_BIN:-$here/.venv/bin/label-studio}"
PID_FILE="$DATA_DIR/server.pid"
LOG_FILE="$DATA_DIR/server.log"
HOST="${LABEL_STUDIO_HOST:-127.0.0.1}"
DEFAULT_PASSWORD=khabar-admin
DEFAULT_TOKEN=khabar-local-dev-token-0123456789
PASSWORD="${LABEL_STUDIO_PASSWORD:-$DEFAULT_PASSWORD}"
TOKEN="${LABEL_STUDIO_USER_TOKEN:-$DEFAULT_TOKEN}"
URL="http://127.0.0.1:$PORT"
START_TIMEOUT="${LABEL_STUDIO_START_TIMEOUT:-180}"
DB="${LS_DB:-sqlite}"
DB_FILE="$DATA_DIR/database"  # which database this data dir's Label Studio was created on
PG_DIR="$DATA_DIR/postgres"
PG_OS_USER="${LS_PG_OS_USER:-postgres}"
PG_ROLE=khabar
PG_NAME=labelstudio

healthy() { curl -fsS -m 3 "$URL/health" >/dev/null 2>&1; }
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

loopback() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" ]]; }

# ---- PostgreSQL (LS_DB=postgres)
pg_bin() {
  local d
  for d in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
    [[ -n "$d" && -x "$d/pg_ctl" && -x "$d/initdb" ]] && { echo "$d"; return 0; }
  done
  return 1
}
# PostgreSQL refuses root: run its programs as an unprivileged user then.
as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_password() { cat "$DATA_DIR/postgres.password"; }
pg_port() { cat "$PG_DIR/port"; }
pg_running() { [[ -f "$PG_DIR/port" ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }

pg_start() {
  PG_BIN="$(pg_bin)" || {
    echo "error: LS_DB=postgres needs the PostgreSQL server (Debian: apt-get install postgresql)" >&2; return 1; }
  mkdir -p "$PG_DIR"
  if [[ "$(id -u)" == 0 ]]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || {
      echo "error: PostgreSQL cannot run as root and user '$PG_OS_USER' does not exist; set LS_PG_OS_USER to an unprivileged user" >&2; return 1; }
    chown "$PG_OS_USER" "$PG_DIR"; chmod 700 "$PG_DIR"
    as_pg test -w "$PG_DIR" || {
      echo "error: user '$PG_OS_USER' cannot reach $PG_DIR (a parent folder is private); put LS_DATA_DIR under a folder it can enter" >&2; return 1; }
  fi
  if [[ ! -f "$PG_DIR/data/PG_VERSION" ]]; then
    (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$DATA_DIR/postgres.password")
    local pwfile="$PG_DIR/initdb.pw"
    pg_password >"$pwfile"; [[ "$(id -u)" == 0 ]] && chown "$PG_OS_USER" "$pwfile"
    echo "Creating a PostgreSQL cluster in $PG_DIR/data ..."
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_ROLE" --pwfile="$pwfile" -E UTF8 --no-locale \
        --auth-host=scram-sha-256 --auth-local=peer >"$PG_DIR/initdb.log" 2>&1 || {
      rm -f "$pwfile"; echo "error: initdb failed; see $PG_DIR/initdb.log" >&2; return 1; }
    rm -f "$pwfile"
  fi
  if ! pg_running; then
    free_port >"$PG_DIR/port"
    # Loopback TCP only, no Unix socket (its path could exceed the kernel's limit in a deep dir).
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$(pg_port) -c unix_socket_directories=''" start >/dev/null || {
      echo "error: PostgreSQL did not start; last log lines:" >&2; tail -n 20 "$PG_DIR/server.log" >&2; return 1; }
  fi
  local q=(env PGPASSWORD="$(pg_password)" "$PG_BIN/psql" -h 127.0.0.1 -p "$(pg_port)" -U "$PG_ROLE" -d postgres -tAq)
  if [[ "$("${q[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$PG_NAME'")" != 1 ]]; then
    "${q[@]}" -c "CREATE DATABASE $PG_NAME"
  fi
  echo "PostgreSQL is up on 127.0.0.1:$(pg_port) (database $PG_NAME, cluster $PG_DIR/data)"
}

pg_stop() {
  PG_BIN="$(pg_bin)" || return 0
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null && echo "PostgreSQL stopped"
  fi
}

start() {
  if ! loopback "$HOST" && [[ "$PASSWORD" == "$DEFAULT_PASSWORD" || "$TOKEN" == "$DEFAULT_TOKEN" ]]; then
    echo "error: refusing to serve Label Studio on $HOST with the documented default password or token; run 'make secrets' (random ones into .env, mode 600) before its first start, or set LABEL_STUDIO_PASSWORD and LABEL_STUDIO_USER_TOKEN" >&2
    return 2
  fi
  if pid="$(running_pid)" && healthy; then
    echo "Label Studio already running at $URL (pid $pid)"; return 0
  fi
  if healthy; then
    echo "error: something else already answers on port $PORT; set LABEL_STUDIO_PORT to a free port" >&2
    return 1
  fi
  [[ -x "$LS_BIN" ]] || { echo "error: $LS_BIN not found; run 'make setup' first" >&2; return 1; }
  case "$DB" in sqlite|postgres) ;; *) echo "error: LS_DB must be sqlite or postgres, not '$DB'" >&2; return 2 ;; esac
  mkdir -p "$DATA_DIR"
  # One data dir, one database: switching would show an empty Label Studio beside the old one.
  if [[ -f "$DB_FILE" && "$(cat "$DB_FILE")" != "$DB" ]]; then
    echo "error: $DATA_DIR holds a Label Studio on $(cat "$DB_FILE"), not $DB; use another LS_DATA_DIR (make DB=$DB picks one of its own)" >&2
    return 2
  fi
  local db_env=(DJANGO_DB=sqlite)
  if [[ "$DB" == postgres ]]; then
    pg_start || return 1
    db_env=(DJANGO_DB=default POSTGRE_NAME="$PG_NAME" POSTGRE_USER="$PG_ROLE"
            POSTGRE_PASSWORD="$(pg_password)" POSTGRE_HOST=127.0.0.1 POSTGRE_PORT="$(pg_port)")
  fi
  echo "$DB" >"$DB_FILE"
  # Legacy tokens must be enabled when the organisation is first created: khabar's client
  # accepts them (and personal access tokens), and a fixed token lets `make all` run unattended.
  # Label Studio refuses ML backends (ML_BLOCK_LOCAL_IP) and their webhook (SSRF protection) on
  # local addresses by default. On a loopback-only server, khabar's backend on 127.0.0.1 is the
  # point, so both are allowed there; on any other host both stay on unless set here.
  local block=true
  loopback "$HOST" && block=false
  # Label Studio's default ("legacy") import of predictions recounts every task of the project
  # after each request (data_import/api.py, ImportPredictionsAPI._create_legacy: all the
  # project's task ids into update_tasks_counters), so each request costs more as the project
  # grows: 1.3 s per 1,000 predictions at 1,000 tasks, 8.6 s at 8,000 (scripts/
  # profile_ls_import.py). Its own flagged path recounts only the tasks it touched.
  local fast_predictions=fflag_fix_back_4620_memory_efficient_predictions_import_08012025_short
  db_env+=("$fast_predictions=${!fast_predictions:-true}")
  ML_BLOCK_LOCAL_IP="${ML_BLOCK_LOCAL_IP:-$block}" \
  SSRF_PROTECTION_ENABLED="${SSRF_PROTECTION_ENABLED:-$block}" \
  LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
  LABEL_STUDIO_USERNAME="${LABEL_STUDIO_USERNAME:-admin@khabar.local}" \
  LABEL_STUDIO_PASSWORD="$PASSWORD" \
  LABEL_STUDIO_USER_TOKEN="$TOKEN" \
  LABEL_STUDIO_BASE_DATA_DIR="$DATA_DIR" \
  env "${db_env[@]}" \
  setsid "$LS_BIN" start --no-browser --internal-host "$HOST" --port "$PORT" \
      --data-dir "$DATA_DIR" --log-level WARNING >"$LOG_FILE" 2>&1 < /dev/null &
  echo $! >"$PID_FILE"
  printf 'Starting Label Studio (log: %s) ' "$LOG_FILE"
  for ((i = 0; i < START_TIMEOUT; i++)); do
    if healthy; then echo; echo "Label Studio is up at $URL (database: $DB)"; return 0; fi
    if ! running_pid >/dev/null; then
      echo; echo "error: Label Studio exited during start; last log lines:" >&2
      tail -n 20 "$LOG_FILE" >&2; return 1
    fi
    printf '.'; sleep 1
  done
  echo; echo "error: Label Studio did not answer $URL/health within ${START_TIMEOUT}s (log: $LOG_FILE)" >&2
  return 1
}

stop() {
  if pid="$(running_pid)"; then
    # setsid made the server a process-group leader: stop the whole group (its workers too).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PID_FILE"; echo "Label Studio stopped (pid $pid)"
  else
    rm -f "$PID_FILE"; echo "Label Studio is not running (no live pid in $PID_FILE)"
  fi
  [[ -d "$PG_DIR/data" ]] && pg_stop
  return 0
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running_pid >/dev/null && healthy; then echo "running at $URL"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
