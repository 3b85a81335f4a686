#!/usr/bin/env python3
"""SMTP ingest on PostgreSQL against SQLite, in one run: for 8 and 32 sessions, with a new connection per
message and with reused connections, smtp-source sends the same messages to a fresh `mailpen serve` on a
SQLite file and to one on a fresh PostgreSQL database. Prints messages/s for each, the ratio, each
server's peak RSS and CPU per message (Mailpen's process only: PostgreSQL's own work is not in it), and how
many messages each stored (which must equal the number sent).

Needs MAILPEN_TEST_POSTGRES (scripts/test-postgres.sh start) and postfix's smtp-source.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import uuid

from bench_smtp import drive, stored_count

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def psql(url, sql):
    result = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                            check=True, capture_output=True, text=True)
    return result.stdout.strip()


def with_database(url, name):
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + name))


def serve(binary, port, db):
    return [binary, "serve", "--smtp", f"127.0.0.1:{port}", "--http", "127.0.0.1:0", "--db", db,
            "--max-messages", "0", "--max-connections", "2000"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/mailpen"))
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--sessions", default="8,32")
    parser.add_argument("--json", help="also write the results here")
    options = parser.parse_args()
    server = os.environ.get("MAILPEN_TEST_POSTGRES")
    if not server:
        sys.exit("MAILPEN_TEST_POSTGRES is not set: eval \"$(scripts/test-postgres.sh start)\"")
    from mailpenprocess import free_port

    results = []
    print(f"{'sessions':>8} {'connections':>11} {'SQLite msg/s':>13} {'PostgreSQL msg/s':>17} {'ratio':>6} "
          f"{'RSS SQLite':>10} {'RSS PG':>7} {'µs/msg SQLite':>13} {'µs/msg PG':>9} {'stored':>13}")
    with tempfile.TemporaryDirectory() as workdir:
        for sessions in [int(s) for s in options.sessions.split(",")]:
            for reuse in (False, True):
                port = free_port()
                db = os.path.join(workdir, f"bench-{sessions}-{int(reuse)}.sqlite")
                sqlite_rate, sqlite_rss, sqlite_cpu = drive(serve(options.binary, port, db), port, sessions,
                                                options.messages, options.size, reuse)
                sqlite_stored = stored_count(db)

                name = "mailpen_bench_" + uuid.uuid4().hex[:12]
                psql(server, f"CREATE DATABASE {name}")
                url = with_database(server, name)
                try:
                    port = free_port()
                    pg_rate, pg_rss, pg_cpu = drive(serve(options.binary, port, url), port, sessions, options.messages,
                                            options.size, reuse)
                    pg_stored = int(psql(url, "SELECT count(*) FROM message"))
                finally:
                    psql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                row = {"sessions": sessions, "reuse": reuse, "sqlite_rate": round(sqlite_rate),
                       "postgres_rate": round(pg_rate), "ratio": round(pg_rate / sqlite_rate, 2),
                       "sqlite_rss_mb": round(sqlite_rss), "postgres_rss_mb": round(pg_rss),
                       "sqlite_us_per_message": round(sqlite_cpu), "postgres_us_per_message": round(pg_cpu),
                       "sqlite_stored": sqlite_stored, "postgres_stored": pg_stored, "sent": options.messages}
                results.append(row)
                print(f"{sessions:>8} {'reused' if reuse else 'new':>11} {row['sqlite_rate']:>13} "
                      f"{row['postgres_rate']:>17} {row['ratio']:>6} {round(sqlite_rss):>10} {round(pg_rss):>7} "
                      f"{round(sqlite_cpu):>13} {round(pg_cpu):>9} "
                      f"{sqlite_stored:>6}/{pg_stored:<6}", flush=True)
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"messages": options.messages, "size": options.size, "results": results}, out, indent=2)
    if any(r["sqlite_stored"] != r["sent"] or r["postgres_stored"] != r["sent"] for r in results):
        sys.exit("not every message was stored")


if __name__ == "__main__":
    main()
