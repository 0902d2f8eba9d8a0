#!/usr/bin/env bash
# anchormq, Mosquitto and Moquette side by side on this machine: the same load scenarios against each broker in
# turn (one broker running at a time, each restarted for every scenario), then the JMH routing benchmarks, and a
# report with ratios in bench/RESULTS.md.
#
#   bench/side-by-side.sh [--duration S] [--warmup S] [--scenarios a,b] [--brokers a,b] [--jmh quick|full|skip]
#   (brokers: anchormq, anchormq-nolog (the integrity log off), mosquitto, moquette)
#                         [--cpu unpinned|equal|both] [--broker-cores LIST] [--generator-cores LIST]
#                         [--skip-build] [--out FILE]
#
# --cpu unpinned (the default) lets broker and load generator share every core; equal pins each broker to
# --broker-cores (default 1) and the load generator to --generator-cores (default 0) with taskset, so that every
# broker gets the same CPU whatever threads it has; both runs every scenario in each mode, unpinned first.
#
# anchormq is started as the README says (`mvn -q install -DskipTests && java @platform/jvm.options -jar
# platform/target/anchormq.jar`), except that the build is `mvn -q package -DskipTests`: it produces the same
# platform/target/anchormq.jar without writing to the local Maven repository. The jars and platform/jvm.options are
# copied into the run's work directory first, so that a rebuild during the run cannot pull them from under a running
# JVM. A run's integrity-log data is moved aside, not deleted, until the script ends: deleting the ~100,000 tile
# files of a log-on run slows the next run's file creation for minutes on ext4 without a journal (it skips
# recently freed inodes one by one), which cost a following log-on run about a quarter of its throughput here.
set -euo pipefail

# bash reads a script as it runs: run from a private copy, so that editing or checking out this file meanwhile
# cannot change a run half-way
if [ -z "${SIDE_BY_SIDE_COPY:-}" ]; then
  copy=$(mktemp /tmp/side-by-side.XXXXXX.sh)
  cp "$0" "$copy"
  SIDE_BY_SIDE_COPY=$copy SIDE_BY_SIDE_HOME=$(cd "$(dirname "$0")/.." && pwd) exec bash "$copy" "$@"
fi
trap 'rm -f "$SIDE_BY_SIDE_COPY"' EXIT
cd "$SIDE_BY_SIDE_HOME"
ROOT=$(pwd)

ARGS="$*"
DURATION=20
WARMUP=5
DRAIN=10
SCENARIOS=p2p-qos1,p2p-qos1-fixed,fan-out-qos0,fan-out-qos0-paced,fan-in-qos1,shared-qos1,conn,conn-warm
BROKERS=anchormq,mosquitto,moquette
CPU_MODES=unpinned
BROKER_CORES=1
GENERATOR_CORES=0
JMH=quick
BUILD=yes
OUT=$ROOT/bench/RESULTS.md
ANCHORMQ_PORT=${ANCHORMQ_PORT:-18830}
MOSQUITTO_PORT=${MOSQUITTO_PORT:-18831}
MOQUETTE_PORT=${MOQUETTE_PORT:-18832}
# anchormq's HTTP API (the integrity log) also listens: on loopback, off the usual 8080
ANCHORMQ_HTTP_PORT=${ANCHORMQ_HTTP_PORT:-18838}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --jmh) JMH=$2; shift 2 ;;
    --skip-build) BUILD=no; shift ;;
    --out) OUT=$2; shift 2 ;;
    --cpu) CPU_MODES=$2; shift 2 ;;
    --broker-cores) BROKER_CORES=$2; shift 2 ;;
    --generator-cores) GENERATOR_CORES=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$SIDE_BY_SIDE_COPY"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$CPU_MODES" in
  unpinned|equal) ;;
  both) CPU_MODES=unpinned,equal ;;
  *) echo "--cpu is unpinned, equal or both" >&2; exit 2 ;;
esac
# CPUs in a taskset list such as 1, 0-1 or 0,2-3
cpu_count() {
  local n=0 part
  IFS=, read -r -a parts <<< "$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then n=$((n + BASH_REMATCH[2] - BASH_REMATCH[1] + 1))
    elif [[ $part =~ ^[0-9]+$ ]]; then n=$((n + 1))
    else echo "not a CPU list: $1" >&2; exit 2
    fi
  done
  echo "$n"
}
if [[ ,$CPU_MODES, == *,equal,* ]]; then
  for cores in "$BROKER_CORES" "$GENERATOR_CORES"; do
    taskset -c "$cores" true 2>/dev/null || { echo "cannot pin to CPUs $cores (this machine: $(nproc) cores)" >&2; exit 2; }
  done
fi
# each load run is stopped if it overruns its phases by more than the connect time allows
CAP=$((DURATION + WARMUP + DRAIN + 15))

# The load arguments of each scenario (targets of issue 4: p2p QoS 1 1,000 pairs 64 B; fan-out QoS 0 1 -> 1,000).
# Fan-out at QoS 0 is paced: unpaced, the one publisher fills the socket buffers between it and the broker with
# more messages in the warm-up than a broker fans out in the whole run, and nothing sent later is measured. At
# 200 msg/s (200,000 deliveries/s offered) every broker here is saturated, so out msg/s is its capacity; at 50 msg/s
# they all keep up and the latencies compare. Fan-in is paced too (1,000 devices × 5 msg/s): one QoS 1 subscriber
# takes at most a window (64) per round trip, so unpaced the brokers only drop what it cannot take. p2p-qos1-fixed
# (issue 10) paces 100 pairs × 200 msg/s = 20,000 msg/s, below what the brokers take unpinned: latency and the
# broker's CPU at one fixed load, where p2p-qos1 measures at saturation.
scenario_args() {
  case "$1" in
    p2p-qos1)     echo "--scenario p2p --clients 1000 --qos 1 --payload 64" ;;
    p2p-qos1-fixed) echo "--scenario p2p --clients 100 --qos 1 --payload 64 --rate 200" ;;
    fan-out-qos0) echo "--scenario fan-out --clients 1000 --qos 0 --payload 64 --rate 200" ;;
    # twice the offer: at equal CPU anchormq delivers all of fan-out-qos0's 200,000/s, so that cannot show its limit
    fan-out-qos0-high) echo "--scenario fan-out --clients 1000 --qos 0 --payload 64 --rate 400" ;;
    fan-out-qos0-paced) echo "--scenario fan-out --clients 1000 --qos 0 --payload 64 --rate 50" ;;
    fan-in-qos1)  echo "--scenario fan-in --clients 1000 --qos 1 --payload 64 --rate 5" ;;
    shared-qos1)  echo "--scenario shared --clients 100 --members 10 --qos 1 --payload 64" ;;
    conn|conn-warm) echo "--scenario conn --clients 5000 --connect-concurrency 100" ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
  esac
}

WORK=$ROOT/bench/target/side-by-side/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$WORK"
COMMANDS=$WORK/commands.txt
: > "$COMMANDS"
log() { echo "[side-by-side] $*" >&2; }
# records a command verbatim for the report, as it is run
record() { echo "$*" >> "$COMMANDS"; }
record "bench/side-by-side.sh $ARGS"

if [ "$BUILD" = yes ]; then
  log "building (mvn -q package -DskipTests)"
  record "mvn -B -q package -DskipTests"
  mvn -B -q package -DskipTests
fi
cp platform/target/anchormq.jar platform/jvm.options bench/target/anchormq-bench.jar "$WORK/"

if ! command -v mosquitto >/dev/null 2>&1; then
  log "installing mosquitto"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients
fi
# thousands of connections per run, on both ends
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Mosquitto with limits comparable to anchormq's defaults (max-queued-messages 1000, receive-maximum 64 as the
# outbound window), no connection limit, no persistence, TCP_NODELAY like the others
cat > "$WORK/mosquitto.conf" <<EOF
listener $MOSQUITTO_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000
max_inflight_messages 64
max_connections -1
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
EOF

# The CPU mode in effect. unpinned starts everything as before. equal starts each broker under taskset on
# $BROKER_CORES and the load generator on $GENERATOR_CORES, and passes each JVM -XX:ActiveProcessorCount with the
# number of CPUs it was given: the count its affinity mask implies already, stated on the command line so that the
# recorded command says what the JVM sized its pools and its collector by.
cpu_mode() {
  MODE=$1
  if [ "$MODE" = equal ]; then
    BROKER_PIN=(taskset -c "$BROKER_CORES")
    GENERATOR_PIN=(taskset -c "$GENERATOR_CORES")
    BROKER_JVM=(-XX:ActiveProcessorCount="$(cpu_count "$BROKER_CORES")")
    GENERATOR_JVM=(-XX:ActiveProcessorCount="$(cpu_count "$GENERATOR_CORES")")
  else
    BROKER_PIN=(); GENERATOR_PIN=(); BROKER_JVM=(); GENERATOR_JVM=()
  fi
  OUTDIR=$WORK/$MODE
  mkdir -p "$OUTDIR"
}
# a command as recorded: the words of an array and a space, or nothing
words() { [ $# -eq 0 ] || echo "$* "; }

BROKER_PID=
start_broker() {
  local broker=$1 logfile=$2 pin jvm
  case "$broker" in
    anchormq|anchormq-nolog) PORT=$ANCHORMQ_PORT ;; mosquitto) PORT=$MOSQUITTO_PORT ;; moquette) PORT=$MOQUETTE_PORT ;;
    *) echo "unknown broker $broker" >&2; exit 2 ;;
  esac
  # a port another process already listens on would have the load measure that process instead
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is taken by another process: choose other ports (ANCHORMQ_PORT, MOSQUITTO_PORT, MOQUETTE_PORT, ANCHORMQ_HTTP_PORT)" >&2
    exit 3
  fi
  pin=$(words "${BROKER_PIN[@]}")
  jvm=$(words "${BROKER_JVM[@]}")
  case "$broker" in
    anchormq|anchormq-nolog)
      if [ -d "$WORK/anchormq-data" ]; then
        mkdir -p "$WORK/old-data"
        mv "$WORK/anchormq-data" "$WORK/old-data/$(date +%s%N)"
      fi
      # anchormq-nolog: the same jar with the integrity log off, to show what the log costs
      local anchoring=true
      [ "$broker" = anchormq-nolog ] && anchoring=false
      record "ANCHORMQ_ANCHORING_ENABLED=$anchoring ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$ANCHORMQ_PORT ANCHORMQ_HTTP_HOST=127.0.0.1 ANCHORMQ_HTTP_PORT=$ANCHORMQ_HTTP_PORT ANCHORMQ_DATA_DIR=$WORK/anchormq-data ANCHORMQ_METRICS_INTERVAL=1s ${pin}java @$WORK/jvm.options ${jvm}-jar $WORK/anchormq.jar"
      ANCHORMQ_ANCHORING_ENABLED=$anchoring ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$ANCHORMQ_PORT \
        ANCHORMQ_HTTP_HOST=127.0.0.1 ANCHORMQ_HTTP_PORT=$ANCHORMQ_HTTP_PORT ANCHORMQ_DATA_DIR=$WORK/anchormq-data \
        ANCHORMQ_METRICS_INTERVAL=1s "${BROKER_PIN[@]}" java @"$WORK/jvm.options" "${BROKER_JVM[@]}" -jar "$WORK/anchormq.jar" > "$logfile" 2>&1 &
      BROKER_PID=$! ;;
    mosquitto)
      record "${pin}mosquitto -c $WORK/mosquitto.conf"
      "${BROKER_PIN[@]}" mosquitto -c "$WORK/mosquitto.conf" > "$logfile" 2>&1 &
      BROKER_PID=$! ;;
    moquette)
      record "${pin}java ${jvm}-jar $WORK/anchormq-bench.jar moquette --port $MOQUETTE_PORT"
      "${BROKER_PIN[@]}" java "${BROKER_JVM[@]}" -jar "$WORK/anchormq-bench.jar" moquette --port "$MOQUETTE_PORT" > "$logfile" 2>&1 &
      BROKER_PID=$! ;;
  esac
  # taskset execs the broker, so $! is the broker's own process: the one whose CPU the load generator samples
  for _ in $(seq 1 300); do
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then
      echo "$broker exited at start-up; see $logfile" >&2; return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$broker did not open port $PORT within 30 s" >&2
  return 1
}

stop_broker() {
  [ -n "$BROKER_PID" ] || return 0
  kill "$BROKER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$BROKER_PID" 2>/dev/null || { BROKER_PID=; return 0; }
    sleep 0.1
  done
  kill -9 "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=
}
trap 'stop_broker; rm -rf "$WORK/old-data" "$WORK/anchormq-data"; rm -f "$SIDE_BY_SIDE_COPY"' EXIT

# Runs the scenario's load against the broker just started ($broker, $scenario, $args, $PORT), recording the
# command with the note $1; sets $code to the load generator's exit status.
measure() {
  local gen
  gen="timeout -k 5 $CAP $(words "${GENERATOR_PIN[@]}")java $(words "${GENERATOR_JVM[@]}")-jar $WORK/anchormq-bench.jar load"
  if [ "$scenario" = conn-warm ]; then
    # The other scenarios measure after a warm-up; a connection run has none of its own, so a first round of
    # the same connections, not reported, warms the broker (a JVM's JIT, any broker's allocator and caches).
    local warm="--port $PORT --label $broker-warm-up $(scenario_args "$scenario") --connect-timeout 12"
    record "$gen $warm   # warm-up round, not reported"
    # shellcheck disable=SC2086
    timeout -k 5 $CAP "${GENERATOR_PIN[@]}" java "${GENERATOR_JVM[@]}" -jar "$WORK/anchormq-bench.jar" load $warm \
      > "$OUTDIR/$broker--$scenario.warm-up.txt" 2>&1 || true
  fi
  record "$gen $args$1"
  set +e
  # shellcheck disable=SC2086
  timeout -k 5 $CAP "${GENERATOR_PIN[@]}" java "${GENERATOR_JVM[@]}" -jar "$WORK/anchormq-bench.jar" load $args \
    > "$OUTDIR/$broker--$scenario.txt" 2> "$OUTDIR/$broker--$scenario.load.log"
  code=$?
  set -e
  cat "$OUTDIR/$broker--$scenario.txt" >&2
}

# The load generator's arguments for the broker just started; it samples that broker's CPU over the measured window.
load_args() {
  args="--port $PORT --label $broker $(scenario_args "$scenario") --warmup $WARMUP --duration $DURATION --drain-timeout $DRAIN --connect-timeout 12 --broker-pid $BROKER_PID --json $OUTDIR/$broker--$scenario.json"
}

# What a JVM makes of the CPUs it is given in this mode: its processor count and the collector it then picks
# (below two processors HotSpot chooses the serial collector instead of G1).
jvm_view() {
  local flags gc heap
  flags=$("${BROKER_PIN[@]}" java @"$WORK/jvm.options" "${BROKER_JVM[@]}" -XX:+PrintFlagsFinal -version 2>/dev/null || true)
  gc=$(echo "$flags" | awk '$2 ~ /^Use(Serial|Parallel|G1|Z|Shenandoah)GC$/ && $4 == "true" { sub(/^Use/, "", $2); print $2 }')
  heap=$(echo "$flags" | awk '$2 == "InitialHeapSize" { printf "%d MB", $4 / 1048576 }')
  echo "$("${BROKER_PIN[@]}" nproc) processor(s) visible, garbage collector chosen by the JVM: ${gc:-unknown}, initial heap (with platform/jvm.options): ${heap:-unknown}"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +"%Y-%m-%d %H:%M:%S UTC")

IFS=, read -r -a mode_list <<< "$CPU_MODES"
IFS=, read -r -a scenario_list <<< "$SCENARIOS"
IFS=, read -r -a broker_list <<< "$BROKERS"
for mode in "${mode_list[@]}"; do
  cpu_mode "$mode"
  record "# CPU mode: $mode"
  jvm_view > "$OUTDIR/jvm.txt"
  for scenario in "${scenario_list[@]}"; do
    for broker in "${broker_list[@]}"; do
      log "$scenario on $broker ($mode)"
      start_broker "$broker" "$OUTDIR/$broker--$scenario.broker.log"
      load_args
      measure ""
      if [ $code -ne 0 ]; then
        # one more try on a fresh broker; the failed attempt stays on record beside the results
        log "load exited with $code for $scenario on $broker: retrying once on a restarted broker"
        for f in txt json load.log; do
          [ -e "$OUTDIR/$broker--$scenario.$f" ] && mv "$OUTDIR/$broker--$scenario.$f" "$OUTDIR/$broker--$scenario.attempt1.$f.failed"
        done
        echo "$broker $scenario ($mode): attempt 1 exited with $code ($(grep -m1 -E '^  +(bench-|only|connecting)' "$OUTDIR/$broker--$scenario.attempt1.txt.failed" 2>/dev/null | sed 's/^ *//' || true)); retried" >> "$WORK/retries.txt"
        stop_broker
        start_broker "$broker" "$OUTDIR/$broker--$scenario.retry.broker.log"
        load_args
        measure "   # retry"
      fi
      echo "$code" > "$OUTDIR/$broker--$scenario.exit"
      # how many threads the broker runs, for the report (a JVM sizes its pools by the processors it sees)
      ls "/proc/$BROKER_PID/task" 2>/dev/null | wc -l > "$OUTDIR/$broker--$scenario.threads" || true
      if [[ "$broker" == anchormq* ]] && command -v mosquitto_sub >/dev/null 2>&1; then
        # the broker's own counters (drops by cause), published every second with the setting above
        sleep 1.5
        mosquitto_sub -h 127.0.0.1 -p "$PORT" -t '$SYS/anchormq/metrics' -C 1 -W 5 > "$OUTDIR/$broker--$scenario.metrics" 2>/dev/null || true
      fi
      stop_broker
    done
  done
  java -jar "$WORK/anchormq-bench.jar" compare --results "$OUTDIR" --out "$OUTDIR/load.md"
done

ROUTING=
if [ "$JMH" != skip ]; then
  if [ "$JMH" = quick ]; then
    jmh_args="--forks 1 --warmup-iterations 2 --iterations 3 --iteration-time 1"
  else
    jmh_args="--forks 1 --warmup-iterations 3 --iterations 5 --iteration-time 2"
  fi
  log "JMH routing benchmarks ($JMH)"
  record "java -jar $WORK/anchormq-bench.jar routing $jmh_args --markdown $WORK/routing.md --json $WORK/routing-jmh.json"
  # shellcheck disable=SC2086
  java -jar "$WORK/anchormq-bench.jar" routing $jmh_args --markdown "$WORK/routing.md" --json "$WORK/routing-jmh.json" \
    > "$WORK/routing.log" 2>&1
  ROUTING=$(cat "$WORK/routing.md")
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

drops() {
  local f=$WORK/$1/anchormq--$2.metrics
  [ -s "$f" ] || { echo "–"; return; }
  sed -E 's/.*"droppedQueueFull":([0-9]+).*/\1/' "$f"
}
threads() {
  local f=$WORK/$1/$2--$3.threads
  [ -s "$f" ] && cat "$f" || echo "–"
}

{
  echo "# anchormq side by side: Mosquitto, Moquette"
  echo
  if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN { exit !(l >= 1.0) }'; then
    echo "> **Measured on a busy machine** (load average $LOAD_BEFORE before the run): absolute numbers are noisy and"
    echo "> low; the ratios, measured in the same run, one broker at a time, are what this file is for. Rerun"
    echo "> \`bench/side-by-side.sh\` on a quiet machine before quoting any figure."
  else
    echo "> $(nproc) cores: unpinned, the broker under test and the load generator share them; at equal CPU each has its"
    echo "> own. The ratios, measured in the same run, one broker at a time, are what this file is for; absolute numbers"
    echo "> depend on the machine."
  fi
  echo
  echo "- date: $STARTED"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "- load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER"
  echo "- java: $(java -version 2>&1 | head -1); $(java -version 2>&1 | sed -n 3p)"
  echo "- brokers: anchormq $(git -C "$ROOT" rev-parse --short HEAD) (defaults), $( { mosquitto -h 2>/dev/null || true; } | head -1) (config below), Moquette 0.17 (embedded, defaults, in memory)"
  echo "- load generator: anchormq-bench \`load\`, in its own JVM on the same machine; each scenario: $WARMUP s warm-up, $DURATION s measured, drain up to $DRAIN s; every broker restarted for every scenario"
  echo "- CPU modes: ${CPU_MODES/,/, then }"
  echo
  for mode in "${mode_list[@]}"; do
    if [ "$mode" = equal ]; then
      echo "## Load scenarios at equal CPU: each broker on CPU $BROKER_CORES, the load generator on CPU $GENERATOR_CORES"
      echo
      echo "Each broker started under \`taskset -c $BROKER_CORES\`, the load generator under \`taskset -c $GENERATOR_CORES\`: every broker"
      echo "gets the same CPU, however many threads it runs (Mosquitto has one), and the load generator's work does not"
      echo "compete with the broker's. JVMs there (anchormq, Moquette): $(cat "$WORK/$mode/jvm.txt")."
    else
      echo "## Load scenarios, unpinned: broker and load generator share the $(nproc) cores"
      echo
      echo "No pinning: a multi-threaded broker may use every core, Mosquitto uses one. JVMs: $(cat "$WORK/$mode/jvm.txt")."
    fi
    echo
    echo "in = PUBLISHes written by the publishers per second, out = messages received by the subscribers per second, both"
    echo "over the measured window; latency from the send timestamp in each payload to its arrival; lost / duplicated /"
    echo "out of order from the per-publisher sequence numbers (out of order across the members of a shared group is"
    echo "allowed by MQTT). broker CPU = the broker process's CPU time over the measured window divided by the window"
    echo "(cores used; conn: over the connection phase); generator CPU = the same for the load generator, against the"
    echo "CPUs it may use: above 90 % a row is marked *generator saturated*, and its figures may be the generator's limit"
    echo "rather than the broker's. Moquette 0.17 has no shared subscriptions: its shared-sub row delivers nothing."
    echo
    cat "$WORK/$mode/load.md"
    echo "anchormq's own count of messages dropped because a subscriber's queue (1,000) was full, per scenario:"
    for scenario in "${scenario_list[@]}"; do
      echo "$scenario: $(drops "$mode" "$scenario")"
    done | paste -sd ';' | sed 's/;/; /g'
    echo
    echo "Threads of each broker process at the end of the first scenario (${scenario_list[0]}): $(for broker in "${broker_list[@]}"; do echo "$broker $(threads "$mode" "$broker" "${scenario_list[0]}")"; done | paste -sd ';' | sed 's/;/, /g')."
    echo
  done
  if [ -n "$ROUTING" ]; then
    echo "## Routing (JMH, one thread, same data for all three)"
    echo
    echo "$ROUTING"
    echo
  fi
  if [ -s "$WORK/retries.txt" ]; then
    echo "Retried runs (the first attempt failed; its output is kept in the work directory):"
    echo
    sed 's/^/- /' "$WORK/retries.txt"
    echo
  fi
  echo "## Exact commands"
  echo
  echo '```'
  cat "$COMMANDS"
  echo '```'
  echo
  echo "Mosquitto configuration:"
  echo
  echo '```'
  cat "$WORK/mosquitto.conf"
  echo '```'
} > "$OUT"
log "wrote $OUT (raw results in $WORK)"
