"""The audit trail of reads of personal data is chained: an entry edited, deleted or slipped in behind
the service's back is named by `GET /audit/verify`."""

from spean_identification.adapters.tables import AccessAudit
from spean_kit import audit

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    audit.chain_existing_entries(AccessAudit)


def downgrade() -> None:
    audit.unchain(AccessAudit)
