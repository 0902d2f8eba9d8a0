#!/usr/bin/env bash
# What durable broker state costs and what it buys (issue 12): anchormq with its state in RocksDB (the default),
# anchormq with it in memory (ANCHORMQ_STATE_DURABLE=false) and Mosquitto 2 with `persistence true`, all with
# persistent sessions (load --persistent: Clean Session 0, the sessions made and subscribed before measuring).
#
#   bench/durable-state.sh [--parts throughput,restart,kill] [--cpu equal|unpinned|both] [--rounds N]
#                          [--scenarios a,b] [--brokers a,b] [--duration S] [--warmup S]
#                          [--sessions N1,N2] [--retained M1,M2] [--restart-repeats N] [--restart-brokers a,b]
#                          [--cycles N] [--kill-brokers a,b] [--skip-build] [--out FILE]
#
# throughput: scenarios p2p-qos1 (1,000 pairs, max rate), fan-in-qos1 (1,000 devices x 5 msg/s -> one persistent
#   subscriber), fan-in-qos1-high (x 20 msg/s), p2p-qos1-fixed (100 pairs x 200 msg/s = 20,000 msg/s), on brokers
#   anchormq, anchormq-memory, mosquitto; interleaved (each scenario on every broker, the list repeated --rounds
#   times). --cpu equal (the default) pins the broker to CPU 1 and the generator to CPU 0.
# restart: anchormq (and Mosquitto) filled with N persistent sessions (one subscription each) and M retained
#   messages (fill-state), then started by restart-time: to the port, a CONNACK, retained served, restored
#   subscriptions delivering, every subscription and retained message back ($SYS metrics), heap. anchormq: the
#   first start after the filling broker was killed with kill -9, then --restart-repeats starts after SIGTERM.
#   Mosquitto: starts after SIGTERM only (killed, it has nothing saved to start from: see kill).
# kill: kill-cycles, --cycles kill -9 mid-load and restarts, with a ledger of acknowledged messages.
#
# anchormq runs with its defaults (integrity log on; ANCHORING=false to turn it off) on loopback ports from
# ANCHORMQ_PORT (default 18880; its TLS and WebSocket listeners off); Mosquitto on MOSQUITTO_PORT (18881). Writes
# FILE (default: the run's directory/report.md) and keeps every raw result in bench/target/durable-state/<time>/.
set -euo pipefail

if [ -z "${DURABLE_STATE_COPY:-}" ]; then
  copy=$(mktemp /tmp/durable-state.XXXXXX.sh)
  cp "$0" "$copy"
  DURABLE_STATE_COPY=$copy DURABLE_STATE_HOME=$(cd "$(dirname "$0")/.." && pwd) exec bash "$copy" "$@"
fi
cd "$DURABLE_STATE_HOME"
ROOT=$(pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

ARGS="$*"
PARTS=throughput,restart,kill
CPU_MODES=equal
ROUNDS=2
SCENARIOS=p2p-qos1,fan-in-qos1,fan-in-qos1-high,p2p-qos1-fixed
BROKERS=anchormq,anchormq-memory,mosquitto
DURATION=20
WARMUP=5
SESSIONS=10000,100000
RETAINED=100000,1000000
RESTART_REPEATS=2
RESTART_BROKERS=anchormq,mosquitto
CYCLES=20
KILL_BROKERS=anchormq,mosquitto
BUILD=yes
OUT=
A_PORT=${ANCHORMQ_PORT:-18880}
A_HTTP=$((A_PORT + 8))
M_PORT=${MOSQUITTO_PORT:-18881}
ANCHORING=${ANCHORING:-true}

while [ $# -gt 0 ]; do
  case "$1" in
    --parts) PARTS=$2; shift 2 ;;
    --cpu) CPU_MODES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --brokers) BROKERS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --sessions) SESSIONS=$2; shift 2 ;;
    --retained) RETAINED=$2; shift 2 ;;
    --restart-repeats) RESTART_REPEATS=$2; shift 2 ;;
    --restart-brokers) RESTART_BROKERS=$2; shift 2 ;;
    --cycles) CYCLES=$2; shift 2 ;;
    --kill-brokers) KILL_BROKERS=$2; shift 2 ;;
    --skip-build) BUILD=no; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,25p' "$DURABLE_STATE_COPY"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$CPU_MODES" in
  unpinned|equal) ;;
  both) CPU_MODES=equal,unpinned ;;
  *) echo "--cpu is equal, unpinned or both" >&2; exit 2 ;;
esac

WORK=$ROOT/bench/target/durable-state/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$WORK"
[ -n "$OUT" ] || OUT=$WORK/report.md
COMMANDS=$WORK/commands.txt
: > "$COMMANDS"
log() { echo "[durable-state] $*" >&2; }
record() { echo "$*" >> "$COMMANDS"; }
record "bench/durable-state.sh $ARGS"

if [ "$BUILD" = yes ]; then
  log "building"
  record "mvn -B -q package -DskipTests"
  mvn -B -q package -DskipTests
fi
cp platform/target/anchormq.jar platform/jvm.options bench/target/anchormq-bench.jar "$WORK/"
ensure_mosquitto
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for p in $A_PORT $A_HTTP $M_PORT; do
  if port_taken "$p"; then echo "port $p is taken by another process (set ANCHORMQ_PORT, MOSQUITTO_PORT)" >&2; exit 3; fi
done
trap 'stop_broker; rm -f "$DURABLE_STATE_COPY"' EXIT

# ---- the brokers ------------------------------------------------------------------------------------------------
# anchormq's environment: $1 = durable (true/false), $2 = data directory, $3 = metrics interval
anchormq_env() {
  echo "ANCHORMQ_STATE_DURABLE=$1 ANCHORMQ_ANCHORING_ENABLED=$ANCHORING ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$A_PORT ANCHORMQ_MQTTS_ENABLED=false ANCHORMQ_WS_ENABLED=false ANCHORMQ_WSS_ENABLED=false ANCHORMQ_HTTP_HOST=127.0.0.1 ANCHORMQ_HTTP_PORT=$A_HTTP ANCHORMQ_DATA_DIR=$2 ANCHORMQ_METRICS_INTERVAL=${3:-1s}"
}
# the broker's command line as words (for the tools that start it themselves): $1 broker, $2 data dir, $3 metrics
# interval; anchormq through env, so that its settings are part of the command
broker_command() {
  local broker=$1 dir=$2
  case "$broker" in
    anchormq|anchormq-memory)
      local durable=true
      [ "$broker" = anchormq-memory ] && durable=false
      # shellcheck disable=SC2046
      echo "env $(anchormq_env "$durable" "$dir" "${3:-1s}") $(words "${BROKER_PIN[@]}")java @$WORK/jvm.options $(words "${BROKER_JVM[@]}")-jar $WORK/anchormq.jar" ;;
    mosquitto)
      mosquitto_conf "$dir"
      echo "$(words "${BROKER_PIN[@]}")mosquitto -c $dir/mosquitto.conf" ;;
    *) echo "unknown broker $broker" >&2; exit 2 ;;
  esac
}
port_of() { case "$1" in mosquitto) echo "$M_PORT" ;; *) echo "$A_PORT" ;; esac; }

# Mosquitto as side-by-side.sh configures it (max_queued_messages 1000, max_inflight_messages 64 as anchormq's
# defaults), with persistence on: its in-memory state is written to $dir/mosquitto.db every autosave_interval (1800 s
# by default, left as it is) and when it stops cleanly, and read back at start; nothing in between.
mosquitto_conf() {
  local dir=$1
  mkdir -p "$dir"
  # Mosquitto started as root runs as the user mosquitto: it must be able to write its database there
  chown mosquitto "$dir" 2>/dev/null || chmod 777 "$dir"
  cat > "$dir/mosquitto.conf" <<EOF
listener $M_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $dir/
max_queued_messages 1000
max_inflight_messages 64
max_connections -1
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
EOF
}

# starts $1 with data in $2 in the current CPU mode, output to $3; sets BROKER_PID
start_broker() {
  local broker=$1 dir=$2 logfile=$3 cmd
  cmd=$(broker_command "$broker" "$dir" "${4:-1s}")
  record "$cmd &"
  # shellcheck disable=SC2086
  $cmd > "$logfile" 2>&1 &
  BROKER_PID=$!
  wait_port "$(port_of "$broker")" "$broker" 120
}

# ---- throughput and latency -------------------------------------------------------------------------------------
scenario_args() {
  case "$1" in
    p2p-qos1)         echo "--scenario p2p --clients 1000 --qos 1 --payload 64 --persistent" ;;
    p2p-qos1-fixed)   echo "--scenario p2p --clients 100 --qos 1 --payload 64 --rate 200 --persistent" ;;
    fan-in-qos1)      echo "--scenario fan-in --clients 1000 --qos 1 --payload 64 --rate 5 --persistent" ;;
    fan-in-qos1-high) echo "--scenario fan-in --clients 1000 --qos 1 --payload 64 --rate 20 --persistent" ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
  esac
}
scenario_title() {
  case "$1" in
    p2p-qos1)         echo "p2p QoS 1, 1,000 pairs, 64 B, as fast as possible" ;;
    p2p-qos1-fixed)   echo "p2p QoS 1, 100 pairs x 200 msg/s (20,000 msg/s offered), 64 B" ;;
    fan-in-qos1)      echo "fan-in QoS 1, 1,000 publishers x 5 msg/s -> 1 persistent subscriber (5,000 msg/s offered)" ;;
    fan-in-qos1-high) echo "fan-in QoS 1, 1,000 publishers x 20 msg/s -> 1 persistent subscriber (20,000 msg/s offered)" ;;
  esac
}
CAP=$((DURATION + WARMUP + 10 + 60))
run_throughput() {
  local round mode scenario broker dir name gen args code
  IFS=, read -r -a modes <<< "$CPU_MODES"
  IFS=, read -r -a scenarios <<< "$SCENARIOS"
  IFS=, read -r -a brokers <<< "$BROKERS"
  for round in $(seq 1 "$ROUNDS"); do
    for mode in "${modes[@]}"; do
      cpu_mode "$mode"
      jvm_view "$WORK/jvm.options" > "$WORK/jvm-$mode.txt"
      record "# throughput: round $round, CPU mode $mode"
      for scenario in "${scenarios[@]}"; do
        for broker in "${brokers[@]}"; do
          dir=$WORK/throughput/$mode/$round/$broker
          mkdir -p "$dir"
          log "round $round, $mode: $scenario on $broker"
          start_broker "$broker" "$dir/$scenario-data" "$dir/$scenario.broker.log"
          args="--port $(port_of "$broker") --label $broker $(scenario_args "$scenario") --warmup $WARMUP --duration $DURATION --drain-timeout 10 --connect-timeout 60 --broker-pid $BROKER_PID --json $dir/$scenario.json"
          gen="timeout -k 5 $CAP $(words "${GENERATOR_PIN[@]}")java $(words "${GENERATOR_JVM[@]}")-jar $WORK/anchormq-bench.jar load"
          record "$gen $args"
          set +e
          # shellcheck disable=SC2086
          timeout -k 5 $CAP "${GENERATOR_PIN[@]}" java "${GENERATOR_JVM[@]}" -jar "$WORK/anchormq-bench.jar" load $args \
            > "$dir/$scenario.txt" 2> "$dir/$scenario.load.log"
          code=$?
          set -e
          echo "$code" > "$dir/$scenario.exit"
          sed 's/^/    /' "$dir/$scenario.txt" >&2
          if [[ $broker == anchormq* ]]; then
            # the broker's own counters: drops because a queue was full (there should be none)
            timeout 5 mosquitto_sub -h 127.0.0.1 -p "$A_PORT" -t '$SYS/anchormq/metrics' -C 1 -W 4 > "$dir/$scenario.metrics" 2>/dev/null || true
          fi
          stop_broker
          du -sm "$dir/$scenario-data" 2>/dev/null | cut -f1 > "$dir/$scenario.data-mb" || true
          # the state of one run is not needed by the next; the integrity log's tiles are many files
          rm -rf "$dir/$scenario-data"
        done
      done
    done
  done
}

# ---- restart time -----------------------------------------------------------------------------------------------
STATE=$WORK/restart
# fill $broker's state in $1 (a data dir, possibly holding state already) with sessions [$2, $3) and retained
# [$4, $5), unpinned (the fill is not measured); anchormq is then killed (kill -9), Mosquitto stopped (SIGTERM: it
# saves its database only then)
fill() {
  local dir=$1 s0=$2 s1=$3 r0=$4 r1=$5
  cpu_mode unpinned
  start_broker "$broker" "$dir" "$dir.fill.log"
  local cmd="java -jar $WORK/anchormq-bench.jar fill-state --port $(port_of "$broker") --sessions $((s1 - s0)) --session-from $s0 --retained $((r1 - r0)) --retained-from $r0"
  record "$cmd"
  log "$broker: filling sessions $s0..$s1, retained $r0..$r1"
  $cmd >> "$STATE/$broker-fill.txt"
  if [ "$broker" = mosquitto ]; then
    record "kill -TERM $BROKER_PID   # Mosquitto saves its database on a clean stop"
    local t0; t0=$(date +%s.%N)
    stop_broker
    echo "$broker $s1 sessions $r1 retained: SIGTERM (database saved) took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >> "$STATE/$broker-fill.txt"
  else
    record "kill -9 $BROKER_PID"
    kill_broker
  fi
}
# restart-time of $broker on a copy of pristine state $1 (N=$2, M=$3); $4 = label of the start
measure_restart() {
  local dir=$1 n=$2 m=$3 what=$4 out=$5 metrics="" interval=1s
  if [[ $broker == anchormq* ]]; then metrics=--anchormq-metrics; interval=100ms; fi
  cpu_mode "$RESTART_MODE"
  local cmd; cmd=$(broker_command "$broker" "$dir" "$interval")
  local tool="timeout -k 5 900 $(words "${GENERATOR_PIN[@]}")java $(words "${GENERATOR_JVM[@]}")-jar $WORK/anchormq-bench.jar restart-time --port $(port_of "$broker") --sessions $n --retained $m $metrics --label $broker --broker-log $dir.restart.log --json $out --"
  record "$tool $cmd   # $what"
  log "$broker N=$n M=$m: $what"
  set +e
  # shellcheck disable=SC2086
  timeout -k 5 900 "${GENERATOR_PIN[@]}" java "${GENERATOR_JVM[@]}" -jar "$WORK/anchormq-bench.jar" restart-time \
    --port "$(port_of "$broker")" --sessions "$n" --retained "$m" $metrics --label "$broker" --broker-log "$dir.restart.log" \
    --json "$out" -- $cmd >&2
  echo $? > "${out%.json}.exit"
  set -e
  jq -n --arg what "$what" --argjson n "$n" --argjson m "$m" --slurpfile r "$out" '$r[0] + {start: $what, n: $n, m: $m}' > "$out.tmp" 2>/dev/null \
    && mv "$out.tmp" "$out" || true
}
RESTART_MODE=equal
run_restart() {
  IFS=, read -r -a ns <<< "$SESSIONS"
  IFS=, read -r -a ms <<< "$RETAINED"
  IFS=, read -r -a rbrokers <<< "$RESTART_BROKERS"
  local n0=${ns[0]} m0=${ms[0]} n m i
  mkdir -p "$STATE"
  for broker in "${rbrokers[@]}"; do
    local pristine=$STATE/$broker/pristine
    mkdir -p "$pristine"
    record "# restart: $broker"
    for n in "${ns[@]}"; do
      # (n, m0): from scratch for the first n, else the first state with sessions added
      if [ "$n" = "$n0" ]; then
        fill "$pristine/$n-$m0" 0 "$n" 0 "$m0"
      else
        cp -a "$pristine/$n0-$m0" "$pristine/$n-$m0"
        fill "$pristine/$n-$m0" "$n0" "$n" "$m0" "$m0"
      fi
      for m in "${ms[@]:1}"; do
        cp -a "$pristine/$n-$m0" "$pristine/$n-$m"
        fill "$pristine/$n-$m" "$n" "$n" "$m0" "$m"
      done
    done
    # the same broker with no state of this kind: what a start costs anyway
    fill "$pristine/0-0" 0 0 0 0
    for nm in 0-0 $(for n in "${ns[@]}"; do for m in "${ms[@]}"; do echo "$n-$m"; done; done); do
      n=${nm%-*}; m=${nm#*-}
      {
        local run=$STATE/$broker/run-$n-$m
        rm -rf "$run"
        cp -a "$pristine/$n-$m" "$run"
        du -sm "$pristine/$n-$m" | cut -f1 > "$STATE/$broker-$n-$m.data-mb"
        if [ "$broker" = mosquitto ]; then
          for i in $(seq 1 "$RESTART_REPEATS"); do
            measure_restart "$run" "$n" "$m" "after SIGTERM ($i)" "$STATE/$broker-$n-$m-sigterm-$i.json"
          done
        else
          measure_restart "$run" "$n" "$m" "after kill -9" "$STATE/$broker-$n-$m-kill9.json"
          for i in $(seq 1 "$RESTART_REPEATS"); do
            measure_restart "$run" "$n" "$m" "after SIGTERM ($i)" "$STATE/$broker-$n-$m-sigterm-$i.json"
          done
        fi
        rm -rf "$run"
      }
    done
  done
}

# ---- kill -9 cycles ---------------------------------------------------------------------------------------------
run_kill() {
  IFS=, read -r -a kbrokers <<< "$KILL_BROKERS"
  mkdir -p "$WORK/kill"
  cpu_mode equal
  for broker in "${kbrokers[@]}"; do
    local dir=$WORK/kill/$broker-data cmd
    cmd=$(broker_command "$broker" "$dir")
    local tool="timeout -k 5 1800 $(words "${GENERATOR_PIN[@]}")java $(words "${GENERATOR_JVM[@]}")-jar $WORK/anchormq-bench.jar kill-cycles --port $(port_of "$broker") --cycles $CYCLES --label $broker --broker-log $WORK/kill/$broker.broker.log --json $WORK/kill/$broker.json --"
    record "$tool $cmd"
    log "kill -9 cycles on $broker"
    set +e
    # shellcheck disable=SC2086
    timeout -k 5 1800 "${GENERATOR_PIN[@]}" java "${GENERATOR_JVM[@]}" -jar "$WORK/anchormq-bench.jar" kill-cycles \
      --port "$(port_of "$broker")" --cycles "$CYCLES" --label "$broker" --broker-log "$WORK/kill/$broker.broker.log" \
      --json "$WORK/kill/$broker.json" -- $cmd > "$WORK/kill/$broker.txt" 2> "$WORK/kill/$broker.log"
    echo $? > "$WORK/kill/$broker.exit"
    set -e
    cat "$WORK/kill/$broker.txt" >&2
  done
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +"%Y-%m-%d %H:%M:%S UTC")
[[ ,$PARTS, == *,throughput,* ]] && run_throughput
[[ ,$PARTS, == *,restart,* ]] && run_restart
[[ ,$PARTS, == *,kill,* ]] && run_kill
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ENDED=$(date -u +"%H:%M:%S UTC")

# ---- report -----------------------------------------------------------------------------------------------------
# the figure $4 (a jq expression) of every round: "a / b"; $1 mode, $2 broker, $3 scenario
figs() {
  local out=() r f
  for r in $(seq 1 "$ROUNDS"); do
    f=$WORK/throughput/$1/$r/$2/$3.json
    if [ -s "$f" ] && [ "$(cat "${f%.json}.exit" 2>/dev/null)" = 0 ]; then out+=("$(jq -r "$4" "$f")"); else out+=("failed"); fi
  done
  local IFS=/; echo "${out[*]}" | sed 's|/| / |g'
}
med() {
  local r f
  for r in $(seq 1 "$ROUNDS"); do
    f=$WORK/throughput/$1/$r/$2/$3.json
    # an if, not &&: a broker left out of the run must not end the loop (and, under pipefail, the report) with 1
    if [ -s "$f" ] && [ "$(cat "${f%.json}.exit" 2>/dev/null)" = 0 ]; then jq -r "$4" "$f"; fi
  done | median_of
}
TPUT='.outPerSecond | round'
CORES='.cpu.brokerCores * 100 | round / 100'
P50='.latencyMillis.p50 * 100 | round / 100'
P99='.latencyMillis.p99 * 100 | round / 100'
ACK99='.ackMillis.p99 * 100 | round / 100'
PERMSG='if .outPerSecond > 0 then .cpu.brokerCores / .outPerSecond * 1e6 * 10 | round / 10 else "–" end'
GEN='if .cpu.generatorSaturated then "**\(.cpu.generatorCores * 100 | round / 100)**" else "\(.cpu.generatorCores * 100 | round / 100)" end'
LOST='"\(.lost) / \(.duplicated)"'
restart_fig() { [ -s "$1" ] && jq -r "$2" "$1" || echo "–"; }
secs='if . == null then "–" else (. * 100 | round / 100 | tostring) end'
{
  echo "- date: $STARTED to $ENDED; load average before $LOAD_BEFORE, after $LOAD_AFTER (other work may share the machine)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "- anchormq $(git -C "$ROOT" rev-parse --short HEAD) (integrity log: $ANCHORING; state: RocksDB, fsync interval 1 s, or in memory); $( { mosquitto -h 2>/dev/null || true; } | head -1) (persistence true, autosave_interval 1800 s: the default); $(java -version 2>&1 | head -1)"
  if [[ ,$PARTS, == *,throughput,* ]]; then
    IFS=, read -r -a modes <<< "$CPU_MODES"
    IFS=, read -r -a scenarios <<< "$SCENARIOS"
    for mode in "${modes[@]}"; do
      echo
      if [ "$mode" = equal ]; then echo "### Persistent sessions at equal CPU: broker on CPU 1 (\`taskset -c 1\`), load generator on CPU 0"
      else echo "### Persistent sessions, unpinned: broker and load generator share the $(nproc) cores"; fi
      echo
      echo "JVMs: $(cat "$WORK/jvm-$mode.txt"). Figures of each round (round 1 / round 2 ...), interleaved; ratios of the medians."
      echo "out = messages received by the subscribers per second over the $DURATION s measured (after $WARMUP s warm-up). Generator CPU in bold: saturated."
      for scenario in "${scenarios[@]}"; do
        echo
        echo "**$(scenario_title "$scenario")** (\`load $(scenario_args "$scenario")\`)"
        echo
        echo "| broker | out msg/s | latency p50 ms | p99 ms | PUBACK p99 ms | broker CPU | broker µs CPU / msg | lost / duplicated | generator CPU |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        IFS=, read -r -a brokers <<< "$BROKERS"
        for broker in "${brokers[@]}"; do
          case "$broker" in anchormq) name="anchormq, durable (default)" ;; anchormq-memory) name="anchormq, in memory" ;; mosquitto) name="Mosquitto, persistence true" ;; *) name=$broker ;; esac
          echo "| $name | $(figs "$mode" "$broker" "$scenario" "$TPUT") | $(figs "$mode" "$broker" "$scenario" "$P50") | $(figs "$mode" "$broker" "$scenario" "$P99") | $(figs "$mode" "$broker" "$scenario" "$ACK99") | $(figs "$mode" "$broker" "$scenario" "$CORES") | $(figs "$mode" "$broker" "$scenario" "$PERMSG") | $(figs "$mode" "$broker" "$scenario" "$LOST") | $(figs "$mode" "$broker" "$scenario" "$GEN") |"
        done
        d=$(med "$mode" anchormq "$scenario" "$TPUT"); mem=$(med "$mode" anchormq-memory "$scenario" "$TPUT"); mq=$(med "$mode" mosquitto "$scenario" "$TPUT")
        dc=$(med "$mode" anchormq "$scenario" "$PERMSG"); memc=$(med "$mode" anchormq-memory "$scenario" "$PERMSG"); mqc=$(med "$mode" mosquitto "$scenario" "$PERMSG")
        echo
        echo "Ratios (medians): throughput durable / Mosquitto **$(ratio "$d" "$mq")**, durable / in memory **$(ratio "$d" "$mem")**; broker CPU per message durable / Mosquitto $(ratio "$dc" "$mqc"), durable / in memory $(ratio "$dc" "$memc")."
      done
    done
  fi
  if [[ ,$PARTS, == *,restart,* ]]; then
    echo
    echo "### Restart time with stored state (broker on CPU 1, restart-time on CPU 0)"
    echo
    echo "Seconds from starting the broker's process (\`java ...\` / \`mosquitto ...\`) to: its MQTT port accepting a TCP"
    echo "connection; a CONNECT answered; the probed retained messages (the last, middle and first written) served to a"
    echo "new subscriber; the restored subscriptions of 16 sessions spread over the ids delivering a new message (the"
    echo "last of them; the sessions resumed with Clean Session 0); anchormq only: its \$SYS metrics (every 100 ms)"
    echo "counting every stored subscription and retained message back in its router and retained store. Heap: jcmd"
    echo "GC.heap_info once the state is served (used as it is; live = after a full collection). stop = how long a"
    echo "SIGTERM took. Sessions each have one subscription; retained payloads are 16 bytes."
    echo
    echo "| broker | N sessions | M retained | state on disk MB | start | port | CONNACK | retained served | subscriptions delivering | all back | heap used / live MB | RSS MB | stop |"
    echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    IFS=, read -r -a ns <<< "$SESSIONS"; IFS=, read -r -a ms <<< "$RETAINED"; IFS=, read -r -a rbrokers <<< "$RESTART_BROKERS"
    for broker in "${rbrokers[@]}"; do
      for nm in 0-0 $(for n in "${ns[@]}"; do for m in "${ms[@]}"; do echo "$n-$m"; done; done); do
        n=${nm%-*}; m=${nm#*-}
        {
          for f in "$STATE/$broker-$n-$m-kill9.json" "$STATE"/"$broker-$n-$m"-sigterm-*.json; do
            [ -s "$f" ] || continue
            prob=$(jq -r '.problems | join("; ")' "$f")
            echo "| $broker | $n | $m | $(cat "$STATE/$broker-$n-$m.data-mb" 2>/dev/null || echo –) | $(jq -r .start "$f") | $(restart_fig "$f" ".portSeconds | $secs") | $(restart_fig "$f" ".connackSeconds | $secs") | $(restart_fig "$f" ".retainedProbesServedSeconds | $secs") | $(restart_fig "$f" ".probeLastDeliverySeconds | $secs") | $(restart_fig "$f" ".allRestoredSeconds | $secs") | $(restart_fig "$f" 'if .heapUsedMb == null then "–" else "\(.heapUsedMb | round) / \(.heapLiveMb // 0 | round)" end') | $(restart_fig "$f" 'if .rssMb == null then "–" else (.rssMb | round) end') | $(restart_fig "$f" ".stopSeconds | $secs") |${prob:+ problems: $prob}"
          done
        }
      done
    done
    echo
    echo "Filling (unpinned, not measured):"
    echo
    for broker in "${rbrokers[@]}"; do sed "s/^/- $broker: /" "$STATE/$broker-fill.txt" 2>/dev/null; done
  fi
  if [[ ,$PARTS, == *,kill,* ]]; then
    echo
    echo "### kill -9 cycles (broker on CPU 1, kill-cycles on CPU 0)"
    echo
    echo "100 QoS 1 publishers (clean sessions, one PUBLISH in flight each) -> 100 persistent subscribers (Clean Session"
    echo "0, one topic each), 100 msg/s per publisher; $CYCLES cycles of 3-6 s of load (seeded), then kill -9 and a"
    echo "restart; in each cycle a quarter of the subscribers disconnect 1 s into the load (their sessions kept) and"
    echo "come back after the restart; publishing resumes once every subscriber is back. lost = sequence numbers a"
    echo "publisher had a PUBACK for and no subscriber received by the end (after the subscribers were quiet for 10 s)."
    echo
    echo "| broker | acknowledged | received (distinct) | **lost** | duplicates | delivered without PUBACK | reconnects that found no session | restart to port, median / max s | lost per cycle |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    IFS=, read -r -a kbrokers <<< "$KILL_BROKERS"
    for broker in "${kbrokers[@]}"; do
      f=$WORK/kill/$broker.json
      [ -s "$f" ] || { echo "| $broker | failed (exit $(cat "$WORK/kill/$broker.exit" 2>/dev/null)) | | | | | | | |"; continue; }
      echo "| $broker | $(jq -r .acknowledged "$f") | $(jq -r .receivedDistinct "$f") | **$(jq -r .lost "$f")** | $(jq -r .duplicates "$f") | $(jq -r .deliveredWithoutAck "$f") | $(jq -r .reconnectsWithoutSession "$f") | $(jq -r '"\(.startPortSecondsMedian * 100 | round / 100) / \(.startPortSecondsMax * 100 | round / 100)"' "$f") | $(jq -r '[.perCycle[].lost] | map(tostring) | join(" ")' "$f") |$(jq -r 'if (.problems | length) > 0 then " problems: " + (.problems | join("; ")) else "" end' "$f")"
    done
  fi
  echo
  echo "Exact commands:"
  echo
  echo '```'
  sed "s|$WORK|<run>|g" "$COMMANDS"
  echo '```'
} > "$OUT"
log "wrote $OUT (raw results in $WORK)"
