#!/usr/bin/env bash
# A frontline cluster on loopback, without containers: one redis-server (AOF, fsync on every
# write, its own directory and port), frontline nodes from a built binary, each with its own
# data directory, node id and port, and HAProxy (from the system's packages) in front of them
# with a generated configuration. The same shape as deploy/compose.yaml.
#
#   deploy/local-cluster.sh up       start everything, wait until HAProxy and every node are ready
#   deploy/local-cluster.sh status   what runs, each node's /readyz and the leader it sees
#   deploy/local-cluster.sh down     stop everything (HAProxy, nodes with SIGTERM, then Redis)
#
# Needs redis-server, haproxy and curl (apt-get install redis-server haproxy curl) and a built
# binary (cargo build --release). Everything it starts runs in its own session, detached from
# the terminal; PIDs, logs, generated configuration and data live in the state directory and
# are kept by `down` (`rm -rf` it for a fresh cluster).
#
# Environment (all optional):
#   FRONTLINE_BIN              the binary            (default: target/release/frontline)
#   LOCAL_CLUSTER_CONFIG       the nodes' TOML file  (default: deploy/cluster.toml; its listen,
#                              data_dir, redis_url and node_id are overridden by flags)
#   LOCAL_CLUSTER_DIR          state directory       (default: target/local-cluster)
#   LOCAL_CLUSTER_PORT         HAProxy's public port (default: 8080)
#   LOCAL_CLUSTER_STATS_PORT   HAProxy's stats page  (default: 8404)
#   LOCAL_CLUSTER_REDIS_PORT   redis-server's port   (default: 6390)
#   LOCAL_CLUSTER_NODE_PORTS   the nodes' ports, one node each, comma or space separated
#                              (default: 8081,8082,8083: nodes n1, n2, n3)
#   LOCAL_CLUSTER_TIMEOUT      seconds `up` waits for readiness (default: 60)
# Relative paths are taken from the current directory; the defaults from the repository root.
set -euo pipefail
# haproxy lives in /usr/sbin, which an unprivileged user's PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
absolute() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

bin="$(absolute "${FRONTLINE_BIN:-$root/target/release/frontline}")"
config="$(absolute "${LOCAL_CLUSTER_CONFIG:-$root/deploy/cluster.toml}")"
dir="$(absolute "${LOCAL_CLUSTER_DIR:-$root/target/local-cluster}")"
public_port="${LOCAL_CLUSTER_PORT:-8080}"
stats_port="${LOCAL_CLUSTER_STATS_PORT:-8404}"
redis_port="${LOCAL_CLUSTER_REDIS_PORT:-6390}"
timeout="${LOCAL_CLUSTER_TIMEOUT:-60}"
read -r -a node_ports <<<"$(tr ',' ' ' <<<"${LOCAL_CLUSTER_NODE_PORTS:-8081,8082,8083}")"
redis_url="redis://127.0.0.1:${redis_port}"

starting=0
say() { echo "local-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

# --- processes ------------------------------------------------------------------------------

# True while process $1 runs (a zombie waiting for its reaper does not count).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [ -r "/proc/$1/stat" ] || return 0
    [ "$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# The PID recorded for component $1, if that process still runs (and is still what we started).
running_pid() {
    local pidfile="$dir/$1.pid" pid
    [ -f "$pidfile" ] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    # A recycled PID runs something else: its command line must name what we started.
    local expected
    expected="$(cat "$dir/$1.cmd" 2>/dev/null || true)"
    if [ -n "$expected" ] && [ -r "/proc/$pid/cmdline" ]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$expected" || return 1
    fi
    printf '%s\n' "$pid"
}

# Starts component $1 running the command "${@:2}" in its own session, stdout and stderr to
# $dir/$1.log; the process writes its own PID (setsid may fork) before it execs the command.
start() {
    local name="$1"; shift
    rm -f "$dir/$name.pid"
    printf '%s\n' "$(basename "$1")" >"$dir/$name.cmd"
    # shellcheck disable=SC2016 # expanded by the inner bash
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/$name.pid" "$@" \
        </dev/null >>"$dir/$name.log" 2>&1 &
    local waited=0
    until [ -s "$dir/$name.pid" ]; do
        sleep 0.05
        waited=$((waited + 1))
        [ "$waited" -lt 100 ] || die "$name did not start (see $dir/$name.log)"
    done
}

# Stops component $1: SIGTERM, up to $2 seconds, then SIGKILL.
stop() {
    local name="$1" grace="$2" pid
    if pid="$(running_pid "$name")"; then
        kill -TERM "$pid" 2>/dev/null || true
        local waited=0
        while alive "$pid"; do
            if [ "$waited" -ge $((grace * 10)) ]; then
                say "$name (pid $pid) ignored SIGTERM for ${grace}s: killing it"
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.1
            waited=$((waited + 1))
        done
        say "stopped $name (pid $pid)"
    fi
    rm -f "$dir/$name.pid"
}

# --- probes ---------------------------------------------------------------------------------

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }

redis_answers() {
    local reply
    # shellcheck disable=SC2016 # expanded by the inner bash
    reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "PING\r\n" >&3 &&
        IFS= read -r -t 2 line <&3 && printf "%s" "$line"' "$redis_port" 2>/dev/null)" || return 1
    [[ "$reply" == +PONG* ]]
}

# How many servers of HAProxy's backend `frontline` are UP, from its CSV stats.
haproxy_up() {
    curl -s -m 2 "http://127.0.0.1:$stats_port/stats;csv" 2>/dev/null |
        awk -F, '$1 == "frontline" && $2 != "FRONTEND" && $2 != "BACKEND" && $18 ~ /^UP/ { n++ } END { print n + 0 }'
}

node_names() { local i; for i in "${!node_ports[@]}"; do echo "n$((i + 1))"; done; }

log_tails() {
    local f
    for f in "$dir"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f (last lines)" >&2
        tail -n 15 "$f" >&2
    done
}

# --- commands -------------------------------------------------------------------------------

write_haproxy_cfg() {
    local i fds maxconn
    # HAProxy needs about two descriptors per connection: stay within this shell's limit.
    fds="$(ulimit -n)"
    if [ "$fds" = unlimited ] || [ "$fds" -gt 20100 ]; then maxconn=10000; else maxconn=$(((fds - 100) / 2)); fi
    {
        cat <<EOF
# Generated by deploy/local-cluster.sh: the setup of deploy/haproxy.cfg on loopback ports.
global
    log stderr format raw local0 info
    maxconn $maxconn

defaults
    mode http
    log global
    option httplog
    option dontlognull
    option forwardfor
    option redispatch
    retries 3
    timeout connect 2s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout queue 10s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout client-fin 30s
    timeout server-fin 30s

frontend public
    bind 127.0.0.1:$public_port
    http-request deny deny_status 404 if { path_beg /metrics }
    default_backend frontline

backend frontline
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1
EOF
        for i in "${!node_ports[@]}"; do
            echo "    server n$((i + 1)) 127.0.0.1:${node_ports[$i]}"
        done
        cat <<EOF

frontend stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /stats
    stats refresh 5s
EOF
    } >"$dir/haproxy.cfg"
}

cmd_up() {
    local tool
    for tool in redis-server haproxy curl setsid; do
        command -v "$tool" >/dev/null ||
            die "$tool is not installed: apt-get install redis-server haproxy curl (or your system's packages)"
    done
    [ -x "$bin" ] || die "no frontline binary at $bin: run cargo build --release, or set FRONTLINE_BIN"
    [ -f "$config" ] || die "no configuration at $config (LOCAL_CLUSTER_CONFIG)"
    [ "${#node_ports[@]}" -ge 1 ] || die "LOCAL_CLUSTER_NODE_PORTS names no port"
    local name
    for name in redis $(node_names) haproxy; do
        if running_pid "$name" >/dev/null; then
            die "$name is already running (state in $dir): run \`$0 down\` first"
        fi
    done
    mkdir -p "$dir/redis"
    "$bin" check --config "$config" >/dev/null 2>"$dir/check.log" || {
        cat "$dir/check.log" >&2; die "the configuration $config is refused"
    }
    rm -f "$dir/check.log"

    # If anything below fails (or is interrupted), show the logs and stop what was started.
    starting=1
    trap 'if [ "$starting" = 1 ]; then say "up failed; the logs end with:"; log_tails; cmd_down; fi' EXIT

    start redis redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$dir/redis" \
        --appendonly yes --appendfsync always --save "" --daemonize no
    local deadline=$((SECONDS + timeout))
    until redis_answers; do
        running_pid redis >/dev/null || die "redis-server exited"
        [ "$SECONDS" -lt "$deadline" ] || die "redis-server did not answer within ${timeout}s"
        sleep 0.1
    done
    say "redis-server on 127.0.0.1:$redis_port (AOF, appendfsync always), data in $dir/redis"

    local i
    for i in "${!node_ports[@]}"; do
        name="n$((i + 1))"
        mkdir -p "$dir/$name"
        start "$name" "$bin" serve --config "$config" --listen "127.0.0.1:${node_ports[$i]}" \
            --data-dir "$dir/$name/data" --redis "$redis_url" --node-id "$name"
    done

    write_haproxy_cfg
    haproxy -c -q -f "$dir/haproxy.cfg" >>"$dir/haproxy.log" 2>&1 ||
        die "haproxy refuses $dir/haproxy.cfg"
    start haproxy haproxy -db -f "$dir/haproxy.cfg"

    # Ready: every node answers /readyz 200 (Redis answers, a leader is known), HAProxy sees
    # them all UP and answers /readyz through its public port.
    local ready
    while :; do
        ready=1
        for i in "${!node_ports[@]}"; do
            name="n$((i + 1))"
            running_pid "$name" >/dev/null || die "node $name exited"
            [ "$(http_code "http://127.0.0.1:${node_ports[$i]}/readyz")" = 200 ] || ready=0
        done
        running_pid haproxy >/dev/null || die "haproxy exited"
        [ "$ready" = 1 ] && [ "$(haproxy_up)" = "${#node_ports[@]}" ] &&
            [ "$(http_code "http://127.0.0.1:$public_port/readyz")" = 200 ] && break
        [ "$SECONDS" -lt "$deadline" ] || die "not ready within ${timeout}s"
        sleep 0.2
    done
    starting=0

    local leader
    leader="$(curl -s -m 2 "http://127.0.0.1:$public_port/healthz" | sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')"
    cat <<EOF
frontline local cluster is up (${#node_ports[@]} nodes, leader ${leader:-?})
  public (HAProxy):  http://127.0.0.1:$public_port/   console /, widget /widget, supervisor /supervisor
  websockets:        ws://127.0.0.1:$public_port/ws/client   ws://127.0.0.1:$public_port/ws/agent
  HAProxy stats:     http://127.0.0.1:$stats_port/stats
EOF
    for i in "${!node_ports[@]}"; do
        echo "  node n$((i + 1)):           http://127.0.0.1:${node_ports[$i]}/  (/healthz /readyz /metrics)"
    done
    cat <<EOF
  redis:             $redis_url
  state and logs:    $dir
  operator token:    $bin token --config $config --operator sam
  stop:              $0 down
EOF
}

cmd_down() {
    local name
    stop haproxy 5
    # SIGTERM: each node closes its sockets with 1001 and flushes; then Redis, last.
    for name in $(node_names | sort -r); do
        stop "$name" 15
    done
    # Nodes of an earlier `up` with more ports than this one.
    local pidfile
    for pidfile in "$dir"/n*.pid; do
        [ -f "$pidfile" ] || continue
        name="$(basename "$pidfile" .pid)"
        stop "$name" 15
    done
    stop redis 10
    say "down (state kept in $dir)"
}

cmd_status() {
    local all=0 name pid i
    if [ -d "$dir" ]; then echo "state: $dir"; else echo "state: $dir (none)"; fi
    if pid="$(running_pid redis)"; then
        echo "redis    pid $pid  $redis_url  $(redis_answers && echo answers || echo 'not answering')"
    else
        echo "redis    stopped"; all=1
    fi
    for i in "${!node_ports[@]}"; do
        name="n$((i + 1))"
        local url="http://127.0.0.1:${node_ports[$i]}"
        if pid="$(running_pid "$name")"; then
            echo "$name       pid $pid  $url  readyz $(http_code "$url/readyz")  $(curl -s -m 2 "$url/healthz" || true)"
        else
            echo "$name       stopped  $url"; all=1
        fi
    done
    if pid="$(running_pid haproxy)"; then
        echo "haproxy  pid $pid  http://127.0.0.1:$public_port  readyz $(http_code "http://127.0.0.1:$public_port/readyz")  servers up $(haproxy_up)/${#node_ports[@]}"
    else
        echo "haproxy  stopped"; all=1
    fi
    return "$all"
}

case "${1:-}" in
    up) mkdir -p "$dir"; cmd_up ;;
    down) if [ -d "$dir" ]; then cmd_down; else say "nothing to stop ($dir does not exist)"; fi ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 up|down|status   (environment: see the head of this script)" >&2
        exit 2
        ;;
esac
