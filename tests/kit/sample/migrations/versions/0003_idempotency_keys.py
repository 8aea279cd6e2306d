"""The Idempotency-Keys of its POSTs, as every service keeps them."""

from spean_kit.migrations import create_idempotency_table, drop_idempotency_table

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
