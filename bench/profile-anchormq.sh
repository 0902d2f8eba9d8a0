#!/usr/bin/env bash
# anchormq under the p2p QoS 1 load of the side-by-side runs, recorded with JFR, then summarised: hot methods by CPU
# samples and allocation sites by weight.
#
#   bench/profile-anchormq.sh [--duration S] [--warmup S] [--skip-build] [-- extra load options]
#
# Output in bench/target/profile/<time>/: anchormq.jfr, load.txt (the load report), hot-methods.txt.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=20
WARMUP=5
BUILD=yes
PORT=${ANCHORMQ_PORT:-18830}
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --skip-build) BUILD=no; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

WORK=$ROOT/bench/target/profile/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$WORK"
if [ "$BUILD" = yes ]; then
  mvn -B -q package -DskipTests
fi
cp platform/target/anchormq.jar platform/jvm.options bench/target/anchormq-bench.jar "$WORK/"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$PORT ANCHORMQ_HTTP_HOST=127.0.0.1 \
  ANCHORMQ_HTTP_PORT=${ANCHORMQ_HTTP_PORT:-18838} ANCHORMQ_DATA_DIR=$WORK/data \
  java @"$WORK/jvm.options" -XX:StartFlightRecording=settings=profile,filename="$WORK/anchormq.jfr",dumponexit=true \
  -jar "$WORK/anchormq.jar" > "$WORK/anchormq.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

set +e
timeout -k 5 90 java -jar "$WORK/anchormq-bench.jar" load --port "$PORT" --label anchormq --scenario p2p \
  --clients 1000 --qos 1 --payload 64 --warmup "$WARMUP" --duration "$DURATION" --json "$WORK/load.json" \
  "${EXTRA[@]}" | tee "$WORK/load.txt"
set -e

# a clean stop writes the recording (dumponexit)
kill "$BROKER"
for _ in $(seq 1 200); do kill -0 "$BROKER" 2>/dev/null || break; sleep 0.1; done
trap - EXIT

java -jar "$WORK/anchormq-bench.jar" hot-methods --top 30 "$WORK/anchormq.jfr" > "$WORK/hot-methods.txt"
cat "$WORK/hot-methods.txt"
echo "recording: $WORK/anchormq.jfr (jfr summary / jfr print --events jdk.ExecutionSample)" >&2
