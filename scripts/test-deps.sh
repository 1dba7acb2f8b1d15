#!/usr/bin/env bash
# `npm test` runs this first. The Redis store's tests start their own
# redis-server processes, so a fresh Debian machine gets it installed here
# (as root); anywhere else the message says what to install. The TLS tests make their
# certificates with openssl.
set -euo pipefail
command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v openssl >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "npm test: installing redis-server and openssl from Debian for the Redis store's and TLS tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server openssl >/dev/null
else
  echo "npm test needs redis-server, redis-cli and openssl on the PATH: sudo apt-get install -y redis-server openssl" >&2
  exit 1
fi
