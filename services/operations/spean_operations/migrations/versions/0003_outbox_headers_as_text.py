"""The outbox's headers are JSON text and its only index is the primary key: staging costs PostgreSQL
less than half the CPU it did."""

from spean_kit.migrations import outbox_headers_as_jsonb, outbox_headers_as_text

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    outbox_headers_as_text()


def downgrade() -> None:
    outbox_headers_as_jsonb()
