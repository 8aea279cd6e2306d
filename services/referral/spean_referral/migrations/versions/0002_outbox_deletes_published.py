"""The outbox holds only events not yet published: the relay deletes what Kafka has acknowledged."""

from spean_kit.migrations import delete_published_outbox_rows, keep_published_outbox_rows

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    delete_published_outbox_rows()


def downgrade() -> None:
    keep_published_outbox_rows()
