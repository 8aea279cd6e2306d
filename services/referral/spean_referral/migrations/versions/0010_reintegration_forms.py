"""The reintegration stages' forms, and the outcome a referral's care closed with."""

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has both.
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS outcome varchar(30)")
    op.execute(
        "CREATE TABLE IF NOT EXISTS reintegration_form ("
        " form_id varchar(64) PRIMARY KEY,"
        " referral_id varchar(64) NOT NULL,"
        " kind varchar(30) NOT NULL,"
        " content jsonb NOT NULL,"
        " filed_by varchar(64) NOT NULL,"
        " filed_at timestamptz NOT NULL)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_reintegration_form_referral_id ON reintegration_form (referral_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS reintegration_form")
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS outcome")
