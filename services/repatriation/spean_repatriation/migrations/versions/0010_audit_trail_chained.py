"""The audit trail of reads of persons' data is chained: an entry edited, deleted or slipped in behind
the service's back is named by `GET /audit/verify`."""

from spean_kit import audit
from spean_repatriation.adapters.tables import PersonRead

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    audit.chain_existing_entries(PersonRead)


def downgrade() -> None:
    audit.unchain(PersonRead)
