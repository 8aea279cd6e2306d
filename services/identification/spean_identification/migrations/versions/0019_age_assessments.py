"""Age assessments: the competent authority settles an age in doubt. The exact age and the grounds are kept
sealed with the case's key."""

from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE IF NOT EXISTS age_assessment ("
        " assessment_id varchar(64) PRIMARY KEY,"
        " case_id varchar(64) NOT NULL,"
        " age_band varchar(10) NOT NULL,"
        " is_child boolean NOT NULL,"
        " methods jsonb NOT NULL,"
        " sealed bytea NOT NULL,"
        " assessed_by varchar(64) NOT NULL,"
        " agency varchar(40) NOT NULL,"
        " assessed_at timestamptz NOT NULL)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_age_assessment_case_id ON age_assessment (case_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS age_assessment")
