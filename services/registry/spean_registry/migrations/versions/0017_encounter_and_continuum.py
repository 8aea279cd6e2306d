"""Persons counted by how the latest screening met them and by its situation on the continuum. The
facts projected before take both from the latest screening the timeline holds."""

from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS encounter varchar(30)")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS continuum varchar(1)")
    op.execute(
        "UPDATE case_facts SET encounter = latest.encounter, continuum = latest.continuum FROM ("
        "  SELECT DISTINCT ON (case_id) case_id, data->>'encounter' AS encounter, data->>'continuum' AS continuum"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.identification.screening-recorded.v%'"
        "  ORDER BY case_id, (data->>'screened_at')::timestamptz DESC, at DESC"
        ") AS latest WHERE case_facts.case_id = latest.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS continuum")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS encounter")
