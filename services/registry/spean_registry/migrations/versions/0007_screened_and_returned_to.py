"""A case's facts say whether it was screened in Cambodia (a returnee's case, opened by the origin side of
a repatriation, was not, and counted among the screened) and which country a repatriated person was
returned to (both directions counted as one). Facts projected before take both from the timeline."""

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS screened boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS returned_to varchar(10)")
    op.execute(
        "UPDATE case_facts SET screened = true WHERE case_id IN ("
        "  SELECT case_id FROM timeline_entry WHERE type LIKE 'kh.spean.identification.screening-recorded.v%')"
    )
    op.execute(
        "UPDATE case_facts SET returned_to = returned.to_country FROM ("
        "  SELECT DISTINCT ON (case_id) case_id, data->>'to_country' AS to_country FROM timeline_entry"
        "  WHERE type LIKE 'kh.spean.case.repatriated.v%' ORDER BY case_id, at DESC"
        ") AS returned WHERE case_facts.case_id = returned.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS returned_to")
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS screened")
