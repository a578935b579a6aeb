"""Reads vigil's findings as a consumer that knows only the schema registry and
finding.v1.avsc: confluent-kafka's AvroDeserializer resolves each message's
writer schema (from its schema id) into that reader schema.

    python consume_findings.py BOOTSTRAP REGISTRY_URL TOPIC SCHEMA.avsc DETECTOR TIMEOUT_S

Prints every finding as one JSON line, and stops at the first of DETECTOR (exit 0)
or after TIMEOUT_S seconds (exit 2).
"""
import json
import sys
import time
import uuid
from datetime import datetime

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value)}")


def main():
    bootstrap, registry_url, topic, schema_path, detector, timeout_s = sys.argv[1:7]
    with open(schema_path, encoding="utf-8") as f:
        schema_str = f.read()
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}), schema_str)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"vigil-interop-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    deadline = time.monotonic() + float(timeout_s)
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise SystemExit(f"consumer error: {msg.error()}")
            finding = deserializer(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
            print(json.dumps(finding, default=plain), flush=True)
            if finding["detector"] == detector:
                return
    finally:
        consumer.close()
    sys.exit(2)


if __name__ == "__main__":
    main()
