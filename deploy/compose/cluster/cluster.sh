#!/usr/bin/env bash
# The clustered Docker profile: three NATS nodes (R3), two replicas of each service, one
# PostgreSQL, the migrations job.
#
#   deploy/compose/cluster/cluster.sh up     engine and images (deploy/docker/stack.sh
#                                            images), `compose up -d`, wait until healthy
#   deploy/compose/cluster/cluster.sh down   `compose down -v` (containers, network, volumes)
#   deploy/compose/cluster/cluster.sh test   up, tests/docker/cluster against it, down (always)
#   deploy/compose/cluster/cluster.sh ps     what runs
#
# VEIVISER_CLUSTER_KEEP=1 leaves the cluster up after `test` (to look at what failed).
#
# Images: the same variables as the single-node stack (VEIVISER_IMAGE,
# VEIVISER_POSTGRES_IMAGE, VEIVISER_NATS_IMAGE). Unset, the official image is used when
# it is here, else the local stand-in deploy/docker/stack.sh built.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/deploy/compose/cluster"
STACK="$ROOT/deploy/docker/stack.sh"
VENV="${VENV:-$ROOT/.venv}"
export COMPOSE_PROJECT_NAME="${VEIVISER_CLUSTER_PROJECT:-veiviser-cluster}"
export VEIVISER_CLUSTER_PROJECT="$COMPOSE_PROJECT_NAME"

say() { printf '%s\n' "cluster: $*" >&2; }
die() { say "$*"; exit 1; }

# The single stack's steps (engine, images, compose, healthy) on this compose file.
export VEIVISER_COMPOSE_FILE="$HERE/compose.yaml"

cmd_up() {
    "$STACK" up
    say "participants :${VEIVISER_CLUSTER_PARTICIPANTS_1_PORT:-26011} :${VEIVISER_CLUSTER_PARTICIPANTS_2_PORT:-26012}  housing :26021 :26022  matching :26031 :26032  indicators :26041 :26042  NATS :26221 :26222 :26223  PostgreSQL :${VEIVISER_CLUSTER_PG_PORT:-26432} (all on 127.0.0.1 unless the VEIVISER_CLUSTER_* ports say otherwise)"
}

cmd_down() { "$STACK" down; }

cmd_test() {
    # As in production: development keys refused; keys made for this run, the tests sign
    # their tokens with the same one.
    export VEIVISER_ENV="${VEIVISER_ENV:-production}"
    export VEIVISER_JWT_SECRET="${VEIVISER_JWT_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
    export VEIVISER_LOOKUP_KEY="${VEIVISER_LOOKUP_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
    local started=$SECONDS rc=0
    # The tests count everything in the cluster: start from empty volumes.
    cmd_down >&2
    trap 'cmd_down >&2 || true' EXIT
    cmd_up
    # shellcheck disable=SC2086
    VEIVISER_DOCKER_TESTS=1 "$VENV/bin/pytest" tests/docker/cluster -p no:cacheprovider \
        ${PYTEST_ARGS:-} || rc=$?
    if [ -n "${PYTEST_RC_FILE:-}" ]; then echo "$rc" >"$PYTEST_RC_FILE"; fi
    trap - EXIT
    if [ -n "${VEIVISER_CLUSTER_KEEP:-}" ]; then
        say "VEIVISER_CLUSTER_KEEP is set: the cluster stays up (cluster.sh down removes it)"
    else
        cmd_down >&2 || true
    fi
    say "docker-cluster-test took $((SECONDS - started)) s (pytest exit code $rc)"
    return "$rc"
}

cd "$ROOT"
case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    test) cmd_test ;;
    ps) "$STACK" ps ;;
    *) die "usage: $0 up|down|test|ps" ;;
esac
