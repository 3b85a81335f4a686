"""`mailpen serve` as a user runs it: flags, environment variables, banner, signals, bad settings."""
import os
import re
import signal
import smtplib
import stat
import subprocess

from conftest import BINARY, ROOT, free_port


def test_banner_names_every_address(make_server):
    server = make_server(["--tls", "auto", "--smtps", f"127.0.0.1:{free_port()}"])
    # The banner is written once every listener is up; its last line names the database.
    log = server.wait_for_log("DB     ")
    assert f"SMTP   127.0.0.1:{server.smtp_port}" in log
    assert "SMTPS  127.0.0.1:" in log
    assert f"HTTP   http://127.0.0.1:{server.http_port}/" in log
    assert f"DB     {server.db}" in log


def test_environment_variables_configure_the_server(make_server):
    # MAILPEN_SMTP instead of --smtp.
    server = make_server(env={"MAILPEN_MAX_MESSAGE_SIZE": "1K", "MAILPEN_HOSTNAME": "mx.env.test"},
                         smtp_in_environment=True)
    assert "--smtp" not in server.command()
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        code, greeting = client.ehlo("x")
        assert b"mx.env.test" in greeting
        assert b"SIZE 1024" in greeting
    assert server.stop(signal.SIGTERM) == 0


def test_command_line_wins_over_environment(make_server):
    server = make_server(["--hostname", "from.flag"], env={"MAILPEN_HOSTNAME": "from.env"})
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        assert b"from.flag" in client.ehlo("x")[1]


def test_one_log_line_per_stored_message(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        for index in range(3):
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: log {index}\r\n\r\nx\r\n".encode())

    def lines_of_stored_mail(log):
        return [line for line in log.splitlines() if " stored " in line]

    # Each line is written after its commit, so the third may trail the third 250.
    stored_lines = lines_of_stored_mail(server.wait_for_log(lambda text: len(lines_of_stored_mail(text)) >= 3))
    assert len(stored_lines) == 3
    assert 'subject="log 0"' in stored_lines[0]


def test_sigterm_exits_cleanly(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: before stop\r\n\r\nx\r\n")
    assert server.stop(signal.SIGTERM) == 0
    assert "shutting down" in server.log()
    # The database was closed cleanly: no WAL left to replay.
    assert not os.path.exists(server.db + "-wal") or os.path.getsize(server.db + "-wal") == 0
    assert server.query("SELECT subject FROM message") == [("before stop",)]


def run_serve(*args, timeout=30):
    return subprocess.run([BINARY, "serve", *args], capture_output=True, text=True, timeout=timeout)


def test_bad_settings_fail_with_a_clear_message(workdir):
    db = os.path.join(workdir, "x.sqlite")
    cases = [
        (["--smtp", "nonsense"], "--smtp needs host:port"),
        (["--smtp-auth", "maybe"], "--smtp-auth takes 'any' or 'strict'"),
        (["--max-message-size", "lots"], "--max-message-size needs a size"),
        (["--max-age", "1y"], "--max-age needs a duration"),
        (["--smtps", "127.0.0.1:0"], "--smtps needs a certificate"),
        (["--tls", "auto", "--tls-cert", "a.pem", "--tls-key", "b.pem"], "not both"),
        (["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], "cert.pem"),
    ]
    for args, message in cases:
        result = run_serve("--db", db, "--smtp", f"127.0.0.1:{free_port()}", "--http", f"127.0.0.1:{free_port()}", *args)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)


def test_port_in_use_is_reported(make_server):
    first = make_server()
    result = run_serve("--db", os.path.join(first.workdir, "other.sqlite"), "--smtp", f"127.0.0.1:{first.smtp_port}",
                       "--http", f"127.0.0.1:{free_port()}")
    assert result.returncode != 0
    assert "Address already in use" in result.stderr or "in use" in result.stderr.lower()


def test_read_only_database_is_reported(workdir):
    """A database file Mailpen may not write is refused at start-up with the reason."""
    db = os.path.join(workdir, "ro.sqlite")
    subprocess.run(["sqlite3", db, "CREATE TABLE t(x)"], check=True)
    os.chmod(db, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    os.chmod(workdir, 0o755)
    command = [BINARY, "serve", "--db", db, "--smtp", f"127.0.0.1:{free_port()}", "--http", f"127.0.0.1:{free_port()}"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--"] + command  # root would ignore the permissions
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "read-only" in result.stderr and db.rsplit("/", 1)[0] in result.stderr, result.stderr


def serve_help_defaults():
    """`mailpen serve --help` as {option: its "(default: …)" text, or None}."""
    text = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True, timeout=30, check=True).stdout
    entries = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"\s+--([a-z0-9-]+)", line)
        if match:
            current = match.group(1)
            entries[current] = line
        elif current and line.startswith("    ") and line.strip():
            entries[current] += " " + line.strip()
        else:
            current = None
    defaults = {}
    for option, entry in entries.items():
        found = re.search(r"\(default: ([^()]*(?:\([^()]*\)[^()]*)*)\)", " ".join(entry.split()))
        defaults[option] = found.group(1) if found else None
    defaults.pop("help", None)
    defaults.pop("version", None)
    return defaults


def documented_serve_defaults():
    """The table of `mailpen serve` options in docs/cli.md as {option: default column}."""
    with open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8") as f:
        section = f.read().split("## `mailpen serve`", 1)[1].split("\n## ", 1)[0]
    defaults = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and cells[0].startswith("`--"):
            defaults[cells[0].strip("`").split()[0][2:]] = cells[2].strip("`")
    return defaults


def test_documented_defaults_match_the_help():
    help_defaults = serve_help_defaults()
    documented = documented_serve_defaults()
    assert set(documented) == set(help_defaults), "options in docs/cli.md and in `mailpen serve --help` differ"
    for option, default in help_defaults.items():
        if option == "web-root":  # a rule, explained below the table, not a value
            assert documented[option] == "see below"
        elif default is None:
            assert documented[option] in ("none", "off"), option
        else:
            assert documented[option] == default, option


def test_log_stamps_read_the_time_zone_once(make_server, workdir):
    """With TZ unset, glibc's localtime checks /etc/localtime with a stat for every log line; serve pins the
    zone so that it is read once. The stamps keep the system's offset."""
    trace = os.path.join(workdir, "stat.trace")
    server = make_server(start=False, wrapper=lambda command: [
        "strace", "-f", "-qq", "-e", "trace=stat,lstat,newfstatat,statx", "-o", trace] + command)
    server.env.pop("TZ", None)
    server.start()
    try:
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            for index in range(30):
                client.sendmail("a@example.com", ["b@example.com"], f"Subject: zone {index}\r\n\r\nx\r\n".encode())
        log = server.wait_for_log(lambda text: text.count(" stored ") >= 30)
    finally:
        # strace's child is Mailpen: stopping it ends the trace (stopping strace would leave it running).
        with open(f"/proc/{server.pid}/task/{server.pid}/children") as children:
            for child in children.read().split():
                os.kill(int(child), signal.SIGTERM)
        server.process.wait(timeout=30)
    with open(trace) as lines:
        looked_up = [line for line in lines if "/etc/localtime" in line]
    assert len(looked_up) <= 2, f"{len(looked_up)} look-ups of /etc/localtime for 30 log lines"
    system_offset = subprocess.run(["date", "+%z"], capture_output=True, text=True, check=True,
                                   env={key: value for key, value in os.environ.items() if key != "TZ"}).stdout.strip()
    stamps = [line.split()[0] for line in log.splitlines() if " stored " in line]
    assert stamps and all(stamp.endswith(system_offset) for stamp in stamps), (system_offset, stamps[:3])
