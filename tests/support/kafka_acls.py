"""What a service may do on Kafka, from what it publishes and consumes: write its own topics (their
dead-letter twins it only sees), read those it consumes and write their dead-letter twins, and read as
its consumer group. deploy/k8s grants these to each service's Kafka user, from the catalogue (a test
compares them), and the operations console what it does; a kit test grants them to the sample service
and sees them suffice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spean_contracts.registry import TOPICS, Service
from spean_kit.deadletter import dead_letter_topic


@dataclass(frozen=True, order=True)
class Acl:
    resource: str  # Kafka's resource type, as Strimzi names it: topic, group
    name: str
    operation: str  # Read and Write each include Describe
    pattern: str = "literal"  # or prefix: every name that starts with `name`


def service_acls(owns: Iterable[str], consumes: Iterable[str], group: str) -> set[Acl]:
    owned, consumed = set(owns), set(consumes)
    acls = {Acl("group", group, "Read")}
    acls |= {Acl("topic", topic, "Write") for topic in owned}
    acls |= {Acl("topic", topic, "Read") for topic in consumed}
    acls |= {Acl("topic", dead_letter_topic(topic), "Write") for topic in consumed}
    # Checked for at start-up (a topic is made if it is missing), never written.
    acls |= {Acl("topic", dead_letter_topic(topic), "Describe") for topic in owned - consumed}
    return acls


def catalogue_acls(service: Service) -> set[Acl]:
    """The ACLs of `service`'s Kafka user in production (no topic namespace)."""
    return service_acls(
        [t.name for t in TOPICS if t.owner is service],
        [t.name for t in TOPICS if service in t.consumers],
        f"spean-{service.value}",
    )


def console_acls() -> set[Acl]:
    """The operations console's: it watches every case topic, lists and reads every dead letter and
    sends one back to its topic on an operator's word, and reads every service's consumer lag."""
    acls = {Acl("group", "spean-operations", "Read"), Acl("group", "spean-", "Describe", "prefix")}
    for topic in TOPICS:
        for name in (topic.name, dead_letter_topic(topic.name)):
            acls |= {Acl("topic", name, "Read"), Acl("topic", name, "Write")}
    return acls
