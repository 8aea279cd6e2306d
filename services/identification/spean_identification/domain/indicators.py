"""The screening checklist, organised as the Palermo test is: an act, by some means, for a purpose."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from spean_contracts.vocabulary import ExploitationType


class Act(StrEnum):
    RECRUITMENT = "recruitment"
    TRANSPORT = "transport"
    TRANSFER = "transfer"
    HARBOURING = "harbouring"
    RECEIPT = "receipt"
    SELLING = "selling"
    BUYING = "buying"


class Means(StrEnum):
    FORCE = "force"
    THREAT = "threat"
    DECEPTION = "deception"
    ABUSE_OF_POWER = "abuse-of-power"
    ABUSE_OF_VULNERABILITY = "abuse-of-vulnerability"
    DEBT = "debt-bondage"
    CONFINEMENT = "confinement"
    DOCUMENTS_WITHHELD = "documents-withheld"


# The purposes of the legal test are the forms of exploitation the contracts already name.
Purpose = ExploitationType


class Indicators(BaseModel):
    """Which indicators the screener found present. None decides alone; together they suggest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    acts: frozenset[Act] = Field(default=frozenset(), description="Acts observed or reported.")
    means: frozenset[Means] = Field(default=frozenset(), description="Means used on the person.")
    purposes: frozenset[Purpose] = Field(default=frozenset(), description="Exploitation the person was meant for.")

    @property
    def count(self) -> int:
        return len(self.acts) + len(self.means) + len(self.purposes)
