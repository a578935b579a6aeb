#!/usr/bin/env bash
# vigil local stack: Kafka 3.9.1 (KRaft), Apicurio Registry 3.0.9, Redis,
# all on 127.0.0.1, no Docker. See docs/local-stack.md.
#
#   deploy/local/stack.sh up | down | status | env [--export] | logs [NAME] [-f] | clean [--all] | tools
#
# Environment:
#   VIGIL_STACK_DIR              state dir (default: <repo>/.stack)
#   VIGIL_STACK_CACHE            downloads (default: <state dir>/cache)
#   VIGIL_KAFKA_PORT             default 19092
#   VIGIL_KAFKA_CONTROLLER_PORT  default 19093
#   VIGIL_REGISTRY_PORT          default 18081
#   VIGIL_REDIS_PORT             default 16379
#   VIGIL_STACK_TIMEOUT_S        readiness timeout per service (default 90)
#   KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL
#                                when set, that service is external: never started or stopped here
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)

KAFKA_VERSION=3.9.1
REGISTRY_VERSION=3.0.9
REGISTRY_ARTIFACT="io.apicurio:apicurio-registry-app:${REGISTRY_VERSION}:tar.gz:all"

HOST=127.0.0.1
KAFKA_PORT=${VIGIL_KAFKA_PORT:-19092}
CONTROLLER_PORT=${VIGIL_KAFKA_CONTROLLER_PORT:-19093}
REGISTRY_PORT=${VIGIL_REGISTRY_PORT:-18081}
REDIS_PORT=${VIGIL_REDIS_PORT:-16379}
TIMEOUT_S=${VIGIL_STACK_TIMEOUT_S:-90}
STOP_TIMEOUT_S=20
SERVICES=(kafka registry redis)

# Resolve the state dir to an absolute path without requiring it to exist yet.
STATE_DIR=${VIGIL_STACK_DIR:-$REPO_DIR/.stack}
case $STATE_DIR in
  /*) ;;
  *) STATE_DIR=$PWD/$STATE_DIR ;;
esac
STATE_DIR=$(realpath -m -- "$STATE_DIR")

# Downloads can be shared between state dirs (the stack lifecycle test uses its own state dir).
CACHE_DIR=${VIGIL_STACK_CACHE:-$STATE_DIR/cache}
case $CACHE_DIR in
  /*) ;;
  *) CACHE_DIR=$PWD/$CACHE_DIR ;;
esac
CACHE_DIR=$(realpath -m -- "$CACHE_DIR")
RUN_DIR=$STATE_DIR/run
LOG_DIR=$STATE_DIR/logs
KAFKA_LIBS=$CACHE_DIR/kafka/libs
REGISTRY_HOME=$CACHE_DIR/registry/apicurio-registry-app-$REGISTRY_VERSION
REGISTRY_JAR=$REGISTRY_HOME/apicurio-registry-app-$REGISTRY_VERSION-runner.jar
KAFKA_STATE=$STATE_DIR/kafka
REGISTRY_STATE=$STATE_DIR/registry
REDIS_STATE=$STATE_DIR/redis

# ---------------------------------------------------------------- helpers

say() { printf '%s\n' "$*"; }
warn() { printf 'stack: %s\n' "$*" >&2; }
die() {
  printf 'stack: error: %s\n' "$*" >&2
  exit 1
}

now() {
  # seconds with millisecond precision
  local t=${EPOCHREALTIME:-}
  if [[ -z $t ]]; then t=$(date +%s.%N); fi
  t=${t/,/.}
  printf '%s' "${t:0:${#t}-3}"
}

elapsed() { # start -> "12.3"
  awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

validate_config() {
  local name value
  for name in KAFKA_PORT CONTROLLER_PORT REGISTRY_PORT REDIS_PORT TIMEOUT_S; do
    value=${!name}
    if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
      die "$name must be a number between 1 and 65535 (got '$value')"
    fi
  done
  [[ $KAFKA_PORT != "$CONTROLLER_PORT" ]] || die "Kafka and controller ports must differ"
  case $STATE_DIR in
    "" | / | "$HOME" | "$REPO_DIR") die "refusing to use '$STATE_DIR' as the state dir" ;;
  esac
}

# Is the service given from outside (env var set)?
external_value() {
  case $1 in
    kafka) printf '%s' "${KAFKA_BROKERS:-}" ;;
    registry) printf '%s' "${SCHEMA_REGISTRY_URL:-}" ;;
    redis) printf '%s' "${REDIS_URL:-}" ;;
  esac
}
is_external() { [[ -n $(external_value "$1") ]]; }

address_of() {
  case $1 in
    kafka) printf '%s:%s' "$HOST" "$KAFKA_PORT" ;;
    registry) printf 'http://%s:%s/apis/ccompat/v7' "$HOST" "$REGISTRY_PORT" ;;
    redis) printf 'redis://%s:%s' "$HOST" "$REDIS_PORT" ;;
  esac
}

log_file_of() {
  case $1 in
    kafka) printf '%s' "$LOG_DIR/kafka.log" ;;
    registry) printf '%s' "$LOG_DIR/registry.log" ;;
    redis) printf '%s' "$LOG_DIR/redis.log" ;;
  esac
}

# The JVM's own stdout/stderr (crashes, bad flags) when the service logs elsewhere.
out_file_of() { printf '%s' "$LOG_DIR/$1.out"; }

pid_file_of() { printf '%s' "$RUN_DIR/$1.pid"; }

# Something that identifies our process in /proc/PID/cmdline.
cmdline_marker_of() {
  case $1 in
    kafka | registry) printf '%s' "-Dvigil.stack.dir=$STATE_DIR/$1" ;;
    redis) printf '%s' "redis-server" ;;
  esac
}

# The working directory our process runs in (redis chdirs to its 'dir', the same).
workdir_of() {
  case $1 in
    kafka) printf '%s' "$KAFKA_STATE" ;;
    registry) printf '%s' "$REGISTRY_STATE" ;;
    redis) printf '%s' "$REDIS_STATE/data" ;;
  esac
}

port_open() { # host port
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# Process start time (clock ticks since boot), field 22 of /proc/PID/stat.
proc_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split on purpose
  set -- $stat
  printf '%s' "${20}"
}

# Prints the pid of our running process for a service, or fails.
# The pid file holds "PID STARTTIME"; the start time, the working directory and
# the command line must all still match, so a recycled pid is never taken for ours.
our_pid() {
  local svc=$1 file pid start marker
  file=$(pid_file_of "$svc")
  [[ -f $file ]] || return 1
  read -r pid start <"$file" || true
  [[ ${pid:-} =~ ^[0-9]+$ ]] || return 1
  [[ -d /proc/$pid ]] || return 1
  [[ $(proc_starttime "$pid") == "${start:-}" ]] || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$(workdir_of "$svc")" ]] || return 1
  marker=$(cmdline_marker_of "$svc")
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  printf '%s' "$pid"
}

# Kafka Metadata v0 request with no topics over bash's /dev/tcp; healthy when the
# response echoes our correlation id and lists at least one (unfenced) broker.
kafka_answers() { # host port
  local hex
  # shellcheck disable=SC2016 # expanded by the inner shell
  hex=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x10\x00\x03\x00\x00\x00\x00\x00\x01\x00\x02vg\x00\x00\x00\x00" >&3
    head -c 12 <&3 | od -An -v -tx1' "$1" "$2" 2>/dev/null) || return 1
  hex=${hex//[[:space:]]/}
  [[ ${#hex} -eq 24 && ${hex:8:8} == 00000001 && ${hex:16:8} != 00000000 ]]
}

registry_answers() { # base url (…/apis/ccompat/v7)
  curl -sf -o /dev/null --max-time 3 "$1/subjects"
}

redis_answers_port() {
  [[ $(timeout 3 redis-cli -h "$HOST" -p "$1" ping 2>/dev/null) == PONG ]]
}

# Does the service answer on its address (ours or external)?
service_answers() {
  local svc=$1 ext
  ext=$(external_value "$svc")
  case $svc in
    kafka)
      if [[ -n $ext ]]; then
        local b hostport
        IFS=',' read -ra b <<<"$ext"
        for hostport in "${b[@]}"; do
          hostport=${hostport#*://}
          hostport=${hostport//[[:space:]]/}
          local h=${hostport%:*}
          h=${h#[}
          h=${h%]}
          kafka_answers "$h" "${hostport##*:}" && return 0
        done
        return 1
      fi
      kafka_answers "$HOST" "$KAFKA_PORT"
      ;;
    registry)
      registry_answers "${ext:-$(address_of registry)}"
      ;;
    redis)
      if [[ -n $ext ]]; then
        command -v redis-cli >/dev/null 2>&1 || return 2
        [[ $(timeout 3 redis-cli --no-auth-warning -u "$ext" ping 2>/dev/null) == PONG ]]
        return
      fi
      redis_answers_port "$REDIS_PORT"
      ;;
  esac
}

# ----------------------------------------------------------- prerequisites

can_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [[ $(id -u) -eq 0 ]] && return 0
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

apt_install() {
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
  say "Installing $* with apt-get"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

java_major() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  v=${v#1.}
  printf '%s' "${v%%[.+-]*}"
}

ensure_java_maven() {
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    can_install || die "java (17+) and mvn are required; install openjdk-17-jre-headless and maven (apt-get needs root or passwordless sudo)"
    apt_install openjdk-17-jre-headless maven
  fi
  local major
  major=$(java_major)
  [[ $major =~ ^[0-9]+$ ]] || die "cannot tell the Java version from 'java -version'"
  ((major >= 17)) || die "Java 17 or newer is required (found $major)"
}

ensure_redis() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  can_install || die "redis-server is required; install Debian's redis-server package (apt-get needs root or passwordless sudo)"
  apt_install redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server still not found after installing"
}

# Receivers and tools the integration tests start themselves (never as a
# system service): Prometheus Alertmanager and Prometheus (with promtool) from
# Debian, Debian's Chromium (headless, for the test that renders vigil
# backtest's HTML report; playwright-core drives /usr/bin/chromium and never
# downloads a browser of its own), Debian's rsyslog with its OpenSSL network
# driver (the syslog channel's receiver, plain TCP and TLS), and the Kafka jars
# (a test runs a throwaway broker of its own, also when the stack itself is
# external). An entry is a package whose command has its name, package:command
# when the command is named otherwise (a path: /usr/sbin is not on every PATH),
# or package: for one without a command.
TOOLS=(prometheus-alertmanager prometheus chromium rsyslog:/usr/sbin/rsyslogd rsyslog-openssl:)

# Whether a TOOLS entry is installed: its command (or path) is found, or dpkg has the package.
tool_present() {
  local pkg=${1%%:*} cmd=${1#*:}
  [[ $1 == *:* ]] || cmd=$pkg
  if [[ -n $cmd ]]; then command -v "$cmd" >/dev/null 2>&1; else dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; fi
}

install_tool_packages() {
  local pkg missing=()
  for pkg in "${TOOLS[@]}"; do
    tool_present "$pkg" || missing+=("${pkg%%:*}")
  done
  ((${#missing[@]} == 0)) && return 0
  can_install || die "${missing[*]} required by the integration tests; install Debian's ${missing[*]} (apt-get needs root or passwordless sudo)"
  # Debian starts packaged daemons on install unless told not to; we start our own, on loopback.
  local policy=/usr/sbin/policy-rc.d created=0
  if [[ ! -e $policy && $(id -u) -eq 0 ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created=1
  fi
  apt_install "${missing[@]}"
  ((created)) && rm -f "$policy"
  for pkg in "${TOOLS[@]}"; do
    tool_present "$pkg" || die "${pkg%%:*} still not found after installing"
  done
}

cmd_tools() {
  validate_config
  install_tool_packages
  ensure_java_maven
  init_state_dir
  acquire_lock
  download_kafka
  say "tools present: ${TOOLS[*]}, Kafka $KAFKA_VERSION jars in $KAFKA_LIBS"
}

download_kafka() {
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  local start tmp
  start=$(now)
  say "Downloading Kafka $KAFKA_VERSION jars (~46 MB) from Maven Central into $KAFKA_LIBS"
  mkdir -p "$CACHE_DIR/kafka"
  tmp=$(mktemp -d "$CACHE_DIR/kafka/libs.tmp.XXXXXX")
  if ! (cd "$CACHE_DIR" && mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp") >"$CACHE_DIR/download.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 40 "$CACHE_DIR/download.log" >&2
    die "downloading the Kafka jars failed (Maven output above, full log in $CACHE_DIR/download.log)"
  fi
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || {
    rm -rf "$tmp"
    die "Kafka jars incomplete after download"
  }
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_LIBS/.complete"
  say "  Kafka jars: $(du -sh "$KAFKA_LIBS" | cut -f1) in $(elapsed "$start") s"
}

download_registry() {
  [[ -f $REGISTRY_HOME/.complete ]] && return 0
  local start tmp archive
  start=$(now)
  say "Downloading Apicurio Registry $REGISTRY_VERSION (~105 MB) from Maven Central into $REGISTRY_HOME"
  mkdir -p "$CACHE_DIR/registry"
  tmp=$(mktemp -d "$CACHE_DIR/registry/dl.tmp.XXXXXX")
  if ! (cd "$tmp" && mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="$REGISTRY_ARTIFACT" \
    -DoutputDirectory="$tmp") >"$CACHE_DIR/download.log" 2>&1; then
    rm -rf "$tmp"
    tail -n 40 "$CACHE_DIR/download.log" >&2
    die "downloading Apicurio Registry failed (Maven output above, full log in $CACHE_DIR/download.log)"
  fi
  archive=$tmp/apicurio-registry-app-$REGISTRY_VERSION-all.tar.gz
  [[ -f $archive ]] || {
    rm -rf "$tmp"
    die "registry archive missing after download"
  }
  mkdir -p "$tmp/x"
  tar -xzf "$archive" -C "$tmp/x"
  [[ -f $tmp/x/apicurio-registry-app-$REGISTRY_VERSION-runner.jar ]] || {
    rm -rf "$tmp"
    die "registry archive does not contain the runner jar"
  }
  rm -rf "$REGISTRY_HOME"
  mv "$tmp/x" "$REGISTRY_HOME"
  rm -rf "$tmp"
  printf '%s\n' "$REGISTRY_VERSION" >"$REGISTRY_HOME/.complete"
  say "  Apicurio Registry: $(du -sh "$REGISTRY_HOME" | cut -f1) in $(elapsed "$start") s"
}

# One up/down/clean at a time per state dir (parallel test runners may race).
# The lock is on fd 9, which spawn() closes for the services.
LOCKED=0
acquire_lock() {
  ((LOCKED)) && return 0
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/lock"
  if ! flock -n 9; then
    say "waiting for another stack.sh working on $STATE_DIR"
    flock -w 300 9 || die "another stack.sh still holds $RUN_DIR/lock"
  fi
  LOCKED=1
}

init_state_dir() {
  mkdir -p "$STATE_DIR" "$CACHE_DIR" "$RUN_DIR" "$LOG_DIR"
  # Keep the state dir out of git even without a root .gitignore entry.
  [[ -f $STATE_DIR/.gitignore ]] || printf '*\n' >"$STATE_DIR/.gitignore"
}

# ------------------------------------------------------------ processes

# Start a command detached from this shell (own session, stdin from /dev/null,
# output appended to a log, working directory in the state dir) and record
# "PID STARTTIME" in the service's pid file.
spawn() { # svc outfile cmd...
  local svc=$1 out=$2 file tmpfile pid="" i workdir
  shift 2
  workdir=$(workdir_of "$svc")
  mkdir -p "$workdir"
  file=$(pid_file_of "$svc")
  tmpfile=$file.spawn
  rm -f "$tmpfile"
  printf '\n---- stack.sh: starting %s at %s ----\n' "$svc" "$(date '+%Y-%m-%d %H:%M:%S')" >>"$out"
  # The inner shell changes to the work dir, writes its own pid, then execs the
  # service in place, so the pid is right whether or not setsid had to fork.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid nohup bash -c 'cd "$1" && printf "%s\n" "$$" >"$0" && shift && exec "$@"' \
    "$tmpfile" "$workdir" "$@" </dev/null >>"$out" 2>&1 9>&- &
  for ((i = 0; i < 100; i++)); do
    if [[ -s $tmpfile ]]; then
      read -r pid <"$tmpfile" || true
      [[ -n $pid ]] && break
    fi
    sleep 0.05
  done
  rm -f "$tmpfile"
  [[ $pid =~ ^[0-9]+$ ]] || die "could not start $svc"
  local start
  start=$(proc_starttime "$pid") || die "$svc exited immediately; see $out"
  printf '%s %s\n' "$pid" "$start" >"$file"
}

check_port_free() { # svc port what
  if port_open "$HOST" "$2"; then
    die "$1: $3 port $HOST:$2 is already in use by another process (not started by this script). Stop it or pick another port (see docs/local-stack.md)."
  fi
}

check_ports_free() { # svc
  case $1 in
    redis) check_port_free redis "$REDIS_PORT" "Redis" ;;
    registry) check_port_free registry "$REGISTRY_PORT" "registry HTTP" ;;
    kafka)
      check_port_free kafka "$KAFKA_PORT" "Kafka"
      check_port_free kafka "$CONTROLLER_PORT" "Kafka controller"
      ;;
  esac
}

start_redis() {
  mkdir -p "$REDIS_STATE/data"
  cat >"$REDIS_STATE/redis.conf" <<EOF
# Generated by deploy/local/stack.sh; rewritten on every 'up'.
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize no
supervised no
dir $REDIS_STATE/data
logfile ""
loglevel notice
appendonly yes
appendfsync everysec
save ""
databases 16
EOF
  spawn redis "$(log_file_of redis)" redis-server "$REDIS_STATE/redis.conf"
}

start_registry() {
  mkdir -p "$REGISTRY_STATE/tmp"
  # Storage: SQL on an H2 file database in the state dir, so schema ids survive
  # restarts (the default is an in-memory H2 database). H2 fixes the user and
  # password (sa, empty) when it creates the file; changing them later makes the
  # registry fail with "Wrong user name or password" until 'clean'.
  spawn registry "$(log_file_of registry)" env \
    QUARKUS_HTTP_HOST="$HOST" \
    QUARKUS_HTTP_PORT="$REGISTRY_PORT" \
    QUARKUS_MANAGEMENT_ENABLED=false \
    QUARKUS_LOG_CONSOLE_FORMAT='%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%c{3.}] (%t) %m%n' \
    APICURIO_STORAGE_KIND=sql \
    APICURIO_STORAGE_SQL_KIND=h2 \
    APICURIO_DATASOURCE_URL="jdbc:h2:file:$REGISTRY_STATE/db" \
    APICURIO_DATASOURCE_USERNAME=sa \
    APICURIO_DATASOURCE_PASSWORD= \
    APICURIO_DATASOURCE_JDBC_INITIAL_SIZE=2 \
    APICURIO_DATASOURCE_JDBC_MIN_SIZE=2 \
    APICURIO_DATASOURCE_JDBC_MAX_SIZE=20 \
    APICURIO_IMPORT_WORK_DIR="$REGISTRY_STATE/tmp" \
    APICURIO_STORAGE_SNAPSHOT_LOCATION="$REGISTRY_STATE/tmp" \
    java -Xms64m -Xmx512m \
    "-Djava.io.tmpdir=$REGISTRY_STATE/tmp" \
    "$(cmdline_marker_of registry)" \
    -jar "$REGISTRY_JAR"
}

write_kafka_config() {
  mkdir -p "$KAFKA_STATE/data" "$KAFKA_STATE/tmp"
  cp "$SCRIPT_DIR/kafka/log4j.properties" "$KAFKA_STATE/log4j.properties"
  cat >"$KAFKA_STATE/server.properties" <<EOF
# Generated by deploy/local/stack.sh; rewritten on every 'up'.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_STATE/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
EOF
}

format_kafka_storage() {
  [[ -f $KAFKA_STATE/data/meta.properties ]] && return 0
  local id
  if [[ -s $KAFKA_STATE/cluster-id ]]; then
    id=$(<"$KAFKA_STATE/cluster-id")
  else
    id=$(java -Dkafka.logs.dir="$LOG_DIR" -Dlog4j.configuration="file:$KAFKA_STATE/log4j.properties" \
      -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>>"$(out_file_of kafka)" | tail -n 1)
    [[ $id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: could not generate a cluster id (got '$id'); see $(out_file_of kafka)"
    printf '%s\n' "$id" >"$KAFKA_STATE/cluster-id"
  fi
  say "kafka: formatting storage (cluster id $id)"
  java -Dkafka.logs.dir="$LOG_DIR" -Dlog4j.configuration="file:$KAFKA_STATE/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$KAFKA_STATE/server.properties" \
    >>"$(out_file_of kafka)" 2>&1 || die "kafka: formatting storage failed; see $(out_file_of kafka)"
}

start_kafka() {
  write_kafka_config
  format_kafka_storage
  spawn kafka "$(out_file_of kafka)" java -Xms256m -Xmx512m \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "-Djava.io.tmpdir=$KAFKA_STATE/tmp" \
    "-Dkafka.logs.dir=$LOG_DIR" \
    "-Dlog4j.configuration=file:$KAFKA_STATE/log4j.properties" \
    "$(cmdline_marker_of kafka)" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_STATE/server.properties"
}

stop_service() { # svc -> 0 stopped something, 1 nothing to do
  local svc=$1 pid i file
  file=$(pid_file_of "$svc")
  if ! pid=$(our_pid "$svc"); then
    rm -f "$file"
    return 1
  fi
  say "$svc: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    our_pid "$svc" >/dev/null || break
    sleep 0.1
  done
  if our_pid "$svc" >/dev/null; then
    warn "$svc: still running after ${STOP_TIMEOUT_S} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      our_pid "$svc" >/dev/null || break
      sleep 0.1
    done
  fi
  if our_pid "$svc" >/dev/null; then
    warn "$svc: pid $pid did not exit"
    return 0
  fi
  rm -f "$file"
  return 0
}

show_tail() { # svc [lines]
  local svc=$1 n=${2:-40} f
  for f in "$(log_file_of "$svc")" "$(out_file_of "$svc")"; do
    [[ -s $f ]] || continue
    printf -- '---- last %s lines of %s ----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2
  done
}

# ------------------------------------------------------------------ verbs

cmd_up() {
  validate_config
  local svc managed=() to_start=() pid
  for svc in "${SERVICES[@]}"; do
    if is_external "$svc"; then
      say "$svc: external ($(external_value "$svc")), not started"
      service_answers "$svc" || warn "$svc: external $(external_value "$svc") does not answer"
    else
      managed+=("$svc")
    fi
  done
  ((${#managed[@]})) || return 0

  init_state_dir
  acquire_lock
  # Already up? Then this is a no-op.
  local all_up=1
  for svc in "${managed[@]}"; do
    if pid=$(our_pid "$svc"); then
      service_answers "$svc" || all_up=0
    else
      all_up=0
      to_start+=("$svc")
    fi
  done
  if ((all_up)); then
    say "already running: ${managed[*]} (nothing to do)"
    return 0
  fi

  local t0
  t0=$(now)
  local need_java=0 need_redis=0
  for svc in "${to_start[@]}"; do
    case $svc in
      kafka | registry) need_java=1 ;;
      redis) need_redis=1 ;;
    esac
  done
  # Fail before starting anything when a port is taken by someone else.
  for svc in "${to_start[@]}"; do check_ports_free "$svc"; done
  if ((need_java)); then ensure_java_maven; fi
  if ((need_redis)); then ensure_redis; fi
  for svc in "${to_start[@]}"; do
    case $svc in
      kafka) download_kafka ;;
      registry) download_registry ;;
    esac
  done

  # Start order: the ones that need no preparation first, Kafka last (it may
  # need a storage format, which is itself a short JVM run). All then boot in
  # parallel.
  local t_start
  t_start=$(now)
  for svc in redis registry kafka; do
    [[ " ${to_start[*]} " == *" $svc "* ]] || continue
    say "$svc: starting on $(address_of "$svc")"
    "start_$svc"
  done

  # Wait for every managed service (also ones that were already starting),
  # polling them round-robin so each is reported as soon as it answers.
  local deadline failed=() pending=("${managed[@]}") still
  deadline=$(($(date +%s) + TIMEOUT_S))
  while ((${#pending[@]})); do
    still=()
    for svc in "${pending[@]}"; do
      if service_answers "$svc"; then
        say "$svc: ready at $(address_of "$svc") (after $(elapsed "$t_start") s)"
      elif ! our_pid "$svc" >/dev/null; then
        warn "$svc: process exited before it was ready"
        show_tail "$svc" 40
        failed+=("$svc")
      elif (($(date +%s) >= deadline)); then
        warn "$svc: not ready after ${TIMEOUT_S} s; stopping it"
        show_tail "$svc" 40
        stop_service "$svc" || true
        failed+=("$svc")
      else
        still+=("$svc")
      fi
    done
    pending=("${still[@]}")
    if ((${#pending[@]})); then sleep 0.5; fi
  done
  if ((${#failed[@]})); then
    die "not ready: ${failed[*]} (the others keep running; '$0 down' stops them)"
  fi
  say "stack ready in $(elapsed "$t0") s"
  say "use it with:  eval \"\$($0 env --export)\""
}

cmd_down() {
  validate_config
  local svc any=0
  if [[ -d $RUN_DIR ]]; then acquire_lock; fi
  for svc in "${SERVICES[@]}"; do
    if is_external "$svc"; then
      say "$svc: external ($(external_value "$svc")), left alone"
      continue
    fi
    if stop_service "$svc"; then any=1; fi
  done
  local left=0
  for svc in "${SERVICES[@]}"; do
    is_external "$svc" && continue
    if our_pid "$svc" >/dev/null; then
      warn "$svc: still running"
      left=1
    fi
  done
  ((left)) && die "some services did not stop"
  if ((any)); then say "stack stopped"; else say "nothing running"; fi
}

cmd_status() {
  validate_config
  local svc pid ok=1 state detail
  for svc in "${SERVICES[@]}"; do
    if is_external "$svc"; then
      if service_answers "$svc"; then
        state=external detail="answering"
      else
        local rc=$?
        if ((rc == 2)); then
          state=external detail="not checked (no redis-cli)"
        else
          state=external detail="NOT answering"
          ok=0
        fi
      fi
      printf '%-9s %-9s %-12s %s (%s)\n' "$svc" "$state" "-" "$(external_value "$svc")" "$detail"
      continue
    fi
    if pid=$(our_pid "$svc"); then
      if service_answers "$svc"; then
        state=running detail="answering"
      else
        state=running detail="NOT answering yet"
        ok=0
      fi
      printf '%-9s %-9s %-12s %s (%s)\n' "$svc" "$state" "pid $pid" "$(address_of "$svc")" "$detail"
    else
      ok=0
      detail=""
      [[ -f $(pid_file_of "$svc") ]] && detail=" (stale pid file)"
      printf '%-9s %-9s %-12s %s%s\n' "$svc" stopped "-" "$(address_of "$svc")" "$detail"
    fi
  done
  ((ok))
}

cmd_env() {
  local prefix=""
  case ${1:-} in
    "") ;;
    --export) prefix="export " ;;
    *) die "usage: $0 env [--export]" ;;
  esac
  validate_config
  printf '%sKAFKA_BROKERS=%q\n' "$prefix" "${KAFKA_BROKERS:-$(address_of kafka)}"
  printf '%sSCHEMA_REGISTRY_URL=%q\n' "$prefix" "${SCHEMA_REGISTRY_URL:-$(address_of registry)}"
  printf '%sREDIS_URL=%q\n' "$prefix" "${REDIS_URL:-$(address_of redis)}"
}

cmd_logs() {
  local follow=0 names=() arg svc f files=()
  for arg in "$@"; do
    case $arg in
      -f | --follow) follow=1 ;;
      kafka | registry | redis) names+=("$arg") ;;
      *) die "usage: $0 logs [kafka|registry|redis] [-f]" ;;
    esac
  done
  ((${#names[@]})) || names=("${SERVICES[@]}")
  for svc in "${names[@]}"; do
    for f in "$(log_file_of "$svc")" "$(out_file_of "$svc")"; do
      [[ -f $f ]] && files+=("$f")
    done
  done
  ((${#files[@]})) || die "no logs yet in $LOG_DIR"
  if ((follow)); then
    exec tail -n 40 -F "${files[@]}"
  fi
  local n=100
  ((${#names[@]} > 1)) && n=20
  for f in "${files[@]}"; do
    printf -- '==> %s <==\n' "$f"
    tail -n "$n" "$f"
  done
}

cmd_clean() {
  local all=0
  case ${1:-} in
    "") ;;
    --all) all=1 ;;
    *) die "usage: $0 clean [--all]" ;;
  esac
  validate_config
  cmd_down
  [[ -d $STATE_DIR ]] || {
    say "nothing to clean"
    return 0
  }
  rm -rf "$KAFKA_STATE" "$REGISTRY_STATE" "$REDIS_STATE" "$RUN_DIR" "$LOG_DIR"
  if ((all)); then
    rm -rf "$CACHE_DIR"
    rm -f "$STATE_DIR/.gitignore"
    rmdir "$STATE_DIR" 2>/dev/null || warn "left $STATE_DIR in place (it holds files that are not ours)"
    say "removed all stack state and downloads"
  else
    say "removed data and logs in $STATE_DIR (downloads kept in $CACHE_DIR)"
  fi
}

usage() {
  cat <<EOF
usage: $0 <command>
  up             download what is missing, start Kafka, Apicurio Registry and Redis, wait until ready
  down           stop the processes this script started
  status         one line per service; exit 0 only if all answer
  env [--export] print KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL
  logs [NAME] [-f]  show (or follow) logs; NAME is kafka, registry or redis
  clean [--all]  stop, then delete data and logs (--all: downloads too)
  tools          install what the integration tests start themselves (Debian's prometheus-alertmanager, prometheus, chromium; the Kafka jars)
state dir: $STATE_DIR
EOF
}

main() {
  local verb=${1:-}
  if [[ $# -gt 0 ]]; then shift; fi
  case $verb in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    logs) cmd_logs "$@" ;;
    clean) cmd_clean "$@" ;;
    tools) cmd_tools "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
