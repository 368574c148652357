#!/usr/bin/env bash
# compare.sh: run the same load scenarios against RabbitMQ and Ferry, one
# after the other, and print one markdown table with the ratio Ferry/RabbitMQ.
#
#   bench/compare.sh                   # from anywhere in the repo
#   DURATION=60s bench/compare.sh      # longer runs
#   RESULTS_DIR=out bench/compare.sh   # keep the JSON results and the table
#
# What it does, so that nothing on the machine is disturbed:
#   - installs Debian's rabbitmq-server if it is missing (apt-get, as root or
#     with sudo), but never uses the system service: it starts its own node,
#     with a private node name, Erlang cookie, epmd port, data and log folders
#     under a temp folder, listening on 127.0.0.1 only;
#   - builds ferry (whose `ferry bench` is the load tool) into the temp folder
#     and starts `ferry serve` with its own data folder;
#   - stops everything it started (by pid, on any exit) and removes the temp
#     folder.
# If ferry does not build, or does not answer AMQP within 10 s (its AMQP front
# end is not there yet), it says so and runs RabbitMQ only.
#
# Scenarios (durable queue, fresh per run; persistent 1 KiB messages;
# publisher confirms with a window of $CONFIRM; manual acks, prefetch $PREFETCH):
#   a  1 producer, 1 consumer, as fast as confirms allow
#   b  4 producers, 4 consumers, as fast as confirms allow
#   c  1 producer, 1 consumer, at a fixed $RATE msgs/s, for latency
set -euo pipefail

DURATION=${DURATION:-20s}          # measured time per run
WARMUP=${WARMUP:-2s}               # before measuring (checked for loss, not timed)
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-10s}
RATE=${RATE:-5000}                 # msgs/s for scenario c
CONFIRM=${CONFIRM:-64}
PREFETCH=${PREFETCH:-100}
SIZE=${SIZE:-1KiB}
HOST=127.0.0.1                     # loopback only, always
RABBIT_PORT=${RABBIT_PORT:-5672}
FERRY_PORT=${FERRY_PORT:-5673}
EPMD_PORT=${EPMD_PORT:-4370}       # a private epmd, not the system's 4369
RABBIT_DIST_PORT=${RABBIT_DIST_PORT:-25673}
RABBITMQ_BIN=${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}
RESULTS_DIR=${RESULTS_DIR:-}

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -f go.mod ]] || die "run me from the ferry repository"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-compare.XXXXXX")
rabbit_pid_file="$tmp/rabbit/pid"
rabbit_started=""
ferry_pid=""

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -n $ferry_pid ]] && kill -0 "$ferry_pid" 2>/dev/null; then
		kill -TERM "$ferry_pid" 2>/dev/null || true
		wait "$ferry_pid" 2>/dev/null || true
	fi
	if [[ -n $rabbit_started ]]; then
		rmq rabbitmqctl -q stop >/dev/null 2>&1 || true
		local pid
		if pid=$(cat "$rabbit_pid_file" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
		fi
		if [[ -n ${rabbit_wrapper_pid:-} ]]; then
			wait "$rabbit_wrapper_pid" 2>/dev/null || true
		fi
		# The node started a private epmd on $EPMD_PORT; stop just that one.
		ERL_EPMD_PORT=$EPMD_PORT epmd -kill >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# amqp_ready HOST PORT: true if the port answers the AMQP 0-9-1 protocol
# header with a frame (type 1, method: connection.start).
amqp_ready() {
	local byte
	# shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
	byte=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "AMQP\x00\x00\x09\x01" >&3 && head -c 1 <&3' _ "$1" "$2" 2>/dev/null |
		od -An -tx1 | tr -d ' \n') || return 1
	[[ $byte == 01 ]]
}

# shellcheck disable=SC2016 # as above
port_busy() { timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

# ---- RabbitMQ -------------------------------------------------------------

if [[ ! -x $RABBITMQ_BIN/rabbitmq-server ]]; then
	say "rabbitmq-server is not installed; installing Debian's package"
	sudo=""
	[[ $(id -u) == 0 ]] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rabbitmq-server >/dev/null
	# Debian starts the system service where there is an init system; this
	# script does not use it, and leaves it as the package set it up.
fi
port_busy "$HOST" "$RABBIT_PORT" && die "something already listens on $HOST:$RABBIT_PORT; stop it or set RABBIT_PORT"

mkdir -p "$tmp/rabbit"
echo '[].' >"$tmp/rabbit/enabled_plugins"
cat >"$tmp/rabbit/rabbitmq.conf" <<EOF
listeners.tcp.1 = $HOST:$RABBIT_PORT
EOF
export RABBITMQ_NODENAME="ferry-compare-$$@localhost"
export RABBITMQ_NODE_IP_ADDRESS=$HOST RABBITMQ_NODE_PORT=$RABBIT_PORT RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT
export RABBITMQ_MNESIA_BASE="$tmp/rabbit/mnesia" RABBITMQ_LOG_BASE="$tmp/rabbit/log"
export RABBITMQ_CONFIG_FILE="$tmp/rabbit/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$tmp/rabbit/enabled_plugins"
export RABBITMQ_PID_FILE="$rabbit_pid_file"
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=$HOST ERL_EPMD_PORT=$EPMD_PORT
# HOME only for RabbitMQ's commands: it is where the Erlang cookie lives.
rmq() { HOME="$tmp/rabbit" "$RABBITMQ_BIN/$1" "${@:2}"; }

say "starting RabbitMQ $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || true) on $HOST:$RABBIT_PORT"
rmq rabbitmq-server >"$tmp/rabbit/server.out" 2>&1 </dev/null &
rabbit_wrapper_pid=$!
rabbit_started=1
for _ in $(seq 1 120); do
	amqp_ready "$HOST" "$RABBIT_PORT" && break
	kill -0 "$rabbit_wrapper_pid" 2>/dev/null || { tail -20 "$tmp/rabbit/server.out" >&2; die "RabbitMQ exited while starting"; }
	sleep 0.5
done
rmq rabbitmqctl -q await_startup --timeout 60 >/dev/null || die "RabbitMQ did not finish starting (logs: $tmp/rabbit/log)"
amqp_ready "$HOST" "$RABBIT_PORT" || die "RabbitMQ does not answer AMQP on $HOST:$RABBIT_PORT"

# ---- build ------------------------------------------------------------------

say "building ferry (the broker and its load tool, ferry bench)"

go build -o "$tmp/ferry" ./cmd/ferry || die "ferry does not build"
brokers=(rabbitmq)
{
	mkdir -p "$tmp/ferry-data"
	"$tmp/ferry" serve --data-dir "$tmp/ferry-data" --amqp-listen "$HOST:$FERRY_PORT" \
		>"$tmp/ferry.log" 2>&1 </dev/null &
	ferry_pid=$!
	for _ in $(seq 1 20); do
		if amqp_ready "$HOST" "$FERRY_PORT"; then
			brokers+=(ferry)
			break
		fi
		kill -0 "$ferry_pid" 2>/dev/null || break
		sleep 0.5
	done
	if [[ ${brokers[*]} != *ferry* ]]; then
		say "ferry: no AMQP listener yet, skipped"
		kill -TERM "$ferry_pid" 2>/dev/null || true
		wait "$ferry_pid" 2>/dev/null || true
		ferry_pid=""
	fi
}

# ---- scenarios --------------------------------------------------------------

declare -A url=([rabbitmq]="amqp://guest:guest@$HOST:$RABBIT_PORT/" [ferry]="amqp://guest:guest@$HOST:$FERRY_PORT/")
common=(-queue bench -fresh-queue -durable -persistent -size "$SIZE" -confirm "$CONFIRM"
	-prefetch "$PREFETCH" -multi-ack 1 -warmup "$WARMUP" -duration "$DURATION"
	-drain-timeout "$DRAIN_TIMEOUT" -interval 5s -json)
scenarios=(a b c)
declare -A args=(
	[a]="-producers 1 -consumers 1"
	[b]="-producers 4 -consumers 4"
	[c]="-producers 1 -consumers 1 -rate $RATE"
)
declare -A label=([a]="a: 1p/1c" [b]="b: 4p/4c" [c]="c: 1p/1c @$RATE/s")

mkdir -p "$tmp/results"
failed=0
for s in "${scenarios[@]}"; do
	for b in "${brokers[@]}"; do
		say "scenario ${label[$s]} against $b (warm-up $WARMUP, then $DURATION)"
		# shellcheck disable=SC2086 # args[$s] is a list of flags
		if ! "$tmp/ferry" bench -url "${url[$b]}" -scenario "${label[$s]}" -broker "$b" "${common[@]}" ${args[$s]} \
			>"$tmp/results/$s-$b.json" 2>"$tmp/results/$s-$b.log"; then
			say "  failed:"
			tail -3 "$tmp/results/$s-$b.log" >&2
			rm -f "$tmp/results/$s-$b.json"
			failed=1
		fi
	done
done

# ---- the table --------------------------------------------------------------

results=()
for s in "${scenarios[@]}"; do
	for b in "${brokers[@]}"; do
		[[ -s $tmp/results/$s-$b.json ]] && results+=("$tmp/results/$s-$b.json")
	done
done
echo
echo "Durable queue, persistent $SIZE messages, confirm window $CONFIRM, manual acks, prefetch $PREFETCH;"
echo "$DURATION measured after a $WARMUP warm-up; latency is end to end (publish to delivery)."
echo
"$tmp/ferry" bench table -baseline rabbitmq -contender ferry "${results[@]}" | tee "$tmp/results/table.md"
if [[ -n $RESULTS_DIR ]]; then
	mkdir -p "$RESULTS_DIR"
	cp "$tmp/results/"* "$RESULTS_DIR/"
	say "results kept in $RESULTS_DIR"
fi
exit "$failed"
