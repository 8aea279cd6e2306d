"""Every POST takes an Idempotency-Key: a retry whose answer was lost is recorded once, and answered again."""

from spean_kit.migrations import create_idempotency_table, drop_idempotency_table

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
