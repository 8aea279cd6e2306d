"""The record of dead letters replayed is chained: an entry edited, deleted or slipped in behind the
console's back is named by `GET /api/audit/verify`."""

from spean_kit import audit
from spean_operations.adapters.tables import Replay

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    audit.chain_existing_entries(Replay)


def downgrade() -> None:
    audit.unchain(Replay)
