"""Every service takes an Idempotency-Key on every POST now, kept by the kit in the table this service had
for its screenings: the table becomes the kit's, and the keys of the last days stay (a retry sent across the
upgrade is still answered once)."""

from spean_kit.migrations import create_idempotency_table, idempotency_table_of_json_answers

revision = "0021"
down_revision = "0020"


def upgrade() -> None:
    create_idempotency_table()


def downgrade() -> None:
    idempotency_table_of_json_answers()
