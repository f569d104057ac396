#!/usr/bin/env bash
# Run Tirek's web server and background worker together; Ctrl-C (or either one dying) stops both.
# `make run` calls this after installing, migrating and loading the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${TIREK_HOST:-127.0.0.1}
PORT=${TIREK_PORT:-8000}
VAR=${TIREK_VAR_DIR:-var}

port_answers() {
  .venv/bin/python - "$HOST" "$PORT" "$1" <<'PY'
import socket, sys, time
for _ in range(int(sys.argv[3])):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(1)
PY
}

if port_answers 1; then
  echo "Something already answers on $HOST:$PORT. Stop it, or choose another port:" >&2
  echo "  TIREK_PORT=8001 make run" >&2
  exit 1
fi

pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
# Ctrl-C reaches every process of the terminal's group at once: a second signal from here would
# make the worker drop its current task, so give them a few seconds to stop by themselves first.
on_interrupt() {
  trap - INT
  for _ in $(seq 100); do
    local alive=0 pid
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  stop
  exit 130
}
trap on_interrupt INT
trap stop TERM EXIT

# gunicorn, as in production (two worker processes); whitenoise serves the static files.
.venv/bin/gunicorn tirek.wsgi --bind "$HOST:$PORT" --workers 2 --timeout 60 --log-level warning &
pids+=($!)
# The worker logs every task at INFO; here only its warnings and errors, unless LOG_LEVEL says.
LOG_LEVEL=${LOG_LEVEL:-WARNING} .venv/bin/tirek worker &
pids+=($!)

# Print the banner once the port answers, so that it comes after the servers' start-up lines.
if port_answers 120; then
  line=$(printf '=%.0s' {1..78})
  echo
  echo "$line"
  echo "Tirek is running at http://$HOST:$PORT/  (Ctrl-C stops the web server and the worker)"
  echo
  [[ -f $VAR/demo-logins.txt ]] && cat "$VAR/demo-logins.txt"
  echo
  echo "The head and staff demo logins ask for a two-factor code. To get the current one, run"
  echo "in another terminal:  .venv/bin/tirek totp-code head    (or: totp-code staff)"
  echo "$line"
  echo
fi

# Whichever stops first (Ctrl-C, a crash, a port already in use), the other is stopped too.
wait -n
