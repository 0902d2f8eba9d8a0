#!/usr/bin/env bash
# What receipts cost: anchormq with the default route (PUBACK as soon as the message is accepted, logged
# afterwards) against the same route with receipts = true (PUBACK / PUBREC only once the entry is durable and
# sealed by a signed checkpoint), under the same load. The figure that changes is "ack latency": PUBLISH written
# -> PUBACK read, as the device sees it.
#
#   bench/receipts-cost.sh [--skip-build] [--duration S]
#
# Two loads per setting: paced (100 pairs x 100 msg/s = 10,000 msg/s, QoS 1: every setting keeps up, so the
# latencies compare) and as fast as possible (1,000 pairs, QoS 1, 32 in flight each: the throughput cost).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=yes
DURATION=20
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) BUILD=no; shift ;;
    --duration) DURATION=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$BUILD" = yes ] && mvn -B -q package -DskipTests
WORK=$ROOT/bench/target/receipts-cost/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$WORK"
cp platform/target/anchormq.jar platform/jvm.options bench/target/anchormq-bench.jar "$WORK/"
cat > "$WORK/receipts.conf" <<'EOF'
include classpath("application.conf")
anchormq.anchoring.routes = [ { filter = "#", qos = [1, 2], mode = "checkpoint", receipts = true } ]
EOF
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
PORT=${ANCHORMQ_PORT:-18840}
BROKER_PID=
trap '[ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true' EXIT

run() { # setting, scenario label, load arguments
  local setting=$1 label=$2; shift 2
  local props=()
  [ "$setting" = receipts ] && props=(-Dconfig.file="$WORK/receipts.conf")
  rm -rf "$WORK/data"
  ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$PORT ANCHORMQ_HTTP_HOST=127.0.0.1 ANCHORMQ_HTTP_PORT=0 \
    ANCHORMQ_DATA_DIR=$WORK/data java @"$WORK/jvm.options" "${props[@]}" -jar "$WORK/anchormq.jar" > "$WORK/$setting--$label.broker.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  echo "## $setting, $label: java @jvm.options ${props[*]} -jar anchormq.jar; load $*" | tee -a "$WORK/report.md"
  timeout -k 5 60 java -jar "$WORK/anchormq-bench.jar" load --port "$PORT" --label "$setting" "$@" \
    --warmup 5 --duration "$DURATION" --json "$WORK/$setting--$label.json" | tee -a "$WORK/report.md"
  kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true; BROKER_PID=
}

for setting in default receipts; do
  run "$setting" paced --scenario p2p --clients 100 --qos 1 --payload 64 --rate 100
  run "$setting" max --scenario p2p --clients 1000 --qos 1 --payload 64
done
echo "report: $WORK/report.md"
