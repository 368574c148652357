#!/usr/bin/env bash
# compare.sh: run the same load scenarios against RabbitMQ and Ferry (AMQP),
# and against goaws and Ferry (SQS), one after the other, and print one
# markdown table with the ratios Ferry/RabbitMQ and Ferry/goaws.
#
#   bench/compare.sh                   # from anywhere in the repo
#   DURATION=60s bench/compare.sh      # longer runs
#   RESULTS_DIR=out bench/compare.sh   # keep the JSON results and the table
#   SCENARIOS=d bench/compare.sh       # the SQS part alone (no RabbitMQ needed)
#   CLIENTS=lean bench/compare.sh      # AMQP rows with ferry bench's own client only
#
# What it does, so that nothing on the machine is disturbed:
#   - installs Debian's rabbitmq-server if it is missing (apt-get, as root or
#     with sudo), but never uses the system service: it starts its own node,
#     with a private node name, Erlang cookie, epmd port, data and log folders
#     under a temp folder, listening on 127.0.0.1 only;
#   - builds ferry (whose `ferry bench` is the load tool) into the temp folder
#     and starts `ferry serve` with its own data folder, its AMQP, SQS and
#     admin listeners on 127.0.0.1;
#   - for scenario d, installs goaws v0.4.5 (an in-memory SQS emulator that
#     speaks only the query protocol) into the temp folder with `go install`
#     and starts it with a private config. Its main package is app/cmd (the
#     module root has none, so `go install github.com/Admiral-Piett/goaws@v0.4.5`
#     fails with "does not contain package"). goaws has no setting for its
#     bind address: it listens on 0.0.0.0:$GOAWS_PORT; the runs reach it on
#     127.0.0.1. If the module proxy refuses the download, or it does not
#     build, the script says so and runs Ferry's SQS rows without a baseline;
#   - stops everything it started (by pid, on any exit) and removes the temp
#     folder.
# If ferry does not build, or does not answer AMQP within 10 s (its AMQP front
# end is not there yet), it says so and runs RabbitMQ only.
#
# The AMQP scenarios run once per client in $CLIENTS, against both brokers:
#   lean     ferry bench's own AMQP client (the default; it writes a burst of
#            publishes, or the acks of a burst of deliveries, in one write)
#   amqp091  github.com/rabbitmq/amqp091-go (one write per publish and per ack)
# Both send every message and every ack as its own frame; only the number of
# write(2) calls differs. The load tool shares the two cores with the broker,
# so a cheaper client leaves more of the machine to the broker measured.
#
# Scenarios (durable queue, fresh per run; persistent 1 KiB messages;
# publisher confirms with a window of $CONFIRM; manual acks, prefetch $PREFETCH):
#   a  1 producer, 1 consumer, as fast as confirms allow
#   b  4 producers, 4 consumers, as fast as confirms allow
#   c  1 producer, 1 consumer, at a fixed $RATE msgs/s, for latency
# and over SQS (goaws: query protocol; Ferry: query and JSON protocols; a
# fresh queue per run made with CreateQueue, durable and fsynced on Ferry):
#   d  4 producers, 4 consumers, 1 KiB, SendMessageBatch of 10 /
#      ReceiveMessage of 10 (WaitTimeSeconds $SQS_WAIT) / DeleteMessageBatch
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
SCENARIOS=${SCENARIOS:-a b c d}    # which scenarios to run
FERRY_SQS_PORT=${FERRY_SQS_PORT:-9324}
FERRY_ADMIN_PORT=${FERRY_ADMIN_PORT:-15673}
GOAWS_PORT=${GOAWS_PORT:-4100}
GOAWS_VERSION=${GOAWS_VERSION:-v0.4.5}
SQS_WAIT=${SQS_WAIT:-1}            # ReceiveMessage WaitTimeSeconds, 1 to 20
CLIENTS=${CLIENTS:-lean amqp091}   # AMQP clients of ferry bench to run a-c with

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -f go.mod ]] || die "run me from the ferry repository"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-compare.XXXXXX")
rabbit_pid_file="$tmp/rabbit/pid"
rabbit_started=""
ferry_pid=""
goaws_pid=""
want_amqp=""
want_sqs=""
for s in $SCENARIOS; do
	case $s in
	a | b | c) want_amqp=1 ;;
	d) want_sqs=1 ;;
	*) die "unknown scenario $s (a, b, c or d)" ;;
	esac
done

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	local p
	for p in "$ferry_pid" "$goaws_pid"; do
		if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
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

if [[ -n $want_amqp ]]; then

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
	cat >"$tmp/rabbit/rabbitmq.conf" <<-EOF
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
fi

# ---- build ------------------------------------------------------------------

say "building ferry (the broker and its load tool, ferry bench)"

go build -o "$tmp/ferry" ./cmd/ferry || die "ferry does not build"
brokers=()
[[ -n $want_amqp ]] && brokers+=(rabbitmq)
ferry_sqs=""
{
	for port in "$FERRY_PORT" "$FERRY_SQS_PORT" "$FERRY_ADMIN_PORT"; do
		port_busy "$HOST" "$port" && die "something already listens on $HOST:$port; stop it or set FERRY_PORT, FERRY_SQS_PORT, FERRY_ADMIN_PORT"
	done
	mkdir -p "$tmp/ferry-data"
	"$tmp/ferry" serve --data-dir "$tmp/ferry-data" --amqp-listen "$HOST:$FERRY_PORT" \
		--sqs-listen "$HOST:$FERRY_SQS_PORT" --admin-listen "$HOST:$FERRY_ADMIN_PORT" \
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
		tail -5 "$tmp/ferry.log" >&2
		kill -TERM "$ferry_pid" 2>/dev/null || true
		wait "$ferry_pid" 2>/dev/null || true
		ferry_pid=""
	elif port_busy "$HOST" "$FERRY_SQS_PORT"; then
		# Every listener is bound before the node logs ready and answers AMQP.
		ferry_sqs=1
	else
		say "ferry: no SQS listener on $HOST:$FERRY_SQS_PORT, SQS rows skipped"
	fi
}

# ---- goaws (the SQS baseline) ------------------------------------------------

if [[ -n $want_sqs ]]; then
	say "installing goaws $GOAWS_VERSION with go install"
	mkdir -p "$tmp/bin" "$tmp/goaws"
	# From the temp folder, so that this repository's go.mod plays no part.
	if (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS="" timeout 300 go install "github.com/Admiral-Piett/goaws/app/cmd@$GOAWS_VERSION") \
		>"$tmp/goaws/install.log" 2>&1; then
		mv "$tmp/bin/cmd" "$tmp/bin/goaws"
		port_busy "$HOST" "$GOAWS_PORT" && die "something already listens on port $GOAWS_PORT; stop it or set GOAWS_PORT"
		# A private config: no queues or topics made at start-up, queue URLs
		# on 127.0.0.1, messages not logged.
		cat >"$tmp/goaws/goaws.yaml" <<-EOF
		Local:
		  Host: $HOST
		  Port: "$GOAWS_PORT"
		  Region: us-east-1
		  AccountId: "000000000000"
		  LogToFile: false
		  EnableDuplicates: false
		  QueueAttributeDefaults:
		    VisibilityTimeout: 30
		    ReceiveMessageWaitTimeSeconds: 0
		    MaximumMessageSize: 262144
		EOF
		say "starting goaws on port $GOAWS_PORT (it binds 0.0.0.0: it has no setting for its address)"
		(cd "$tmp/goaws" && exec "$tmp/bin/goaws" -config "$tmp/goaws/goaws.yaml" Local) \
			>"$tmp/goaws/goaws.log" 2>&1 </dev/null &
		goaws_pid=$!
		for _ in $(seq 1 20); do
			port_busy "$HOST" "$GOAWS_PORT" && break
			kill -0 "$goaws_pid" 2>/dev/null || break
			sleep 0.5
		done
		if ! port_busy "$HOST" "$GOAWS_PORT"; then
			say "goaws did not start; SQS baseline skipped:"
			tail -5 "$tmp/goaws/goaws.log" >&2
			kill -TERM "$goaws_pid" 2>/dev/null || true
			wait "$goaws_pid" 2>/dev/null || true
			goaws_pid=""
		fi
	else
		say "goaws: go install failed (the module proxy refused it, or it does not build here); SQS baseline skipped:"
		tail -3 "$tmp/goaws/install.log" >&2
	fi
fi

# ---- scenarios --------------------------------------------------------------

# run_one SCENARIO FILE-KEY BROKER-LABEL ROW-LABEL FLAGS...: one load run, its
# JSON result in $tmp/results/SCENARIO-FILE-KEY.json.
failed=0
mkdir -p "$tmp/results"
run_one() {
	local s=$1 key=$2 broker=$3 row=$4
	shift 4
	say "scenario $row against $broker (warm-up $WARMUP, then $DURATION)"
	if ! "$tmp/ferry" bench -scenario "$row" -broker "$broker" "$@" \
		>"$tmp/results/$s-$key.json" 2>"$tmp/results/$s-$key.log"; then
		say "  failed:"
		tail -3 "$tmp/results/$s-$key.log" >&2
		rm -f "$tmp/results/$s-$key.json"
		failed=1
	fi
}

declare -A url=([rabbitmq]="amqp://guest:guest@$HOST:$RABBIT_PORT/" [ferry]="amqp://guest:guest@$HOST:$FERRY_PORT/")
timing=(-warmup "$WARMUP" -duration "$DURATION" -drain-timeout "$DRAIN_TIMEOUT" -interval 5s -json)
common=(-queue bench -fresh-queue -durable -persistent -size "$SIZE" -confirm "$CONFIRM"
	-prefetch "$PREFETCH" -multi-ack 1 "${timing[@]}")
sqs_common=(-queue bench -fresh-queue -size "$SIZE" -batch 10 -wait-seconds "$SQS_WAIT"
	-producers 4 -consumers 4 "${timing[@]}")
declare -A args=(
	[a]="-producers 1 -consumers 1"
	[b]="-producers 4 -consumers 4"
	[c]="-producers 1 -consumers 1 -rate $RATE"
)
declare -A label=([a]="a: 1p/1c" [b]="b: 4p/4c" [c]="c: 1p/1c @$RATE/s" [d]="d: SQS 4p/4c")

for s in $SCENARIOS; do
	if [[ $s == d ]]; then
		# goaws speaks only the query protocol; Ferry is run in both. The
		# "ferry" row is the query protocol, like goaws's.
		[[ -n $goaws_pid ]] && run_one d goaws goaws "${label[d]}" -protocol sqs-query -url "http://$HOST:$GOAWS_PORT" "${sqs_common[@]}"
		if [[ -n $ferry_sqs ]]; then
			run_one d ferry ferry "${label[d]}" -protocol sqs-query -url "http://$HOST:$FERRY_SQS_PORT" "${sqs_common[@]}"
			run_one d ferry-json "ferry (json)" "${label[d]}" -protocol sqs-json -url "http://$HOST:$FERRY_SQS_PORT" "${sqs_common[@]}"
		fi
		continue
	fi
	for client in $CLIENTS; do
		scenario=${label[$s]}
		[[ $client == lean ]] || scenario="$scenario, $client"
		for b in "${brokers[@]}"; do
			# shellcheck disable=SC2086 # args[$s] is a list of flags
			run_one "$s" "$b-$client" "$b" "$scenario" -client "$client" -url "${url[$b]}" "${common[@]}" ${args[$s]}
		done
	done
done

# ---- the table --------------------------------------------------------------

results=()
for s in $SCENARIOS; do
	keys=(goaws ferry ferry-json)
	for client in $CLIENTS; do keys+=("rabbitmq-$client" "ferry-$client"); done
	for key in "${keys[@]}"; do
		[[ -s $tmp/results/$s-$key.json ]] && results+=("$tmp/results/$s-$key.json")
	done
done
[[ ${#results[@]} -gt 0 ]] || die "no run succeeded"
echo
if [[ -n $want_amqp ]]; then
	echo "a-c: AMQP, durable queue, persistent $SIZE messages, confirm window $CONFIRM, manual acks, prefetch $PREFETCH;"
	echo "   ferry bench's own client unless the row names amqp091 (github.com/rabbitmq/amqp091-go)."
fi
if [[ -n $want_sqs ]]; then
	echo "d: SQS, $SIZE messages, SendMessageBatch of 10, ReceiveMessage of 10 (WaitTimeSeconds $SQS_WAIT), DeleteMessageBatch;"
	echo "   goaws $GOAWS_VERSION (in memory) and \"ferry\" in the query protocol, \"ferry (json)\" in the JSON protocol;"
	echo "   Ferry's queues durable, fsynced on every write."
fi
echo "$DURATION measured after a $WARMUP warm-up; latency is end to end (send to receive)."
echo
"$tmp/ferry" bench table -baseline rabbitmq,goaws -contender ferry "${results[@]}" | tee "$tmp/results/table.md"
if [[ -n $RESULTS_DIR ]]; then
	mkdir -p "$RESULTS_DIR"
	cp "$tmp/results/"* "$RESULTS_DIR/"
	say "results kept in $RESULTS_DIR"
fi
exit "$failed"
