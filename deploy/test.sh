#!/usr/bin/env bash
# Every test of this repository: unit, actor, store (both backends) and end-to-end over real
# sockets, with node processes on a real redis-server for the cluster tests. Installs
# redis-server first when it is missing and this machine can (root with apt-get); otherwise
# says what to install. The browser tests need Chromium and its WebDriver (chromium,
# chromium-driver), the deploy tests HAProxy and curl (deploy/local-cluster.sh) and PyYAML
# (python3-yaml, to read the manifests), installed the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
# need_packages WHY PACKAGE...: installs the Debian packages when this machine can (root with
# apt-get); otherwise says what to install and stops.
need_packages() {
    local why=$1
    shift
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing $* ($why)" >&2
        apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
    else
        echo "test.sh: $why: install $* (e.g. sudo apt-get install $*) and run this again" >&2
        exit 1
    fi
}
command -v redis-server >/dev/null ||
    need_packages "the cluster tests start their own redis-server" redis-server
{ command -v chromedriver >/dev/null && command -v chromium >/dev/null; } ||
    need_packages "the browser tests drive chromium and chromedriver" chromium chromium-driver
{ PATH="$PATH:/usr/sbin:/sbin" command -v haproxy >/dev/null && command -v curl >/dev/null; } ||
    need_packages "the local cluster test puts HAProxy in front of its nodes" haproxy curl
python3 -c 'import yaml' 2>/dev/null || /usr/bin/python3 -c 'import yaml' 2>/dev/null ||
    need_packages "the deploy tests read the YAML manifests with python3 and PyYAML" python3-yaml
exec cargo test --release "$@"
