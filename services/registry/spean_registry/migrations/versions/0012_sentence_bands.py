"""Court figures by the sentence's band. The decisions recorded before take it from the timeline, which
holds every decision with its sentence; the bands are those of domain/sentences.py when this was written."""

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    # 0001 creates the projection's tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE court_year ADD COLUMN IF NOT EXISTS sentence varchar(20)")
    op.execute(
        "UPDATE court_year SET sentence = CASE"
        "  WHEN coalesce(decided.months, 0) = 0 THEN 'none'"
        "  WHEN decided.months < 84 THEN 'under-7-years'"
        "  WHEN decided.months < 180 THEN '7-to-15-years'"
        "  WHEN decided.months <= 240 THEN '15-to-20-years'"
        "  ELSE 'over-20-years' END"
        " FROM ("
        "  SELECT DISTINCT ON (data->>'court_case_id', (data->>'decided_on')::date)"
        "   data->>'court_case_id' AS court_case_id, (data->>'decided_on')::date AS decided_on,"
        "   (data->>'sentence_months')::numeric AS months"
        "  FROM timeline_entry WHERE type LIKE 'kh.spean.prosecution.court-outcome-recorded.v%'"
        "  ORDER BY data->>'court_case_id', (data->>'decided_on')::date, at DESC"
        " ) AS decided"
        " WHERE court_year.court_case_id = decided.court_case_id AND court_year.decided_on = decided.decided_on"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE court_year DROP COLUMN IF EXISTS sentence")
