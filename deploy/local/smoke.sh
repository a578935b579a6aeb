#!/usr/bin/env bash
# Checks a running local stack (deploy/local/stack.sh up) end to end:
#   Kafka: create a topic, produce, consume through a consumer group (kafka/Smoke.java)
#   Registry: register an Avro schema through the Confluent-compatible API, resolve it by id
#   Redis: PING, SET, GET
# Uses the same environment as stack.sh (ports, VIGIL_STACK_DIR, external URLs).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
STACK=$SCRIPT_DIR/stack.sh
REPO_DIR=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
STATE_DIR=$(realpath -m -- "${VIGIL_STACK_DIR:-$REPO_DIR/.stack}")
KAFKA_LIBS=$(realpath -m -- "${VIGIL_STACK_CACHE:-$STATE_DIR/cache}")/kafka/libs

eval "$("$STACK" env --export)"
fail() {
  printf 'smoke: FAILED: %s\n' "$*" >&2
  exit 1
}

echo "== kafka ($KAFKA_BROKERS)"
[[ -f $KAFKA_LIBS/.complete ]] || fail "no Kafka jars in $KAFKA_LIBS (run stack.sh up once)"
java -Dlog4j.configuration=file:/dev/null -cp "$KAFKA_LIBS/*" "$SCRIPT_DIR/kafka/Smoke.java" \
  "${KAFKA_BROKERS%%,*}" vigil-smoke vigil-smoke-group 2> >(grep -v '^log4j:WARN' >&2) ||
  fail "kafka"

echo "== registry ($SCHEMA_REGISTRY_URL)"
schema='{"schema":"{\"type\":\"record\",\"name\":\"VigilSmoke\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}"}'
resp=$(curl -sf --max-time 10 -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
  --data "$schema" "$SCHEMA_REGISTRY_URL/subjects/vigil-smoke-value/versions") || fail "register schema"
id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$resp")
[[ -n $id ]] || fail "no id in $resp"
echo "registered vigil-smoke-value as id $id"
got=$(curl -sf --max-time 10 "$SCHEMA_REGISTRY_URL/schemas/ids/$id") || fail "resolve id $id"
[[ $got == *VigilSmoke* ]] || fail "id $id resolved to $got"
echo "id $id resolves: $got"

echo "== redis ($REDIS_URL)"
[[ $(redis-cli --no-auth-warning -u "$REDIS_URL" ping) == PONG ]] || fail "redis ping"
redis-cli --no-auth-warning -u "$REDIS_URL" set vigil:smoke ok >/dev/null
[[ $(redis-cli --no-auth-warning -u "$REDIS_URL" get vigil:smoke) == ok ]] || fail "redis get"
echo "PONG, SET/GET ok"

echo "smoke: all OK"
