# A throwaway PostgreSQL server for the tests that need one (the PostgreSQL store, the replica
# test): Debian's postgresql binaries on a fresh data directory, loopback only, no system service.
# Source common.sh first.
# shellcheck shell=bash

TEST_POSTGRES_DIR=
TEST_POSTGRES_TIMEOUT=${TEST_POSTGRES_TIMEOUT:-30}

# postgres_bin_dir: the newest /usr/lib/postgresql/<version>/bin holding initdb.
postgres_bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $dir && -x $dir/initdb ]] || return 1
    printf '%s\n' "$dir"
}

# postgres_user_prefix: PostgreSQL refuses to run as root, so as root its commands run as
# Debian's `postgres` user (runuser); anyone else runs them as themselves.
postgres_user_prefix() {
    if ((EUID == 0)); then PG_AS=(runuser -u postgres --); else PG_AS=(); fi
}

# start_test_postgres: initializes a data directory under $TMPDIR, starts a server on a free
# loopback port (its socket in that directory too) within TEST_POSTGRES_TIMEOUT seconds and
# exports KUBEGALE_TEST_POSTGRES_URL (user `kubegale`, trust authentication, database postgres).
start_test_postgres() {
    local bin port
    postgres_user_prefix
    bin=$(postgres_bin_dir) || {
        warn "PostgreSQL is not installed (Debian's postgresql package)"
        return 1
    }
    TEST_POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kubegale-postgres.XXXXXX")
    ((EUID == 0)) && chown postgres: "$TEST_POSTGRES_DIR"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${PG_AS[@]}" "$bin/initdb" -D "$TEST_POSTGRES_DIR/data" -U kubegale --auth=trust --no-sync -E UTF8 \
        >"$TEST_POSTGRES_DIR/initdb.log" 2>&1 || {
        cat "$TEST_POSTGRES_DIR/initdb.log" >&2
        return 1
    }
    # fsync off: the data is thrown away, and the tests run faster on a busy disk.
    timeout --kill-after=5 "$TEST_POSTGRES_TIMEOUT" "${PG_AS[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DIR/data" \
        -l "$TEST_POSTGRES_DIR/server.log" -w -t "$TEST_POSTGRES_TIMEOUT" \
        -o "-k $TEST_POSTGRES_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
        start >/dev/null || {
        warn "PostgreSQL did not start; its log:"
        tail -n 30 "$TEST_POSTGRES_DIR/server.log" >&2 || true
        return 1
    }
    export KUBEGALE_TEST_POSTGRES_URL="postgres://kubegale@127.0.0.1:$port/postgres"
    log "postgresql: $("$bin/postgres" --version) on 127.0.0.1:$port (data: $TEST_POSTGRES_DIR)"
}

# stop_test_postgres: stops the server (fast, then immediate) and removes its directory; safe to
# call when none was started, and more than once.
stop_test_postgres() {
    [[ -n $TEST_POSTGRES_DIR && -d $TEST_POSTGRES_DIR ]] || return 0
    local bin
    postgres_user_prefix
    bin=$(postgres_bin_dir) || return 0
    if [[ -f $TEST_POSTGRES_DIR/data/postmaster.pid ]]; then
        timeout 20 "${PG_AS[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DIR/data" -m fast -w -t 15 stop >/dev/null 2>&1 ||
            timeout 10 "${PG_AS[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DIR/data" -m immediate -w stop >/dev/null 2>&1 ||
            true
    fi
    rm -rf "$TEST_POSTGRES_DIR"
    TEST_POSTGRES_DIR=
    unset KUBEGALE_TEST_POSTGRES_URL
}
