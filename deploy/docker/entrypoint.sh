#!/bin/sh
# Entrypoint of the Veiviser image: which process this container is comes from the
# command (or VEIVISER_SERVICE when there is none).
#
#   participants | housing | matching | indicators   that service under uvicorn, port $VEIVISER_PORT
#   migrate [service]                                 create the databases, migrate, exit
#   healthcheck                                       GET /healthz of the service in this container
#   veiviser ... | any other command                  run as given (veiviser token, replay, ...)
set -eu

# Idle connections stay open 75 s, longer than any client keeps them (deploy/services.py,
# KEEP_ALIVE_SECONDS, says why).
serve() {
    exec uvicorn --factory "services.$1.app:create_app" \
        --host "${VEIVISER_HOST:-0.0.0.0}" --port "${VEIVISER_PORT:-8000}" \
        --no-access-log --timeout-keep-alive 75 --timeout-graceful-shutdown 20
}

command="${1:-${VEIVISER_SERVICE:-help}}"
[ "$#" -gt 0 ] && shift
case "$command" in
    participants | housing | matching | indicators)
        serve "$command"
        ;;
    migrate)
        exec veiviser migrate "$@"
        ;;
    healthcheck)
        # Only a container serving a service has something to check; the one-shot
        # commands (migrate, veiviser ...) count as healthy while they run.
        if ! tr '\0' ' ' </proc/1/cmdline | grep -q uvicorn; then exit 0; fi
        exec python -c 'import os, sys, urllib.request
port = os.environ.get("VEIVISER_PORT", "8000")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=12) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception as exc:
    print(f"healthz: {exc}", file=sys.stderr)
    sys.exit(1)'
        ;;
    help | --help)
        echo "usage: docker run IMAGE participants|housing|matching|indicators|migrate [service]|veiviser ARGS"
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
