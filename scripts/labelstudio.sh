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

healthy() { curl -fsS -m 3 "$URL/health" >/dev/null 2>&1; }
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

loopback() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" ]]; }

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
  mkdir -p "$DATA_DIR"
  # Legacy tokens must be enabled when the organisation is first created: khabar's client
  # accepts them (and personal access tokens), and a fixed token lets `make all` run unattended.
  # Label Studio refuses ML backends (ML_BLOCK_LOCAL_IP) and their webhook (SSRF protection) on
  # local addresses by default. On a loopback-only server, khabar's backend on 127.0.0.1 is the
  # point, so both are allowed there; on any other host both stay on unless set here.
  local block=true
  loopback "$HOST" && block=false
  ML_BLOCK_LOCAL_IP="${ML_BLOCK_LOCAL_IP:-$block}" \
  SSRF_PROTECTION_ENABLED="${SSRF_PROTECTION_ENABLED:-$block}" \
  LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
  LABEL_STUDIO_USERNAME="${LABEL_STUDIO_USERNAME:-admin@khabar.local}" \
  LABEL_STUDIO_PASSWORD="$PASSWORD" \
  LABEL_STUDIO_USER_TOKEN="$TOKEN" \
  LABEL_STUDIO_BASE_DATA_DIR="$DATA_DIR" \
  DJANGO_DB=sqlite \
  setsid "$LS_BIN" start --no-browser --internal-host "$HOST" --port "$PORT" \
      --data-dir "$DATA_DIR" --log-level WARNING >"$LOG_FILE" 2>&1 < /dev/null &
  echo $! >"$PID_FILE"
  printf 'Starting Label Studio (log: %s) ' "$LOG_FILE"
  for ((i = 0; i < START_TIMEOUT; i++)); do
    if healthy; then echo; echo "Label Studio is up at $URL"; return 0; fi
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
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running_pid >/dev/null && healthy; then echo "running at $URL"; else echo "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
