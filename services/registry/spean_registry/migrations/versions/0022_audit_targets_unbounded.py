"""An audit entry names every case it is about: a merge of up to twenty, or a person's timeline read across
all their cases. Two hundred characters held five case ids."""

from alembic import op

revision = "0022"
down_revision = "0021"


def upgrade() -> None:
    op.execute("ALTER TABLE audit_log ALTER COLUMN target TYPE text")


def downgrade() -> None:
    """Entries naming more than fits in 200 characters would have to be cut, which breaks the audit chain: the
    column stays text."""
