"""A case's facts keep each court case's latest verdict, so that a conviction overturned on appeal no
longer counts as one. Facts projected before it take their verdicts from the court cases recorded."""

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the column.
    op.execute("ALTER TABLE case_facts ADD COLUMN IF NOT EXISTS verdicts jsonb NOT NULL DEFAULT '{}'")
    op.execute(
        "UPDATE case_facts SET verdicts = recorded.verdicts FROM ("
        "  SELECT case_id, jsonb_object_agg(court_case_id, outcome->>'verdict') AS verdicts FROM court_case"
        "  WHERE outcome->>'verdict' <> 'pending' GROUP BY case_id"
        ") AS recorded WHERE case_facts.case_id = recorded.case_id AND case_facts.verdicts = '{}'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_facts DROP COLUMN IF EXISTS verdicts")
