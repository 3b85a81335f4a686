#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on a loopback port, for Mailpen's tests and benchmarks.
#
#   scripts/test-postgres.sh start [--dir DIR] [--port PORT] [--no-fsync]
#                                                             start one (or reuse the one running in DIR)
#   scripts/test-postgres.sh stop  [--dir DIR]                 stop it and delete DIR
#   scripts/test-postgres.sh url   [--dir DIR]                 print its URL
#   scripts/test-postgres.sh halt|resume [--dir DIR]           stop it keeping its data / start it again
#
# `start` prints `export MAILPEN_TEST_POSTGRES=postgres://...` on standard output (so that
# `eval "$(scripts/test-postgres.sh start)"` sets it) and everything else on standard error. The URL's
# user may create and drop databases; the tests make a fresh database per test. DIR defaults to
# $TMPDIR/mailpen-test-postgres, PORT to a free one from 55432 up. --no-fsync (for test runs, not for
# benchmarks) does not wait for the disk at commit: a killed server loses nothing, a crashed machine
# would. As root, the server runs as the `postgres` user (initdb refuses root). Needs Debian's
# `postgresql` package (pg_trgm comes with it).
set -euo pipefail

command=${1:-}
shift || true
dir="${TMPDIR:-/tmp}/mailpen-test-postgres"
port=""
fsync=on
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --no-fsync) fsync=off; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

user=mailpen
password=mailpen
database=mailpen

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then found=$(dirname "$(command -v pg_ctl)"); fi
    if [ -z "$found" ]; then
        echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
        exit 1
    fi
    echo "$found"
}

# Runs a PostgreSQL program as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url() {
    echo "postgres://$user:$password@127.0.0.1:$(cat "$dir/port")/$database"
}

case "$command" in
    start)
        bin=$(bin_dir)
        if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
            echo "export MAILPEN_TEST_POSTGRES=$(url)"
            exit 0
        fi
        if [ -z "$port" ]; then
            port=55432
            while ! port_is_free "$port"; do port=$((port + 1)); done
        fi
        rm -rf "$dir"
        mkdir -p "$dir"
        if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
        as_owner sh -c "printf '%s\n' '$password' > '$dir/password'"
        as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/password" --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        echo "$port" | as_owner tee "$dir/port" >/dev/null
        # Loopback only, sockets in DIR (not /run/postgresql), enough connections for several nodes' pools.
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=$fsync" start >&2
        echo "$fsync" | as_owner tee "$dir/fsync" >/dev/null
        as_owner "$bin/psql" -h "$dir" -p "$port" -U "$user" -d postgres -q -v ON_ERROR_STOP=1 \
            -c "CREATE DATABASE $database" >&2
        echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running in $dir on 127.0.0.1:$port" >&2
        echo "export MAILPEN_TEST_POSTGRES=$(url)"
        ;;
    stop)
        bin=$(bin_dir)
        if [ -d "$dir/data" ]; then
            as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$dir"
        ;;
    halt)
        as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2
        ;;
    resume)
        as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 \
            -c fsync=$(cat "$dir/fsync" 2>/dev/null || echo on)" start >&2
        ;;
    url)
        [ -f "$dir/port" ] || { echo "no cluster in $dir (run: $0 start)" >&2; exit 1; }
        url
        ;;
    *)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
