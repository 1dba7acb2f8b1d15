#!/usr/bin/env bash
# `npm test` runs this first. The Redis store's tests start their own
# redis-server processes, so a fresh Debian machine gets it installed here
# (as root); anywhere else the message says what to install.
set -euo pipefail
command -v redis-server >/dev/null && command -v redis-cli >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "npm test: installing redis-server from Debian for the Redis store's tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server >/dev/null
else
  echo "npm test needs redis-server and redis-cli on the PATH: sudo apt-get install -y redis-server" >&2
  exit 1
fi
