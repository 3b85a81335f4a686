#!/usr/bin/env bash
# Installs (as root) or lists (otherwise) the system and Python packages Mailpen needs: `run` what building
# and running it needs (`make run`), `test` also what the tests and benchmarks use (`make test`, the
# default). Safe to run repeatedly: it only acts on what is missing.
set -euo pipefail

PURPOSE="${1:-test}"
APT_PACKAGES=(libsqlite3-dev)
PIP_PACKAGES=()
# Packages whose module is not named after them: package=module.
declare -A PIP_MODULES=([mailpit-api-client]=mailpit [websocket-client]=websocket)
if [ "$PURPOSE" = "test" ]; then
    APT_PACKAGES+=(sqlite3 swaks postfix curl util-linux spamassassin spamd spamc chromium chromium-driver)
    # Mail clients for the POP3 and IMAP tests (mpop, mbsync) and the network namespace of the plaintext-login test.
    APT_PACKAGES+=(mpop isync iproute2)
    # A throw-away PostgreSQL cluster and a load balancer for the multi-node tests.
    APT_PACKAGES+=(postgresql haproxy)
    # Instruction counts per SMTP connection and message (callgrind), and what that script builds with.
    APT_PACKAGES+=(valgrind binutils gcc)
    # The system calls a log line makes (strace).
    APT_PACKAGES+=(strace)
    # The web UI's unit tests (`node --test`, no npm packages).
    APT_PACKAGES+=(nodejs)
    PIP_PACKAGES+=(pytest selenium schemathesis mailpit-api-client mailhog websocket-client)
elif [ "$PURPOSE" != "run" ]; then
    echo "usage: $0 [run|test]" >&2
    exit 64
fi

missing_apt=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing_apt+=("$package")
done

missing_pip=()
for package in "${PIP_PACKAGES[@]+"${PIP_PACKAGES[@]}"}"; do
    module="${PIP_MODULES[$package]:-${package//-/_}}"
    python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$module') is None)" 2>/dev/null \
        || missing_pip+=("$package")
done

if [ ${#missing_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing system packages: ${missing_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # postfix is only needed for its smtp-source and smtp-sink tools, spamd for the SpamAssassin
        # engine test: no mail system runs.
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing_apt[@]}" >/dev/null
    else
        echo "Missing system packages. Install them with:" >&2
        echo "  sudo apt-get install -y ${missing_apt[*]}" >&2
        exit 1
    fi
fi

# Installing postfix must not leave a mail daemon running.
if command -v postfix >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    postfix stop >/dev/null 2>&1 || true
fi

if [ ${#missing_pip[@]} -gt 0 ]; then
    echo "Installing Python packages: ${missing_pip[*]}"
    python3 -m pip install -q "${missing_pip[@]}" || {
        echo "Could not install Python packages. Install them with:" >&2
        echo "  python3 -m pip install ${missing_pip[*]}" >&2
        exit 1
    }
fi
