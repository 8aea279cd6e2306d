"""Photos of screened persons, taken with their consent to images, sealed with the case's key."""

from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE IF NOT EXISTS photo ("
        " screening_id varchar(64) PRIMARY KEY,"
        " case_id varchar(64) NOT NULL,"
        " media_type varchar(20) NOT NULL,"
        " size integer NOT NULL,"
        " image bytea NOT NULL,"
        " taken_by varchar(64) NOT NULL,"
        " taken_at timestamptz NOT NULL)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_photo_case_id ON photo (case_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS photo")
