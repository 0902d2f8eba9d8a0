#!/usr/bin/env bash
# What authentication and TLS cost, anchormq beside Mosquitto configured the same way: connection rate anonymous,
# with passwords (one shared user; each device its own credential, first connect and reconnect), over TLS and with
# client certificates (mutual TLS), and p2p QoS 1 throughput over plain TCP and over TLS. Interleaved: every
# scenario runs on anchormq and then on Mosquitto, and the whole list is repeated --rounds times, so that the two
# brokers of a pair see the same machine (it is shared: load from other work lands on both, not on one).
#
#   bench/auth-tls.sh [--cpu equal|unpinned|both] [--rounds N] [--scenarios a,b] [--duration S] [--warmup S]
#                     [--connections N] [--tls-connections N] [--users N] [--cert-devices N] [--skip-build] [--out FILE]
#
# scenarios: conn-tcp, conn-password, conn-tls, conn-mtls, p2p-tcp, p2p-tls (all by default). See bench/README.md,
# "Authentication and TLS". Writes FILE (default: the run's directory/report.md) with the tables and the commands.
set -euo pipefail

if [ -z "${AUTH_TLS_COPY:-}" ]; then
  copy=$(mktemp /tmp/auth-tls.XXXXXX.sh)
  cp "$0" "$copy"
  AUTH_TLS_COPY=$copy AUTH_TLS_HOME=$(cd "$(dirname "$0")/.." && pwd) exec bash "$copy" "$@"
fi
cd "$AUTH_TLS_HOME"
ROOT=$(pwd)

ARGS="$*"
CPU_MODES=equal
ROUNDS=2
SCENARIOS=conn-tcp,conn-password,conn-tls,conn-mtls,p2p-tcp,p2p-tls
DURATION=10
WARMUP=3
CONNECTIONS=2000
TLS_CONNECTIONS=1000
USERS=500
CERT_DEVICES=10
BUILD=yes
OUT=
TLS_CIPHERS=${TLS_CIPHERS:-TLS_AES_128_GCM_SHA256}
# anchormq: TCP, TLS, HTTP (admin API); Mosquitto: TCP (anonymous or password), TLS (anonymous or password), mutual TLS
A_TCP=${ANCHORMQ_PORT:-18860}
A_TLS=$((A_TCP + 3))
A_HTTP=$((A_TCP + 8))
M_TCP=${MOSQUITTO_PORT:-18870}
M_TLS=$((M_TCP + 3))
M_MTLS=$((M_TCP + 4))
# anchormq's integrity log is off for every run: Mosquitto persists nothing, and what is measured is the cost of
# authentication and TLS (ANCHORING=true to keep it on)
ANCHORING=${ANCHORING:-false}

while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) CPU_MODES=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --tls-connections) TLS_CONNECTIONS=$2; shift 2 ;;
    --users) USERS=$2; shift 2 ;;
    --cert-devices) CERT_DEVICES=$2; shift 2 ;;
    --skip-build) BUILD=no; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$AUTH_TLS_COPY"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$CPU_MODES" in
  unpinned|equal) ;;
  both) CPU_MODES=equal,unpinned ;;
  *) echo "--cpu is equal, unpinned or both" >&2; exit 2 ;;
esac

WORK=$ROOT/bench/target/auth-tls/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$WORK"
[ -n "$OUT" ] || OUT=$WORK/report.md
COMMANDS=$WORK/commands.txt
: > "$COMMANDS"
log() { echo "[auth-tls] $*" >&2; }
record() { echo "$*" >> "$COMMANDS"; }
record "bench/auth-tls.sh $ARGS"

if [ "$BUILD" = yes ]; then
  log "building"
  record "mvn -B -q -pl bench -am package -DskipTests"
  mvn -B -q -pl bench -am package -DskipTests
fi
cp platform/target/anchormq.jar platform/jvm.options bench/target/anchormq-bench.jar "$WORK/"
if ! command -v mosquitto >/dev/null 2>&1; then
  log "installing mosquitto"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for p in $A_TCP $A_TLS $A_HTTP $M_TCP $M_TLS $M_MTLS; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is taken by another process (set ANCHORMQ_PORT, MOSQUITTO_PORT)" >&2; exit 3
  fi
done

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
trap 'stop_broker; rm -f "$AUTH_TLS_COPY"' EXIT

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 600); do
    kill -0 "$BROKER_PID" 2>/dev/null || { echo "$what exited at start-up" >&2; return 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$what did not open port $port within 60 s" >&2
  return 1
}

DATA=$WORK/anchormq-data
PKI=$DATA/pki
CERTS=$WORK/certs
mkdir -p "$CERTS"
PASSWORD_SUFFIX=-bench-password
# anchormq started with the listeners this run uses (WebSocket listeners off: their default ports may be taken);
# $1 = client-auth of the TLS listener, the rest: what to prefix (taskset) and JVM options
start_anchormq() {
  local client_auth=$1 logfile=$2
  record "ANCHORMQ_ANCHORING_ENABLED=$ANCHORING ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$A_TCP ANCHORMQ_MQTTS_PORT=$A_TLS ANCHORMQ_MQTTS_CLIENT_AUTH=$client_auth ANCHORMQ_WS_ENABLED=false ANCHORMQ_WSS_ENABLED=false ANCHORMQ_HTTP_HOST=127.0.0.1 ANCHORMQ_HTTP_PORT=$A_HTTP ANCHORMQ_DATA_DIR=$DATA $(words "${BROKER_PIN[@]}")java @$WORK/jvm.options $(words "${BROKER_JVM[@]}")-jar $WORK/anchormq.jar"
  ANCHORMQ_ANCHORING_ENABLED=$ANCHORING ANCHORMQ_MQTT_HOST=127.0.0.1 ANCHORMQ_MQTT_PORT=$A_TCP ANCHORMQ_MQTTS_PORT=$A_TLS \
    ANCHORMQ_MQTTS_CLIENT_AUTH=$client_auth ANCHORMQ_WS_ENABLED=false ANCHORMQ_WSS_ENABLED=false \
    ANCHORMQ_HTTP_HOST=127.0.0.1 ANCHORMQ_HTTP_PORT=$A_HTTP ANCHORMQ_DATA_DIR=$DATA \
    "${BROKER_PIN[@]}" java @"$WORK/jvm.options" "${BROKER_JVM[@]}" -jar "$WORK/anchormq.jar" > "$logfile" 2>&1 &
  BROKER_PID=$!
  wait_port "$A_TLS" anchormq && wait_port "$A_HTTP" anchormq && wait_port "$A_TCP" anchormq
}
start_mosquitto() {
  record "$(words "${BROKER_PIN[@]}")mosquitto -c $WORK/mosquitto.conf"
  "${BROKER_PIN[@]}" mosquitto -c "$WORK/mosquitto.conf" > "$1" 2>&1 &
  BROKER_PID=$!
  wait_port "$M_MTLS" mosquitto && wait_port "$M_TCP" mosquitto
}
words() { [ $# -eq 0 ] || echo "$* "; }
cpu_mode() {
  MODE=$1
  if [ "$MODE" = equal ]; then
    BROKER_PIN=(taskset -c 1); GENERATOR_PIN=(taskset -c 0)
    BROKER_JVM=(-XX:ActiveProcessorCount=1); GENERATOR_JVM=(-XX:ActiveProcessorCount=1)
  else
    BROKER_PIN=(); GENERATOR_PIN=(); BROKER_JVM=(); GENERATOR_JVM=()
  fi
}

# ---- provisioning (once): anchormq's CA, credentials and device certificates; Mosquitto's password file and
# server certificate, signed by the same CA ----------------------------------------------------------------------
cpu_mode unpinned
log "provisioning: anchormq's CA, $USERS password credentials, $CERT_DEVICES device certificates"
start_anchormq none "$WORK/provisioning.broker.log"
KEY=$(cat "$DATA/admin-api-key")
API=http://127.0.0.1:$A_HTTP/api/v1
post() { curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$2" "$API$1" > /dev/null; }
post /workspaces '{"id":"bench"}'
post /workspaces/bench/devices '{"id":"shared"}'
post /workspaces/bench/devices/shared/credentials "{\"username\":\"shared\",\"password\":\"shared$PASSWORD_SUFFIX\"}"
provision_user() {
  post /workspaces/bench/devices "{\"id\":\"d$1\"}"
  post "/workspaces/bench/devices/d$1/credentials" "{\"username\":\"u$1\",\"password\":\"p$1$PASSWORD_SUFFIX\"}"
}
export -f provision_user post
export KEY API PASSWORD_SUFFIX
start=$(date +%s)
seq 0 $((USERS - 1)) | xargs -P 4 -I{} bash -c 'provision_user {}'
PROVISION_SECONDS=$(( $(date +%s) - start ))
log "$USERS credentials created through the admin API in $PROVISION_SECONDS s"
for i in $(seq 0 $((CERT_DEVICES - 1))); do
  # PKCS#8 PEM keys (what Netty reads); EC P-256 as anchormq's CA and server key
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CERTS/d$i.key" 2>/dev/null
  openssl req -new -key "$CERTS/d$i.key" -subj "/CN=d$i" -out "$CERTS/d$i.csr"
  curl -sf -H "Authorization: Bearer $KEY" -H 'Content-Type: application/x-pem-file' --data-binary @"$CERTS/d$i.csr" \
    "$API/workspaces/bench/devices/d$i/certificates?format=pem" > "$CERTS/d$i.crt"
done
curl -sf "$API/pki/ca.pem" > "$CERTS/ca.pem"
stop_broker
# Mosquitto's server certificate: EC P-256 like anchormq's, for the same names, signed by anchormq's CA
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CERTS/mosquitto.key" 2>/dev/null
openssl req -new -key "$CERTS/mosquitto.key" -subj "/CN=localhost" -out "$CERTS/mosquitto.csr"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' > "$CERTS/mosquitto.ext"
openssl x509 -req -in "$CERTS/mosquitto.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 -sha256 \
  -extfile "$CERTS/mosquitto.ext" -out "$CERTS/mosquitto.crt" 2>/dev/null
# Mosquitto's password file: the same users and passwords, hashed by mosquitto_passwd (PBKDF2-SHA512 in 2.0)
{ echo "shared:shared$PASSWORD_SUFFIX"; for i in $(seq 0 $((USERS - 1))); do echo "u$i:p$i$PASSWORD_SUFFIX"; done; } > "$WORK/mosquitto.passwd"
mosquitto_passwd -U "$WORK/mosquitto.passwd"
HASH=$(head -1 "$WORK/mosquitto.passwd" | cut -d: -f2 | cut -d'$' -f2,3)
# Mosquitto as side-by-side.sh configures it, plus: on each listener the same rule as anchormq's (anonymous
# clients admitted on loopback, user names checked against the password file), TLS with a server certificate from
# the same CA, and a mutual-TLS listener that requires a client certificate from that CA, its CN the user name
chmod 644 "$CERTS"/*.key
cat > "$WORK/mosquitto.conf" <<EOF
per_listener_settings true
persistence false
max_queued_messages 1000
max_inflight_messages 64
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning

listener $M_TCP 127.0.0.1
max_connections -1
allow_anonymous true
password_file $WORK/mosquitto.passwd

listener $M_TLS 127.0.0.1
max_connections -1
allow_anonymous true
password_file $WORK/mosquitto.passwd
cafile $PKI/ca.crt
certfile $CERTS/mosquitto.crt
keyfile $CERTS/mosquitto.key
ciphers_tls1.3 $TLS_CIPHERS

listener $M_MTLS 127.0.0.1
max_connections -1
allow_anonymous false
cafile $PKI/ca.crt
certfile $CERTS/mosquitto.crt
keyfile $CERTS/mosquitto.key
require_certificate true
use_identity_as_username true
ciphers_tls1.3 $TLS_CIPHERS
EOF

# ---- measuring --------------------------------------------------------------------------------------------------
CAP=$((DURATION + WARMUP + 10 + 15))
# one load run: $1 = label of the file, the rest = load arguments; sets $code
load() {
  local name=$1; shift
  local gen="timeout -k 5 180 $(words "${GENERATOR_PIN[@]}")java $(words "${GENERATOR_JVM[@]}")-jar $WORK/anchormq-bench.jar load"
  record "$gen $*"
  set +e
  timeout -k 5 180 "${GENERATOR_PIN[@]}" java "${GENERATOR_JVM[@]}" -jar "$WORK/anchormq-bench.jar" load "$@" \
    --broker-pid "$BROKER_PID" --label "$broker" --json "$DIR/$name.json" > "$DIR/$name.txt" 2> "$DIR/$name.log"
  code=$?
  set -e
  echo "$code" > "$DIR/$name.exit"
  sed 's/^/    /' "$DIR/$name.txt" >&2
}

run_scenario() {
  local scenario=$1 tcp tls mtls
  if [ "$broker" = anchormq ]; then tcp=$A_TCP; tls=$A_TLS; mtls=$A_TLS; else tcp=$M_TCP; tls=$M_TLS; mtls=$M_MTLS; fi
  local client_auth=none
  [ "$scenario" = conn-mtls ] && client_auth=required
  if [ "$broker" = anchormq ]; then start_anchormq "$client_auth" "$DIR/$scenario.broker.log"; else start_mosquitto "$DIR/$scenario.broker.log"; fi
  local conn="--scenario conn --connect-concurrency 100 --connect-timeout 60"
  # one cipher suite for both: left to choose, anchormq (the JDK) takes TLS_AES_128_GCM_SHA256, Mosquitto (OpenSSL)
  # TLS_AES_256_GCM_SHA384. BoringSSL (the generator's provider) ignores a TLS 1.3 suite list, so Mosquitto is told
  # too (ciphers_tls1.3); --tls-ciphers holds with the JDK provider
  local tlsargs="--tls --cafile $CERTS/ca.pem --tls-ciphers $TLS_CIPHERS"
  case "$scenario" in
    conn-tcp)
      # a first round, not reported, warms the broker (a JVM's JIT, any broker's allocator and caches)
      load "$scenario.warm-up" --port "$tcp" $conn --clients "$CONNECTIONS"
      load "$scenario" --port "$tcp" $conn --clients "$CONNECTIONS" ;;
    conn-password)
      load "$scenario.warm-up" --port "$tcp" $conn --clients "$CONNECTIONS"
      # every connection the same user: one hash verification in anchormq, then its remembered result
      load "conn-password-shared" --port "$tcp" $conn --clients "$CONNECTIONS" --username shared --password "shared$PASSWORD_SUFFIX"
      # each device its own credential, never seen by this broker process: anchormq verifies every Argon2id hash
      load "conn-password-cold" --port "$tcp" $conn --clients "$USERS" --identities "$USERS" --username u%d --password "p%d$PASSWORD_SUFFIX"
      # the same devices reconnecting (each $((CONNECTIONS / USERS)) times): anchormq remembers them
      load "conn-password-warm" --port "$tcp" $conn --clients "$CONNECTIONS" --identities "$USERS" --username u%d --password "p%d$PASSWORD_SUFFIX" ;;
    conn-tls)
      load "$scenario.warm-up" --port "$tls" $conn --clients "$TLS_CONNECTIONS" $tlsargs
      load "$scenario" --port "$tls" $conn --clients "$TLS_CONNECTIONS" $tlsargs ;;
    conn-mtls)
      load "$scenario.warm-up" --port "$mtls" $conn --clients "$TLS_CONNECTIONS" $tlsargs --identities "$CERT_DEVICES" --cert "$CERTS/d%d.crt" --key "$CERTS/d%d.key"
      load "$scenario" --port "$mtls" $conn --clients "$TLS_CONNECTIONS" $tlsargs --identities "$CERT_DEVICES" --cert "$CERTS/d%d.crt" --key "$CERTS/d%d.key" ;;
    p2p-tcp)
      load "$scenario" --port "$tcp" --scenario p2p --clients 1000 --qos 1 --payload 64 --warmup "$WARMUP" --duration "$DURATION" --drain-timeout 10 --connect-timeout 60 ;;
    p2p-tls)
      load "$scenario" --port "$tls" --scenario p2p --clients 1000 --qos 1 --payload 64 --warmup "$WARMUP" --duration "$DURATION" --drain-timeout 10 --connect-timeout 60 $tlsargs ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
  stop_broker
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +"%Y-%m-%d %H:%M:%S UTC")
IFS=, read -r -a mode_list <<< "$CPU_MODES"
IFS=, read -r -a scenario_list <<< "$SCENARIOS"
for round in $(seq 1 "$ROUNDS"); do
  for mode in "${mode_list[@]}"; do
    cpu_mode "$mode"
    record "# round $round, CPU mode $mode"
    for scenario in "${scenario_list[@]}"; do
      for broker in anchormq mosquitto; do
        DIR=$WORK/$mode/$round/$broker
        mkdir -p "$DIR"
        log "round $round, $mode: $scenario on $broker"
        run_scenario "$scenario"
      done
    done
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -----------------------------------------------------------------------------------------------------
# a figure of every round: "a / b"; $1 mode, $2 broker, $3 file name, $4 jq expression
figs() {
  local out=() r f
  for r in $(seq 1 "$ROUNDS"); do
    f=$WORK/$1/$r/$2/$3.json
    if [ -s "$f" ] && [ "$(cat "$WORK/$1/$r/$2/$3.exit" 2>/dev/null)" = 0 ]; then
      out+=("$(jq -r "$4" "$f")")
    else
      out+=("failed")
    fi
  done
  local IFS=/; echo "${out[*]}" | sed 's|/| / |g'
}
# median (of the rounds that did not fail) of a figure
median() {
  local vals=() r f
  for r in $(seq 1 "$ROUNDS"); do
    f=$WORK/$1/$r/$2/$3.json
    [ -s "$f" ] && [ "$(cat "$WORK/$1/$r/$2/$3.exit" 2>/dev/null)" = 0 ] && vals+=("$(jq -r "$4" "$f")")
  done
  [ ${#vals[@]} -gt 0 ] || { echo ""; return; }
  printf '%s\n' "${vals[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }' || echo "–"; }
sat() { jq -r 'if .cpu.generatorSaturated then "**\(.cpu.generatorCores * 100 | round / 100)**" else "\(.cpu.generatorCores * 100 | round / 100)" end' "$1"; }
gens() {
  local out=() r f
  for r in $(seq 1 "$ROUNDS"); do
    f=$WORK/$1/$r/$2/$3.json
    [ -s "$f" ] && out+=("$(sat "$f")") || out+=("–")
  done
  local IFS=/; echo "${out[*]}" | sed 's|/| / |g'
}
RATE='.connectionsPerSecond | round'
TPUT='.outPerSecond | round'
CORES='.cpu.brokerCores * 100 | round / 100'
P99='.latencyMillis.p99 * 100 | round / 100'
# the broker's CPU per connection (ms) and per message (µs): steadier than the rates on a machine shared with other
# work, and not capped by a saturated generator
PERCONN='if .connectionsPerSecond > 0 then .cpu.brokerCores / .connectionsPerSecond * 1000 * 100 | round / 100 else "–" end'
PERMSG='if .outPerSecond > 0 then .cpu.brokerCores / .outPerSecond * 1e6 * 10 | round / 10 else "–" end'
{
  echo "- date: $STARTED; rounds: $ROUNDS, interleaved (each scenario on anchormq, then on Mosquitto; the list repeated)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average before $LOAD_BEFORE, after $LOAD_AFTER (other work shares it)"
  echo "- anchormq $(git -C "$ROOT" rev-parse --short HEAD) (integrity log enabled: $ANCHORING); $( { mosquitto -h 2>/dev/null || true; } | head -1); $(java -version 2>&1 | head -1)"
  echo "- password hashes: anchormq Argon2id (m=19456 KiB, t=2, p=1; $USERS credentials created through the admin API, 4 at a time, in $PROVISION_SECONDS s); Mosquitto: mosquitto_passwd's \`\$$HASH\$…\` (\$7\$ = PBKDF2-SHA512, then the iteration count)"
  echo "- connections: $CONNECTIONS per round (TLS: $TLS_CONNECTIONS), 100 awaiting CONNACK at a time; cold password round: $USERS devices each with its own credential; mutual TLS: $CERT_DEVICES device certificates"
  for mode in "${mode_list[@]}"; do
    echo
    if [ "$mode" = equal ]; then echo "### Equal CPU: each broker pinned to CPU 1 (\`taskset -c 1\`), the load generator to CPU 0"
    else echo "### Unpinned: broker and load generator share the $(nproc) cores"; fi
    echo
    echo "Figures of each round (round 1 / round 2 ...); ratios from the medians. Generator CPU in bold: saturated (> 90 % of its CPUs)."
    echo
    echo "| connection rate (conn/s) | anchormq | Mosquitto | anchormq / Mosquitto | anchormq broker CPU | Mosquitto broker CPU | broker CPU ms per connection (a ; M) | generator CPU (a ; M) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for row in "conn-tcp:TCP, anonymous" "conn-password-shared:TCP, password, one shared user" "conn-password-cold:TCP, password, each device its own (first connect)" "conn-password-warm:TCP, password, each device its own (reconnect)" "conn-tls:TLS, anonymous (server certificate only)" "conn-mtls:mutual TLS (client certificates)"; do
      f=${row%%:*}; what=${row#*:}
      [ -n "$(ls "$WORK/$mode"/*/anchormq/"$f".json 2>/dev/null)" ] || continue
      a=$(median "$mode" anchormq "$f" "$RATE"); m=$(median "$mode" mosquitto "$f" "$RATE")
      echo "| $what | $(figs "$mode" anchormq "$f" "$RATE") | $(figs "$mode" mosquitto "$f" "$RATE") | $(ratio "$a" "$m") | $(figs "$mode" anchormq "$f" "$CORES") | $(figs "$mode" mosquitto "$f" "$CORES") | $(figs "$mode" anchormq "$f" "$PERCONN") ; $(figs "$mode" mosquitto "$f" "$PERCONN") | $(gens "$mode" anchormq "$f") ; $(gens "$mode" mosquitto "$f") |"
    done
    echo
    echo "Cost against plain TCP anonymous (connection rate over that of conn-tcp, medians; below 1 = slower):"
    echo
    echo "| | anchormq | Mosquitto |"
    echo "|---|---:|---:|"
    at=$(median "$mode" anchormq conn-tcp "$RATE"); mt=$(median "$mode" mosquitto conn-tcp "$RATE")
    for row in "conn-password-shared:password, one shared user" "conn-password-cold:password, first connect" "conn-password-warm:password, reconnect" "conn-tls:TLS" "conn-mtls:mutual TLS"; do
      f=${row%%:*}; what=${row#*:}
      [ -n "$(ls "$WORK/$mode"/*/anchormq/"$f".json 2>/dev/null)" ] || continue
      echo "| $what | $(ratio "$(median "$mode" anchormq "$f" "$RATE")" "$at") | $(ratio "$(median "$mode" mosquitto "$f" "$RATE")" "$mt") |"
    done
    if [ -n "$(ls "$WORK/$mode"/*/anchormq/p2p-tcp.json 2>/dev/null)" ]; then
      echo
      echo "| p2p QoS 1, 1,000 pairs, 64 B (out msg/s) | anchormq | Mosquitto | anchormq / Mosquitto | p99 latency ms (a ; M) | anchormq broker CPU | Mosquitto broker CPU | broker CPU µs per message (a ; M) | generator CPU (a ; M) |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      for row in "p2p-tcp:TCP" "p2p-tls:TLS"; do
        f=${row%%:*}; what=${row#*:}
        [ -n "$(ls "$WORK/$mode"/*/anchormq/"$f".json 2>/dev/null)" ] || continue
        a=$(median "$mode" anchormq "$f" "$TPUT"); m=$(median "$mode" mosquitto "$f" "$TPUT")
        echo "| $what | $(figs "$mode" anchormq "$f" "$TPUT") | $(figs "$mode" mosquitto "$f" "$TPUT") | $(ratio "$a" "$m") | $(figs "$mode" anchormq "$f" "$P99") ; $(figs "$mode" mosquitto "$f" "$P99") | $(figs "$mode" anchormq "$f" "$CORES") | $(figs "$mode" mosquitto "$f" "$CORES") | $(figs "$mode" anchormq "$f" "$PERMSG") ; $(figs "$mode" mosquitto "$f" "$PERMSG") | $(gens "$mode" anchormq "$f") ; $(gens "$mode" mosquitto "$f") |"
      done
      echo
      echo "TLS / TCP p2p throughput (medians): anchormq $(ratio "$(median "$mode" anchormq p2p-tls "$TPUT")" "$(median "$mode" anchormq p2p-tcp "$TPUT")"), Mosquitto $(ratio "$(median "$mode" mosquitto p2p-tls "$TPUT")" "$(median "$mode" mosquitto p2p-tcp "$TPUT")")."
    fi
  done
  echo
  echo "TLS sessions negotiated (first connection of each run): $(cat "$WORK"/*/*/*/*.json 2>/dev/null | jq -rs '[.[].tlsSession | select(. != "")] | unique | join(", ")')."
  echo
  echo "Exact commands:"
  echo
  echo '```'
  cat "$COMMANDS"
  echo '```'
  echo
  echo "Mosquitto configuration:"
  echo
  echo '```'
  sed "s|$WORK|<run>|g" "$WORK/mosquitto.conf"
  echo '```'
} > "$OUT"
log "wrote $OUT (raw results in $WORK)"
