"""A case an analyst's split left alone in its national record is linked to nothing: certain, not a
probable link left to review. Splits made before said so of the case split out alone."""

from alembic import op

revision = "0021"
down_revision = "0020"


def upgrade() -> None:
    op.execute(
        "UPDATE case_facts SET certainty = 'certain' WHERE certainty = 'probable' AND national_record_id IN"
        " (SELECT national_record_id FROM case_facts GROUP BY national_record_id HAVING count(*) = 1)"
    )


def downgrade() -> None:
    """Which lone cases were probable before is not kept: they stay certain."""
