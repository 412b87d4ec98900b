#!/usr/bin/env bash
# Every test of this repository: unit, actor, store (both backends) and end-to-end over real
# sockets, with node processes on a real redis-server for the cluster tests. Installs
# redis-server first when it is missing and this machine can (root with apt-get); otherwise
# says what to install. The browser tests need Chromium and its WebDriver (chromium,
# chromium-driver), the deploy tests HAProxy and curl (deploy/local-cluster.sh) and PyYAML
# (python3-yaml, to read the manifests), installed the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing redis-server (the cluster tests start their own)" >&2
        apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
    else
        echo "test.sh: the cluster tests need redis-server on the PATH: install it" \
             "(e.g. sudo apt-get install redis-server, brew install redis) and run this again" >&2
        exit 1
    fi
fi
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing chromium and chromium-driver (the browser tests drive them)" >&2
        apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "test.sh: the browser tests need chromium and chromedriver on the PATH: install them" \
             "(e.g. sudo apt-get install chromium chromium-driver) and run this again" >&2
        exit 1
    fi
fi
if ! PATH="$PATH:/usr/sbin:/sbin" command -v haproxy >/dev/null || ! command -v curl >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing haproxy and curl (the local cluster test puts HAProxy in front of its nodes)" >&2
        apt-get update -qq && apt-get install -y -qq haproxy curl >/dev/null
    else
        echo "test.sh: the local cluster test needs haproxy and curl on the PATH: install them" \
             "(e.g. sudo apt-get install haproxy curl) and run this again" >&2
        exit 1
    fi
fi
if ! python3 -c 'import yaml' 2>/dev/null && ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing python3-yaml (the deploy tests read the YAML manifests with it)" >&2
        apt-get update -qq && apt-get install -y -qq python3-yaml >/dev/null
    else
        echo "test.sh: the deploy tests need python3 with PyYAML: install it" \
             "(e.g. sudo apt-get install python3-yaml, or pip install pyyaml) and run this again" >&2
        exit 1
    fi
fi
exec cargo test --release "$@"
