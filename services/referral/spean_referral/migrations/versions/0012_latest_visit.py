"""How the latest monitoring visit found the person, and its day: MoSVY lists those found at risk."""

from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    # 0001 creates tables from the current models, so a new database already has the columns.
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS visited_on date")
    op.execute("ALTER TABLE referral ADD COLUMN IF NOT EXISTS situation varchar(20)")
    op.execute(
        "UPDATE referral SET visited_on = latest.day, situation = latest.situation FROM ("
        "  SELECT DISTINCT ON (referral_id) referral_id, (content->>'visited_on')::date AS day,"
        "  content->>'situation' AS situation FROM reintegration_form WHERE kind = 'monitoring-visit'"
        "  ORDER BY referral_id, (content->>'visited_on')::date DESC, filed_at DESC"
        ") AS latest WHERE referral.referral_id = latest.referral_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS situation")
    op.execute("ALTER TABLE referral DROP COLUMN IF EXISTS visited_on")
