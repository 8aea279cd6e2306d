"""The breaches, service gaps and closures of care are counted from the lists that name each one
(`breached_deadlines`, `gap_needs`, `care_outcomes`): the counters kept beside them held their lengths
twice, and could drift from them."""

from alembic import op

revision = "0020"
down_revision = "0019"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE case_facts DROP COLUMN IF EXISTS service_gaps, DROP COLUMN IF EXISTS deadline_breaches,"
        " DROP COLUMN IF EXISTS care_closures"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE case_facts"
        " ADD COLUMN service_gaps integer NOT NULL DEFAULT 0, ADD COLUMN deadline_breaches integer NOT NULL DEFAULT 0,"
        " ADD COLUMN care_closures integer NOT NULL DEFAULT 0"
    )
    op.execute(
        "UPDATE case_facts SET service_gaps = jsonb_array_length(gap_needs),"
        " deadline_breaches = jsonb_array_length(breached_deadlines), care_closures = jsonb_array_length(care_outcomes)"
    )
