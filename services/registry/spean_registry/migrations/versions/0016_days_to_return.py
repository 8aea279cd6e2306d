"""Repatriated persons counted by how long their return took. The facts projected before take both
moments from the timeline; the bands are those of domain/waits.py when this was written."""

from alembic import op

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS requested_at timestamptz")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS repatriated_at timestamptz")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS return_wait varchar(10)")
    op.execute(
        "UPDATE case_facts SET requested_at = told.requested_at, repatriated_at = told.repatriated_at FROM ("
        "  SELECT case_id,"
        "   min((data->>'at')::timestamptz) FILTER (WHERE type LIKE 'kh.spean.repatriation.requested.v%')"
        "    AS requested_at,"
        "   min((data->>'repatriated_at')::timestamptz) FILTER (WHERE type LIKE 'kh.spean.case.repatriated.v%')"
        "    AS repatriated_at"
        "  FROM timeline_entry GROUP BY case_id"
        ") AS told WHERE case_facts.case_id = told.case_id"
    )
    op.execute(
        "UPDATE case_facts SET return_wait = CASE"
        "  WHEN repatriated_at - requested_at <= interval '30 days' THEN '0-30'"
        "  WHEN repatriated_at - requested_at <= interval '60 days' THEN '30-60'"
        "  WHEN repatriated_at - requested_at <= interval '90 days' THEN '60-90'"
        "  ELSE 'over-90' END"
        " WHERE requested_at IS NOT NULL AND repatriated_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS return_wait")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS repatriated_at")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS requested_at")
