"""The AsyncAPI 3.0 document of Spean's topics, generated from the catalogue so the two never drift."""

from __future__ import annotations

import re
from typing import Any

import yaml

from spean_contracts.registry import CATALOGUE, DEAD_LETTER_RETENTION_MS, TOPICS, EventSpec, Topic

HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject", "content-type"],
    "properties": {
        "ce_id": {"type": "string", "description": "Unique event id; consumers de-duplicate on it."},
        "ce_source": {"type": "string", "description": "/spean/<service>/<agency>: who emitted the event."},
        "ce_type": {"type": "string", "description": "kh.spean.<domain>.<event>.v<major>"},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "The pseudonymous case id (also the Kafka key)."},
        "ce_dataschema": {"type": "string", "description": "The schema's id: urn:kh:spean:schema:<name>:<version>"},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context of the request that caused it."},
    },
}
DEAD_LETTER_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original record's headers, plus why and where it failed.",
    "required": ["dlq_reason", "dlq_consumer", "dlq_topic", "dlq_partition", "dlq_offset"],
    "properties": {
        **HEADERS_SCHEMA["properties"],
        "dlq_reason": {"type": "string", "description": "The validation or processing error."},
        "dlq_consumer": {"type": "string", "description": "The consumer group that gave up."},
        "dlq_topic": {"type": "string"},
        "dlq_partition": {"type": "string"},
        "dlq_offset": {"type": "string"},
        "dlq_attempts": {"type": "string", "description": "Attempts made before giving up."},
    },
}


def _camel(text: str) -> str:
    words = re.split(r"[.\-]", text)
    return words[0] + "".join(word.capitalize() for word in words[1:])


def _message(spec: EventSpec) -> dict[str, Any]:
    return {
        "name": spec.ce_type,
        "title": spec.name,
        "summary": spec.description,
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/cloudEventHeaders"},
        "payload": {"$ref": f"./events/{spec.name}/{spec.version}.json"},
        "bindings": {"kafka": {"key": {"type": "string", "description": "The pseudonymous case id."}}},
        "examples": [{"name": f"{_camel(spec.name)}Example", "payload": example} for example in spec.examples],
    }


def _channels(topic: Topic) -> dict[str, Any]:
    messages = {_camel(s.name): {"$ref": f"#/components/messages/{_camel(s.name)}"} for s in _specs(topic)}
    name = channel_name(topic)
    return {
        name: {
            "address": topic.name,
            "description": f"{topic.description} Owned by the {topic.owner.value} service; key: case id.",
            "messages": messages,
            "bindings": {
                "kafka": {
                    "topic": topic.name,
                    "partitions": topic.partitions,
                    "replicas": 3,
                    "topicConfiguration": {"retention.ms": topic.retention_ms},
                }
            },
        },
        f"{name}DeadLetter": {
            "address": topic.dead_letter,
            "description": f"Dead-letter twin of {topic.name}: records a consumer could not process, with the reason.",
            "messages": {f"{key}DeadLetter": {"$ref": f"#/components/messages/{key}DeadLetter"} for key in messages},
            "bindings": {
                "kafka": {
                    "topic": topic.dead_letter,
                    "partitions": 1,
                    "replicas": 3,
                    "topicConfiguration": {"retention.ms": DEAD_LETTER_RETENTION_MS},
                }
            },
        },
    }


def _specs(topic: Topic) -> list[EventSpec]:
    return [spec for spec in CATALOGUE if spec.topic == topic]


def channel_name(topic: Topic) -> str:
    """`spean.identification.v1` -> `identification`: the domain part of the topic's name."""
    return _camel(topic.name.split(".")[1])


def _operations(topic: Topic) -> dict[str, Any]:
    channel = channel_name(topic)
    operations: dict[str, Any] = {
        f"{_camel(topic.owner.value)}Publishes{channel.capitalize()}": {
            "action": "send",
            "summary": f"The {topic.owner.value} service publishes through its transactional outbox.",
            "channel": {"$ref": f"#/channels/{channel}"},
        }
    }
    for consumer in topic.consumers:
        operations[f"{_camel(consumer.value)}Receives{channel.capitalize()}"] = {
            "action": "receive",
            "summary": f"The {consumer.value} service consumes idempotently (consumer group spean-{consumer.value}).",
            "channel": {"$ref": f"#/channels/{channel}"},
        }
        operations[f"{_camel(consumer.value)}DeadLetters{channel.capitalize()}"] = {
            "action": "send",
            "summary": f"The {consumer.value} service sends what it cannot process, after bounded retries.",
            "channel": {"$ref": f"#/channels/{channel}DeadLetter"},
        }
    return operations


def document() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for spec in CATALOGUE:
        message = _message(spec)
        messages[_camel(spec.name)] = message
        messages[f"{_camel(spec.name)}DeadLetter"] = {
            **{k: v for k, v in message.items() if k != "examples"},
            "name": f"{spec.ce_type}.dlq",
            "headers": {"$ref": "#/components/schemas/deadLetterHeaders"},
        }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        channels.update(_channels(topic))
        operations.update(_operations(topic))
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Spean case events",
            "version": "1.0.0",
            "description": (
                "The events of Cambodia's national referral mechanism. CloudEvents 1.0 in Kafka binary "
                "content mode; the key of every record is the pseudonymous case id. Generated from "
                "spean_contracts; do not edit by hand (`make contracts-release`)."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "127.0.0.1:26092", "protocol": "kafka", "description": "make up"},
            "production": {
                "host": "spean-kafka-bootstrap.spean.svc:9093",
                "protocol": "kafka-secure",
                "description": "Strimzi in the cluster (deploy/k8s)",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {"cloudEventHeaders": HEADERS_SCHEMA, "deadLetterHeaders": DEAD_LETTER_HEADERS},
        },
    }


def render() -> str:
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=110)
