#!/usr/bin/env bash
# CPU per thread of an anchormq broker pinned to CPU 1, under load from a generator pinned to CPU 0: which threads
# spend the broker's core, from /proc/<pid>/task/*/stat over 15 s of the measured window, plus the broker's GC log,
# the load report and a latency timeline.
#
#   [EXTRA_JVM="<more JVM options>"] bench/thread-cpu.sh [--max] [--log-off] [--warmup S]
#       [--jar platform/target/anchormq.jar] [--jvm-options platform/jvm.options|none] [--out DIR]
#
# The load is p2p-qos1-fixed (100 pairs x 200 msg/s, QoS 1, 64 B), or with --max p2p-qos1 (1,000 pairs as fast as
# they go). The threads are sampled over 15 s from S + 6 s after the load connects (default S = 30; a JVM on one core
# is still compiling then: --warmup 90 shows the steady state). The broker starts with platform/jvm.options, as the
# README starts it (--jvm-options none: the JVM's defaults).
#
# Build first (mvn -q package -DskipTests). Writes DIR/threads.txt, DIR/gc.log, DIR/load.txt, and DIR/timeline.txt
# (the worst latency of the messages sent in each 100 ms of the measured window). The broker's data stays in
# DIR/data: deleting a log-on run's ~100,000 tile files right before the next run slows that run's file creation on
# ext4 without a journal (it skips recently freed inodes one by one), by about a quarter of a log-on broker's
# throughput here; delete old runs' data when no run follows soon.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=platform/target/anchormq.jar
ANCHORING=true
WARMUP=30
LOAD_ARGS="--clients 100 --qos 1 --payload 64 --rate 200"
JVM_OPTIONS=platform/jvm.options
OUT=bench/target/thread-cpu/$(date -u +%Y%m%dT%H%M%SZ)
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --log-off) ANCHORING=false; shift ;;
    --max) LOAD_ARGS="--clients 1000 --qos 1 --payload 64"; shift ;;
    --jvm-options) JVM_OPTIONS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
DATA=$(cd "$OUT" && pwd)/data
mkdir -p "$DATA"
JVM_FILE=()
[ "$JVM_OPTIONS" = none ] || JVM_FILE=("@$JVM_OPTIONS")
PORT=${ANCHORMQ_PORT:-18850}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ANCHORMQ_ANCHORING_ENABLED=$ANCHORING ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$PORT ANCHORMQ_HTTP_HOST=127.0.0.1 \
  ANCHORMQ_HTTP_PORT=$((PORT + 8)) ANCHORMQ_DATA_DIR=$DATA \
  taskset -c 1 java "${JVM_FILE[@]}" ${EXTRA_JVM:-} -XX:ActiveProcessorCount=1 -Xlog:gc:file="$OUT/gc.log" -jar "$JAR" > "$OUT/broker.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true; wait $BROKER 2>/dev/null || true' EXIT
sleep 6
taskset -c 0 java -XX:ActiveProcessorCount=1 -jar bench/target/anchormq-bench.jar load --port "$PORT" --scenario p2p \
  $LOAD_ARGS --warmup "$WARMUP" --duration 20 --drain-timeout 10 --connect-timeout 12 \
  --broker-pid $BROKER --timeline "$OUT/timeline.txt" > "$OUT/load.txt" 2>&1 &
LOAD=$!
sleep $((WARMUP + 6)) # connections and warm-up
# name utime stime, per thread (names with spaces joined by _)
snapshot() {
  for t in /proc/$BROKER/task/*; do
    echo "$(tr ' ' _ < "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12, $13}')"
  done | awk '{u[$1]+=$2; s[$1]+=$3} END {for (k in u) print k, u[k], s[k]}' | sort
}
snapshot > "$OUT/before"; sleep 15; snapshot > "$OUT/after"
wait $LOAD || true
ticks=$(getconf CLK_TCK)
join "$OUT/before" "$OUT/after" | awk -v t="$ticks" '{u=($4-$2)/t/15; s=($5-$3)/t/15;
  if (u+s > 0.005) printf "%-20s %.3f cores (user %.3f, sys %.3f)\n", $1, u+s, u, s}' | sort -k2 -nr > "$OUT/threads.txt"
rm -f "$OUT/before" "$OUT/after"
cat "$OUT/threads.txt"
grep -E "latency|cpu" "$OUT/load.txt" || true
echo "GC pauses: $(grep -c Pause "$OUT/gc.log"), longest $(grep Pause "$OUT/gc.log" | sed 's/.* \([0-9.]*\)ms$/\1/' | sort -n | tail -1) ms"
