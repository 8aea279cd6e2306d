"""A share may name the one organisation of an agency that may read: NGO stands for every NGO, so a share
with NGO opened the person's data to all of them. A share with NGO now names the organisation; those
made before name none and grant no NGO (the owning agency shares again, naming it)."""

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column and index.
    op.execute("ALTER TABLE share ADD COLUMN IF NOT EXISTS organisation varchar(64)")
    op.execute("ALTER TABLE share DROP CONSTRAINT IF EXISTS share_screening_id_agency_key")
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS share_one_per_reader"
        " ON share (screening_id, agency, coalesce(organisation, ''))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS share_one_per_reader")
    op.execute("ALTER TABLE share DROP COLUMN IF EXISTS organisation")
    op.execute("ALTER TABLE share ADD CONSTRAINT share_screening_id_agency_key UNIQUE (screening_id, agency)")
