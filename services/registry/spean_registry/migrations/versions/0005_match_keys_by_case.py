"""Match keys indexed by case: linkage looks up the keys of each screened case at every batch, and
without the index each lookup read the whole table, which grows with every screening in the country."""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the index.
    op.execute("CREATE INDEX IF NOT EXISTS ix_match_key_case_id ON match_key (case_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_match_key_case_id")
