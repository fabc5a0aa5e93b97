#!/bin/sh
# Initialises $PGDATA on first start the way the official image does for the variables
# the compose stack sets, then runs the server as PID 1.
set -eu
if [ "${1:-postgres}" = postgres ]; then
    [ "$#" -gt 0 ] && shift
    PGDATA="${PGDATA:-/var/lib/postgresql/data}"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        method="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
        if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$method" != trust ]; then
            echo "Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)." >&2
            exit 1
        fi
        pwfile="$(mktemp)"
        printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
        # shellcheck disable=SC2086
        initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --encoding=UTF8 --locale=C \
            --auth-local=trust --auth-host="$method" --pwfile="$pwfile" \
            ${POSTGRES_INITDB_ARGS:-} >/dev/null
        rm -f "$pwfile"
        printf "listen_addresses = '*'\nunix_socket_directories = '/var/run/postgresql'\n" \
            >>"$PGDATA/postgresql.conf"
        printf 'host all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
        echo "initialised $PGDATA"
    fi
    exec postgres -D "$PGDATA" "$@"
fi
exec "$@"
