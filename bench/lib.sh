# Helpers shared by the bench scripts (sourced, not run): CPU pinning, starting and stopping a broker, waiting for
# a port, Mosquitto, medians and ratios. bash reads a sourced file whole before running it, so editing this file
# during a run does not change that run.

# CPUs in a taskset list such as 1, 0-1 or 0,2-3
cpu_count() {
  local n=0 part parts
  IFS=, read -r -a parts <<< "$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then n=$((n + BASH_REMATCH[2] - BASH_REMATCH[1] + 1))
    elif [[ $part =~ ^[0-9]+$ ]]; then n=$((n + 1))
    else echo "not a CPU list: $1" >&2; exit 2
    fi
  done
  echo "$n"
}

# a command as recorded: the words of an array and a space, or nothing
words() { [ $# -eq 0 ] || echo "$* "; }

# The CPU mode: unpinned starts everything as it is; equal starts the broker under taskset on $BROKER_CORES
# (default 1) and the load generator on $GENERATOR_CORES (default 0), and passes each JVM -XX:ActiveProcessorCount
# with the number of CPUs it was given. Sets MODE, BROKER_PIN, GENERATOR_PIN, BROKER_JVM, GENERATOR_JVM.
cpu_mode() {
  MODE=$1
  if [ "$MODE" = equal ]; then
    BROKER_PIN=(taskset -c "${BROKER_CORES:-1}")
    GENERATOR_PIN=(taskset -c "${GENERATOR_CORES:-0}")
    BROKER_JVM=(-XX:ActiveProcessorCount="$(cpu_count "${BROKER_CORES:-1}")")
    GENERATOR_JVM=(-XX:ActiveProcessorCount="$(cpu_count "${GENERATOR_CORES:-0}")")
  else
    BROKER_PIN=(); GENERATOR_PIN=(); BROKER_JVM=(); GENERATOR_JVM=()
  fi
}

# true when something accepts TCP connections on 127.0.0.1:$1
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits until $BROKER_PID listens on port $1 ($2 names it in messages; $3 = seconds, default 60)
wait_port() {
  local port=$1 what=$2 limit=${3:-60} i
  for i in $(seq 1 $((limit * 10))); do
    kill -0 "$BROKER_PID" 2>/dev/null || { echo "$what exited at start-up" >&2; return 1; }
    port_taken "$port" && return 0
    sleep 0.1
  done
  echo "$what did not open port $port within $limit s" >&2
  return 1
}

# SIGTERM to $BROKER_PID (the broker this script started), SIGKILL after 10 s
BROKER_PID=
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

# kill -9 of $BROKER_PID, waiting until it is gone
kill_broker() {
  [ -n "$BROKER_PID" ] || return 0
  kill -9 "$BROKER_PID" 2>/dev/null || true
  while kill -0 "$BROKER_PID" 2>/dev/null; do sleep 0.05; done
  BROKER_PID=
}

ensure_mosquitto() {
  if ! command -v mosquitto >/dev/null 2>&1; then
    echo "installing mosquitto" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients
  fi
}

# median of the numbers on standard input (one a line); empty when there are none
median_of() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# a / b to two decimals, or – when either is missing or b is 0
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }'; else echo "–"; fi; }

# What a JVM makes of the CPUs it is given in the current mode ($1 = the JVM options file): processors and collector
jvm_view() {
  local flags gc heap
  flags=$("${BROKER_PIN[@]}" java @"$1" "${BROKER_JVM[@]}" -XX:+PrintFlagsFinal -version 2>/dev/null || true)
  gc=$(echo "$flags" | awk '$2 ~ /^Use(Serial|Parallel|G1|Z|Shenandoah)GC$/ && $4 == "true" { sub(/^Use/, "", $2); print $2 }')
  heap=$(echo "$flags" | awk '$2 == "InitialHeapSize" { printf "%d MB", $4 / 1048576 }')
  echo "$("${BROKER_PIN[@]}" nproc) processor(s) visible, garbage collector chosen by the JVM: ${gc:-unknown}, initial heap (with platform/jvm.options): ${heap:-unknown}"
}
