"""Publishes ApiTransaction v1 events as a Confluent client would: Avro through
confluent-kafka's AvroSerializer, registered in the schema registry under
<topic>-value, keyed by principal (else client IP).

    python produce_transactions.py BOOTSTRAP REGISTRY_URL TOPIC SCHEMA.avsc < events.ndjson

Each stdin line is an event in vigil's JSON form; prints how many were delivered.
"""
import json
import sys
from datetime import datetime, timezone

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer


def to_record(event, field_names):
    """vigil's JSON form to the Avro record: every field present, absent ones None, the timestamp a datetime."""
    record = {name: event.get(name) for name in field_names}
    stamp = event["timestamp"]
    if isinstance(stamp, str):
        record["timestamp"] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    else:
        record["timestamp"] = datetime.fromtimestamp(stamp / 1000, tz=timezone.utc)
    return record


def main():
    bootstrap, registry_url, topic, schema_path = sys.argv[1:5]
    with open(schema_path, encoding="utf-8") as f:
        schema_str = f.read()
    field_names = [field["name"] for field in json.loads(schema_str)["fields"]]
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), schema_str)
    keys = StringSerializer("utf_8")
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    failures = []
    delivered = 0

    def on_delivery(err, _msg):
        nonlocal delivered
        if err is not None:
            failures.append(str(err))
        else:
            delivered += 1

    for line in sys.stdin:
        if not line.strip():
            continue
        event = json.loads(line)
        key = event.get("principal") or event.get("clientIp") or event["id"]
        value = serializer(to_record(event, field_names), SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=keys(key), value=value, on_delivery=on_delivery)
        producer.poll(0)
    producer.flush(30)
    if failures:
        sys.exit(f"delivery failed: {failures[:3]}")
    print(json.dumps({"delivered": delivered}))


if __name__ == "__main__":
    main()
