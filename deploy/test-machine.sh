#!/usr/bin/env bash
# Makes sure the services the test suite drives for real are on this machine:
# Debian's chromium (the staff console and web chat are tested in a real browser)
# and PostgreSQL on 127.0.0.1:5432 (every store test runs on it). Installs with
# apt-get when run as root; otherwise says exactly what is missing and fails.
set -euo pipefail

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pg_isready >/dev/null 2>&1 || need_apt+=(postgresql)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test machine: missing ${need_apt[*]}; install with: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "test machine: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "test machine: PostgreSQL is not answering on 127.0.0.1:5432, starting it"
  if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "test machine: PostgreSQL is required on 127.0.0.1:5432 (user postgres, trust auth) and could not be started" >&2
    exit 1
  fi
fi
echo "test machine: chromium and PostgreSQL ready"
