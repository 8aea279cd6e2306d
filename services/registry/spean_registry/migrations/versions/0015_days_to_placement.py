"""Referred persons counted by how long they waited for care. The facts projected before take both
moments from the timeline; the bands are those of domain/waits.py when this was written."""

from alembic import op

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS identified_at timestamptz")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS referred_at timestamptz")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS placement_wait varchar(10)")
    op.execute(
        "UPDATE case_facts SET identified_at = told.identified_at, referred_at = told.referred_at FROM ("
        "  SELECT case_id,"
        "   min((data->>'identified_at')::timestamptz) FILTER (WHERE type LIKE 'kh.spean.case.identified.v%'"
        "    OR type LIKE 'kh.spean.identification.vulnerable-person-identified.v%') AS identified_at,"
        "   min((data->>'referred_at')::timestamptz) FILTER (WHERE type LIKE 'kh.spean.case.referred.v%')"
        "    AS referred_at"
        "  FROM timeline_entry GROUP BY case_id"
        ") AS told WHERE case_facts.case_id = told.case_id"
    )
    op.execute(
        "UPDATE case_facts SET placement_wait = CASE"
        "  WHEN referred_at - identified_at <= interval '2 days' THEN '0-2'"
        "  WHEN referred_at - identified_at <= interval '7 days' THEN '2-7'"
        "  WHEN referred_at - identified_at <= interval '30 days' THEN '7-30'"
        "  ELSE 'over-30' END"
        " WHERE identified_at IS NOT NULL AND referred_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS placement_wait")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS referred_at")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS identified_at")
