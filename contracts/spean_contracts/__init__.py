"""Spean's public language: typed case events, their released JSON Schemas, and the Kafka binding.

Services build an event with a model from `spean_contracts.events`, turn it into a Kafka record with
`to_kafka_record` (or `encode_event`, headers still text, for an outbox), and read one back with
`from_kafka_record`; both validate against the released schema, so an event that breaks its contract
is never produced and never silently consumed.
"""

from spean_contracts.cloudevents import (
    CloudEvent,
    ContractViolation,
    EncodedEvent,
    KafkaRecord,
    Violation,
    encode_event,
    from_kafka_record,
    new_event_id,
    source_of,
    to_kafka_record,
)
from spean_contracts.registry import CATALOGUE, EventSpec, Topic, spec_for_model, spec_for_type

__all__ = [
    "CATALOGUE",
    "CloudEvent",
    "ContractViolation",
    "EncodedEvent",
    "EventSpec",
    "KafkaRecord",
    "Topic",
    "Violation",
    "encode_event",
    "from_kafka_record",
    "new_event_id",
    "source_of",
    "spec_for_model",
    "spec_for_type",
    "to_kafka_record",
]
