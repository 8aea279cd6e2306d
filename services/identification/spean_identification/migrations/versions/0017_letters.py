"""Identification letters: what a victim carries to show that the competent authority identified them. The
code is kept only as its digest."""

from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE IF NOT EXISTS letter ("
        " letter_id varchar(64) PRIMARY KEY,"
        " case_id varchar(64) NOT NULL,"
        " code_digest varchar(64) NOT NULL UNIQUE,"
        " issued_by varchar(64) NOT NULL,"
        " agency varchar(40) NOT NULL,"
        " issued_at timestamptz NOT NULL,"
        " replaced_at timestamptz)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_letter_case_id ON letter (case_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS letter")
